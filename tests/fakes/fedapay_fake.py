"""A local fake of FedaPay's REST API (v1) for the tests.

Follows FedaPay's documentation:
- POST /v1/transactions (https://docs.fedapay.com/api-reference/
  transactions/create): Authorization: Bearer <secret key> (else 401);
  JSON body with description (string), amount (integer, "always in whole
  numbers"), currency (object: {"iso": "XOF"} or {"code": 952}) required,
  callback_url (URI) and customer (object: firstname, lastname, email,
  phone_number {number, country}) optional, custom_metadata (object);
  answers the transaction: id, reference, amount, description,
  callback_url, status 'pending', customer_id, currency_id...
- POST /v1/transactions/{id}/token (.../transactions/create-token):
  {"token", "url"}.
- GET /v1/transactions/{id} (.../transactions/get-all shows the object):
  the transaction with `currency_id` only (set `embed_currency` to also
  embed {"currency": {"iso": ...}}).
- Errors as the official SDKs read them (fedapay-php lib/Error/Base.php):
  {"message": str, "errors": {field: [str]}}; 401 for a missing or wrong
  key, 400 for an unreadable body or invalid fields, 404 for an unknown id.
- Webhooks (https://docs.fedapay.com/development/webhooks): `event(id)`
  builds an Event body {"name": "transaction.<status>", "object":
  "transaction", "entity": {...}} and `sign(body)` its
  X-FEDAPAY-SIGNATURE header "t=<unix>,s=<hex HMAC-SHA256 of
  '<t>.<body>'>"; `forge(body)` signs with a wrong secret.

Answers are wrapped as {"v1/transaction": {...}} like the live API when
`wrap` is true (default), bare like the reference pages otherwise.

Per transaction, `set_outcome(id, outcome)`: 'approved', 'declined',
'canceled', 'expired', 'pending' set its status; 'slow' (sleeps
`slow_seconds`, more than the client's timeout, then answers), 'down'
(HTTP 500), 'garbage' (not JSON) make its GET fail without changing the
status. `create_mode` / `token_mode` do the same ('ok', 'slow', 'down',
'garbage') for creation and the payment link. `override[id] = {...}`
changes fields of the GET answer (amount, currency_id...).
"""
import hashlib
import hmac
import json
import secrets
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CURRENCIES = {'XOF': {'id': 1, 'name': 'FCFA', 'iso': 'XOF', 'code': 952,
        'prefix': None, 'suffix': 'CFA', 'div': 1}}
STATUSES = {'pending', 'approved', 'declined', 'canceled', 'expired',
    'transferred', 'refunded'}
FAULTS = {'slow', 'down', 'garbage'}


def sign(body, secret, timestamp=None, extra=()):
    """Return an X-FEDAPAY-SIGNATURE value for `body` (bytes): the hex
    HMAC-SHA256 with `secret` of "<timestamp>.<body>", after the `extra`
    signatures."""
    if timestamp is None:
        timestamp = int(time.time())
    digest = hmac.new(secret.encode('utf-8'),
        b'%d.' % int(timestamp) + body, hashlib.sha256).hexdigest()
    return ','.join(['t=%d' % int(timestamp)]
        + ['s=%s' % s for s in extra] + ['s=%s' % digest])


def _now():
    return datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


class _Error(Exception):

    def __init__(self, status, message, errors=None):
        super().__init__(message)
        self.status = status
        self.body = {'message': message}
        if errors:
            self.body['errors'] = errors


class FedaPayFake:
    "FedaPay's API on 127.0.0.1, on a free port."

    def __init__(self, secret_key='sk_sandbox_fake_0123456789abcdef',
            webhook_secret='wh_sandbox_fake_fedcba9876543210', wrap=True):
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.wrap = wrap
        self.embed_currency = False
        self.transactions = {}  # id (int) → transaction dict
        self.faults = {}  # id → 'slow', 'down' or 'garbage'
        self.override = {}  # id → fields replacing those of GET answers
        self.create_mode = 'ok'
        self.token_mode = 'ok'
        self.slow_seconds = 2.0
        self.requests = []  # (method, path, body as parsed JSON or text)
        self._next_id = 380001
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    # Control ---------------------------------------------------------
    def start(self):
        fake = self

        class Handler(_Handler):
            server_fake = fake
        self._server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self):
        return 'http://127.0.0.1:%s' % self._server.server_address[1]

    def reset(self):
        "Forget every transaction and fault; back to defaults."
        with self._lock:
            self.transactions.clear()
            self.faults.clear()
            self.override.clear()
            self.requests.clear()
        self.create_mode = self.token_mode = 'ok'
        self.wrap = True
        self.embed_currency = False

    def set_outcome(self, transaction_id, outcome):
        "See the module docstring."
        transaction_id = int(transaction_id)
        if outcome in FAULTS:
            self.faults[transaction_id] = outcome
            return
        assert outcome in STATUSES, outcome
        self.faults.pop(transaction_id, None)
        transaction = self.transactions[transaction_id]
        transaction['status'] = outcome
        transaction['updated_at'] = _now()
        if outcome in {'approved', 'declined', 'canceled'}:
            transaction['%s_at' % outcome] = _now()
        if outcome == 'declined':
            transaction['last_error_code'] = 'INSUFFICIENT_FUNDS'

    def requests_to(self, method, path):
        return [b for m, p, b in self.requests if m == method and p == path]

    # Webhooks --------------------------------------------------------
    def event(self, transaction_id, name=None, **entity):
        """Return the JSON body (bytes) of an Event about the transaction
        as FedaPay posts it; `entity` overrides its fields."""
        transaction = dict(self.transactions.get(int(transaction_id)) or {
                'id': int(transaction_id), 'klass': 'v1/transaction',
                'status': 'approved', 'amount': 10000, 'currency_id': 1})
        transaction.update(entity)
        transaction['currency'] = next((c for c in CURRENCIES.values()
                if c['id'] == transaction.get('currency_id')), None)
        body = {
            'name': name or 'transaction.%s' % transaction['status'],
            'object': 'transaction',
            'entity': transaction,
            }
        return json.dumps(body).encode('utf-8')

    def sign(self, body, timestamp=None, extra=()):
        "The X-FEDAPAY-SIGNATURE of `body` with the endpoint's secret."
        return sign(body, self.webhook_secret, timestamp, extra)

    def forge(self, body, timestamp=None):
        "A well-formed header signed with another secret."
        return sign(body, 'wh_sandbox_forger_secret', timestamp)

    # API ---------------------------------------------------------------
    def _authorise(self, headers):
        if headers.get('Authorization') != 'Bearer %s' % self.secret_key:
            raise _Error(401, "Invalid API key: check the key and the "
                "environment (sandbox or live).")

    def _wrap(self, transaction):
        return {'v1/transaction': transaction} if self.wrap else transaction

    def _fault(self, mode):
        if mode == 'slow':
            time.sleep(self.slow_seconds)
        elif mode == 'down':
            return 500, {'message': 'Internal Server Error'}
        elif mode == 'garbage':
            return 200, b'<html><body>Bad Gateway</body></html>'
        return None

    def _transaction(self, transaction_id):
        transaction = self.transactions.get(int(transaction_id))
        if transaction is None:
            raise _Error(404, "Transaction not found")
        return transaction

    def answer(self, method, path, headers, body):
        "Return (status, body dict or bytes) of one request."
        try:
            self._authorise(headers)
            parts = path.strip('/').split('/')
            if parts[:2] != ['v1', 'transactions']:
                raise _Error(404, "Not found")
            if method == 'POST' and len(parts) == 2:
                return self._create(body)
            if len(parts) >= 3 and not parts[2].isdigit():
                raise _Error(404, "Not found")
            if method == 'POST' and len(parts) == 4 and parts[3] == 'token':
                return self._token(parts[2])
            if method == 'GET' and len(parts) == 3:
                return self._get(parts[2])
            raise _Error(404, "Not found")
        except _Error as error:
            return error.status, error.body

    def _create(self, body):
        fault = self._fault(self.create_mode)
        if fault:
            return fault
        if not isinstance(body, dict):
            raise _Error(400, "The request body must be a JSON object")
        errors = {}
        if not isinstance(body.get('description'), str) or not (
                body['description'].strip()):
            errors['description'] = ["is required"]
        amount = body.get('amount')
        if amount is None:
            errors['amount'] = ["is required"]
        elif isinstance(amount, bool) or not isinstance(amount, int):
            errors['amount'] = ["must be an integer"]
        elif amount <= 0:
            errors['amount'] = ["must be greater than 0"]
        currency = body.get('currency')
        found = None
        if not isinstance(currency, dict):
            errors['currency'] = ["is required"]
        else:
            found = next((c for c in CURRENCIES.values()
                    if c['iso'] == currency.get('iso')
                    or c['code'] == currency.get('code')), None)
            if found is None:
                errors['currency'] = ["is not supported"]
        url = body.get('callback_url')
        if url is not None and not (isinstance(url, str)
                and url.startswith(('http://', 'https://'))):
            errors['callback_url'] = ["must be a valid URL"]
        customer = body.get('customer')
        if customer is not None:
            errors.update(self._customer_errors(customer))
        metadata = body.get('custom_metadata')
        if metadata is not None and not isinstance(metadata, dict):
            errors['custom_metadata'] = ["must be an object"]
        if errors:
            raise _Error(400, "Invalid transaction data", errors)
        with self._lock:
            transaction_id = self._next_id
            self._next_id += 1
            transaction = {
                'klass': 'v1/transaction',
                'id': transaction_id,
                'reference': 'trx_%s' % secrets.token_urlsafe(6),
                'amount': amount,
                'description': body['description'],
                'callback_url': url,
                'status': 'pending',
                'customer_id': 25376,
                'currency_id': found['id'],
                'mode': None,
                'custom_metadata': metadata or {},
                'last_error_code': None,
                'created_at': _now(),
                'updated_at': _now(),
                'approved_at': None, 'canceled_at': None,
                'declined_at': None,
                }
            self.transactions[transaction_id] = transaction
        return 200, self._wrap(dict(transaction))

    @staticmethod
    def _customer_errors(customer):
        if not isinstance(customer, dict):
            return {'customer': ["must be an object"]}
        if customer.get('id') or (
                set(customer) == {'email'} and customer['email']):
            return {}  # an existing customer
        errors = {}
        for name in ['firstname', 'lastname']:
            if not isinstance(customer.get(name), str) or not (
                    customer[name].strip()):
                errors['customer.%s' % name] = ["is required"]
        email = customer.get('email')
        if email is not None and (not isinstance(email, str)
                or '@' not in email):
            errors['customer.email'] = ["is invalid"]
        phone = customer.get('phone_number')
        if phone is not None:
            if not isinstance(phone, dict):
                errors['customer.phone_number'] = ["must be an object"]
            else:
                number = phone.get('number')
                if not isinstance(number, str) or not (
                        number.lstrip('+').isdigit()):
                    errors['customer.phone_number.number'] = ["is invalid"]
                country = phone.get('country')
                if not isinstance(country, str) or len(country) != 2:
                    errors['customer.phone_number.country'] = [
                        "is invalid"]
        return errors

    def _token(self, transaction_id):
        fault = self._fault(self.token_mode)
        if fault:
            return fault
        transaction = self._transaction(transaction_id)
        if transaction['status'] != 'pending':
            raise _Error(400, "The transaction is not pending")
        token = secrets.token_urlsafe(24)
        transaction['payment_token'] = token
        return 200, {'token': token,
            'url': 'https://sandbox-process.fedapay.com/%s' % token}

    def _get(self, transaction_id):
        transaction = self._transaction(transaction_id)
        fault = self._fault(self.faults.get(int(transaction_id)))
        if fault:
            return fault
        answer = {k: v for k, v in transaction.items()
            if k != 'payment_token'}
        if self.embed_currency:
            answer['currency'] = next(c for c in CURRENCIES.values()
                if c['id'] == transaction['currency_id'])
        answer.update(self.override.get(int(transaction_id), {}))
        return 200, self._wrap(answer)


class _Handler(BaseHTTPRequestHandler):
    server_fake = None
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def _handle(self, method):
        fake = self.server_fake
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode('utf-8', 'replace')
        path = self.path.split('?', 1)[0]
        with fake._lock:
            fake.requests.append((method, path, body))
        status, answer = fake.answer(method, path, self.headers, body)
        if isinstance(answer, bytes):
            payload, content_type = answer, 'text/html'
        else:
            payload = json.dumps(answer).encode('utf-8')
            content_type = 'application/json'
        try:
            self.send_response(status)
            self.send_header('Content-Type', content_type)
            self.send_header('Content-Length', str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (slow mode)

    def do_POST(self):
        self._handle('POST')

    def do_GET(self):
        self._handle('GET')
