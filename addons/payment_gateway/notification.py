"Pay link emails, sent through the service order notification queue."
import datetime

from babel.numbers import format_currency

from trytond.pool import PoolMeta
from trytond.transaction import without_check_access
from trytond.modules.service_order.notification import first_name

SUBJECT = "{shop} : facture {invoice} à régler en ligne"
BODY = (
    "Bonjour {customer},\n\n"
    "Votre facture {invoice} ({number}) est à régler : {amount} restant dû.\n\n"
    "Payez en ligne en toute sécurité : {pay_url}\n\n"
    "{shop}")


class Notification(metaclass=PoolMeta):
    __name__ = 'service.order.notification'

    @classmethod
    def create_for_pay_link(cls, order, invoice):
        """Record (not send) the email of `invoice`'s pay link to the
        customer of `order`; return the notification. Each call is a new
        message (the key holds the time), so staff can send it again."""
        amount = format_currency(invoice.amount_to_pay,
            invoice.currency.code, locale='fr_FR')
        values = {
            'shop': order.company.rec_name,
            'customer': first_name(order.party),
            'invoice': invoice.number or '',
            'number': order.number or '',
            'amount': amount,
            'pay_url': invoice.pay_url or '',
            }
        body = BODY.format(**values)
        recipient = order.party.email
        with without_check_access():
            notification, = cls.create([{
                        'company': order.company.id,
                        'order': order.id,
                        'channel': 'email',
                        'recipient': recipient,
                        'subject': SUBJECT.format(**values),
                        'body': body,
                        'body_html': cls._html(order, body, invoice.pay_url),
                        'state': 'pending' if recipient else 'cancelled',
                        'key': 'pay:%s:%s' % (invoice.id,
                            datetime.datetime.now().isoformat()),
                        }])
        return notification
