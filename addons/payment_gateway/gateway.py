"""Online payment gateways: one record per shop and provider account.

Provider modules (payment_stripe, payment_cinetpay, payment_fedapay) append
their key to `provider`, add their settings, and implement on this model:

- `_start_<key>(transaction, urls)` → URL of the provider's payment page;
- `_check_<key>(transaction)` → `ProviderStatus` from a server-to-server
  request (the only thing that can make a transaction paid);
- optionally `_refund_<key>(transaction, amount)` → `ProviderStatus` and
  `_round_amount_<key>(amount, currency)` → Decimal.

Secrets (API keys, webhook secrets) are declared with `secret_field`: they
are stored in `payment.gateway.secret`, which no user can read through
RPC, and the gateway form only shows their last four characters.
"""
from collections import namedtuple

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, fields, Unique)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.url import http_host

from .exceptions import GatewayError

ProviderStatus = namedtuple('ProviderStatus', [
        'state', 'amount', 'currency', 'provider_reference', 'raw',
        'reason'], defaults=[None, None, None])
ProviderStatus.__doc__ = """What a provider says of a payment.

state: 'paid', 'pending', 'authorised', 'failed', 'cancelled' or
'refunded'; amount: Decimal in major units (euros, francs CFA) or None;
currency: ISO 4217 code or None; provider_reference: the provider's id;
raw: the provider's answer as text, kept for audit; reason: a message the
shop understands when the payment did not go through."""

MASK = '••••'


def secret_field(string, help=None):
    """Return a field for a secret setting of a gateway (API key, webhook
    signing secret): written like a Char, shown back only as '••••' and
    its last 4 characters, stored in `payment.gateway.secret`."""
    return fields.Function(
        fields.Char(string, help=help, strip=True),
        'get_secret_masked', setter='set_secret')


class Gateway(DeactivableMixin, ModelSQL, ModelView):
    "Payment Gateway"
    __name__ = 'payment.gateway'

    company = fields.Many2One(
        'company.company', "Shop", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    provider = fields.Selection([], "Provider", required=True,
        states={'readonly': Eval('id', -1) >= 0})
    mode = fields.Selection([
            ('sandbox', "Sandbox"),
            ('live', "Live"),
            ], "Mode", required=True)
    payment_method = fields.Many2One(
        'account.invoice.payment.method', "Payment Method", required=True,
        domain=[('company', '=', Eval('company', -1))],
        help="The journal and account the online payments are booked on.")
    expire_hours = fields.Integer("Expire After (hours)", required=True,
        help="A payment attempt still pending after this delay is marked "
        "expired by the re-check cron.")
    webhook_url = fields.Function(
        fields.Char("Webhook URL",
            help="Give this address to the provider for its notifications."),
        'get_webhook_url')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('company')

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_mode(cls):
        return 'sandbox'

    @classmethod
    def default_expire_hours(cls):
        return 48

    def get_webhook_url(self, name):
        if self.id is None or self.id < 0:
            return None
        return '%s/%s/payment/%s/%s' % (
            http_host().rstrip('/'), Transaction().database.name,
            self.provider, self.id)

    # Secrets ---------------------------------------------------------
    @classmethod
    def get_secret_masked(cls, gateways, names):
        values = {(s.gateway.id, s.name): s.value
            for s in cls._secrets(gateways, names)}
        result = {n: {} for n in names}
        for name in names:
            for gateway in gateways:
                value = values.get((gateway.id, name))
                result[name][gateway.id] = (
                    MASK + value[-4:] if value and len(value) > 8
                    else MASK if value else None)
        return result

    @classmethod
    def set_secret(cls, gateways, name, value):
        "Store `value` as the secret `name` of `gateways` (None removes it)."
        Secret = Pool().get('payment.gateway.secret')
        if value is not None and value.startswith(MASK):
            return  # the masked value shown by the form came back unchanged
        with without_check_access():
            Secret.delete(cls._secrets(gateways, [name]))
            if value:
                Secret.create([{
                            'gateway': g.id, 'name': name, 'value': value}
                        for g in gateways])

    @classmethod
    def _secrets(cls, gateways, names):
        Secret = Pool().get('payment.gateway.secret')
        with without_check_access():
            return Secret.search([
                    ('gateway', 'in', [g.id for g in gateways]),
                    ('name', 'in', list(names)),
                    ])

    def get_secret(self, name):
        "Return the clear value (str) of the secret `name`, or None."
        secrets = self._secrets([self], [name])
        return secrets[0].value if secrets else None

    # Provider dispatch -----------------------------------------------
    def _provider_method(self, action):
        method = getattr(self, '_%s_%s' % (action, self.provider), None)
        if method is None:
            raise GatewayError(gettext(
                    'payment_gateway.msg_provider_no_action',
                    gateway=self.rec_name, action=action))
        return method

    def start(self, transaction, urls):
        """Ask the provider for a payment page for `transaction`; return
        its URL. Raises GatewayUnavailable or GatewayError."""
        return self._provider_method('start')(transaction, urls)

    def check(self, transaction):
        """Ask the provider the status of `transaction`; return a
        ProviderStatus. Raises GatewayUnavailable or GatewayError."""
        return self._provider_method('check')(transaction)

    def refund(self, transaction, amount):
        """Ask the provider to refund `amount` (Decimal) of `transaction`;
        return a ProviderStatus. Raises GatewayError when the provider has
        no refund API, GatewayUnavailable when it does not answer."""
        return self._provider_method('refund')(transaction, amount)

    def round_amount(self, amount, currency):
        """Return `amount` rounded for `currency` (no cents for XOF, XAF)
        and for the provider's own rules when it has any."""
        amount = currency.round(amount)
        method = getattr(self, '_round_amount_%s' % self.provider, None)
        if method is not None:
            amount = method(amount, currency)
        return amount


class GatewaySecret(ModelSQL):
    "Payment Gateway Secret"
    __name__ = 'payment.gateway.secret'

    gateway = fields.Many2One(
        'payment.gateway', "Gateway", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    value = fields.Char("Value", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('gateway_name_unique', Unique(t, t.gateway, t.name),
                'payment_gateway.msg_secret_unique'),
            ]
