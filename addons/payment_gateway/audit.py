"Audit actions of online payments."
from trytond.pool import PoolMeta


class Audit(metaclass=PoolMeta):
    __name__ = 'workshop.audit'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.action.selection.extend([
                ('online_payment', "Online Payment"),
                ('payment_mismatch', "Online Payment Mismatch"),
                ('payment_overpaid', "Online Overpayment"),
                ('online_refund', "Online Refund"),
                ('payment_dispute', "Payment Dispute"),
                ])
