"""What payment_stripe keeps on a payment attempt and in the audit trail:
the Stripe payment intent behind the Checkout Session (charge and dispute
events name it, not the session) and the dispute flag."""
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

from . import stripe_api


class PaymentTransaction(metaclass=PoolMeta):
    __name__ = 'payment.gateway.transaction'

    stripe_payment_intent = fields.Char("Stripe Payment Intent",
        readonly=True,
        states={'invisible': Eval('provider') != 'stripe'},
        help="The id (pi_...) of the Stripe payment intent that paid.")
    disputed = fields.Boolean("Disputed", readonly=True,
        help="The customer disputed the payment with their bank "
        "(a chargeback): answer it in the Stripe dashboard.")
    dispute_reason = fields.Char("Dispute Reason", readonly=True,
        states={'invisible': ~Eval('disputed')})

    @classmethod
    def default_disputed(cls):
        return False

    def stripe_dispute(self, dispute):
        """Record the Stripe dispute `dispute` (dict, a Dispute object:
        https://docs.stripe.com/api/disputes/object) on this transaction:
        flag it and audit it. The payment stays booked: Stripe takes the
        money back only if the shop loses the dispute."""
        Audit = Pool().get('workshop.audit')
        self.disputed = True
        self.dispute_reason = (dispute.get('reason') or '')[:100] or None
        self.save()
        currency = (dispute.get('currency') or '').upper()
        amount = (stripe_api.from_minor(dispute['amount'], currency)
            if dispute.get('amount') is not None and currency else '')
        Audit.log('payment_dispute', [self], description=(
                'Stripe dispute %s on %s: %s, %s %s (%s)' % (
                    dispute.get('id'), self.reference, dispute.get('reason'),
                    amount, currency, dispute.get('status'))))


class Audit(metaclass=PoolMeta):
    __name__ = 'workshop.audit'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        if 'payment_dispute' not in dict(cls.action.selection):
            cls.action.selection.append(
                ('payment_dispute', "Payment Dispute"))
