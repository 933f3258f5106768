"""CinetPay settings and provider hooks of `payment.gateway`.

The HTTP side lives in `cinetpay.py`; here the shop's settings are read,
CinetPay's answers are turned into the core's ProviderStatus, and its
error codes into messages a shop understands (GatewayError) or into
GatewayUnavailable (the customer is told to try again, the cron
re-checks). Source of every rule: the CinetPay pages cited in
cinetpay.py.
"""
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval

from trytond.modules.payment_gateway.exceptions import (
    GatewayError, GatewayUnavailable)
from trytond.modules.payment_gateway.gateway import (
    ProviderStatus, secret_field)

from . import cinetpay

KEY = 'cinetpay'
_STATES = {
    'invisible': Eval('provider') != KEY,
    'required': Eval('provider') == KEY,
    }


class Gateway(metaclass=PoolMeta):
    __name__ = 'payment.gateway'

    cinetpay_site_id = fields.Char("CinetPay Site ID", strip=True,
        states=_STATES,
        help="The SITE ID of the service, under Integrations in the "
        "CinetPay back office.")
    cinetpay_apikey = secret_field("CinetPay API Key",
        help="The APIKEY of the merchant account, under Integrations in "
        "the CinetPay back office.")
    cinetpay_secret_key = secret_field("CinetPay Secret Key",
        help="The Secret Key of the service (Integrations): it signs the "
        "notifications (x-token header).")
    cinetpay_channels = fields.Selection([
            ('ALL', "All (mobile money, card, wallets)"),
            ('MOBILE_MONEY', "Mobile money only"),
            ], "CinetPay Channels", states=_STATES,
        help="The payment means the CinetPay page offers.")
    cinetpay_base_url = fields.Char("CinetPay API URL", strip=True,
        states={'invisible': Eval('provider') != KEY},
        help="Leave empty for CinetPay's API (%s). Only for tests."
        % cinetpay.API_URL)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.provider.selection.append((KEY, "CinetPay"))
        for name in ['cinetpay_apikey', 'cinetpay_secret_key']:
            field = getattr(cls, name)
            field.states = {'invisible': Eval('provider') != KEY}
            field.depends = set(field.depends or ()) | {'provider'}

    @classmethod
    def default_cinetpay_channels(cls):
        return 'ALL'

    @property
    def _cinetpay_url(self):
        # CinetPay has one API URL; the test mode is a setting of the
        # service in its back office.
        return (self.cinetpay_base_url or '').strip() or cinetpay.API_URL

    def _cinetpay_credentials(self):
        "Return (apikey, site_id) or raise GatewayError if one is missing."
        apikey = self.get_secret('cinetpay_apikey')
        site_id = (self.cinetpay_site_id or '').strip()
        if not apikey or not site_id:
            raise GatewayError(gettext(
                    'payment_cinetpay.msg_cinetpay_missing_settings',
                    gateway=self.rec_name))
        return apikey, site_id

    def _cinetpay_error(self, exception):
        "Return the GatewayError that explains CinetPayRefused `exception`."
        _, _, message_id = cinetpay.code_info(exception.code)
        message_id = message_id or cinetpay.UNKNOWN_CODE_MESSAGE
        return GatewayError(gettext(
                'payment_cinetpay.%s' % message_id,
                gateway=self.rec_name, code=exception.code,
                message=exception.cinetpay_message or '',
                description=exception.description or ''))

    def _round_amount_cinetpay(self, amount, currency):
        """Return `amount` (Decimal) rounded up to a multiple of 5
        for the franc currencies (see cinetpay.round_amount)."""
        return cinetpay.round_amount(amount, currency.code)

    def _cinetpay_check_amount(self, amount, currency):
        "Raise GatewayError when CinetPay cannot take `amount` `currency`."
        problem = cinetpay.amount_problem(amount, currency.code)
        if problem == 'currency':
            raise GatewayError(gettext(
                    'payment_cinetpay.msg_cinetpay_currency',
                    currency=currency.code,
                    currencies=', '.join(cinetpay.CURRENCIES)))
        elif problem == 'minimum':
            raise GatewayError(gettext(
                    'payment_cinetpay.msg_cinetpay_minimum',
                    amount=amount, currency=currency.code,
                    minimum=cinetpay.MINIMUM[currency.code]))
        elif problem == 'multiple':
            raise GatewayError(gettext(
                    'payment_cinetpay.msg_cinetpay_multiple',
                    amount=amount, currency=currency.code))

    def _start_cinetpay(self, transaction, urls):
        """Initialise a CinetPay payment for `transaction`; return the
        URL of CinetPay's payment page (data.payment_url) and keep its
        payment_token as provider reference.

        Raises GatewayError (settings missing or refused, amount under
        the minimum, currency CinetPay does not take) or
        GatewayUnavailable (CinetPay does not answer)."""
        self._cinetpay_check_amount(transaction.amount, transaction.currency)
        apikey, site_id = self._cinetpay_credentials()
        payload = cinetpay.payment_request(
            apikey, site_id, transaction.reference, transaction.amount,
            transaction.currency.code, transaction.description
            or transaction.reference,
            urls['notify'], urls['return'],
            channels=self.cinetpay_channels or 'ALL',
            customer=transaction.customer, lang='fr',
            metadata=transaction.reference)
        try:
            url, token, _ = cinetpay.initialise(self._cinetpay_url, payload)
        except cinetpay.CinetPayUnavailable as exception:
            raise GatewayUnavailable(gettext(
                    'payment_cinetpay.msg_cinetpay_unavailable',
                    reason=str(exception)))
        except cinetpay.CinetPayRefused as exception:
            raise self._cinetpay_error(exception)
        if token:
            transaction.provider_reference = str(token)[:250]
        return url

    def _check_cinetpay(self, transaction):
        """Ask CinetPay the status of `transaction` (POST
        /v2/payment/check); return a ProviderStatus: 'paid' only for code
        "00" and status ACCEPTED, 'pending' while the customer has not
        validated, 'failed' / 'cancelled' when refused; amount and currency
        as CinetPay states them (the core compares them).

        Raises GatewayError (settings refused) or GatewayUnavailable."""
        apikey, site_id = self._cinetpay_credentials()
        try:
            status, raw = cinetpay.check(self._cinetpay_url, apikey,
                site_id, transaction.reference)
        except cinetpay.CinetPayUnavailable as exception:
            raise GatewayUnavailable(gettext(
                    'payment_cinetpay.msg_cinetpay_unavailable',
                    reason=str(exception)))
        except cinetpay.CinetPayRefused as exception:
            raise self._cinetpay_error(exception)
        reason = None
        if status['state'] in {'failed', 'cancelled', 'pending'}:
            _, _, message_id = cinetpay.code_info(status['code'])
            if message_id:
                reason = gettext('payment_cinetpay.%s' % message_id,
                    gateway=self.rec_name, code=status['code'],
                    message=status['message'] or '', description='')
        return ProviderStatus(
            state=status['state'],
            amount=status['amount'],
            currency=status['currency'],
            provider_reference=status['operator_id'] or None,
            raw=raw,
            reason=reason)
