"""Stripe as a provider of payment_gateway: a pay link opens a Stripe
Checkout Session (https://docs.stripe.com/payments/checkout).

Modelled on upstream `account_payment_stripe` (its use of the `stripe`
library, its webhook dispatch), but not depending on it: a pay link books
the payment on the invoice through the gateway's invoice payment method
(payment_gateway's settlement), not through an `account.payment` of a
payment journal, so none of that module's models would be used.
"""
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from trytond.modules.payment_gateway.exceptions import GatewayError
from trytond.modules.payment_gateway.gateway import (
    ProviderStatus, secret_field)

from . import stripe_api

_STATES = {'invisible': Eval('provider') != 'stripe'}


class Gateway(metaclass=PoolMeta):
    __name__ = 'payment.gateway'

    stripe_secret_key = secret_field("Secret Key",
        help="The Stripe secret key (sk_live_... or sk_test_...) of the "
        "shop's Stripe account.")
    stripe_webhook_secret = secret_field("Webhook Signing Secret",
        help="The signing secret (whsec_...) of the Stripe webhook "
        "endpoint set to this gateway's webhook URL. Without it every "
        "notification is refused.")
    stripe_base_url = fields.Char("API Base URL", states=_STATES,
        help="Leave empty for https://api.stripe.com (tests only).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        if ('stripe', "Stripe") not in cls.provider.selection:
            cls.provider.selection.append(('stripe', "Stripe"))
        for name in ['stripe_secret_key', 'stripe_webhook_secret']:
            field = getattr(cls, name)
            field.states = _STATES
            field.depends = field.depends | {'provider'}
        cls.stripe_base_url.depends = (
            cls.stripe_base_url.depends | {'provider'})

    # Helpers -------------------------------------------------------------
    def _stripe_client(self):
        """Return a StripeClient with this gateway's secret key.
        Raises GatewayError when the key is not set."""
        key = self.get_secret('stripe_secret_key')
        if not key:
            raise GatewayError(gettext(
                    'payment_stripe.msg_no_secret_key', gateway=self.rec_name))
        return stripe_api.client(key, self.stripe_base_url or None)

    def _stripe_metadata(self, transaction):
        """Return the metadata put on the session and its payment intent:
        shop (company id), invoice (number), transaction (our reference),
        database (name), all str."""
        return {
            'shop': str(self.company.id),
            'invoice': transaction.invoice.number or '',
            'transaction': transaction.reference,
            'database': Transaction().database.name,
            }

    def _stripe_session_params(self, transaction, urls):
        try:
            return stripe_api.checkout_params(
                transaction.reference, transaction.amount,
                transaction.currency.code,
                transaction.description or transaction.reference, urls,
                email=transaction.customer.get('email') or None,
                metadata=self._stripe_metadata(transaction))
        except ValueError:
            raise GatewayError(gettext(
                    'payment_stripe.msg_amount_decimals',
                    amount=transaction.amount,
                    currency=transaction.currency.code))

    @staticmethod
    def _stripe_idempotency_key(transaction):
        return 'atelier-session-%s' % transaction.reference

    # Provider hooks --------------------------------------------------------
    def _round_amount_stripe(self, amount, currency):
        "Three-decimal currencies in multiples of 10 thousandths."
        return stripe_api.round_amount(amount, currency.code)

    def _start_stripe(self, transaction, urls):
        """Create a Checkout Session (mode payment, one line of the
        transaction's amount in the currency's minor units) and return its
        URL; the session id becomes the provider reference.

        The request is idempotent on the transaction's reference, so a
        check can find a session whose creation answer was lost.
        Source: https://docs.stripe.com/api/checkout/sessions/create
        Raises GatewayUnavailable, GatewayError.
        """
        client = self._stripe_client()
        params = self._stripe_session_params(transaction, urls)
        with stripe_api.errors('the payment page'):
            session = stripe_api.plain(client.v1.checkout.sessions.create(
                    params, {'idempotency_key':
                        self._stripe_idempotency_key(transaction)}))
            transaction.provider_reference = session['id']
            return session['url']

    def _stripe_session(self, client, transaction):
        """Return the transaction's Checkout Session. When the transaction
        has no session id (its creation timed out or failed), replay the
        idempotent creation: Stripe answers the session created then, or
        creates one now, which is expired at once since the customer never
        saw it (https://docs.stripe.com/api/idempotent_requests,
        https://docs.stripe.com/api/checkout/sessions/expire)."""
        if transaction.provider_reference:
            return stripe_api.plain(client.v1.checkout.sessions.retrieve(
                    transaction.provider_reference))
        urls = transaction.get_urls()
        session = stripe_api.plain(client.v1.checkout.sessions.create(
                self._stripe_session_params(transaction, urls),
                {'idempotency_key':
                    self._stripe_idempotency_key(transaction)}))
        transaction.provider_reference = session['id']
        # A replay answers the first response as it was: read it afresh
        session = stripe_api.plain(
            client.v1.checkout.sessions.retrieve(session['id']))
        if session.get('status') == 'open':
            session = stripe_api.plain(
                client.v1.checkout.sessions.expire(session['id']))
        return session

    def _check_stripe(self, transaction):
        """Retrieve the transaction's Checkout Session and return its
        ProviderStatus (see stripe_api.session_status): paid with
        amount_total and currency; pending while open or processing;
        cancelled when expired; failed when an asynchronous payment
        failed. For a transaction already paid, the payment intent's
        latest charge tells whether it was refunded (amount_refunded).
        Source: https://docs.stripe.com/api/checkout/sessions/retrieve,
        https://docs.stripe.com/api/payment_intents/object
        Raises GatewayUnavailable, GatewayError.
        """
        client = self._stripe_client()
        with stripe_api.errors('the payment status'):
            session = self._stripe_session(client, transaction)
            raws = [stripe_api.raw(session)]
            intent, refunded = None, None
            intent_id = session.get('payment_intent')
            paid = session.get('payment_status') in {
                'paid', 'no_payment_required'}
            unpaid_complete = (
                session.get('status') == 'complete' and not paid)
            if intent_id and (unpaid_complete or (
                        paid and transaction.state == 'paid')):
                intent = stripe_api.plain(client.v1.payment_intents.retrieve(
                        intent_id, {'expand': ['latest_charge']}))
                raws.append(stripe_api.raw(intent))
                charge = intent.get('latest_charge')
                if isinstance(charge, dict):
                    refunded = charge['amount_refunded']
            if intent_id and not transaction.stripe_payment_intent:
                transaction.stripe_payment_intent = intent_id
            state, amount, currency, reason = stripe_api.session_status(
                session, intent, refunded)
        return ProviderStatus(state, amount, currency,
            provider_reference=session['id'], raw='\n'.join(raws),
            reason=reason)

    def _refund_stripe(self, transaction, amount):
        """Refund `amount` (Decimal, major units) of the transaction's
        payment intent; return the refund's ProviderStatus ('refunded'
        when Stripe says succeeded, 'pending', or 'failed' with a reason).
        Idempotent per transaction and amount, so a retried click does not
        refund twice. Source: https://docs.stripe.com/api/refunds/create
        Raises GatewayUnavailable, GatewayError.
        """
        client = self._stripe_client()
        code = transaction.currency.code
        with stripe_api.errors('the refund'):
            intent_id = transaction.stripe_payment_intent
            if not intent_id:
                session = self._stripe_session(client, transaction)
                intent_id = session.get('payment_intent')
            if not intent_id:
                raise GatewayError(gettext(
                        'payment_stripe.msg_refund_no_payment',
                        reference=transaction.reference))
            minor = stripe_api.to_minor(amount, code)
            refund = stripe_api.plain(client.v1.refunds.create({
                    'payment_intent': intent_id,
                    'amount': minor,
                    'metadata': self._stripe_metadata(transaction),
                    }, {'idempotency_key': 'atelier-refund-%s-%s' % (
                        transaction.reference, minor)}))
            state = stripe_api.refund_state(refund)
            return ProviderStatus(state,
                stripe_api.from_minor(refund['amount'], code),
                (refund.get('currency') or '').upper(),
                provider_reference=refund['id'], raw=stripe_api.raw(refund),
                reason=(gettext('payment_stripe.msg_refund_refused',
                        status=refund.get('status'))
                    if state == 'failed' else None))
