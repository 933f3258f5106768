"The signing form of the portal's quote page (registered with portal)."
from trytond.pool import PoolMeta


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'
