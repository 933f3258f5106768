"""FedaPay on payment.gateway: settings and the provider hooks.

- `_start_fedapay`: POST /v1/transactions then POST /v1/transactions/{id}
  /token; the customer is sent to the token's `url`; the FedaPay id becomes
  the transaction's provider_reference.
- `_check_fedapay`: GET /v1/transactions/{id}; only this answer can make a
  transaction paid (webhooks and the customer's return only trigger it).

FedaPay's API reference (https://docs.fedapay.com/api-reference/
introduction) lists no refund of a collect, so there is no
`_refund_fedapay`: the core tells the shop this gateway cannot refund.

Sources: see client.py, signature.py and status.py.
"""
import json
from decimal import ROUND_HALF_UP, Decimal

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval

from trytond.modules.payment_gateway.exceptions import (
    GatewayError, GatewayUnavailable)
from trytond.modules.payment_gateway.gateway import (
    ProviderStatus, secret_field)

from . import status as fedapay_status
from .client import (
    Client, FedaPayRefused, to_integer_amount, transaction_payload)

PROVIDER = 'fedapay'
REASONS = {
    'declined': 'payment_fedapay.msg_status_declined',
    'canceled': 'payment_fedapay.msg_status_canceled',
    'cancelled': 'payment_fedapay.msg_status_canceled',
    'expired': 'payment_fedapay.msg_status_expired',
    }


class Gateway(metaclass=PoolMeta):
    __name__ = 'payment.gateway'

    fedapay_secret_key = secret_field("FedaPay Secret API Key",
        help="The secret key (sk_sandbox_... or sk_live_...) of the shop's "
        "FedaPay account, matching the mode.")
    fedapay_webhook_secret = secret_field("FedaPay Webhook Secret",
        help="The signing secret FedaPay shows for the webhook endpoint "
        "whose URL is this gateway's webhook URL.")
    fedapay_base_url = fields.Char("FedaPay API URL",
        states={'invisible': Eval('provider') != PROVIDER},
        help="Leave empty to use FedaPay's sandbox or live API by mode.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        if (PROVIDER, "FedaPay") not in cls.provider.selection:
            cls.provider.selection.append((PROVIDER, "FedaPay"))
        for name in ['fedapay_secret_key', 'fedapay_webhook_secret']:
            field = getattr(cls, name)
            field.states = {'invisible': Eval('provider') != PROVIDER}

    def _fedapay_client(self):
        """Return a client.Client with this gateway's key and URL.

        Raises GatewayError when no secret key is set."""
        key = self.get_secret('fedapay_secret_key')
        if not key:
            raise GatewayError(gettext('payment_fedapay.msg_no_secret_key',
                    gateway=self.rec_name))
        return Client(key, mode=self.mode, url=self.fedapay_base_url)

    def _fedapay_refused(self, exception):
        "Return the GatewayError of a FedaPayRefused `exception`."
        if exception.status == 401:
            return GatewayError(gettext('payment_fedapay.msg_bad_key',
                    gateway=self.rec_name, mode=self.mode))
        return GatewayError(gettext('payment_fedapay.msg_refused',
                gateway=self.rec_name, status=exception.status,
                message=exception.describe()[:300]))

    def _round_amount_fedapay(self, amount, currency):
        """FedaPay takes whole amounts only ("amount: always in whole
        numbers", https://docs.fedapay.com/en/integration-api/
        collects-management): round half up to the unit (no change for
        XOF)."""
        return amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)

    def _start_fedapay(self, transaction, urls):
        """Create the FedaPay transaction and its payment link; return the
        link (str). Sets transaction.provider_reference (FedaPay's id) and
        fedapay_currency_id.

        Raises GatewayError (no key, FedaPay refused: bad key, invalid
        field...) or GatewayUnavailable (no answer, 5xx, garbage)."""
        client = self._fedapay_client()
        try:
            to_integer_amount(transaction.amount)
        except ValueError:
            raise GatewayError(gettext('payment_fedapay.msg_whole_amount',
                    gateway=self.rec_name, amount=transaction.amount))
        payload = transaction_payload(
            description=transaction.description or transaction.reference,
            amount=transaction.amount,
            currency=transaction.currency.code,
            callback_url=urls['return'],
            customer=transaction.customer,
            reference=transaction.reference)
        try:
            created = client.create_transaction(payload)
            transaction.provider_reference = str(created['id'])
            transaction.fedapay_currency_id = fedapay_status.currency_id(
                created)
            token = client.create_token(created['id'])
        except FedaPayRefused as exception:
            raise self._fedapay_refused(exception)
        return token['url']

    def _check_fedapay(self, transaction):
        """Read the transaction back from FedaPay; return a ProviderStatus
        (amount Decimal in major units, currency ISO code).

        Raises GatewayError when FedaPay refuses (bad key, unknown id) and
        GatewayUnavailable when it does not answer usefully or the
        currency cannot be told."""
        if not transaction.provider_reference:
            # Creation never got through: FedaPay has no such payment and
            # the customer never had a payment page.
            return ProviderStatus('failed', None, None,
                reason=gettext('payment_fedapay.msg_never_started'))
        client = self._fedapay_client()
        try:
            data = client.get_transaction(transaction.provider_reference)
        except FedaPayRefused as exception:
            raise self._fedapay_refused(exception)
        if str(data.get('id')) != str(transaction.provider_reference):
            raise GatewayUnavailable('FedaPay answered about transaction '
                '%r instead of %s' % (data.get('id'),
                    transaction.provider_reference))
        raw = json.dumps(data, sort_keys=True, default=str)
        provider_state = str(data.get('status') or '').lower()
        state = fedapay_status.state(provider_state)
        try:
            currency = fedapay_status.currency(data,
                transaction.currency.code, transaction.fedapay_currency_id)
        except fedapay_status.UnknownCurrency as exception:
            if state == 'paid':
                raise GatewayUnavailable(
                    'FedaPay did not say the currency of transaction %s (%s)'
                    % (transaction.provider_reference, exception))
            currency = None
        reason = None
        if provider_state in REASONS:
            reason = gettext(REASONS[provider_state],
                error=data.get('last_error_code') or '-')
        return ProviderStatus(state, fedapay_status.amount(data), currency,
            provider_reference=str(data.get('id')), raw=raw, reason=reason)


class Transaction(metaclass=PoolMeta):
    __name__ = 'payment.gateway.transaction'

    fedapay_currency_id = fields.Char("FedaPay Currency ID", readonly=True,
        help="The currency id FedaPay gave when the payment was created; "
        "its re-checks give the currency only by this id.")
