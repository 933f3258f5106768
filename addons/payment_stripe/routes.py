"""Stripe webhooks: POST /<database>/payment/stripe/<gateway id>.

Every notification is verified with the gateway's signing secret: the
Stripe-Signature header (t=<timestamp>,v1=<HMAC-SHA256 of
"<timestamp>.<raw body>">), compared in constant time by
stripe.Webhook.construct_event, older than 5 minutes refused as a replay.
Source: https://docs.stripe.com/webhooks#verify-events
Unlike upstream account_payment_stripe, which only warns, a gateway with
no signing secret refuses every notification.

A verified event about a transaction of this gateway only triggers a
server-to-server re-check (the event's content pays nothing); disputes are
flagged and audited. Every message is recorded with its outcome:
'accepted', 'ignored' (an event type we do not use), 'unknown_transaction'
(another shop's or no transaction: 200 so Stripe stops retrying),
'no_secret', 'missing_signature', 'bad_signature', 'replayed',
'bad_payload' (400: Stripe retries, then shows the failure in its
dashboard).
"""
import json
import logging

import stripe
from werkzeug.exceptions import NotFound

from trytond.protocols.wrappers import Response, with_pool, with_transaction
from trytond.wsgi import app

from trytond.modules.payment_gateway.routes import get_gateway

logger = logging.getLogger(__name__)

TOLERANCE = 300  # seconds, Stripe's default
SESSION_EVENTS = {
    'checkout.session.completed',
    'checkout.session.async_payment_succeeded',
    'checkout.session.async_payment_failed',
    'checkout.session.expired',
    }
CHARGE_EVENTS = {'charge.refunded'}
DISPUTE_EVENTS = {'charge.dispute.created'}
RECORDED_HEADERS = ['Stripe-Signature', 'Content-Type', 'User-Agent']


def _answer(status, text):
    return Response(text, status=status,
        content_type='text/plain; charset=utf-8')


def verify(payload, header, secret, tolerance=TOLERANCE):
    """Return (event dict or None, outcome) for the raw `payload` (bytes)
    signed in `header` (the Stripe-Signature value) with `secret`.

    outcome is 'accepted' with the event, else 'no_secret',
    'missing_signature', 'bad_signature', 'replayed' (a valid signature
    older than `tolerance` seconds) or 'bad_payload'."""
    if not secret:
        return None, 'no_secret'
    if not header:
        return None, 'missing_signature'
    try:
        text = payload.decode('utf-8')
    except UnicodeDecodeError:
        return None, 'bad_payload'
    try:
        stripe.Webhook.construct_event(text, header, secret,
            tolerance=tolerance)
    except stripe.SignatureVerificationError:
        try:  # the same check without the timestamp: a replay?
            stripe.WebhookSignature.verify_header(text, header, secret,
                tolerance=None)
        except stripe.SignatureVerificationError:
            return None, 'bad_signature'
        return None, 'replayed'
    except ValueError:
        return None, 'bad_payload'
    event = json.loads(text)
    if not isinstance(event, dict) or not isinstance(
            (event.get('data') or {}).get('object'), dict):
        return None, 'bad_payload'
    return event, 'accepted'


def find_transaction(pool, gateway, event):
    """Return the transaction of `gateway` that `event` (dict) is about,
    or None: a session event by its metadata.transaction or
    client_reference_id (then its session id), a charge or dispute event
    by its metadata.transaction or payment intent. An event whose
    metadata.shop is not the gateway's shop finds nothing."""
    Transaction_ = pool.get('payment.gateway.transaction')
    obj = event['data']['object']
    metadata = obj.get('metadata') or {}
    shop = metadata.get('shop')
    if shop is not None and str(shop) != str(gateway.company.id):
        return None
    reference = metadata.get('transaction') or obj.get('client_reference_id')
    if reference:
        return Transaction_.find(gateway, reference=reference)
    if event['type'] in SESSION_EVENTS and obj.get('id'):
        return Transaction_.find(gateway, provider_reference=obj['id'])
    intent = obj.get('payment_intent')
    if isinstance(intent, dict):
        intent = intent.get('id')
    if intent:
        transactions = Transaction_.search([
                ('gateway', '=', gateway.id),
                ('stripe_payment_intent', '=', str(intent)),
                ], limit=1)
        return transactions[0] if transactions else None
    return None


@app.route('/<database_name>/payment/stripe/<int:gateway_id>',
    methods={'POST'})
@with_pool
@with_transaction()
def webhook(request, pool, gateway_id):
    "Receive a Stripe event for gateway `gateway_id` (see module docstring)."
    gateway = get_gateway(pool, 'stripe', gateway_id)
    if not hasattr(gateway, '_check_stripe'):  # module not activated
        raise NotFound()
    Message = pool.get('payment.gateway.message')
    Transaction_ = pool.get('payment.gateway.transaction')
    payload = request.get_data()
    headers = {name: request.headers[name] for name in RECORDED_HEADERS
        if name in request.headers}
    event, outcome = verify(payload, request.headers.get('Stripe-Signature'),
        gateway.get_secret('stripe_webhook_secret'))
    if event is None:
        Message.record(gateway, kind='webhook', payload=payload,
            headers=headers, verified=False, outcome=outcome)
        return _answer(400, outcome)
    type_ = event.get('type')
    if type_ not in SESSION_EVENTS | CHARGE_EVENTS | DISPUTE_EVENTS:
        Message.record(gateway, kind='webhook', payload=payload,
            headers=headers, verified=True, outcome='ignored')
        return _answer(200, 'ignored')
    transaction = find_transaction(pool, gateway, event)
    if transaction is None:
        Message.record(gateway, kind='webhook', payload=payload,
            headers=headers, verified=True, outcome='unknown_transaction')
        return _answer(200, 'unknown transaction')
    Message.record(gateway, kind='webhook', payload=payload,
        headers=headers, verified=True, outcome='accepted',
        transaction=transaction)
    if type_ in DISPUTE_EVENTS:
        transaction.stripe_dispute(event['data']['object'])
    else:
        Transaction_.queue_check([transaction])
    return _answer(200, 'ok')
