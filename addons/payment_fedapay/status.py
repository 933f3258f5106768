"""What a FedaPay transaction (as read back with GET /v1/transactions/{id})
says of the payment, in payment_gateway's terms.

Statuses (https://docs.fedapay.com/api-reference/transactions/create:
'pending', 'approved', 'canceled'...; webhook events
https://docs.fedapay.com/integration-api/en/webhooks-en: approved,
declined, canceled, transferred; the SDKs' Transaction.PAID_STATUS:
approved, transferred, refunded, approved_partially_refunded,
transferred_partially_refunded; 'expired' for links left unpaid):

- approved, transferred (funds moved on to the merchant), and the
  partially refunded variants → 'paid' (the payment did happen);
- refunded → 'refunded';
- declined, expired → 'failed'; canceled → 'cancelled';
- pending, created and anything unknown → 'pending' (never paid on a
  guess; the cron asks again).

Amount: FedaPay's integer `amount` in major units (XOF has no cents).
Currency: the GET answer documents only `currency_id`; some answers also
embed `currency: {"iso": ...}`. The iso code is used when present; else
the id is compared with the one FedaPay gave when the transaction was
created (kept on our transaction).
"""
from decimal import Decimal, InvalidOperation

PAID = {'approved', 'transferred', 'approved_partially_refunded',
    'transferred_partially_refunded'}
STATES = {
    'refunded': 'refunded',
    'declined': 'failed',
    'expired': 'failed',
    'canceled': 'cancelled',
    'cancelled': 'cancelled',
    }


class UnknownCurrency(Exception):
    "The answer gives only a currency id and none was known to compare."


def state(fedapay_status):
    "Return payment_gateway's state for a FedaPay `status` (str)."
    fedapay_status = str(fedapay_status or '').lower()
    if fedapay_status in PAID:
        return 'paid'
    return STATES.get(fedapay_status, 'pending')


def amount(transaction):
    "Return the transaction's amount as Decimal (major units) or None."
    value = transaction.get('amount')
    if isinstance(value, bool) or value is None:
        return None
    try:
        value = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def currency_id(transaction):
    "Return FedaPay's currency id (str) of `transaction`, or None."
    value = transaction.get('currency_id')
    if value in (None, '') and isinstance(transaction.get('currency'), dict):
        value = transaction['currency'].get('id')
    return str(value) if value not in (None, '') else None


def currency(transaction, expected_code, expected_id):
    """Return the ISO code of the transaction's currency.

    `expected_code` is our transaction's currency (ISO), `expected_id` the
    FedaPay currency id recorded at creation (str or None). When only an id
    is given: `expected_code` if it is `expected_id`, else 'FEDAPAY:<id>'
    (which never equals an ISO code, so nothing is paid). Raises
    UnknownCurrency when there is an id but no expected id to compare."""
    embedded = transaction.get('currency')
    if isinstance(embedded, dict) and embedded.get('iso'):
        return str(embedded['iso']).upper()
    if isinstance(embedded, str) and len(embedded) == 3:
        return embedded.upper()
    value = currency_id(transaction)
    if value is None:
        raise UnknownCurrency('no currency in the answer')
    if expected_id is None:
        raise UnknownCurrency('currency id %s, none recorded' % value)
    if value == str(expected_id):
        return expected_code
    return 'FEDAPAY:%s' % value
