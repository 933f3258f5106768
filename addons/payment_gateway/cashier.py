"""The pay link on the cashier screen (when the cashier module is active):
a QR code the customer scans with a phone to pay online instead."""
from trytond.model import fields
from trytond.pool import PoolMeta

from .invoice import qr_png


class PayStart(metaclass=PoolMeta):
    __name__ = 'cashier.pay.start'

    pay_url = fields.Char("Pay Online", readonly=True)
    pay_qr = fields.Binary("Pay Online QR Code", readonly=True)


class Pay(metaclass=PoolMeta):
    __name__ = 'cashier.pay'

    def default_start(self, fields):
        """Add the pay link and its QR code (PNG) of the first invoice that
        can be paid online."""
        defaults = super().default_start(fields)
        for invoice in self.get_invoices():
            if invoice.pay_link_printable:
                defaults['pay_url'] = invoice.pay_url
                defaults['pay_qr'] = qr_png(invoice.pay_url)
                break
        return defaults
