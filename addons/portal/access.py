"""What a signed-in customer may see: the records of their party in the
shop of their account, and nothing else.

Routes run as root (user 0, no access rules), so every lookup here filters
by `party` *and* `company` itself. Functions that take an id return the
record or None; callers answer the one 404 page for None, whatever the
reason (no such record, another customer, another shop).
"""
import re

from trytond.pool import Pool

#: Quote states a customer sees (a draft is not sent yet).
QUOTE_STATES = ['quotation', 'confirmed', 'processing', 'done']
#: Invoice states a customer sees (a draft is not sent yet).
INVOICE_STATES = ['posted', 'paid']
#: Stage categories of jobs that are over.
CLOSED_CATEGORIES = ['delivered', 'cancelled']
IMAGE_EXTENSIONS = {'png', 'jpg', 'jpeg', 'gif', 'webp'}
_ID = re.compile(r'^[1-9][0-9]{0,17}$')


def parse_id(value):
    "Return `value` (str from a URL) as a positive int id, or None."
    value = str(value)
    if not _ID.match(value):
        return None
    value = int(value)
    return value if value < 2 ** 63 else None


def _owner(user):
    return [('party', '=', user.party.id), ('company', '=', user.company.id)]


def orders(user, open_only=False, limit=None, offset=0):
    "Return the customer's service orders (all kinds), newest first."
    Order = Pool().get('service.order')
    domain = _owner(user)
    if open_only:
        domain.append(('stage.category', 'not in', CLOSED_CATEGORIES))
    return Order.search(domain, order=[('intake_date', 'DESC'), ('id', 'DESC')],
        limit=limit, offset=offset)


def count_orders(user):
    return Pool().get('service.order').search_count(_owner(user))


def order(user, order_id):
    "Return the customer's service order `order_id` or None."
    Order = Pool().get('service.order')
    order_id = parse_id(order_id)
    if order_id is None:
        return None
    found = Order.search([('id', '=', order_id)] + _owner(user), limit=1)
    return found[0] if found else None


def quotes(user, waiting_only=False):
    "Return the customer's quotes (sale.sale) sent by the shop, newest first."
    Sale = Pool().get('sale.sale')
    states = ['quotation'] if waiting_only else QUOTE_STATES
    return Sale.search(_owner(user) + [('state', 'in', states)],
        order=[('id', 'DESC')])


def quote(user, sale_id):
    "Return the customer's quote `sale_id` (sale.sale) or None."
    Sale = Pool().get('sale.sale')
    sale_id = parse_id(sale_id)
    if sale_id is None:
        return None
    found = Sale.search([('id', '=', sale_id), ('state', 'in', QUOTE_STATES)]
        + _owner(user), limit=1)
    return found[0] if found else None


def invoices(user, due_only=False):
    "Return the customer's posted or paid invoices, newest first."
    Invoice = Pool().get('account.invoice')
    found = Invoice.search(_owner(user) + [
            ('type', '=', 'out'), ('state', 'in', INVOICE_STATES)],
        order=[('invoice_date', 'DESC'), ('id', 'DESC')])
    if due_only:
        found = [i for i in found
            if i.state == 'posted' and i.amount_to_pay > 0]
    return found


def invoice(user, invoice_id):
    "Return the customer's invoice `invoice_id` or None."
    Invoice = Pool().get('account.invoice')
    invoice_id = parse_id(invoice_id)
    if invoice_id is None:
        return None
    found = Invoice.search([('id', '=', invoice_id), ('type', '=', 'out'),
            ('state', 'in', INVOICE_STATES)] + _owner(user), limit=1)
    return found[0] if found else None


def is_image(attachment):
    "Whether `attachment` is a stored image (by its name's extension)."
    name = (attachment.name or '').lower()
    return (attachment.type == 'data' and '.' in name
        and name.rsplit('.', 1)[-1] in IMAGE_EXTENSIONS)


def visible(attachment, company):
    """Whether the customer sees `attachment` of one of their jobs: marked
    shared, or a photo when the shop shows photos."""
    if attachment.type != 'data':
        return False
    return bool(attachment.portal_shared
        or (company.portal_photos and is_image(attachment)))


def attachments(user, jobs=None, limit=None):
    """Return the attachments the customer sees on `jobs` (default: all
    their jobs), newest first."""
    Attachment = Pool().get('ir.attachment')
    if jobs is None:
        jobs = orders(user)
    if not jobs:
        return []
    found = Attachment.search([
            ('resource', 'in', [str(j) for j in jobs]),
            ('type', '=', 'data'),
            ], order=[('create_date', 'DESC'), ('id', 'DESC')])
    found = [a for a in found if visible(a, user.company)]
    return found[:limit] if limit else found


def attachment(user, attachment_id):
    "Return the attachment `attachment_id` if the customer sees it, or None."
    Attachment = Pool().get('ir.attachment')
    attachment_id = parse_id(attachment_id)
    if attachment_id is None:
        return None
    found = Attachment.search([('id', '=', attachment_id)], limit=1)
    if not found:
        return None
    attachment, = found
    resource = attachment.resource
    if (resource is None or resource.__name__ != 'service.order'
            or order(user, resource.id) is None
            or not visible(attachment, user.company)):
        return None
    return attachment


def messages(user, jobs=None, limit=None):
    """Return the public chat messages (ir.chat.message) of `jobs` (default:
    all the customer's jobs), oldest first; with `limit`, the latest ones.
    Internal staff notes are never returned."""
    Message = Pool().get('ir.chat.message')
    if jobs is None:
        jobs = orders(user)
    if not jobs:
        return []
    found = Message.search([
            ('channel.resource', 'in', [str(j) for j in jobs]),
            ('audience', '=', 'public'),
            ], order=[('id', 'DESC')], limit=limit)
    return list(reversed(found))
