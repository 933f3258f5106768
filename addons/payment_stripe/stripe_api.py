"""The Stripe API as payment_stripe uses it, with no Tryton in it.

Amounts given and returned here are Decimal in major units (euros, francs
CFA); Stripe wants and answers integers in the currency's minor unit
(cents), except zero-decimal currencies (XOF, XAF, JPY...: the amount as
is) and three-decimal ones (thousandths, a multiple of 10).
Source: https://docs.stripe.com/currencies#zero-decimal and
https://docs.stripe.com/currencies#three-decimal

Errors: every call raises GatewayUnavailable for a timeout, a refused
connection, a 429 or 5xx answer or an answer that is not the documented
JSON (the customer may try again, the cron re-checks), and GatewayError
with a shop-level message when Stripe refuses the request (wrong key,
invalid parameter). Messages never contain the API key.
Source: https://docs.stripe.com/api/errors
"""
import contextlib
import json
import logging
from decimal import Decimal

import stripe

import trytond.config as config

from trytond.modules.payment_gateway.exceptions import (
    GatewayError, GatewayUnavailable)

logger = logging.getLogger(__name__)

LIVE_API_BASE = 'https://api.stripe.com'
# https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL = {
    'BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF',
    'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'}
# https://docs.stripe.com/currencies#three-decimal
THREE_DECIMAL = {'BHD', 'JOD', 'KWD', 'OMR', 'TND'}


def timeout():
    "Seconds to wait for Stripe ([payment_stripe] timeout, default 10)."
    return config.getfloat('payment_stripe', 'timeout', default=10)


def exponent(currency_code):
    "Return the number of decimals of `currency_code` in Stripe's amounts."
    code = currency_code.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_minor(amount, currency_code):
    """Return `amount` (Decimal, major units) as Stripe's integer amount
    for `currency_code`. Raises ValueError when the amount has more
    decimals than the currency (Stripe would charge another amount)."""
    minor = Decimal(amount).scaleb(exponent(currency_code))
    if minor != minor.to_integral_value():
        raise ValueError('%s %s has too many decimals for Stripe'
            % (amount, currency_code))
    return int(minor)


def from_minor(value, currency_code):
    "Return Stripe's integer `value` for `currency_code` as a Decimal."
    return Decimal(int(value)).scaleb(-exponent(currency_code))


def round_amount(amount, currency_code):
    """Return `amount` rounded to what Stripe can charge: a three-decimal
    currency must end in 0 (https://docs.stripe.com/currencies#three-decimal).
    """
    if exponent(currency_code) == 3:
        return Decimal(amount).quantize(Decimal('0.01'))
    return amount


def client(api_key, base_url=None):
    """Return a stripe.StripeClient for `api_key` talking to `base_url`
    (default https://api.stripe.com) with a timeout and no automatic
    retry: the core retries later, a provider that is down must answer
    fast."""
    return stripe.StripeClient(
        api_key,
        base_addresses={'api': (base_url or LIVE_API_BASE).rstrip('/')},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=timeout()))


@contextlib.contextmanager
def errors(action):
    """Turn the stripe library's and parsing errors raised inside into
    GatewayUnavailable or GatewayError; `action` names what we asked
    (for the messages)."""
    try:
        yield
    except (stripe.APIConnectionError, stripe.RateLimitError) as exception:
        logger.info('stripe %s: %s', action, type(exception).__name__)
        raise GatewayUnavailable(
            'Stripe did not answer (%s).' % action) from exception
    except stripe.AuthenticationError as exception:
        raise GatewayError(
            'Stripe refused the secret key of this gateway (%s): check '
            'the key in the gateway settings.' % action) from exception
    except stripe.PermissionError as exception:
        raise GatewayError('Stripe refused %s: the key of this gateway '
            'lacks the permission.' % action) from exception
    except stripe.StripeError as exception:
        status = getattr(exception, 'http_status', None) or 0
        if isinstance(exception, stripe.APIError) or status >= 500:
            # 5xx or an answer that is not JSON ("Invalid response body")
            raise GatewayUnavailable(
                'Stripe did not answer usefully (%s, HTTP %s).'
                % (action, status or '-')) from exception
        raise GatewayError('Stripe refused %s: %s' % (
                action, exception.user_message or 'HTTP %s' % status)
            ) from exception
    except (KeyError, TypeError, ValueError, AttributeError) as exception:
        raise GatewayUnavailable(
            'Stripe answered something unexpected (%s).' % action
            ) from exception


def plain(obj):
    "Return a Stripe object (StripeObject) as a plain dict."
    return obj.to_dict() if hasattr(obj, 'to_dict') else dict(obj)


def raw(obj):
    "Return a Stripe object (dict) as JSON text, for the audit trail."
    return json.dumps(obj, sort_keys=True, default=str)


def checkout_params(reference, amount, currency_code, name, urls,
        email=None, metadata=None, idempotent=True):
    """Return the parameters of a Checkout Session paying `amount`
    (Decimal, major units) of `currency_code` for one line `name`.

    urls: dict with 'return' and 'cancel'; metadata: dict of str copied
    on the session and its payment intent so every event maps back.
    Source: https://docs.stripe.com/api/checkout/sessions/create
    """
    params = {
        'mode': 'payment',
        'line_items': [{
                'quantity': 1,
                'price_data': {
                    'currency': currency_code.lower(),
                    'unit_amount': to_minor(amount, currency_code),
                    'product_data': {'name': (name or reference)[:250]},
                    },
                }],
        'success_url': urls['return'],
        'cancel_url': urls['cancel'],
        'client_reference_id': reference,
        'metadata': dict(metadata or {}),
        'payment_intent_data': {'metadata': dict(metadata or {})},
        }
    if email:
        params['customer_email'] = email
    return params


def session_status(session, intent=None, refunded=None):
    """Return (state, amount, currency, reason) of a Checkout Session
    (dict-like, https://docs.stripe.com/api/checkout/sessions/object):

    - payment_status 'paid' → 'paid' (or 'refunded' when `refunded`, the
      charge's amount_refunded in minor units, is positive, with that
      amount);
    - status 'expired' → 'cancelled';
    - status 'open' → 'pending';
    - status 'complete' but unpaid (an asynchronous method such as SEPA
      debit, https://docs.stripe.com/payments/checkout/async-payment-methods):
      'failed' when its payment intent (`intent`) needs another payment
      method or was cancelled, else 'pending'.
    amount is Decimal in major units, currency the upper-case ISO code.
    """
    currency = (session.get('currency') or '').upper()
    amount = (from_minor(session['amount_total'], currency)
        if session.get('amount_total') is not None and currency else None)
    if session.get('payment_status') in {'paid', 'no_payment_required'}:
        if refunded:
            return 'refunded', from_minor(refunded, currency), currency, None
        return 'paid', amount, currency, None
    if session.get('status') == 'expired':
        return ('cancelled', amount, currency,
            'The Stripe payment page expired before the customer paid.')
    if session.get('status') == 'complete' and intent is not None:
        if intent.get('status') in {'requires_payment_method', 'canceled'}:
            reason = (intent.get('last_payment_error') or {}).get('message')
            return ('failed', amount, currency,
                'Stripe: %s' % (reason or 'the payment failed.'))
    return 'pending', amount, currency, None


def refund_state(refund):
    """Return our state for a Stripe Refund's status
    (https://docs.stripe.com/api/refunds/object#refund_object-status)."""
    return {
        'succeeded': 'refunded',
        'pending': 'pending',
        'requires_action': 'pending',
        'failed': 'failed',
        'canceled': 'failed',
        }.get(refund.get('status'), 'pending')
