"""A local fake of CinetPay's Checkout API v2 for the tests.

Follows CinetPay's documentation:
- POST /v2/payment (https://docs.cinetpay.com/api/1.0-fr/checkout/initialisation):
  JSON body; checks the User-Agent, the required fields (608
  MINIMUM_REQUIRED_FIELDS), the apikey (609 AUTH_NOT_FOUND), the site_id
  (613 ERROR_SITE_ID_NOTVALID), the currency, the amount (an integer
  multiple of 5, at least 100 XOF/XAF: answered 624 with a description, as
  CinetPay's code table has no dedicated code), the customer fields for
  the CREDIT_CARD channel; answers 201 CREATED with data.payment_token and
  data.payment_url;
- POST /v2/payment/check (https://docs.cinetpay.com/api/1.0-fr/checkout/verification):
  JSON (or form) apikey, site_id, transaction_id; answers "00" SUCCES with
  status ACCEPTED, 600 PAYMENT_FAILED / 627 TRANSACTION_CANCEL with status
  REFUSED, 662 WAITING_CUSTOMER_PAYMENT / 623 WAITING_CUSTOMER_TO_VALIDATE
  with status WAITING_FOR_CUSTOMER;
- notifications (https://docs.cinetpay.com/api/1.0-fr/checkout/hmac):
  `notification(...)` builds the form CinetPay posts and its x-token.

Each transaction's check answer is set with `fake.set_mode(transaction_id,
mode)`: 'approve', 'refuse', 'cancel', 'pending', 'validate' (623),
'slow' (sleeps `slow_seconds`, longer than the client's timeout, then
approves), 'down' (HTTP 500), 'garbage' (not JSON), 'too_many' (429).
`fake.init_mode` does the same for the initialisation ('ok', 'slow',
'down', 'garbage', 'too_many'); `fake.stop()` makes the port refuse
connections. `fake.override[transaction_id] = {'amount': ..., 'currency':
...}` makes the check state other values than those initialised.
"""
import hashlib
import hmac
import json
import secrets
import threading
import time
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

REQUIRED = ('apikey', 'site_id', 'transaction_id', 'amount', 'currency',
    'description', 'notify_url', 'return_url', 'channels')
CARD_FIELDS = ('customer_name', 'customer_surname', 'customer_email',
    'customer_phone_number', 'customer_address', 'customer_city',
    'customer_country', 'customer_state', 'customer_zip_code')
CURRENCIES = ('XOF', 'XAF', 'CDF', 'GNF', 'USD')
TOKEN_FIELDS = (
    'cpm_site_id', 'cpm_trans_id', 'cpm_trans_date', 'cpm_amount',
    'cpm_currency', 'signature', 'payment_method', 'cel_phone_num',
    'cpm_phone_prefixe', 'cpm_language', 'cpm_version',
    'cpm_payment_config', 'cpm_page_action', 'cpm_custom',
    'cpm_designation', 'cpm_error_message')


def x_token(form, secret):
    "The hex HMAC-SHA256 CinetPay puts in the x-token header."
    data = ''.join(str(form.get(n, '')) for n in TOKEN_FIELDS)
    return hmac.new(secret.encode(), data.encode(), hashlib.sha256
        ).hexdigest()


class CinetPayFake:
    "A CinetPay Checkout API on 127.0.0.1, on a free port."

    def __init__(self, apikey='12912847765bc0db748fdd44.40081707',
            site_id='445160', secret_key='fake-cinetpay-secret-key-2024'):
        self.apikey = apikey
        self.site_id = site_id
        self.secret_key = secret_key
        self.payments = {}  # transaction_id → initialisation body (dict)
        self.modes = {}  # transaction_id → check mode
        self.default_mode = 'approve'
        self.init_mode = 'ok'
        self.override = {}
        self.slow_seconds = 2.0
        self.requests = []  # (path, headers dict, body dict or text)
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    # Control ---------------------------------------------------------
    def start(self):
        fake = self

        class Handler(_Handler):
            pass
        Handler.fake = fake
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
    def port(self):
        return self._server.server_address[1]

    @property
    def url(self):
        return 'http://127.0.0.1:%s' % self.port

    def set_mode(self, transaction_id, mode):
        self.modes[transaction_id] = mode

    def requests_to(self, path):
        return [r for r in self.requests if r[0] == path]

    # Notifications ---------------------------------------------------
    def notification(self, transaction_id, amount=None, currency=None,
            secret=None, site_id=None, error_message='SUCCES'):
        """Return (form dict, headers dict) of the notification CinetPay
        posts for `transaction_id`, signed with `secret` (the fake's
        secret key by default: a genuine one; another: a forged one)."""
        payment = self.payments.get(transaction_id, {})
        form = {
            'cpm_site_id': site_id or self.site_id,
            'cpm_trans_id': transaction_id,
            'cpm_trans_date': time.strftime('%Y-%m-%d %H:%M:%S'),
            'cpm_amount': str(amount if amount is not None
                else payment.get('amount', 100)),
            'cpm_currency': currency or payment.get('currency', 'XOF'),
            'signature': secrets.token_hex(16),
            'payment_method': 'OM',
            'cel_phone_num': '0707070707',
            'cpm_phone_prefixe': '225',
            'cpm_language': 'fr',
            'cpm_version': 'V4',
            'cpm_payment_config': 'Single',
            'cpm_page_action': 'Payment',
            'cpm_custom': payment.get('metadata', ''),
            'cpm_designation': payment.get('description', ''),
            'cpm_error_message': error_message,
            }
        token = x_token(form, secret or self.secret_key)
        return form, {'x-token': token}

    def forged_notification(self, transaction_id, **kwargs):
        "A notification whose x-token was made with a wrong secret."
        kwargs['secret'] = 'not-' + self.secret_key
        return self.notification(transaction_id, **kwargs)

    # Answers ---------------------------------------------------------
    def answer_payment(self, headers, body):
        "Return (HTTP status, dict or raw text) for POST /v2/payment."
        if self.init_mode in {'down', 'garbage', 'too_many', 'slow'}:
            special = self._special(self.init_mode)
            if special:
                return special
        if not headers.get('User-Agent'):
            return 403, '<html><body>Forbidden</body></html>'
        if not isinstance(body, dict):
            return 200, _error('608', 'MINIMUM_REQUIRED_FIELDS',
                'Le corps de la requête doit être du JSON')
        missing = [f for f in REQUIRED if body.get(f) in (None, '')]
        if missing:
            return 200, _error('608', 'MINIMUM_REQUIRED_FIELDS',
                'Champs obligatoires manquants : %s' % ', '.join(missing))
        if body['apikey'] != self.apikey:
            return 200, _error('609', 'AUTH_NOT_FOUND',
                'Clé API incorrecte')
        if str(body['site_id']) != self.site_id:
            return 200, _error('613', 'ERROR_SITE_ID_NOTVALID',
                'Site ID invalide')
        if body['currency'] not in CURRENCIES:
            return 200, _error('624', 'PROCESSING_ERROR',
                'Devise non prise en charge : %s' % body['currency'])
        try:
            amount = Decimal(str(body['amount']))
        except InvalidOperation:
            amount = None
        if body['currency'] != 'USD' and (amount is None
                or amount != amount.to_integral_value() or amount % 5):
            return 200, _error('624', 'PROCESSING_ERROR',
                'Le montant doit être un multiple de 5')
        if body['currency'] in {'XOF', 'XAF'} and amount < 100:
            return 200, _error('624', 'PROCESSING_ERROR',
                'Le montant minimum est de 100 %s' % body['currency'])
        if body['channels'] not in {
                'ALL', 'MOBILE_MONEY', 'CREDIT_CARD', 'WALLET'}:
            return 200, _error('608', 'MINIMUM_REQUIRED_FIELDS',
                'channels invalide')
        if body['channels'] == 'CREDIT_CARD':
            missing = [f for f in CARD_FIELDS if not body.get(f)]
            if missing:
                return 200, _error('608', 'MINIMUM_REQUIRED_FIELDS',
                    'Champs client obligatoires pour la carte : %s'
                    % ', '.join(missing))
        token = secrets.token_hex(32)
        with self._lock:
            self.payments[body['transaction_id']] = dict(
                body, payment_token=token)
        return 200, {
            'code': '201',
            'message': 'CREATED',
            'description': 'Transaction created with success',
            'data': {
                'payment_token': token,
                'payment_url': '%s/payment/%s' % (self.url, token),
                },
            'api_response_id': '%.4f' % time.time(),
            }

    def answer_check(self, body):
        "Return (HTTP status, dict or raw text) for POST /v2/payment/check."
        if not isinstance(body, dict):
            return 200, _error('608', 'MINIMUM_REQUIRED_FIELDS', '')
        missing = [f for f in ('apikey', 'site_id')
            if not body.get(f)]
        if missing or not (body.get('transaction_id') or body.get('token')):
            return 200, _error('608', 'MINIMUM_REQUIRED_FIELDS',
                'apikey, site_id et transaction_id sont obligatoires')
        if body['apikey'] != self.apikey:
            return 200, _error('609', 'AUTH_NOT_FOUND', '')
        if str(body['site_id']) != self.site_id:
            return 200, _error('613', 'ERROR_SITE_ID_NOTVALID', '')
        transaction_id = body.get('transaction_id')
        payment = self.payments.get(transaction_id)
        if payment is None:
            return 200, _error('624', 'PROCESSING_ERROR',
                'Transaction introuvable')
        mode = self.modes.get(transaction_id, self.default_mode)
        special = self._special(mode)
        if special:
            return special
        data = {
            'amount': str(payment['amount']),
            'currency': payment['currency'],
            'status': 'ACCEPTED',
            'payment_method': 'OM',
            'description': payment['description'],
            'metadata': payment.get('metadata'),
            'operator_id': None,
            'payment_date': ' ',
            'fund_availability_date': time.strftime('%Y-%m-%d 00:00:00'),
            }
        data.update(self.override.get(transaction_id, {}))
        if mode in {'approve', 'slow'}:
            code, message = '00', 'SUCCES'
            data['operator_id'] = 'MP%s' % secrets.token_hex(6).upper()
            data['payment_date'] = time.strftime('%Y-%m-%d %H:%M:%S')
        elif mode == 'refuse':
            code, message = '600', 'PAYMENT_FAILED'
            data['status'] = 'REFUSED'
        elif mode == 'cancel':
            code, message = '627', 'TRANSACTION_CANCEL'
            data['status'] = 'REFUSED'
        elif mode == 'validate':
            code, message = '623', 'WAITING_CUSTOMER_TO_VALIDATE'
            data['status'] = 'WAITING_FOR_CUSTOMER'
        else:  # pending
            code, message = '662', 'WAITING_CUSTOMER_PAYMENT'
            data['status'] = 'WAITING_FOR_CUSTOMER'
        return 200, {'code': code, 'message': message, 'data': data,
            'api_response_id': '%.4f' % time.time()}

    def _special(self, mode):
        if mode == 'slow':
            time.sleep(self.slow_seconds)
            return None
        if mode == 'down':
            return 500, '<html><body>Internal Server Error</body></html>'
        if mode == 'garbage':
            return 200, '<html><body>Maintenance en cours</body></html>'
        if mode == 'too_many':
            return 429, _error('429', 'TOO_MANY_REQUEST',
                'Trop de requêtes')
        return None


def _error(code, message, description):
    return {'code': code, 'message': message, 'description': description,
        'data': [], 'api_response_id': '%.4f' % time.time()}


class _Handler(BaseHTTPRequestHandler):
    fake = None
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def _body(self):
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        content_type = self.headers.get('Content-Type', '')
        if 'application/x-www-form-urlencoded' in content_type:
            return dict(parse_qsl(raw.decode('utf-8', 'replace')))
        try:
            return json.loads(raw.decode('utf-8'))
        except ValueError:
            return raw.decode('utf-8', 'replace')

    def _send(self, status, body):
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode('utf-8')
            content_type = 'application/json'
        else:
            data = body.encode('utf-8')
            content_type = 'text/html; charset=utf-8'
        try:
            self.send_response(status)
            self.send_header('Content-Type', content_type)
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout)

    def do_POST(self):
        body = self._body()
        headers = dict(self.headers.items())
        self.fake.requests.append((self.path, headers, body))
        if self.path == '/v2/payment':
            self._send(*self.fake.answer_payment(headers, body))
        elif self.path == '/v2/payment/check':
            self._send(*self.fake.answer_check(body))
        else:
            self._send(404, {'code': '404', 'message': 'NOT_FOUND'})

    def do_GET(self):
        if self.path.startswith('/payment/'):
            self._send(200, '<html><body><h1>CinetPay (fake)</h1>'
                '<p>Guichet de paiement</p></body></html>')
        else:
            self._send(404, 'Not Found')
