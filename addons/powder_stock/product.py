"""Reconciliation per powder, on the powder's product template: its stock
in kg, the gaps of its weighings in kg and %, their history and the
reliability score (stockmath.reliability), with the reorder settings of
the powder (lead time, safety stock)."""
from collections import defaultdict

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from . import stockmath
from .box import today

_states = {'invisible': ~Eval('powder')}


class Template(metaclass=PoolMeta):
    __name__ = 'product.template'

    powder_reliability = fields.Float("Reliability", digits=(16, 1),
        readonly=True, states=_states,
        help="0 to 100: how well the stock figures of the powder match "
        "the scale (recomputed at each weighing; empty: never weighed, "
        "counted as 50).")
    powder_lead_time = fields.Integer("Lead Time (days)", states=_states,
        domain=['OR', ('powder_lead_time', '=', None),
            ('powder_lead_time', '>=', 0)],
        help="Days from order to delivery; empty: the supplier's, else "
        "the shop's default.")
    powder_safety_stock = fields.Float("Safety Stock (kg)", digits=(16, 3),
        states=_states,
        domain=['OR', ('powder_safety_stock', '=', None),
            ('powder_safety_stock', '>=', 0)],
        help="Empty: the shop's safety days × the consumption rate.")
    powder_stock_kg = fields.Function(fields.Float("Stock (kg)",
            digits=(16, 3), states=_states,
            help="Theoretical stock in the shop's warehouse."),
        'get_powder_stock')
    powder_box_count = fields.Function(fields.Integer("Boxes in Stock",
            states=_states), 'get_powder_stock')
    powder_weighing_count = fields.Function(fields.Integer("Weighings",
            states=_states), 'get_powder_gaps')
    powder_last_weighed = fields.Function(fields.DateTime("Last Weighed",
            states=_states), 'get_powder_gaps')
    powder_last_gap = fields.Function(fields.Float("Last Gap (kg)",
            digits=(16, 3), states=_states), 'get_powder_gaps')
    powder_last_gap_pct = fields.Function(fields.Float("Last Gap (%)",
            digits=(16, 2), states=_states), 'get_powder_gaps')
    powder_total_gap = fields.Function(fields.Float("Total Gap (kg)",
            digits=(16, 3), states=_states,
            help="Sum of the gaps of all weighings: what the corrections "
            "added to (or took from) the books."), 'get_powder_gaps')
    powder_mean_gap_pct = fields.Function(fields.Float("Mean Gap (%)",
            digits=(16, 2), states=_states,
            help="Mean of the absolute gaps in % of the theoretical "
            "figures."), 'get_powder_gaps')
    powder_weighings = fields.Function(fields.Many2Many('powder.weighing',
            None, None, "Weighing History", states=_states),
        'get_powder_weighings')

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/form/notebook/page[@id="powder_stock"]', 'states', {
                    'invisible': ~Eval('powder'),
                    }),
            ]

    @property
    def powder_reliability_used(self):
        "The reliability score, 50 (the prior) for a powder never weighed."
        if self.powder_reliability is None:
            return stockmath.PRIOR_SCORE
        return self.powder_reliability

    @classmethod
    def get_powder_stock(cls, templates, names):
        """Stock in kg (products_by_location of the shop's warehouse, all
        the template's variants) and the number of boxes in stock."""
        pool = Pool()
        Product = pool.get('product.product')
        Box = pool.get('powder.box')
        result = {n: {t.id: None for t in templates} for n in names}
        by_company = defaultdict(list)
        for template in templates:
            if template.powder and template.powder_company:
                by_company[template.powder_company].append(template)
        for company, group in by_company.items():
            warehouse = company.get_powder_warehouse()
            product_ids = [p.id for t in group for p in t.products]
            if 'powder_stock_kg' in names:
                with Transaction().set_context(company=company.id,
                        stock_date_end=today(company)), \
                        without_check_access():
                    quantities = Product.products_by_location([warehouse.id],
                        with_childs=True, grouping_filter=(product_ids,))
                for template in group:
                    result['powder_stock_kg'][template.id] = round(sum(
                            quantities.get((warehouse.id, p.id), 0)
                            for p in template.products), stockmath.KG_DIGITS)
            if 'powder_box_count' in names:
                counts = defaultdict(int)
                with without_check_access():
                    for box in Box.search([
                                ('product', 'in', product_ids),
                                ('state', 'in', ['sealed', 'opened']),
                                ]):
                        counts[box.product.template.id] += 1
                for template in group:
                    result['powder_box_count'][template.id] = counts[
                        template.id]
        return result

    @classmethod
    def get_powder_gaps(cls, templates, names):
        """Figures of the weighings of each powder: count, last date, last
        gap (kg, %), total gap (kg) and mean absolute gap (%)."""
        Weighing = Pool().get('powder.weighing')
        result = {n: {t.id: None for t in templates} for n in names}
        by_template = defaultdict(list)
        powders = [t.id for t in templates if t.powder]
        with without_check_access():
            for weighing in Weighing.search([
                        ('product.template', 'in', powders),
                        ], order=[('date', 'DESC'), ('id', 'DESC')]):
                by_template[weighing.product.template.id].append(weighing)
        for template in templates:
            weighings = by_template.get(template.id, [])
            pcts = [abs(w.gap_pct) for w in weighings
                if w.gap_pct is not None]
            last = weighings[0] if weighings else None
            values = {
                'powder_weighing_count': len(weighings),
                'powder_last_weighed': last.date if last else None,
                'powder_last_gap': last.gap if last else None,
                'powder_last_gap_pct': last.gap_pct if last else None,
                'powder_total_gap': (round(sum(w.gap for w in weighings),
                        stockmath.KG_DIGITS) if weighings else None),
                'powder_mean_gap_pct': (round(sum(pcts) / len(pcts), 2)
                    if pcts else None),
                }
            for name in names:
                result[name][template.id] = values[name]
        return result

    @classmethod
    def get_powder_weighings(cls, templates, name):
        Weighing = Pool().get('powder.weighing')
        result = {t.id: [] for t in templates}
        with without_check_access():
            for weighing in Weighing.search([
                        ('product.template', 'in',
                            [t.id for t in templates if t.powder]),
                        ], order=[('date', 'DESC'), ('id', 'DESC')]):
                result[weighing.product.template.id].append(weighing.id)
        return result

    @classmethod
    def copy(cls, templates, default=None):
        default = default.copy() if default else {}
        default.setdefault('powder_reliability', None)
        return super().copy(templates, default=default)
