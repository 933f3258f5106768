"""CinetPay's notification URL: /<db>/payment/cinetpay/<gateway id>.

Source: https://docs.cinetpay.com/api/1.0-fr/checkout/notification and
https://docs.cinetpay.com/api/1.0-fr/checkout/hmac

GET is CinetPay's availability ping: 200. POST is a form-encoded
notification with an `x-token` header (hex HMAC-SHA256 with the service's
Secret Key, see cinetpay.notification_token). The notification's own
status (cpm_result, cpm_error_message...) is never trusted: a verified
notification about a transaction of THIS gateway only queues a
server-to-server check (/v2/payment/check), which alone can pay.

Answers: 404 when the database does not have the module or the gateway
is not an active CinetPay gateway; 400 for a missing or forged x-token;
200 otherwise (unknown transactions too, so that CinetPay stops
retrying). Every POST is recorded as a payment.gateway.message with its
outcome: 'accepted', 'replayed' (already settled), 'missing_signature',
'bad_signature', 'unknown_transaction'.

CinetPay's token has no timestamp: a genuine notification delivered again
is harmless because it only triggers a check, and a transaction is paid
once (the core locks it and checks its state).
"""
from urllib.parse import parse_qsl

from trytond.protocols.wrappers import (
    Response, with_pool, with_transaction)
from trytond.transaction import Transaction
from trytond.wsgi import app

from trytond.modules.payment_gateway.routes import get_gateway

from . import cinetpay

# Headers kept with the message for audit (never secrets: the x-token is
# a signature of this body, not the key).
AUDIT_HEADERS = ('Content-Type', 'User-Agent', 'X-Token', 'X-Forwarded-For')
OPEN_STATES = {'pending', 'authorised'}


def _text(body, status=200):
    return Response(body, status=status,
        content_type='text/plain; charset=utf-8')


def parse_form(raw):
    """Return the form values (dict of str) of a form-encoded `raw` body
    (bytes); a repeated field keeps its first value."""
    form = {}
    for name, value in parse_qsl(raw.decode('utf-8', 'replace'),
            keep_blank_values=True):
        form.setdefault(name, value)
    return form


@app.route('/<database_name>/payment/cinetpay/<int:gateway_id>',
    methods={'GET', 'HEAD', 'POST'})
@with_pool
@with_transaction()
def notify(request, pool, gateway_id):
    "CinetPay's ping (GET) and payment notifications (POST)."
    gateway = get_gateway(pool, 'cinetpay', gateway_id)  # NotFound → 404
    if request.method in {'GET', 'HEAD'}:
        return _text('OK')
    Message = pool.get('payment.gateway.message')
    Transaction_ = pool.get('payment.gateway.transaction')
    raw = request.get_data()
    form = parse_form(raw)
    headers = {name: request.headers[name] for name in AUDIT_HEADERS
        if name in request.headers}
    token = request.headers.get('x-token')

    def record(outcome, verified=False, transaction=None):
        Message.record(gateway, kind='webhook', payload=raw,
            headers=headers, verified=verified, outcome=outcome,
            transaction=transaction)

    with Transaction().set_context(company=gateway.company.id):
        if not token:
            record('missing_signature')
            return _text('missing x-token', status=400)
        secret = gateway.get_secret('cinetpay_secret_key')
        if not cinetpay.verify_notification(form, token, secret):
            record('bad_signature')
            return _text('bad x-token', status=400)
        site_id = (form.get('cpm_site_id') or '').strip()
        transaction = None
        if site_id and site_id == (gateway.cinetpay_site_id or '').strip():
            transaction = Transaction_.find(
                gateway, reference=form.get('cpm_trans_id') or None)
        if transaction is None:
            record('unknown_transaction', verified=True)
            return _text('OK')
        if transaction.state not in OPEN_STATES:
            record('replayed', verified=True, transaction=transaction)
            return _text('OK')
        record('accepted', verified=True, transaction=transaction)
        Transaction_.queue_check([transaction])
    return _text('OK')
