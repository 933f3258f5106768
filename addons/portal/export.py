"""'Download my data': everything the shop holds about a customer, as one
JSON document (GDPR art. 15 and 20: access and portability).

Only the account's party in the account's shop: the party and its
addresses, contact mechanisms and identifiers, the portal account (no
password hash), the jobs with their stage history and lines, the quotes,
the invoices with their lines and payments, the online payment attempts
when payment_gateway is activated, the public messages of the jobs (staff's
internal notes are the shop's, not shown on the portal), and the metadata
(name, size, date) of the documents the customer sees. Amounts are strings
(Decimal), dates ISO 8601 (UTC for times).
"""
import datetime

from trytond.pool import Pool

from . import access


def _iso(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec='seconds') + 'Z'
    return value.isoformat()


def _money(value):
    return None if value is None else str(value)


def _party(party):
    return {
        'name': party.name,
        'code': party.code,
        'language': party.lang.code if party.lang else None,
        'notify_by_email': party.notify_by_email,
        'notify_by_sms': party.notify_by_sms,
        'notify_by_whatsapp': party.notify_by_whatsapp,
        'created': _iso(party.create_date),
        'identifiers': [{'type': i.type, 'code': i.code}
            for i in party.identifiers],
        }


def _address(address):
    return {
        'name': address.party_name or None,
        'street': address.street or None,
        'postal_code': address.postal_code or None,
        'city': address.city or None,
        'country': address.country.code if address.country else None,
        'text': address.full_address,
        }


def _lines(lines):
    return [{
            'description': l.description,
            'quantity': l.quantity,
            'unit_price': _money(l.unit_price),
            'amount': _money(getattr(l, 'amount', None)),
            } for l in lines if getattr(l, 'type', 'line') == 'line']


def _order(order):
    Order = Pool().get('service.order')
    return {
        'number': order.number,
        'kind': order.kind,
        'kind_name': dict(Order.kind.selection).get(order.kind),
        'description': order.description,
        'stage': order.stage.name,
        'intake_date': _iso(order.intake_date),
        'promised_date': _iso(order.promised_date),
        'rating': order.rating,
        'rating_comment': order.rating_comment,
        'payment_state': order.payment_state,
        'amount_due': _money(order.amount_due),
        'history': [{
                'from': h.from_stage.name if h.from_stage else None,
                'to': h.to_stage.name,
                'date': _iso(h.date),
                } for h in order.history],
        'lines': _lines(order.lines),
        'details': [{'title': title, 'rows': [list(r) for r in rows]}
            for title, rows in order.get_portal_sections('en')],
        }


def _sale(sale):
    return {
        'number': sale.number,
        'reference': sale.reference,
        'state': sale.state,
        'date': _iso(sale.quotation_date or sale.sale_date),
        'currency': sale.currency.code,
        'untaxed_amount': _money(sale.untaxed_amount),
        'tax_amount': _money(sale.tax_amount),
        'total_amount': _money(sale.total_amount),
        'lines': _lines(sale.lines),
        }


def _payments(invoice):
    lines = set(invoice.payment_lines or []) | set(
        invoice.reconciliation_lines or [])
    return [{
            'date': _iso(l.date),
            'method': l.move.journal.rec_name if l.move else None,
            'amount': _money(l.credit - l.debit),
            } for l in sorted(lines, key=lambda l: (l.date, l.id))]


def _invoice(invoice):
    return {
        'number': invoice.number,
        'date': _iso(invoice.invoice_date),
        'state': invoice.state,
        'currency': invoice.currency.code,
        'untaxed_amount': _money(invoice.untaxed_amount),
        'tax_amount': _money(invoice.tax_amount),
        'total_amount': _money(invoice.total_amount),
        'amount_to_pay': _money(invoice.amount_to_pay),
        'lines': _lines(invoice.lines),
        'payments': _payments(invoice),
        }


def _online_payments(user):
    pool = Pool()
    try:
        Transaction_ = pool.get('payment.gateway.transaction')
    except KeyError:
        return None
    found = Transaction_.search([
            ('invoice.party', '=', user.party.id),
            ('company', '=', user.company.id),
            ], order=[('id', 'ASC')])
    return [{
            'reference': t.reference,
            'invoice': t.invoice.number if t.invoice else None,
            'state': t.state,
            'amount': _money(t.amount),
            'currency': t.currency.code if t.currency else None,
            'created': _iso(t.create_date),
            } for t in found]


def export_party(user):
    """Return the dict of everything the shop of `user` (web.user) holds
    about its party (see the module docstring), ready for json.dumps
    (default=str)."""
    party = user.party
    orders = access.orders(user)
    data = {
        'generated_at': _iso(datetime.datetime.now().replace(microsecond=0)),
        'shop': user.company.rec_name,
        'account': {
            'email': user.email,
            'email_valid': user.email_valid,
            'created': _iso(user.create_date),
            'invited_at': _iso(user.portal_invited_at),
            'last_sign_in': _iso(user.portal_last_sign_in),
            },
        'party': _party(party),
        'addresses': [_address(a) for a in party.addresses],
        'contact_mechanisms': [{
                'type': m.type, 'value': m.value, 'name': m.name,
                'comment': m.comment,
                } for m in party.contact_mechanisms],
        'jobs': [_order(o) for o in orders],
        'quotes': [_sale(s) for s in access.quotes(user)],
        'invoices': [_invoice(i) for i in access.invoices(user)],
        'messages': [{
                'job': m.channel.resource.number,
                'date': _iso(m.create_date),
                'author': 'customer' if m.email and m.email.lower()
                == user.email else (m.author or 'shop'),
                'content': m.content,
                } for m in access.messages(user, orders)],
        'documents': [{
                'job': a.resource.number,
                'name': a.name,
                'size': a.data_size,
                'date': _iso(a.create_date),
                'sent_by_me': bool(a.portal_uploaded_by
                    and a.portal_uploaded_by.id == user.id),
                } for a in access.attachments(user, orders)],
        }
    online = _online_payments(user)
    if online is not None:
        data['online_payments'] = online
    return data
