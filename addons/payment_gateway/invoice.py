"""Pay links of customer invoices: a stable URL per invoice,
`/<db>/pay/<token>`, that starts a fresh attempt for what is still due on
each visit. Also printed as a QR code on the invoice and the cashier."""
import io
import re
import secrets

from genshi.input import XML

import qrcode
import qrcode.image.svg

from trytond.i18n import gettext
from trytond.model import Index, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.url import http_host

from .exceptions import PayLinkError


def qr_svg(data):
    """Return the QR code of `data` (str) as an inline <svg> Genshi markup
    stream (text would be escaped by the report's translation filter),
    medium error correction, sized by CSS."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    svg = image.to_string(encoding='unicode')
    return XML(re.sub(r'^<\?xml[^>]*\?>\s*', '', svg))


def qr_png(data):
    "Return `data` as a PNG QR code (bytes) for the client's image widget."
    image = qrcode.make(data, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format='PNG')
    return buffer.getvalue()


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    pay_token = fields.Char("Pay Token", readonly=True, strip=False)
    pay_url = fields.Function(
        fields.Char("Pay Link",
            help="Send this link to the customer to pay online."),
        'get_pay_url')
    online_transactions = fields.One2Many(
        'payment.gateway.transaction', 'invoice', "Online Payments",
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.pay_token, Index.Equality(cardinality='high'))))
        cls._check_modify_exclude.add('pay_token')
        cls._buttons.update({
                'email_pay_link': {
                    'invisible': ((Eval('state') != 'posted')
                        | (Eval('type') != 'out')
                        | ~Eval('pay_token')),
                    'depends': ['state', 'type', 'pay_token'],
                    },
                })

    @classmethod
    def copy(cls, invoices, default=None):
        default = default.copy() if default else {}
        default.setdefault('pay_token')
        default.setdefault('online_transactions')
        return super().copy(invoices, default=default)

    @classmethod
    def _post(cls, invoices):
        to_write = [i for i in invoices
            if i.type == 'out' and not i.pay_token]
        for invoice in to_write:
            cls.write([invoice], {'pay_token': secrets.token_urlsafe(24)})
        super()._post(invoices)

    def get_pay_url(self, name):
        if not self.pay_token or self.type != 'out':
            return None
        return '%s/%s/pay/%s' % (http_host().rstrip('/'),
            Transaction().database.name, self.pay_token)

    @property
    def pay_link_printable(self):
        """Whether the pay link goes on the invoice PDF and the cashier:
        a posted customer invoice with something due, in a shop with a
        payment gateway."""
        return bool(self.pay_url and self.state == 'posted'
            and self.amount_to_pay > 0 and self.has_gateway)

    @property
    def has_gateway(self):
        "Whether the invoice's shop has an active gateway for its currency."
        Gateway = Pool().get('payment.gateway')
        with without_check_access():
            return bool(Gateway.search([
                        ('company', '=', self.company.id),
                        ], limit=1))

    @property
    def service_orders(self):
        "The service orders whose quote this invoice bills (list)."
        Order = Pool().get('service.order')
        sales = {s.id for s in (self.sales or [])}
        for line in self.lines:
            origin = getattr(line, 'origin', None)
            if origin and origin.__name__ == 'sale.advance_payment.line':
                sales.add(origin.sale.id)
        if not sales:
            return []
        return Order.search([('sale', 'in', list(sales))])

    @classmethod
    @ModelView.button
    def email_pay_link(cls, invoices):
        """Email each invoice's pay link to its customer through the
        service order notifications (queued after commit, recorded,
        retried by their cron). Raises PayLinkError for an invoice that
        bills no service order."""
        pool = Pool()
        Notification = pool.get('service.order.notification')
        to_send = []
        for invoice in invoices:
            orders = invoice.service_orders
            if not orders:
                raise PayLinkError(gettext(
                        'payment_gateway.msg_pay_link_no_order',
                        invoice=invoice.rec_name))
            to_send.append(Notification.create_for_pay_link(
                    orders[0], invoice))
        if to_send:
            Notification.__queue__.send(to_send)


class InvoiceReport(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    @classmethod
    def get_context(cls, records, header, data):
        """Add `pay_link` to the context: None, or a dict with `url` and
        `qr` (inline SVG markup) when the invoice can be paid online."""
        context = super().get_context(records, header, data)
        invoice = context.get('invoice') or (records[0] if records else None)
        context['pay_link'] = None
        if invoice is not None and invoice.pay_link_printable:
            context['pay_link'] = {
                'url': invoice.pay_url, 'qr': qr_svg(invoice.pay_url)}
        return context
