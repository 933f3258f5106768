"""Reorder suggestions: when each powder will run out and what to order.

For every powder of a shop (stockmath.reorder, order point / order-up-to
policy):

- stock: the theoretical kg in the shop's warehouse;
- rate: the kg consumed over the shop's window (the last 60 days by
  default, today included) ÷ the window's days, or ÷ the days since the
  powder's first receipt when it is younger than the window (at least 1;
  stockmath.consumption_rate);
- lead time: the powder's, else its supplier's (purchase module), else the
  shop's default (days);
- safety stock: the powder's kg, else rate × the shop's safety days;
- on order: planned receipts not done yet (and, with purchase_request,
  draft purchase requests);

give the date of running out (today + stock ÷ rate), the latest date to
order (that date − lead time) and, when the projected stock at the end of
the lead time falls below the safety stock, the quantity to order in
whole boxes of the powder's format. The shop's suggestions are computed
again by the daily cron or on demand; those already turned into purchase
requests are kept.
"""
import datetime
import math
from collections import defaultdict

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import StateAction, Wizard

from . import stockmath
from .box import today
from .stock import consumption_by_product, first_receipts, search_rows

STATES = [
    ('suggested', "Suggested"),
    ('requested', "Requested"),
    ]


class Reorder(ModelSQL, ModelView):
    "Powder Reorder Suggestion"
    __name__ = 'powder.reorder'
    __string__ = "Powder Reorder Suggestion"

    company = fields.Many2One('company.company', "Shop", required=True,
        readonly=True)
    date = fields.Date("Computed On", required=True, readonly=True)
    product = fields.Many2One('product.product', "Powder", required=True,
        readonly=True, ondelete='CASCADE',
        context={'company': Eval('company', -1)},
        depends={'company'})
    state = fields.Selection(STATES, "State", required=True, readonly=True)
    stock = fields.Float("Stock (kg)", digits=(16, 3), readonly=True)
    rate = fields.Float("Consumption (kg/day)", digits=(16, 3),
        readonly=True)
    days_left = fields.Float("Days Left", digits=(16, 1), readonly=True)
    run_out_date = fields.Date("Runs Out On", readonly=True)
    order_date = fields.Date("Order By", readonly=True,
        help="The date of running out less the lead time, and at the latest "
        "the day of the suggestion: ordering later means running out or "
        "using the safety stock.")
    lead_time = fields.Integer("Lead Time (days)", readonly=True)
    safety = fields.Float("Safety Stock (kg)", digits=(16, 3),
        readonly=True)
    on_order = fields.Float("On Order (kg)", digits=(16, 3), readonly=True)
    projected = fields.Float("Projected (kg)", digits=(16, 3),
        readonly=True, help="Stock expected at the end of the lead time.")
    quantity = fields.Float("To Order (kg)", digits=(16, 3), readonly=True)
    boxes = fields.Integer("Boxes", readonly=True)
    format = fields.Many2One('coating.powder.format', "Format",
        readonly=True, ondelete='SET NULL')
    supplier = fields.Many2One('party.party', "Supplier", readonly=True,
        ondelete='SET NULL',
        context={'company': Eval('company', -1)},
        depends={'company'})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('order_date', 'ASC NULLS FIRST'), ('id', 'ASC')]

    @classmethod
    def default_state(cls):
        return 'suggested'

    def get_rec_name(self, name):
        return '%s: %s kg' % (self.product.rec_name, self.quantity)

    @classmethod
    def _supplier_infos(cls, company, product_ids):
        """Return {product id: (supplier party, lead time in days)} of the
        powders; {} without the purchase module."""
        return {}

    @classmethod
    def _on_order(cls, company, product_ids):
        """Return {product id: kg} already on the way: receipts planned in
        the shop's warehouse (stock moves from a supplier not done)."""
        pool = Pool()
        Move = pool.get('stock.move')
        warehouse = company.get_powder_warehouse()
        result = defaultdict(float)
        for row in search_rows(Move, [
                    ('company', '=', company.id),
                    ('product', 'in', product_ids),
                    ('state', 'in', ['staging', 'draft', 'assigned']),
                    ('from_location.type', '=', 'supplier'),
                    ('to_location', 'child_of', [warehouse.id], 'parent'),
                    ], ['product', 'internal_quantity']):
            result[row['product']] += row['internal_quantity'] or 0
        return result

    @classmethod
    def compute(cls, company, date=None):
        """Compute again the suggestions of `company` (see the module
        docstring): delete its suggestions not yet requested, create one
        per powder to order, and return them. The records are read with
        `read` and `search_read`: browsing hundreds of powders and
        thousands of boxes is much slower."""
        pool = Pool()
        Product = pool.get('product.product')
        Template = pool.get('product.template')
        Format = pool.get('coating.powder.format')
        Box = pool.get('powder.box')
        date = date or today(company)
        with without_check_access():
            cls.delete(cls.search([
                        ('company', '=', company.id),
                        ('state', '=', 'suggested'),
                        ]))
            products = {p['id']: p['template'] for p in search_rows(
                    Product, [
                        ('template.powder', '=', True),
                        ('template.powder_company', '=', company.id),
                        ('template.type', '=', 'goods'),
                        ], ['template'], order=[('id', 'ASC')])}
            if not products:
                return []
            product_ids = list(products)
            templates = {t['id']: t for t in Template.read(
                    sorted(set(products.values())),
                    ['powder_lead_time', 'powder_safety_stock',
                        'powder_formats'])}
            weights = {f['id']: f['weight'] for f in Format.read(
                    [f for t in templates.values()
                        for f in t['powder_formats']], ['weight'])}
            largest = {t_id: max(t['powder_formats'],
                    key=lambda f: (weights[f], f), default=None)
                for t_id, t in templates.items()}
            last_formats = {}
            for row in search_rows(Box, [
                        ('company', '=', company.id),
                        ('product', 'in', product_ids),
                        ('format', '!=', None),
                        ], ['product', 'format'],
                    order=[('received_date', 'ASC'), ('id', 'ASC')]):
                last_formats[row['product']] = row['format']
            warehouse = company.get_powder_warehouse()
            with Transaction().set_context(company=company.id,
                    stock_date_end=date):
                stocks = Product.products_by_location([warehouse.id],
                    with_childs=True, grouping_filter=(product_ids,))
            window = company.powder_setting('powder_reorder_window')
            used = consumption_by_product(company, product_ids,
                date - datetime.timedelta(days=window - 1), date)
            firsts = first_receipts(company, product_ids)
            on_order = cls._on_order(company, product_ids)
            suppliers = cls._supplier_infos(company, product_ids)
            safety_days = company.powder_setting('powder_safety_days')
            cover = company.powder_setting('powder_cover_days')
            default_lead = company.powder_setting('powder_lead_time')
            rows = []
            for product_id, template_id in products.items():
                template = templates[template_id]
                history = ((date - firsts[product_id]).days
                    if product_id in firsts else None)
                rate = stockmath.consumption_rate(used[product_id], window,
                    history)
                supplier, supplier_lead = suppliers.get(product_id,
                    (None, None))
                lead_time = template['powder_lead_time']
                if lead_time is None:
                    lead_time = supplier_lead
                if lead_time is None:
                    lead_time = default_lead
                safety = template['powder_safety_stock']
                if safety is None:
                    safety = rate * safety_days
                format_ = last_formats.get(product_id) or largest[template_id]
                stock = round(stocks.get((warehouse.id, product_id), 0),
                    stockmath.KG_DIGITS)
                result = stockmath.reorder(stock, rate, lead_time, safety,
                    cover, on_order=on_order.get(product_id, 0),
                    box_weight=weights.get(format_))
                if not result.order:
                    continue
                run_out = (date + datetime.timedelta(
                        days=math.floor(result.days_left))
                    if result.days_left is not None else None)
                rows.append({
                        'company': company.id,
                        'date': date,
                        'product': product_id,
                        'state': 'suggested',
                        'stock': stock,
                        'rate': round(rate, 3),
                        'days_left': (round(result.days_left, 1)
                            if result.days_left is not None else None),
                        'run_out_date': run_out,
                        # A suggestion means "order now": never later than
                        # today, even when the safety stock (not running
                        # out) triggers it; earlier when already late.
                        'order_date': (min(run_out - datetime.timedelta(
                                    days=lead_time), date)
                            if run_out else date),
                        'lead_time': lead_time,
                        'safety': round(safety, stockmath.KG_DIGITS),
                        'on_order': round(on_order.get(product_id, 0),
                            stockmath.KG_DIGITS),
                        'projected': result.projected,
                        'quantity': result.quantity,
                        'boxes': result.boxes,
                        'format': format_,
                        'supplier': supplier.id if supplier else None,
                        })
            return cls.create(rows)

    @classmethod
    def compute_all(cls):
        """Cron: compute the suggestions of the shop the cron runs for
        (Tryton runs it once per company of the cron), or of every shop
        with powders when it runs for none."""
        pool = Pool()
        Template = pool.get('product.template')
        Company = pool.get('company.company')
        company_id = Transaction().context.get('company')
        with without_check_access():
            domain = [('powder', '=', True), ('powder_company', '!=', None)]
            if company_id is not None and company_id >= 0:
                domain.append(('powder_company', '=', company_id))
            companies = {r['powder_company'] for r in search_rows(Template,
                    domain, ['powder_company'])}
            for company in Company.browse(sorted(companies)):
                with Transaction().set_context(company=company.id):
                    cls.compute(company)


class Compute(Wizard):
    """Compute Reorder Suggestions

    Compute again the suggestions of the user's current shop, then open
    them."""
    __name__ = 'powder.reorder.compute'

    start = StateAction('powder_stock.act_reorder')

    def do_start(self, action):
        pool = Pool()
        Reorder = pool.get('powder.reorder')
        Company = pool.get('company.company')
        company_id = Transaction().context.get('company')
        if company_id is not None and company_id >= 0:
            Reorder.compute(Company(company_id))
        return action, {}
