"""A small client of FedaPay's REST API (v1): create a transaction, get
its payment link, read it back. No Tryton here, so it is unit-tested alone.

Sources:
- https://docs.fedapay.com/api-reference/transactions/create
  (POST /v1/transactions: description, integer amount, currency {"iso"},
  callback_url, customer {firstname, lastname, email, phone_number
  {number, country}}; Authorization: Bearer <secret API key>)
- https://docs.fedapay.com/api-reference/transactions/create-token
  (POST /v1/transactions/{id}/token → {"token", "url"})
- https://docs.fedapay.com/api-reference/transactions/get-all and the
  official SDKs (fedapay-php, fedapay-node): GET /v1/transactions/{id};
  answers are wrapped as {"v1/transaction": {...}} by the live API, bare
  in the reference pages, so both are accepted (`unwrap`).
- https://docs.fedapay.com/en/integration-api/sending-requests
  (sandbox https://sandbox-api.fedapay.com, live https://api.fedapay.com)
- Errors: 4xx with a JSON body {"message": str, "errors": {field: [str]}}
  (fedapay-php lib/Error/Base.php reads these two keys).

Errors raised:
- `GatewayUnavailable` (from payment_gateway): timeout, connection error,
  HTTP 5xx, or an answer that is not the documented JSON. Messages carry
  no secret.
- `FedaPayRefused(status, message, errors)`: HTTP 4xx, FedaPay refused the
  request (bad key, invalid field...).
"""
import json
from decimal import Decimal

import requests

from trytond.modules.payment_gateway.exceptions import GatewayUnavailable

SANDBOX_URL = 'https://sandbox-api.fedapay.com'
LIVE_URL = 'https://api.fedapay.com'
TIMEOUT = 10  # seconds, for connect and read
WRAPPER = 'v1/transaction'


class FedaPayRefused(Exception):
    """FedaPay answered 4xx: `status` (int), `message` (str, FedaPay's
    own), `errors` (dict field → list of str, may be empty)."""

    def __init__(self, status, message, errors=None):
        super().__init__('HTTP %s: %s' % (status, message))
        self.status = status
        self.message = message
        self.errors = errors or {}

    def describe(self):
        "FedaPay's message followed by its field errors, one line."
        details = '; '.join('%s: %s' % (field, ', '.join(
                    v if isinstance(v, str) else json.dumps(v)
                    for v in (values if isinstance(values, list)
                        else [values])))
            for field, values in sorted(self.errors.items()))
        return '%s (%s)' % (self.message, details) if details else (
            self.message)


def base_url(mode, override=None):
    """Return the API root for `mode` ('sandbox' or 'live'), or `override`
    (without trailing slash) when set — the tests point it at a fake."""
    if override:
        return override.rstrip('/')
    return LIVE_URL if mode == 'live' else SANDBOX_URL


def unwrap(data, key=WRAPPER):
    """Return the object of a FedaPay answer: `data[key]` when FedaPay
    wrapped it as {"v1/transaction": {...}}, else `data` itself.

    Raises GatewayUnavailable when `data` is not a JSON object."""
    if isinstance(data, dict) and isinstance(data.get(key), dict):
        return data[key]
    if not isinstance(data, dict):
        raise GatewayUnavailable(
            'FedaPay answered a %s instead of an object' % type(data).__name__)
    return data


def to_integer_amount(amount):
    """Return `amount` (Decimal, major units) as the int FedaPay wants
    ("the amount, always in whole numbers"). Raises ValueError when it
    has a fractional part."""
    amount = Decimal(amount)
    if amount != amount.to_integral_value():
        raise ValueError('FedaPay amounts are whole numbers: %s' % amount)
    return int(amount)


def transaction_payload(description, amount, currency, callback_url,
        customer=None, reference=None):
    """Return the JSON body of POST /v1/transactions.

    description: str; amount: Decimal in major units (whole); currency: ISO
    code; callback_url: where FedaPay sends the customer back (it appends
    ?id=<id>&status=<status>); customer: dict of first_name, last_name,
    email, phone (E.164), phone_country (ISO alpha-2) — empty values are
    left out; reference: our merchant reference, sent in custom_metadata.
    """
    payload = {
        'description': description,
        'amount': to_integer_amount(amount),
        'currency': {'iso': currency},
        'callback_url': callback_url,
        }
    if reference:
        payload['custom_metadata'] = {'reference': reference}
    if customer:
        person = {}
        if customer.get('first_name'):
            person['firstname'] = customer['first_name']
        if customer.get('last_name'):
            person['lastname'] = customer['last_name']
        if customer.get('email'):
            person['email'] = customer['email']
        country = customer.get('phone_country') or customer.get('country')
        if customer.get('phone') and country:
            person['phone_number'] = {
                'number': customer['phone'],
                'country': country.lower(),
                }
        if person:
            payload['customer'] = person
    return payload


class Client:
    """FedaPay API with one secret key.

    `session` may be a requests.Session (tests); every call has a timeout.
    """

    def __init__(self, secret_key, mode='sandbox', url=None, session=None,
            timeout=None):
        self.secret_key = secret_key
        self.root = base_url(mode, url)
        self.session = session or requests
        self.timeout = timeout or TIMEOUT  # read now: tests may lower it

    def _request(self, method, path, payload=None):
        "Return the decoded JSON of a 2xx answer."
        url = '%s/v1%s' % (self.root, path)
        headers = {
            'Authorization': 'Bearer %s' % self.secret_key,
            'Accept': 'application/json',
            }
        try:
            response = self.session.request(method, url, json=payload,
                headers=headers, timeout=self.timeout)
        except requests.Timeout:
            raise GatewayUnavailable(
                'FedaPay did not answer %s %s within %s s'
                % (method, path, self.timeout))
        except requests.RequestException as exception:
            raise GatewayUnavailable('FedaPay could not be reached (%s)'
                % exception.__class__.__name__)
        if response.status_code >= 500:
            raise GatewayUnavailable('FedaPay answered HTTP %s to %s %s'
                % (response.status_code, method, path))
        try:
            data = response.json()
        except ValueError:
            data = None
        if 400 <= response.status_code < 500:
            message, errors = 'HTTP %s' % response.status_code, {}
            if isinstance(data, dict):
                message = str(data.get('message') or message)
                if isinstance(data.get('errors'), dict):
                    errors = data['errors']
            raise FedaPayRefused(response.status_code, message, errors)
        if data is None:
            raise GatewayUnavailable(
                'FedaPay answered HTTP %s to %s %s with no JSON'
                % (response.status_code, method, path))
        return data

    def create_transaction(self, payload):
        "POST /v1/transactions; return the transaction (dict, with 'id')."
        transaction = unwrap(self._request('POST', '/transactions', payload))
        if transaction.get('id') in (None, ''):
            raise GatewayUnavailable('FedaPay created a transaction '
                'without an id')
        return transaction

    def create_token(self, transaction_id):
        "POST /v1/transactions/{id}/token; return {'token', 'url'}."
        data = unwrap(self._request(
                'POST', '/transactions/%s/token' % _id(transaction_id)),
            key='v1/token')
        if not isinstance(data.get('url'), str) or not (
                data['url'].startswith('https://')
                or data['url'].startswith('http://')):
            raise GatewayUnavailable('FedaPay gave no payment URL')
        return data

    def get_transaction(self, transaction_id):
        "GET /v1/transactions/{id}; return the transaction (dict)."
        return unwrap(self._request(
                'GET', '/transactions/%s' % _id(transaction_id)))


def _id(transaction_id):
    "FedaPay ids are integers; refuse anything else in a URL path."
    value = str(transaction_id)
    if not value.isdigit():
        raise ValueError('not a FedaPay transaction id: %r' % value)
    return value
