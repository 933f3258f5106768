"""A local fake of the Stripe API, for the payment_stripe tests.

It follows Stripe's documented API for what payment_stripe uses:

- POST /v1/checkout/sessions                 https://docs.stripe.com/api/checkout/sessions/create
- GET  /v1/checkout/sessions/{id}            https://docs.stripe.com/api/checkout/sessions/retrieve
- POST /v1/checkout/sessions/{id}/expire     https://docs.stripe.com/api/checkout/sessions/expire
- GET  /v1/payment_intents/{id}              https://docs.stripe.com/api/payment_intents/retrieve
- POST /v1/refunds                           https://docs.stripe.com/api/refunds/create

Requests are form-encoded with Stripe's bracket notation
(`line_items[0][price_data][currency]=eur`, `expand[0]=latest_charge`),
authenticated with the secret key (Bearer, or HTTP basic with the key as
user name; a wrong key answers 401), and validated: a missing required
parameter answers 400 with Stripe's error shape
`{"error": {"type": "invalid_request_error", "code": "parameter_missing",
"param": ..., "message": ...}}` (https://docs.stripe.com/api/errors).
`Idempotency-Key` replays the first answer (500s included), or answers 400
`idempotency_error` when the parameters differ
(https://docs.stripe.com/api/idempotent_requests). `expand[]` of
`payment_intent` (session) and `latest_charge` (payment intent) is
supported. Object shapes and id prefixes (cs_test_, pi_, ch_, re_, dp_,
evt_) are Stripe's.

The test drives it:

- `fake.pay(session_id, outcome)` plays what the customer did on the
  Checkout page: 'paid', 'unpaid' (still open), 'async' (completed, the
  payment processing), 'async_failed', 'expired', 'paid_other_amount',
  'paid_other_currency' (a tampered total, to prove the amount check);
- `fake.mode`: None (normal), 'down' (500 api_error on every request),
  'slow' (sleeps `slow_seconds` then answers normally), 'garbage' (200
  with a non-JSON body); `fake.stop()` / `fake.start()` refuse connections
  then listen again on the same port;
- `fake.refund_status`: the status of the next refunds ('succeeded',
  'pending', 'failed');
- `fake.event(type, obj)` and `sign(payload, secret, timestamp)` build a
  webhook the way Stripe sends it, signed with the stripe library's own
  helper (https://docs.stripe.com/webhooks#verify-manually).

Every request is kept in `fake.requests` as (method, path, params, headers).
"""
import base64
import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import stripe

API_VERSION = stripe.api_version
_KEY = re.compile(r'^([^\[\]]+)((?:\[[^\[\]]*\])*)$')
CURRENCIES = {
    'eur', 'usd', 'gbp', 'chf', 'cad', 'xof', 'xaf', 'jpy', 'mad', 'tnd'}


def _new_id(prefix):
    return prefix + secrets.token_hex(12)


def parse_form(body):
    """Return the nested dict of a form-encoded `body` in Stripe's bracket
    notation: numbered indexes and `[]` make lists."""
    result = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        match = _KEY.match(key)
        if not match:
            result[key] = value
            continue
        path = [match.group(1)] + re.findall(
            r'\[([^\[\]]*)\]', match.group(2))
        node = result
        for i, part in enumerate(path):
            last = i == len(path) - 1
            following = None if last else path[i + 1]
            child_default = ([] if following is not None
                and (following == '' or following.isdigit()) else {})
            if isinstance(node, list):
                index = len(node) if part == '' else int(part)
                while len(node) <= index:
                    node.append(None)
                if last:
                    node[index] = value
                else:
                    if node[index] is None:
                        node[index] = child_default
                    node = node[index]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, child_default)
    return result


def sign(payload, secret, timestamp=None):
    """Return the Stripe-Signature header of `payload` (str) signed with
    `secret` at `timestamp` (default now), by the stripe library."""
    return stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp=timestamp)


class StripeError(Exception):
    def __init__(self, status, message, type_='invalid_request_error',
            code=None, param=None):
        super().__init__(message)
        self.status = status
        self.body = {'error': {'type': type_, 'message': message}}
        if code:
            self.body['error']['code'] = code
        if param:
            self.body['error']['param'] = param


def _missing(param):
    return StripeError(400, 'Missing required param: %s.' % param,
        code='parameter_missing', param=param)


def _integer(value, param):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeError(400, 'Invalid integer: %s' % value,
            code='parameter_invalid_integer', param=param)


class StripeFake:
    "A Stripe API on 127.0.0.1; see the module docstring."

    def __init__(self, secret_key='sk_test_fake_key_0123456789'):
        self.secret_key = secret_key
        self.sessions = {}
        self.payment_intents = {}
        self.charges = {}
        self.refunds = {}
        self.idempotency = {}
        self.requests = []
        self.mode = None
        self.slow_seconds = 3
        self.refund_status = 'succeeded'
        self.port = 0
        self._server = None
        self._lock = threading.RLock()

    # Server --------------------------------------------------------------
    @property
    def base_url(self):
        return 'http://127.0.0.1:%s' % self.port

    def start(self):
        "Listen (again, on the same port once chosen); return the base URL."
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # One request per connection: stop() then refuses at once
            protocol_version = 'HTTP/1.0'

            def log_message(self, *args):
                pass

            def do_GET(self):
                fake._handle(self, 'GET')

            def do_POST(self):
                fake._handle(self, 'POST')

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(('127.0.0.1', self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(
            target=self._server.serve_forever, daemon=True).start()
        return self.base_url

    def stop(self):
        "Stop listening: clients get 'connection refused'."
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # Test controls -------------------------------------------------------
    def session_of(self, reference):
        "Return the last session whose client_reference_id is `reference`."
        found = [s for s in self.sessions.values()
            if s['client_reference_id'] == reference]
        return found[-1] if found else None

    def pay(self, session_id, outcome='paid'):
        "Play the customer's action on the Checkout page (see docstring)."
        with self._lock:
            session = self.sessions[session_id]
            if outcome == 'unpaid':
                return session
            if outcome == 'expired':
                session['status'] = 'expired'
                return session
            intent = self._intent_for(session)
            session['status'] = 'complete'
            if outcome in {'paid', 'paid_other_amount', 'paid_other_currency'}:
                if outcome == 'paid_other_amount':
                    session['amount_total'] = max(
                        session['amount_total'] // 2, 1)
                elif outcome == 'paid_other_currency':
                    session['currency'] = (
                        'usd' if session['currency'] != 'usd' else 'eur')
                intent['amount'] = intent['amount_received'] = (
                    session['amount_total'])
                intent['currency'] = session['currency']
                intent['status'] = 'succeeded'
                charge = self._charge_for(intent)
                session['payment_status'] = 'paid'
            elif outcome == 'async':
                intent['status'] = 'processing'
                session['payment_status'] = 'unpaid'
            elif outcome == 'async_failed':
                intent['status'] = 'requires_payment_method'
                intent['last_payment_error'] = {
                    'type': 'card_error', 'code': 'payment_intent_payment_attempt_failed',
                    'message': 'The payment failed.'}
                session['payment_status'] = 'unpaid'
            else:
                raise ValueError(outcome)
            return session

    def _intent_for(self, session):
        if session['payment_intent']:
            return self.payment_intents[session['payment_intent']]
        data = session.get('_payment_intent_data') or {}
        intent = {
            'id': _new_id('pi_'), 'object': 'payment_intent',
            'amount': session['amount_total'], 'amount_received': 0,
            'currency': session['currency'], 'status': 'requires_payment_method',
            'latest_charge': None, 'last_payment_error': None,
            'metadata': dict(data.get('metadata') or {}),
            'livemode': False, 'created': int(time.time()),
            }
        self.payment_intents[intent['id']] = intent
        session['payment_intent'] = intent['id']
        return intent

    def _charge_for(self, intent):
        charge = {
            'id': _new_id('ch_'), 'object': 'charge',
            'amount': intent['amount'], 'amount_captured': intent['amount'],
            'amount_refunded': 0, 'captured': True, 'paid': True,
            'refunded': False, 'disputed': False, 'status': 'succeeded',
            'currency': intent['currency'], 'payment_intent': intent['id'],
            'metadata': dict(intent['metadata']), 'livemode': False,
            'created': int(time.time()),
            }
        self.charges[charge['id']] = charge
        intent['latest_charge'] = charge['id']
        return charge

    def dispute(self, charge_id, reason='fraudulent'):
        "Mark `charge_id` disputed; return the dispute object Stripe sends."
        charge = self.charges[charge_id]
        charge['disputed'] = True
        return {
            'id': _new_id('dp_'), 'object': 'dispute',
            'amount': charge['amount'], 'currency': charge['currency'],
            'charge': charge['id'], 'payment_intent': charge['payment_intent'],
            'reason': reason, 'status': 'needs_response', 'metadata': {},
            'livemode': False, 'created': int(time.time()),
            }

    def event(self, type_, obj):
        "Return the JSON body (str) of an event `type_` about `obj`."
        return json.dumps({
                'id': _new_id('evt_'), 'object': 'event',
                'api_version': API_VERSION, 'created': int(time.time()),
                'data': {'object': obj}, 'livemode': False,
                'pending_webhooks': 1,
                'request': {'id': None, 'idempotency_key': None},
                'type': type_,
                })

    # HTTP ----------------------------------------------------------------
    def _authorised(self, handler):
        header = handler.headers.get('Authorization', '')
        if header.startswith('Bearer '):
            key = header[len('Bearer '):]
        elif header.startswith('Basic '):
            try:
                key = base64.b64decode(header[6:]).decode().split(':')[0]
            except ValueError:
                key = ''
        else:
            key = ''
        return secrets.compare_digest(key, self.secret_key), key

    def _handle(self, handler, method):
        url = urlsplit(handler.path)
        length = int(handler.headers.get('Content-Length') or 0)
        body = handler.rfile.read(length).decode('utf-8') if length else ''
        params = parse_form(body if method == 'POST' else url.query)
        headers = {k: v for k, v in handler.headers.items()
            if k.lower() != 'authorization'}
        with self._lock:
            self.requests.append((method, url.path, params, headers))
        if self.mode == 'slow':
            time.sleep(self.slow_seconds)
        if self.mode == 'down':
            error = {'error': {'type': 'api_error',
                    'message': 'An unknown error occurred.'}}
            key = headers.get('Idempotency-Key')
            if method == 'POST' and key:
                # Stripe keeps the first answer of a key, 500s included
                with self._lock:
                    self.idempotency.setdefault(
                        key, ((url.path, params), (500, error)))
            return self._send(handler, 500, error)
        if self.mode == 'garbage':
            return self._send_raw(handler, 200,
                b'<html><body>Bad gateway</body></html>', 'text/html')
        ok, key = self._authorised(handler)
        if not ok:
            masked = ('%s****%s' % (key[:8], key[-4:])) if key else ''
            return self._send(handler, 401, {'error': {
                        'type': 'invalid_request_error',
                        'message': 'Invalid API Key provided: %s' % masked}})
        try:
            with self._lock:
                status, obj = self._route(
                    method, url.path, params, headers.get('Idempotency-Key'))
        except StripeError as error:
            return self._send(handler, error.status, error.body)
        self._send(handler, status, obj)

    def _route(self, method, path, params, idempotency_key):
        if method == 'POST' and idempotency_key:
            cached = self.idempotency.get(idempotency_key)
            if cached:
                if cached[0] != (path, params):
                    raise StripeError(400, 'Keys for idempotent requests '
                        'can only be used with the same parameters they '
                        'were first used with.', type_='idempotency_error')
                if cached[1][0] >= 500:
                    raise StripeError(cached[1][0], cached[1][1]['error'][
                            'message'], type_='api_error')
                return cached[1]
        result = self._dispatch(method, path, params)
        if method == 'POST' and idempotency_key:
            self.idempotency[idempotency_key] = ((path, params), result)
        return result

    def _dispatch(self, method, path, params):
        parts = path.strip('/').split('/')
        expand = params.get('expand') or []
        if isinstance(expand, dict):
            expand = list(expand.values())
        if parts == ['v1', 'checkout', 'sessions'] and method == 'POST':
            return 200, self._public(self._create_session(params))
        if (len(parts) == 4 and parts[:3] == ['v1', 'checkout', 'sessions']
                and method == 'GET'):
            session = self._get(self.sessions, parts[3], 'checkout.session',
                'session')
            session = self._public(session)
            if 'payment_intent' in expand and session['payment_intent']:
                session['payment_intent'] = dict(
                    self.payment_intents[session['payment_intent']])
            return 200, session
        if (len(parts) == 5 and parts[:3] == ['v1', 'checkout', 'sessions']
                and parts[4] == 'expire' and method == 'POST'):
            session = self._get(self.sessions, parts[3], 'checkout.session',
                'session')
            if session['status'] != 'open':
                raise StripeError(400, 'Only Checkout Sessions with a status '
                    'of `open` can be expired.')
            session['status'] = 'expired'
            return 200, self._public(session)
        if (len(parts) == 3 and parts[:2] == ['v1', 'payment_intents']
                and method == 'GET'):
            intent = dict(self._get(self.payment_intents, parts[2],
                    'payment_intent', 'intent'))
            if 'latest_charge' in expand and intent['latest_charge']:
                intent['latest_charge'] = dict(
                    self.charges[intent['latest_charge']])
            return 200, intent
        if parts == ['v1', 'refunds'] and method == 'POST':
            return 200, self._create_refund(params)
        raise StripeError(404, 'Unrecognized request URL (%s: %s).'
            % (method, path))

    @staticmethod
    def _public(session):
        return {k: v for k, v in session.items() if not k.startswith('_')}

    @staticmethod
    def _get(store, id_, name, param):
        if id_ not in store:
            raise StripeError(404, "No such %s: '%s'" % (name, id_),
                code='resource_missing', param=param)
        return store[id_]

    def _create_session(self, params):
        mode = params.get('mode')
        if not mode:
            raise _missing('mode')
        if mode != 'payment':
            raise StripeError(400, 'This fake only knows mode=payment.',
                param='mode')
        if not params.get('success_url'):
            raise _missing('success_url')
        items = params.get('line_items')
        if not items:
            raise _missing('line_items')
        total, currency = 0, None
        for i, item in enumerate(items):
            prefix = 'line_items[%s]' % i
            if not isinstance(item, dict):
                raise _missing(prefix)
            if 'quantity' not in item:
                raise _missing(prefix + '[quantity]')
            data = item.get('price_data')
            if not data:
                raise _missing(prefix + '[price_data]')
            for key in ['currency', 'unit_amount']:
                if key not in data:
                    raise _missing('%s[price_data][%s]' % (prefix, key))
            if not (data.get('product_data') or {}).get('name'):
                raise _missing(prefix + '[price_data][product_data][name]')
            if data['currency'] not in CURRENCIES:
                raise StripeError(400, 'Invalid currency: %s.'
                    % data['currency'], code='parameter_invalid_string',
                    param=prefix + '[price_data][currency]')
            if currency and data['currency'] != currency:
                raise StripeError(400, 'All line items must have the same '
                    'currency.', param=prefix + '[price_data][currency]')
            currency = data['currency']
            total += (_integer(data['unit_amount'],
                    prefix + '[price_data][unit_amount]')
                * _integer(item['quantity'], prefix + '[quantity]'))
        session_id = _new_id('cs_test_')
        session = {
            'id': session_id, 'object': 'checkout.session',
            'amount_subtotal': total, 'amount_total': total,
            'cancel_url': params.get('cancel_url'),
            'client_reference_id': params.get('client_reference_id'),
            'created': int(time.time()), 'currency': currency,
            'customer': None, 'customer_email': params.get('customer_email'),
            'expires_at': int(params.get('expires_at')
                or time.time() + 86400),
            'livemode': False, 'metadata': params.get('metadata') or {},
            'mode': mode, 'payment_intent': None, 'payment_status': 'unpaid',
            'status': 'open', 'success_url': params['success_url'],
            'url': '%s/c/pay/%s' % (self.base_url, session_id),
            '_payment_intent_data': params.get('payment_intent_data') or {},
            }
        self.sessions[session_id] = session
        return session

    def _create_refund(self, params):
        intent_id, charge_id = params.get('payment_intent'), params.get('charge')
        if not intent_id and not charge_id:
            raise _missing('payment_intent')
        if intent_id:
            intent = self._get(self.payment_intents, intent_id,
                'payment_intent', 'payment_intent')
            charge_id = intent['latest_charge']
            if not charge_id:
                raise StripeError(400, 'This PaymentIntent does not have a '
                    'successful charge to refund.', param='payment_intent')
        charge = self._get(self.charges, charge_id, 'charge', 'charge')
        remaining = charge['amount_captured'] - charge['amount_refunded']
        amount = _integer(params.get('amount', remaining), 'amount')
        if amount <= 0 or amount > remaining:
            raise StripeError(400, 'Refund amount (%s) is greater than '
                'unrefunded amount on charge (%s)' % (amount, remaining),
                code='amount_too_large', param='amount')
        refund = {
            'id': _new_id('re_'), 'object': 'refund', 'amount': amount,
            'charge': charge['id'], 'currency': charge['currency'],
            'payment_intent': charge['payment_intent'],
            'metadata': params.get('metadata') or {},
            'reason': params.get('reason'), 'status': self.refund_status,
            'created': int(time.time()),
            }
        self.refunds[refund['id']] = refund
        if refund['status'] in {'succeeded', 'pending'}:
            charge['amount_refunded'] += amount
            charge['refunded'] = (
                charge['amount_refunded'] == charge['amount_captured'])
        return refund

    @staticmethod
    def _send(handler, status, obj):
        StripeFake._send_raw(handler, status,
            json.dumps(obj).encode('utf-8'), 'application/json')

    @staticmethod
    def _send_raw(handler, status, body, content_type):
        try:
            handler.send_response(status)
            handler.send_header('Content-Type', content_type)
            handler.send_header('Content-Length', str(len(body)))
            handler.send_header('Request-Id', _new_id('req_'))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
