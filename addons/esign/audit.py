"Audit action of electronic signatures."
from trytond.pool import PoolMeta


class Audit(metaclass=PoolMeta):
    __name__ = 'workshop.audit'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.action.selection.append(('quote_signed', "Quote Signed"))
