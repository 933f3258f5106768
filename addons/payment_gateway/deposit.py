"""Deposits on service orders with `sale_advance_payment` terms.

The order's deposit term (default: the shop's) goes on its quote; the
approved quote then produces the deposit invoice first, and the balance
invoice (the quote minus the deposit recalled) once the deposit is paid.
Both are invoices like any other: pay links, counter payments and the
order's payment state (not paid → deposit paid → paid) see them.
"""
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval


class Company(metaclass=PoolMeta):
    __name__ = 'company.company'

    deposit_term = fields.Many2One(
        'sale.advance_payment_term', "Default Deposit Term",
        help="Asked on every new job's quote, e.g. 30 % at order.")


class Order(metaclass=PoolMeta):
    __name__ = 'service.order'

    deposit_term = fields.Many2One(
        'sale.advance_payment_term', "Deposit Term",
        states={'readonly': Eval('sale', None) != None},  # noqa: E711
        help="The deposit the customer pays before the work starts.")

    @fields.depends('company')
    def on_change_company(self):
        try:
            super().on_change_company()
        except AttributeError:
            pass
        if self.company and self.company.deposit_term:
            self.deposit_term = self.company.deposit_term

    @classmethod
    def default_deposit_term(cls):
        pool = Pool()
        Company = pool.get('company.company')
        company = cls.default_company() if hasattr(
            cls, 'default_company') else None
        if company:
            term = Company(company).deposit_term
            return term.id if term else None

    def _get_sale(self):
        sale = super()._get_sale()
        sale.advance_payment_term = self.deposit_term
        return sale

    def _get_billed_invoices(self):
        invoices = super()._get_billed_invoices()
        if self.sale:
            invoices = list(invoices) + [i for i in
                self.sale.advance_payment_invoices if i not in invoices]
        return invoices
