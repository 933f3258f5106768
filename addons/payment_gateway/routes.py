"""Public pay pages and the helper provider webhooks use.

GET  /<db>/pay/<token>                  the invoice's amount due and a button
                                        per payment gateway of the shop
POST /<db>/pay/<token>/<gateway id>     a fresh attempt for what is due now,
                                        303 to the provider's payment page
GET  /<db>/pay/return/<reference>       the customer's return: re-checks with
                                        the provider (the browser's word
                                        proves nothing) and shows the result

Unknown databases, modules not activated and wrong tokens all answer 404.
"""
import re
from functools import wraps

from genshi.template import MarkupTemplate
from werkzeug.exceptions import NotFound
from werkzeug.utils import redirect

from trytond.protocols.wrappers import Response, with_pool, with_transaction
from trytond.tools import file_open
from trytond.transaction import Transaction
from trytond.wsgi import app

from trytond.modules.service_order.notification import (
    first_name, shop_colour, text_colour)
from trytond.modules.service_order.routes import HEADERS, french_amount

from .exceptions import GatewayError, GatewayUnavailable, PayLinkError

_TOKEN = re.compile(r'^[A-Za-z0-9_-]{16,64}$')
_REFERENCE = re.compile(r'^AT[0-9A-F]{24}$')
NOT_FOUND_BODY = (
    '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<title>Page introuvable</title></head>'
    '<body style="font-family:sans-serif;margin:2em;color:#1a1a1a">'
    '<h1>Page introuvable</h1>'
    '<p>Ce lien de paiement n\'existe pas ou n\'est plus valable. '
    'Demandez un nouveau lien à la boutique.</p></body></html>\n'
    ).encode('utf-8')
_template = None


def not_found():
    return Response(NOT_FOUND_BODY, status=404, headers=HEADERS,
        content_type='text/html; charset=utf-8')


def _not_found_page(func):
    @wraps(func)
    def wrapper(request, *args, **kwargs):
        try:
            return func(request, *args, **kwargs)
        except NotFound:
            return not_found()
    return wrapper


def get_gateway(pool, provider, gateway_id):
    """Return the active `payment.gateway` `gateway_id` of `provider`.

    Raises werkzeug NotFound when the database does not have the
    payment_gateway module activated or no such active gateway exists."""
    try:
        Gateway = pool.get('payment.gateway')
    except KeyError:
        raise NotFound()
    gateways = Gateway.search([
            ('id', '=', int(gateway_id)),
            ('provider', '=', provider),
            ], limit=1)
    if not gateways:
        raise NotFound()
    return gateways[0]


def _template_():
    global _template
    if _template is None:
        with file_open('payment_gateway/pay.html', mode='rb') as fp:
            _template = MarkupTemplate(fp, filename='pay.html')
    return _template


def render(company, status=200, **values):
    "Render the pay page of `company` with `values`; return a Response."
    colour = shop_colour(company)
    page = {
        'shop': company.rec_name, 'colour': colour,
        'colour_text': text_colour(colour), 'title': '', 'message': None,
        'invoice': None, 'customer': None, 'amount_due': None,
        'gateways': [], 'pay_url': None, 'status_class': '',
        'show_shop_note': False,
        'shop_note': "Vous pouvez aussi régler à la boutique.",
        }
    page.update(values)
    body = _template_().generate(**page).render(
        'html', doctype='html5', encoding='utf-8')
    return Response(body, status=status, headers=HEADERS,
        content_type='text/html; charset=utf-8')


def _invoice(pool, token):
    if not _TOKEN.match(token):
        raise NotFound()
    try:
        Invoice = pool.get('account.invoice')
        pool.get('payment.gateway')
    except KeyError:
        raise NotFound()
    invoices = Invoice.search([
            ('pay_token', '=', token), ('type', '=', 'out')], limit=1)
    if not invoices:
        raise NotFound()
    return invoices[0]


def _gateways(pool, invoice):
    Gateway = pool.get('payment.gateway')
    return Gateway.search([('company', '=', invoice.company.id)],
        order=[('name', 'ASC')])


def _invoice_page(pool, invoice, status=200, title=None, message=None,
        status_class=''):
    due = invoice.amount_to_pay if invoice.state == 'posted' else 0
    database = Transaction().database.name
    values = {
        'invoice': invoice.number,
        'customer': first_name(invoice.party),
        'status_class': status_class,
        }
    if due <= 0:
        values.update(
            title=title or "Rien à payer",
            message=message or "Cette facture est réglée. Merci !",
            status_class=status_class or 'ok')
        return render(invoice.company, status=status, **values)
    gateways = _gateways(pool, invoice)
    values.update(
        title=title or "Payer votre facture",
        message=message,
        amount_due=french_amount(due, invoice.currency),
        gateways=[{
                'name': g.name,
                'action': '/%s/pay/%s/%s' % (
                    database, invoice.pay_token, g.id),
                } for g in gateways],
        show_shop_note=True)
    if not gateways:
        values['message'] = (
            "Le paiement en ligne n'est pas proposé par cette boutique : "
            "réglez cette facture à la boutique.")
        values['show_shop_note'] = False
    return render(invoice.company, status=status, **values)


@app.route('/<database_name>/pay/<token>', methods={'GET', 'HEAD'})
@_not_found_page
@with_pool
@with_transaction(readonly=True)
def pay_page(request, pool, token):
    "The invoice's amount still due and a button per gateway."
    invoice = _invoice(pool, token)
    return _invoice_page(pool, invoice)


@app.route('/<database_name>/pay/<token>/<int:gateway_id>', methods={'POST'})
@_not_found_page
@with_pool
@with_transaction()
def pay_start(request, pool, token, gateway_id):
    """Start a fresh attempt for what is due now on the invoice and send
    the customer to the provider; "try again" (503) when the provider
    does not answer, with the attempt kept pending for the cron."""
    Transaction_ = pool.get('payment.gateway.transaction')
    invoice = _invoice(pool, token)
    gateways = [g for g in _gateways(pool, invoice) if g.id == gateway_id]
    if not gateways:
        raise NotFound()
    gateway, = gateways
    with Transaction().set_context(company=invoice.company.id):
        try:
            transaction = Transaction_.create_for_invoice(invoice, gateway)
        except PayLinkError:
            return _invoice_page(pool, invoice)
        try:
            url = transaction.start()
        except GatewayUnavailable:
            return _invoice_page(pool, invoice, status=503,
                title="Le paiement n'a pas pu démarrer",
                message=("Le service de paiement ne répond pas pour le "
                    "moment. Rien n'a été débité. Réessayez dans quelques "
                    "minutes."), status_class='bad')
        except GatewayError as exception:
            return _invoice_page(pool, invoice, status=502,
                title="Le paiement n'a pas pu démarrer",
                message=str(exception.message), status_class='bad')
    return redirect(url, code=303)


@app.route('/<database_name>/pay/return/<reference>', methods={'GET', 'HEAD'})
@_not_found_page
@with_pool
@with_transaction(readonly=False)  # a GET that records and re-checks
def pay_return(request, pool, reference):
    """The customer's browser came back from the provider: re-check the
    attempt server to server and show where it stands."""
    if not _REFERENCE.match(reference):
        raise NotFound()
    try:
        Transaction_ = pool.get('payment.gateway.transaction')
        Message = pool.get('payment.gateway.message')
    except KeyError:
        raise NotFound()
    transactions = Transaction_.search(
        [('reference', '=', reference)], limit=1)
    if not transactions:
        raise NotFound()
    transaction, = transactions
    Message.record(transaction.gateway, kind='return',
        transaction=transaction, outcome='returned',
        payload=request.query_string.decode('utf-8', 'replace')[:1000])
    with Transaction().set_context(company=transaction.company.id):
        Transaction_.check([transaction])
    transaction = Transaction_(transaction.id)
    invoice = transaction.invoice
    amount = french_amount(transaction.amount, transaction.currency)
    if transaction.state == 'paid':
        title, message, css = (
            "Paiement reçu", "Merci ! Votre paiement de %s est confirmé."
            % amount, 'ok')
    elif transaction.state in {'pending', 'authorised'}:
        title, message, css = ("Paiement en cours de confirmation",
            "Votre paiement de %s n'est pas encore confirmé par le service "
            "de paiement. Cette page se met à jour si vous la rechargez ; "
            "vous recevrez la facture acquittée dès la confirmation."
            % amount, '')
    else:
        title, message, css = ("Paiement non abouti",
            "Le paiement de %s n'a pas abouti%s. Rien n'a été débité ; "
            "vous pouvez réessayer." % (amount,
                (' (%s)' % transaction.failure_reason)
                if transaction.failure_reason else ''), 'bad')
    response = _invoice_page(pool, invoice, title=title, message=message,
        status_class=css)
    return response
