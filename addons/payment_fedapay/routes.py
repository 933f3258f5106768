"""FedaPay webhook: POST /<db>/payment/fedapay/<gateway id>.

FedaPay POSTs an Event, JSON {"name": "transaction.approved", "object":
"transaction", "entity": {"id": <FedaPay transaction id>, ...}}, signed in
the X-FEDAPAY-SIGNATURE header (see signature.py;
https://docs.fedapay.com/development/webhooks).

The body's status is never trusted: a genuine message about a transaction
of THIS gateway only queues a server-to-server re-check. Every message is
recorded on payment.gateway.message with its outcome:

- 404: the database does not have payment_fedapay activated, or no active
  FedaPay gateway has this id (nothing recorded: no gateway to record on);
- 400 'missing_signature', 'bad_signature', 'replayed';
- 200 'unknown_transaction' (not one of this gateway's, e.g. another
  shop's), 'ignored' (genuine but not about a transaction), 'accepted'.
FedaPay retries until it gets a 2xx, so 200 stops retries of messages we
will never act on.
"""
import json

from werkzeug.exceptions import NotFound

from trytond.protocols.wrappers import Response, with_pool, with_transaction
from trytond.wsgi import app

from trytond.modules.payment_gateway.routes import get_gateway

from . import signature

RECORDED_HEADERS = [signature.HEADER, 'Content-Type', 'User-Agent']


def _reply(status, text):
    return Response(text + '\n', status=status,
        content_type='text/plain; charset=utf-8',
        headers={'Cache-Control': 'no-store'})


def event_transaction_id(body):
    """Return the FedaPay transaction id (str) an event body is about, or
    None: `entity.id` of an event whose object is a transaction."""
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(event, dict):
        return None
    entity = event.get('entity')
    if not isinstance(entity, dict):
        return None
    kind = event.get('object') or entity.get('klass') or ''
    name = event.get('name') or ''
    if 'transaction' not in str(kind) and not str(name).startswith(
            'transaction.'):
        return None
    value = entity.get('id')
    if isinstance(value, bool) or value in (None, ''):
        return None
    value = str(value)
    return value if value.isdigit() else None


@app.route('/<database_name>/payment/fedapay/<int:gateway_id>',
    methods={'POST'})
@with_pool
@with_transaction()
def fedapay_webhook(request, pool, gateway_id):
    "Verify, record and act on one FedaPay event (see module docstring)."
    try:
        Gateway = pool.get('payment.gateway')
    except KeyError:
        raise NotFound()
    if 'fedapay_webhook_secret' not in Gateway._fields:
        raise NotFound()  # payment_fedapay not activated in this database
    gateway = get_gateway(pool, 'fedapay', gateway_id)
    Message = pool.get('payment.gateway.message')
    Transaction_ = pool.get('payment.gateway.transaction')

    body = request.get_data()  # raw, read once
    headers = {name: request.headers[name]
        for name in RECORDED_HEADERS if name in request.headers}
    outcome = signature.verify(gateway.get_secret('fedapay_webhook_secret'),
        request.headers.get(signature.HEADER), body)
    if outcome != signature.VALID:
        Message.record(gateway, kind='webhook', payload=body,
            headers=headers, verified=False, outcome=outcome)
        return _reply(400, outcome)

    transaction_id = event_transaction_id(body)
    transaction = None
    if transaction_id:
        transaction = Transaction_.find(
            gateway, provider_reference=transaction_id)
    if transaction is None:
        outcome = 'unknown_transaction' if transaction_id else 'ignored'
        Message.record(gateway, kind='webhook', payload=body,
            headers=headers, verified=True, outcome=outcome)
        return _reply(200, outcome)
    Message.record(gateway, kind='webhook', payload=body, headers=headers,
        verified=True, outcome='accepted', transaction=transaction)
    Transaction_.queue_check([transaction])
    return _reply(200, 'accepted')
