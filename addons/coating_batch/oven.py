"""Curing ovens of a shop: inner space, bars or carts, gap and load limit.

The load plan (loadplan.py) packs a batch's parts into successive loads of
one oven; see its docstring for the geometry.
"""
from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.transaction import Transaction

from . import loadplan


class OvenValidationError(ValidationError):
    pass


class Oven(DeactivableMixin, ModelSQL, ModelView):
    "Coating Oven"
    __name__ = 'coating.oven'

    company = fields.Many2One(
        'company.company', "Shop", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    length = fields.Float("Inner Length", digits=(16, 0), required=True,
        help="In mm, along the bars (or the row of carts).")
    width = fields.Float("Inner Width", digits=(16, 0), required=True,
        help="In mm, the depth from the door.")
    height = fields.Float("Inner Height", digits=(16, 0), required=True,
        help="In mm.")
    kind = fields.Selection([
            ('bars', "Hanging Bars"),
            ('carts', "Carts"),
            ], "Loading", required=True)
    supports = fields.Integer("Bars or Carts per Load", required=True,
        help="Hanging bars available for one load, or carts that enter "
        "the oven together.")
    gap = fields.Float("Gap Between Parts", digits=(16, 0), required=True,
        help="In mm, the minimum distance between two parts so that they "
        "never touch.")
    max_weight = fields.Float("Maximum Load", digits=(16, 1),
        help="In kg per load, parts only. Empty: no limit.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('name', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_kind(cls):
        return 'bars'

    @classmethod
    def default_supports(cls):
        return 1

    @classmethod
    def default_gap(cls):
        return 50.

    def to_plan(self):
        "Return the loadplan.Oven of this oven."
        return loadplan.Oven(
            length=self.length or 0, width=self.width or 0,
            height=self.height or 0, kind=self.kind,
            supports=self.supports or 0, gap=self.gap or 0,
            max_weight=self.max_weight or None)

    @classmethod
    def validate_fields(cls, ovens, field_names):
        super().validate_fields(ovens, field_names)
        for oven in ovens:
            oven.check_figures()

    def check_figures(self):
        "Raise OvenValidationError if a figure makes load planning impossible."
        def error(message):
            raise OvenValidationError(gettext(
                    'coating_batch.%s' % message, oven=self.rec_name))
        if min(self.length or 0, self.width or 0, self.height or 0) <= 0:
            error('msg_oven_dimensions')
        if (self.supports or 0) < 1:
            error('msg_oven_supports')
        if (self.gap or 0) < 0:
            error('msg_oven_gap')
        if self.max_weight is not None and self.max_weight <= 0:
            error('msg_oven_weight')
        if self.kind == 'carts' and loadplan.cart_length(self.to_plan()) <= 0:
            error('msg_oven_carts')
