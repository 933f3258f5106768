"""CinetPay Checkout API v2: the HTTP client, the notification token and
the amount rules, without any Tryton model (unit-tested on their own).

Sources (CinetPay's documentation):
- initialisation: https://docs.cinetpay.com/api/1.0-fr/checkout/initialisation
  POST https://api-checkout.cinetpay.com/v2/payment, JSON; answers code
  "201" CREATED with data.payment_url and data.payment_token;
- verification: https://docs.cinetpay.com/api/1.0-fr/checkout/verification
  POST .../v2/payment/check with apikey, site_id, transaction_id; answers
  code "00" SUCCES with data.status ACCEPTED, or another code with
  data.status REFUSED / WAITING_FOR_CUSTOMER;
- notification: https://docs.cinetpay.com/api/1.0-fr/checkout/notification
  (GET is a ping that must answer 200; POST is form-encoded);
- x-token: https://docs.cinetpay.com/api/1.0-fr/checkout/hmac
  hex HMAC-SHA256 with the shop's secret key over the concatenation of
  NOTIFICATION_TOKEN_FIELDS, in that order;
- codes: https://docs.cinetpay.com/api/1.0-fr/checkout/tableau ;
- amounts: "must be a multiple of 5", "the minimum amount being 100 FCFA"
  (https://cinetpay.com/developer/api/paiement).

Errors: `CinetPayRefused(code, message, description)` when CinetPay
answers with an error code, `CinetPayUnavailable(reason)` for timeouts,
connection errors, 5xx, 429 and unparsable answers. The gateway turns
them into the core's GatewayError / GatewayUnavailable with a message the
shop understands (see CODES). No secret ever goes into an exception.
"""
import hashlib
import hmac
import json
import re
from decimal import ROUND_CEILING, Decimal, InvalidOperation

import requests

API_URL = 'https://api-checkout.cinetpay.com'
PAYMENT_PATH = '/v2/payment'
CHECK_PATH = '/v2/payment/check'
TIMEOUT = 10  # seconds, for every request
USER_AGENT = 'Atelier-payment_cinetpay/8.0 (+python-requests)'

CURRENCIES = ('XOF', 'XAF', 'CDF', 'GNF', 'USD')
# Currencies whose amounts are whole francs that must be multiples of 5.
MULTIPLE_OF_5 = {'XOF', 'XAF', 'CDF', 'GNF'}
# Minimum amounts we check before calling CinetPay (100 FCFA documented);
# other currencies are left to CinetPay's own check.
MINIMUM = {'XOF': Decimal(100), 'XAF': Decimal(100)}
CHANNELS = ('ALL', 'MOBILE_MONEY')

# The x-token is the HMAC of these form values, concatenated in this order
# (absent values count as empty strings).
NOTIFICATION_TOKEN_FIELDS = (
    'cpm_site_id', 'cpm_trans_id', 'cpm_trans_date', 'cpm_amount',
    'cpm_currency', 'signature', 'payment_method', 'cel_phone_num',
    'cpm_phone_prefixe', 'cpm_language', 'cpm_version',
    'cpm_payment_config', 'cpm_page_action', 'cpm_custom',
    'cpm_designation', 'cpm_error_message',
    )

# CinetPay code → (CinetPay's message, outcome, ir.message id of the
# explanation for the shop). Outcome: 'ok', 'pending' (the customer has
# not finished: keep waiting), 'failed', 'cancelled', 'error' (our request
# was refused: settings or data), 'unavailable' (try again later).
CODES = {
    '00': ('SUCCES', 'ok', None),
    '201': ('CREATED', 'ok', None),
    '600': ('PAYMENT_FAILED', 'failed', 'msg_cinetpay_code_600'),
    '602': ('INSUFFICIENT_BALANCE', 'failed', 'msg_cinetpay_code_602'),
    '604': ('OTP_CODE_ERROR', 'failed', 'msg_cinetpay_code_604'),
    '606': ('INCORRECT_SETTINGS', 'error', 'msg_cinetpay_code_606'),
    '608': ('MINIMUM_REQUIRED_FIELDS', 'error', 'msg_cinetpay_code_608'),
    '609': ('AUTH_NOT_FOUND', 'error', 'msg_cinetpay_code_609'),
    '613': ('ERROR_SITE_ID_NOTVALID', 'error', 'msg_cinetpay_code_613'),
    '623': ('WAITING_CUSTOMER_TO_VALIDATE', 'pending',
        'msg_cinetpay_code_waiting'),
    '624': ('PROCESSING_ERROR', 'error', 'msg_cinetpay_code_624'),
    '625': ('ABONNEMENT_OR_TRANSACTIONS_EXPIRED', 'error',
        'msg_cinetpay_code_625'),
    '627': ('TRANSACTION_CANCEL', 'cancelled', 'msg_cinetpay_code_627'),
    '662': ('WAITING_CUSTOMER_PAYMENT', 'pending',
        'msg_cinetpay_code_waiting'),
    '663': ('WAITING_CUSTOMER_OTP_CODE', 'pending',
        'msg_cinetpay_code_waiting'),
    '429': ('TOO_MANY_REQUEST', 'unavailable', 'msg_cinetpay_code_429'),
    }
UNKNOWN_CODE_MESSAGE = 'msg_cinetpay_code_unknown'

# data.status of the check → our state.
STATUSES = {
    'ACCEPTED': 'paid',
    'WAITING_FOR_CUSTOMER': 'pending',
    'WAITING_CUSTOMER_TO_VALIDATE': 'pending',
    'WAITING_CUSTOMER_PAYMENT': 'pending',
    'WAITING_CUSTOMER_OTP_CODE': 'pending',
    'PENDING': 'pending',
    'REFUSED': 'failed',
    'CANCELED': 'cancelled',
    'CANCELLED': 'cancelled',
    }

# Characters CinetPay asks not to put in the description.
_DESCRIPTION_FORBIDDEN = re.compile(r'[#/$_&]+')


class CinetPayRefused(Exception):
    "CinetPay answered with an error code."

    def __init__(self, code, message='', description=''):
        self.code = str(code)
        self.cinetpay_message = message or ''
        self.description = description or ''
        super().__init__('CinetPay %s %s: %s' % (
                self.code, self.cinetpay_message, self.description))


class CinetPayUnavailable(Exception):
    """CinetPay did not answer usefully (timeout, connection error, 5xx,
    429, not JSON)."""


def code_info(code):
    """Return (CinetPay message, outcome, ir.message id) of `code` (str);
    an unknown code is an 'error' explained by UNKNOWN_CODE_MESSAGE."""
    return CODES.get(str(code), ('', 'error', UNKNOWN_CODE_MESSAGE))


def round_amount(amount, currency_code):
    """Return `amount` (Decimal, major units) as CinetPay accepts it.

    XOF, XAF, CDF and GNF: whole francs, UP to the next multiple of 5
    (12 345 → 12 345, 12 341 → 12 345, 12 348 → 12 350), because CinetPay
    refuses other amounts (its API reference: "amount: multiple de 5").
    Rounding up settles the invoice in one payment; the difference (at
    most 4 francs) is booked as the customer's credit (see
    PaymentTransaction.settle). Rounding down would leave a few francs due
    that no online payment can take (below CinetPay's minimum). Other
    currencies are returned unchanged (already rounded by the currency)."""
    if currency_code not in MULTIPLE_OF_5:
        return amount
    return (Decimal(amount) / 5).quantize(
        Decimal(1), rounding=ROUND_CEILING) * 5


def amount_problem(amount, currency_code):
    """Return None when CinetPay can take `amount` in `currency_code`, else
    'currency', 'minimum' or 'multiple' (what is wrong)."""
    if currency_code not in CURRENCIES:
        return 'currency'
    minimum = MINIMUM.get(currency_code)
    if minimum is not None and amount < minimum:
        return 'minimum'
    if currency_code in MULTIPLE_OF_5 and amount % 5:
        return 'multiple'
    return None


def format_amount(amount, currency_code):
    """Return `amount` as CinetPay's JSON wants it: an int for the francs,
    a number with 2 decimals for USD."""
    if currency_code in MULTIPLE_OF_5:
        return int(amount)
    return float(Decimal(amount).quantize(Decimal('0.01')))


def clean_description(text):
    "Return `text` without the characters CinetPay asks to avoid."
    text = _DESCRIPTION_FORBIDDEN.sub(' ', text or '')
    return re.sub(r'\s+', ' ', text).strip() or 'Paiement'


def notification_token(form, secret):
    """Return the hex HMAC-SHA256 (str) of the notification `form` (a
    mapping of str) with the shop's `secret` (str)."""
    data = ''.join(str(form.get(name) or '')
        for name in NOTIFICATION_TOKEN_FIELDS)
    return hmac.new(secret.encode('utf-8'), data.encode('utf-8'),
        hashlib.sha256).hexdigest()


def verify_notification(form, token, secret):
    """Return True when `token` (the x-token header, str or None) is the
    HMAC of `form` with `secret`; constant-time comparison."""
    if not token or not secret:
        return False
    expected = notification_token(form, secret)
    return hmac.compare_digest(
        expected.encode('ascii'), token.strip().lower().encode(
            'ascii', 'replace'))


def _post(url, payload, timeout=None):
    """POST `payload` as JSON to `url`; return (decoded JSON dict, text).

    Raises CinetPayUnavailable for network errors, timeouts, 5xx, 429 and
    bodies that are not a JSON object."""
    try:
        response = requests.post(url, json=payload,
            timeout=timeout or TIMEOUT,
            headers={
                'User-Agent': USER_AGENT,
                'Accept': 'application/json',
                })
    except requests.Timeout:
        raise CinetPayUnavailable('timeout')
    except requests.RequestException as exception:
        raise CinetPayUnavailable(
            'connection error (%s)' % exception.__class__.__name__)
    text = response.text
    if response.status_code >= 500:
        raise CinetPayUnavailable('HTTP %s' % response.status_code)
    try:
        data = json.loads(text)
    except ValueError:
        if response.status_code == 429:
            raise CinetPayUnavailable('HTTP 429')
        raise CinetPayUnavailable(
            'unparsable answer (HTTP %s)' % response.status_code)
    if not isinstance(data, dict):
        raise CinetPayUnavailable(
            'unparsable answer (HTTP %s)' % response.status_code)
    return data, text


def payment_request(apikey, site_id, transaction_id, amount, currency_code,
        description, notify_url, return_url, channels='ALL',
        customer=None, lang='fr', metadata=None):
    """Return the JSON body (dict) of a payment initialisation.

    amount: Decimal in major units, already valid (see amount_problem);
    customer: the core's customer dict (name, first_name, last_name,
    email, phone, country, city, street, zip)."""
    customer = customer or {}
    country = customer.get('country') or ''
    payload = {
        'apikey': apikey,
        'site_id': site_id,
        'transaction_id': transaction_id,
        'amount': format_amount(amount, currency_code),
        'currency': currency_code,
        'description': clean_description(description),
        'notify_url': notify_url,
        'return_url': return_url,
        'channels': channels,
        'lang': lang,
        'metadata': metadata or transaction_id,
        'customer_name': customer.get('last_name') or '',
        'customer_surname': customer.get('first_name') or '',
        'customer_email': customer.get('email') or '',
        'customer_phone_number': customer.get('phone') or '',
        'customer_address': customer.get('street') or '',
        'customer_city': customer.get('city') or '',
        'customer_country': country,
        'customer_state': country,
        'customer_zip_code': customer.get('zip') or '',
        }
    return payload


def initialise(base_url, payload, timeout=None):
    """POST the initialisation `payload` (see payment_request) to
    `base_url`; return (payment_url, payment_token, raw text).

    Raises CinetPayRefused (code other than "201") or
    CinetPayUnavailable."""
    data, text = _post(base_url.rstrip('/') + PAYMENT_PATH, payload,
        timeout=timeout)
    code = str(data.get('code', ''))
    if code != '201':
        if code_info(code)[1] == 'unavailable':
            raise CinetPayUnavailable('code %s' % code)
        raise CinetPayRefused(code, data.get('message'),
            data.get('description'))
    body = data.get('data') or {}
    url = body.get('payment_url') if isinstance(body, dict) else None
    if not url or not str(url).startswith(('https://', 'http://')):
        raise CinetPayUnavailable('no payment_url in the answer')
    return url, body.get('payment_token'), text


def check(base_url, apikey, site_id, transaction_id, timeout=None):
    """POST a verification of `transaction_id` to `base_url`; return the
    parsed status (see parse_check) and the raw text.

    Raises CinetPayRefused (settings errors: 608, 609, 613...) or
    CinetPayUnavailable."""
    data, text = _post(base_url.rstrip('/') + CHECK_PATH, {
            'apikey': apikey,
            'site_id': site_id,
            'transaction_id': transaction_id,
            }, timeout=timeout)
    return parse_check(data), text


def parse_check(data):
    """Return a dict {state, amount, currency, code, message, payment_method,
    operator_id} from a decoded verification answer.

    state: 'paid' only for code "00" with data.status ACCEPTED; 'pending'
    for WAITING_* statuses and the waiting codes (623, 662, 663);
    'failed' or 'cancelled' for REFUSED (627 is a cancellation). amount is
    a Decimal or None, currency an ISO code or None.

    Raises CinetPayRefused for codes that are errors of our request and
    CinetPayUnavailable for 429 and answers without a usable status."""
    code = str(data.get('code', ''))
    message = data.get('message') or ''
    body = data.get('data') if isinstance(data.get('data'), dict) else {}
    _, outcome, _ = code_info(code)
    status = str(body.get('status') or '').upper()
    if outcome == 'unavailable':
        raise CinetPayUnavailable('code %s' % code)
    if code == '00' and status == 'ACCEPTED':
        state = 'paid'
    elif outcome == 'pending' or STATUSES.get(status) == 'pending':
        state = 'pending'
    elif outcome in {'failed', 'cancelled'}:
        state = outcome
    elif status in STATUSES and STATUSES[status] != 'paid':
        state = STATUSES[status]
    elif outcome == 'error':
        raise CinetPayRefused(code, message, data.get('description'))
    else:
        # "00" without ACCEPTED, or a shape we do not know: never paid.
        raise CinetPayUnavailable('unexpected answer (code %s, status %s)'
            % (code or '-', status or '-'))
    amount = body.get('amount')
    try:
        amount = Decimal(str(amount).strip()) if amount not in (
            None, '') else None
    except InvalidOperation:
        amount = None
    return {
        'state': state,
        'amount': amount,
        'currency': (body.get('currency') or None),
        'code': code,
        'message': message,
        'payment_method': body.get('payment_method'),
        'operator_id': body.get('operator_id'),
        }
