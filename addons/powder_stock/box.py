"""Powder boxes: the unit the powder is stocked, weighed and counted in.

A box is one carton (or bag) of one powder of the shop's catalogue, in one
of its formats (coating.powder.format): its capacity (the net kg of a full
box) and its tare (the empty carton) are copied from the format when it is
received, so that a later change of the catalogue leaves the boxes already
on the shelves alone. Each box is one stock lot (stock.lot, numbered with
the box's label code) and its stock is what Tryton's stock moves of the
lot say: the theoretical figure.

Receiving a box creates it, its lot and its receipt move (supplier →
storage, done). A box is sealed, then opened (by hand, or automatically
when a job needs its powder and no box of it is open), then emptied; an
emptied box is never weighed or drawn from again.
"""
import datetime
from collections import defaultdict
from decimal import Decimal

from sql.aggregate import Sum
from sql.conditionals import Case, Coalesce

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, Workflow, fields
from trytond.model.exceptions import AccessError
from trytond.modules.product import price_digits
from trytond.pool import Pool
from trytond.pyson import Eval, PYSONEncoder
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)

from . import stockmath
from .stock import consumption_location, kilogram, search_rows

STATES = [
    ('sealed', "Sealed"),
    ('opened', "Opened"),
    ('emptied', "Emptied"),
    ]
IN_STOCK = ('sealed', 'opened')


def today(company=None):
    "Return today's date in the timezone of `company` (or the context's)."
    Date = Pool().get('ir.date')
    company = getattr(company, 'id', company)
    if company is None:
        return Date.today()
    with Transaction().set_context(company=company):
        return Date.today()


class Box(Workflow, ModelSQL, ModelView):
    "Powder Box"
    __name__ = 'powder.box'
    __string__ = "Powder Box"
    _rec_name = 'code'

    _received = {'readonly': Eval('id', -1) >= 0}

    company = fields.Many2One('company.company', "Shop", required=True,
        states=_received)
    code = fields.Char("Label Code", readonly=True,
        help="Printed on the box label (QR code): scan it to weigh the "
        "box. Also the number of the box's stock lot.")
    product = fields.Many2One('product.product', "Powder", required=True,
        domain=[
            ('template.powder', '=', True),
            ('template.powder_company', '=', Eval('company', -1)),
            ('template.type', '=', 'goods'),
            ],
        context={'company': Eval('company', -1)}, depends={'company'},
        states=_received)
    template = fields.Function(fields.Many2One('product.template',
            "Powder Template", context={'company': Eval('company', -1)},
            depends={'company'}), 'on_change_with_template',
        searcher='search_template')
    format = fields.Many2One('coating.powder.format', "Format",
        domain=[('template', '=', Eval('template', -1))],
        states=_received,
        help="The box format of the catalogue; its weight and tare are "
        "copied to the box when it is received.")
    capacity = fields.Float("Capacity (kg)", digits=(16, 3), required=True,
        domain=[('capacity', '>', 0)], states=_received,
        help="Net powder of the box when full, in kg.")
    tare = fields.Float("Tare (kg)", digits=(16, 3), required=True,
        domain=[('tare', '>=', 0)],
        states={'readonly': Eval('state') == 'emptied'},
        help="Weight of the empty box in kg: subtracted from the gross "
        "weight on the scale.")
    unit_cost = fields.Numeric("Cost per kg", digits=price_digits,
        states=_received, domain=['OR', ('unit_cost', '=', None),
            ('unit_cost', '>=', 0)],
        help="Purchase price of the powder per kg; empty: the powder's "
        "cost price.")
    received_date = fields.Date("Received", required=True,
        states=_received)
    lot = fields.Many2One('stock.lot', "Lot", readonly=True,
        ondelete='RESTRICT')
    warehouse = fields.Many2One('stock.location', "Warehouse", readonly=True,
        domain=[('type', '=', 'warehouse')], ondelete='RESTRICT')
    location = fields.Many2One('stock.location', "Location", readonly=True,
        domain=[('type', '=', 'storage')], ondelete='RESTRICT')
    state = fields.Selection(STATES, "State", readonly=True, required=True,
        sort=False)
    opened_at = fields.DateTime("Opened At", readonly=True)
    emptied_at = fields.DateTime("Emptied At", readonly=True)
    last_weighing = fields.Many2One('powder.weighing', "Last Weighing",
        readonly=True, ondelete='SET NULL')
    last_weighed_at = fields.DateTime("Last Weighed", readonly=True)
    use_mark = fields.Integer("Use Mark", readonly=True,
        help="The last stock move of the box's lot at its last weighing "
        "(or its receipt): later consumption moves are its use since.")
    weighings = fields.One2Many('powder.weighing', 'box', "Weighings",
        readonly=True, order=[('date', 'DESC'), ('id', 'DESC')])
    theoretical = fields.Function(fields.Float("Theoretical (kg)",
            digits=(16, 3),
            help="Powder left according to the stock moves of the box."),
        'get_theoretical')
    use_since_weighing = fields.Function(fields.Float(
            "Used Since Weighing (kg)", digits=(16, 3),
            help="Powder taken by jobs since the last weighing (or the "
            "receipt)."),
        'get_use_since_weighing')
    reliability = fields.Function(fields.Float("Reliability", digits=(16, 1),
            help="The reliability score of the powder, 0 to 100."),
        'get_reliability')
    moves = fields.Function(fields.Many2Many('stock.move', None, None,
            "Stock Moves"), 'get_moves')

    del _received

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_uniq', Unique(t, t.company, t.code),
                'powder_stock.msg_box_code_unique'),
            ]
        cls._order = [('received_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('sealed', 'opened'),
            ('sealed', 'emptied'),
            ('opened', 'emptied'),
            }
        cls._buttons.update({
                'open_': {
                    'invisible': Eval('state') != 'sealed',
                    'depends': ['state'],
                    },
                'empty': {
                    'invisible': ~Eval('state').in_(list(IN_STOCK)),
                    'depends': ['state'],
                    },
                'weigh': {
                    'invisible': ~Eval('state').in_(list(IN_STOCK)),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'sealed'

    @classmethod
    def default_received_date(cls):
        return today()

    @classmethod
    def default_tare(cls):
        return 0.

    @fields.depends('product')
    def on_change_with_template(self, name=None):
        return self.product.template if self.product else None

    @classmethod
    def search_template(cls, name, clause):
        return [('product.template' + clause[0][len(name):], *clause[1:])]

    @fields.depends('format', 'capacity', 'tare')
    def on_change_format(self):
        if self.format:
            self.capacity = self.format.weight
            self.tare = self.format.tare

    @fields.depends('product', 'format', 'capacity', 'tare',
        methods=['on_change_format'])
    def on_change_product(self):
        if self.product and (not self.format
                or self.format.template != self.product.template):
            formats = self.product.template.powder_formats
            self.format = formats[-1] if formats else None
            self.on_change_format()

    def get_rec_name(self, name):
        if self.product:
            return '%s (%s)' % (self.code, self.product.rec_name)
        return self.code

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        return [bool_op,
            ('code', operator, value),
            ('product.rec_name', operator, value),
            ]

    # -- figures ----------------------------------------------------------

    #: Fields of a box the figures read (with `read`: browsing thousands of
    #: boxes and their many2one is much slower).
    _figure_fields = ['company', 'warehouse', 'product', 'lot']

    @classmethod
    def theoretical_quantities(cls, boxes):
        """Return {box id: kg}: what the stock moves of each box's lot say
        is left in its warehouse today (Product.products_by_location of the
        stock module, grouped by product and lot), rounded to 10 g. boxes:
        powder.box records or ids."""
        with without_check_access():
            rows = cls.read([int(b) for b in boxes], cls._figure_fields)
        return cls._theoretical(rows)

    @classmethod
    def _theoretical(cls, rows):
        "theoretical_quantities of box rows (dicts of _figure_fields)."
        Product = Pool().get('product.product')
        groups = defaultdict(list)
        for row in rows:
            if row['lot'] and row['warehouse']:
                groups[(row['company'], row['warehouse'])].append(row)
        result = {r['id']: 0. for r in rows}
        for (company, warehouse), group in groups.items():
            with Transaction().set_context(company=company,
                    stock_date_end=today(company)), without_check_access():
                quantities = Product.products_by_location([warehouse],
                    with_childs=True, grouping=('product', 'lot'),
                    grouping_filter=(
                        sorted({r['product'] for r in group}),
                        [r['lot'] for r in group]))
            for row in group:
                result[row['id']] = round(quantities.get(
                        (warehouse, row['product'], row['lot']), 0),
                    stockmath.KG_DIGITS)
        return result

    @classmethod
    def get_theoretical(cls, boxes, name):
        return cls.theoretical_quantities(boxes)

    @classmethod
    def uses_since_weighing(cls, boxes):
        """Return {box id: kg} taken by jobs from each box since its last
        weighing (its receipt if never weighed): consumption moves of its
        lot after its use mark (move ids grow with time, unlike timestamps
        that are the same for a whole transaction), less the powder given
        back."""
        pool = Pool()
        Move = pool.get('stock.move')
        move = Move.__table__()
        box = cls.__table__()
        cursor = Transaction().connection.cursor()
        consumption = consumption_location().id
        result = {int(b): 0. for b in boxes}
        if not boxes:
            return result
        cursor.execute(*move.join(box,
                condition=move.lot == box.lot
                ).select(box.id,
                Sum(Case((move.to_location == consumption,
                            move.internal_quantity),
                        else_=-move.internal_quantity)),
                where=fields.SQL_OPERATORS['in'](box.id, list(result))
                & (move.state == 'done')
                & ((move.to_location == consumption)
                    | (move.from_location == consumption))
                & (move.id > Coalesce(box.use_mark, 0)),
                group_by=[box.id]))
        for box_id, quantity in cursor:
            result[box_id] = round(quantity or 0, stockmath.KG_DIGITS)
        return result

    @classmethod
    def get_use_since_weighing(cls, boxes, name):
        return cls.uses_since_weighing(boxes)

    def get_reliability(self, name):
        return self.product.template.powder_reliability_used

    @classmethod
    def get_moves(cls, boxes, name):
        Move = Pool().get('stock.move')
        result = {b.id: [] for b in boxes}
        lots = {b.lot.id: b.id for b in boxes if b.lot}
        if lots:
            for move in Move.search([
                        ('lot', 'in', list(lots)),
                        ('company', 'in', list({b.company.id for b in boxes})),
                        ],
                    order=[('effective_date', 'DESC'), ('id', 'DESC')]):
                result[lots[move.lot.id]].append(move.id)
        return result

    # -- receipt ----------------------------------------------------------

    @classmethod
    def _new_code(cls, company_id):
        "Return the next label code of the shop's box sequence."
        pool = Pool()
        Sequence = pool.get('ir.sequence')
        ModelData = pool.get('ir.model.data')
        type_id = ModelData.get_id('powder_stock', 'sequence_type_box')
        with Transaction().set_context(_check_access=False):
            sequences = Sequence.search([
                    ('sequence_type', '=', type_id),
                    ('company', '=', company_id),
                    ], limit=1)
            if not sequences:
                sequences = Sequence.create([{
                            'name': "Powder Boxes",
                            'sequence_type': type_id,
                            'company': company_id,
                            'prefix': 'BOX-',
                            'padding': 5,
                            }])
            return sequences[0].get()

    @classmethod
    def create(cls, vlist):
        """Receive the boxes: give each its label code, its lot (numbered
        with the code), the shop's warehouse and storage location and its
        format's capacity and tare when not given, then its receipt move
        (supplier → storage, done, at the cost per kg) and an audit row."""
        pool = Pool()
        Company = pool.get('company.company')
        Lot = pool.get('stock.lot')
        Format = pool.get('coating.powder.format')
        vlist = [v.copy() for v in vlist]
        lots = []
        for values in vlist:
            values.setdefault('company', cls.default_company())
            values['state'] = 'sealed'
            company = Company(values['company'])
            if not values.get('code'):
                values['code'] = cls._new_code(company.id)
            if values.get('format'):
                format_ = Format(values['format'])
                values.setdefault('capacity', format_.weight)
                values.setdefault('tare', format_.tare)
            warehouse = company.get_powder_warehouse()
            values['warehouse'] = warehouse.id
            values.setdefault('location', warehouse.storage_location.id)
            lots.append({'number': values['code'],
                    'product': values.get('product')})
        with without_check_access():
            lots = Lot.create(lots)
        for values, lot in zip(vlist, lots):
            values['lot'] = lot.id
        boxes = super().create(vlist)
        cls._receive(boxes)
        return boxes

    @classmethod
    def _receive(cls, boxes):
        "Create and do the receipt moves of `boxes`; audit them."
        pool = Pool()
        Move = pool.get('stock.move')
        Audit = pool.get('workshop.audit')
        ModelData = pool.get('ir.model.data')
        Location = pool.get('stock.location')
        supplier = Location(ModelData.get_id('stock', 'location_supplier'))
        moves = []
        for box in boxes:
            unit_cost = box.unit_cost
            if unit_cost is None:
                with Transaction().set_context(company=box.company.id):
                    unit_cost = box.product.cost_price or Decimal(0)
            moves.append(cls._move(box.company, box.product, box.capacity,
                    supplier, box.location, box.lot, box, box.received_date,
                    unit_price=unit_cost))
        pairs = [(b, m) for b, m in zip(boxes, moves) if m]
        with without_check_access():
            Move.save([m for _, m in pairs])
            Move.do([m for _, m in pairs])
            for box, move in pairs:
                box.use_mark = move.id
            cls.save([b for b, _ in pairs])
        Audit.log_entries('powder_receipt', [(b, gettext(
                        'powder_stock.msg_audit_receipt',
                        powder=b.product.rec_name, capacity=b.capacity,
                        tare=b.tare)) for b in boxes])

    @staticmethod
    def _move(company, product, quantity, from_location, to_location, lot,
            origin, date, unit_price=None):
        """Return an unsaved stock.move of `quantity` kg, rounded to the
        kilogram unit's rounding (10 g), or None when that rounds to 0."""
        Move = Pool().get('stock.move')
        unit = kilogram()
        quantity = unit.round(quantity)
        if not quantity:
            return None
        return Move(company=company, product=product, unit=unit,
            quantity=quantity,
            from_location=from_location, to_location=to_location,
            lot=lot, origin=origin, planned_date=date, effective_date=date,
            unit_price=unit_price,
            currency=company.currency if unit_price is not None else None)

    @classmethod
    def receive(cls, company, product, count, format_=None, capacity=None,
            tare=None, unit_cost=None, date=None):
        """Receive `count` boxes of `product` (a powder of `company`) in
        format `format_` (or of `capacity` and `tare` kg) and return them
        (see `create`)."""
        values = {
            'company': getattr(company, 'id', company),
            'product': getattr(product, 'id', product),
            'received_date': date or today(company),
            'unit_cost': unit_cost,
            }
        if format_:
            values['format'] = getattr(format_, 'id', format_)
        if capacity is not None:
            values['capacity'] = capacity
        if tare is not None:
            values['tare'] = tare
        return cls.create([values.copy() for _ in range(count)])

    @classmethod
    def copy(cls, boxes, default=None):
        """Copying a box receives another box like it, today: a new code,
        lot and receipt move (see `create`), sealed, never weighed."""
        default = default.copy() if default else {}
        for name in ['code', 'lot', 'warehouse', 'location', 'opened_at',
                'emptied_at', 'last_weighing', 'last_weighed_at',
                'use_mark', 'weighings']:
            default.setdefault(name, None)
        default.setdefault('state', 'sealed')
        default.setdefault('received_date', today())
        return super().copy(boxes, default=default)

    @classmethod
    def delete(cls, boxes):
        if boxes:
            raise AccessError(gettext('powder_stock.msg_box_delete',
                    box=boxes[0].rec_name))
        super().delete(boxes)

    # -- workflow ---------------------------------------------------------

    @classmethod
    @ModelView.button
    @Workflow.transition('opened')
    def open_(cls, boxes):
        "Mark the boxes opened (audited)."
        cls._open(boxes)

    @classmethod
    def _open(cls, boxes, origin=None):
        Audit = Pool().get('workshop.audit')
        cls.write(boxes, {'opened_at': datetime.datetime.now()})
        Audit.log_entries('powder_box_open', [(b, gettext(
                        'powder_stock.msg_audit_open_auto',
                        origin=origin.rec_name) if origin else '')
                for b in boxes])

    @classmethod
    @ModelView.button
    @Workflow.transition('emptied')
    def empty(cls, boxes):
        """Mark the boxes emptied: the powder the books still give them goes
        to lost and found, recorded as a weighing at 0 kg (see
        powder.weighing.record) so that the reliability learns from it."""
        pool = Pool()
        Weighing = pool.get('powder.weighing')
        Audit = pool.get('workshop.audit')
        entries = []
        for box in boxes:
            weighing = Weighing.record(box, None, kind='emptied')
            entries.append((box, gettext('powder_stock.msg_audit_empty',
                        theoretical=weighing.theoretical)))
        cls.write(boxes, {'emptied_at': datetime.datetime.now()})
        Audit.log_entries('powder_box_empty', entries)

    @classmethod
    @ModelView.button_action('powder_stock.wizard_weigh')
    def weigh(cls, boxes):
        "Open the weighing wizard of the box."
        pass

    # -- consumption ------------------------------------------------------

    @classmethod
    def consume(cls, company, product, quantity, origin):
        """Take `quantity` kg of `product` out of the shop's stock for
        `origin` (a coating job) and return the stock moves (done).

        The powder comes out of the opened boxes of the powder, the first
        opened first, each giving what the books say it holds, the last one
        the rest (stockmath.allocate); with no opened box the oldest sealed
        one is opened (audited, naming the job). With no box at all, one
        move without lot takes it from the warehouse: the stock of the
        powder goes below zero and the reorder suggestions see it."""
        Move = Pool().get('stock.move')
        if quantity <= 0:
            return []
        boxes = cls.search([
                ('company', '=', company.id),
                ('product', '=', product.id),
                ('state', '=', 'opened'),
                ], order=[('opened_at', 'ASC'), ('id', 'ASC')])
        if not boxes:
            sealed = cls.search([
                    ('company', '=', company.id),
                    ('product', '=', product.id),
                    ('state', '=', 'sealed'),
                    ], order=[('received_date', 'ASC'), ('id', 'ASC')],
                limit=1)
            if sealed:
                cls.write(sealed, {'state': 'opened'})
                cls._open(sealed, origin=origin)
                boxes = sealed
        date = today(company)
        to_location = consumption_location()
        moves = []
        if boxes:
            cls.lock(boxes)
            available = cls.theoretical_quantities(boxes)
            by_id = {b.id: b for b in boxes}
            for box_id, kg in stockmath.allocate(quantity,
                    [(b.id, available[b.id]) for b in boxes]):
                box = by_id[box_id]
                moves.append(cls._move(company, product, kg, box.location,
                        to_location, box.lot, origin, date))
        else:
            warehouse = company.get_powder_warehouse()
            moves.append(cls._move(company, product, quantity,
                    warehouse.storage_location, to_location, None, origin,
                    date))
        moves = [m for m in moves if m]
        with without_check_access():
            Move.save(moves)
            Move.do(moves)
        return moves

    @classmethod
    def give_back(cls, company, product, quantity, origin, taken):
        """Return `quantity` kg of `product` from consumption into the boxes
        `origin` took it from (taken: [(box, kg)] in the order taken; the
        latest first, emptied boxes left out: their correction already set
        them right) and return the moves (done), valued at the powder's
        cost price."""
        Move = Pool().get('stock.move')
        open_boxes = [(b, kg) for b, kg in taken if b.state in IN_STOCK]
        by_id = {b.id: b for b, _ in open_boxes}
        date = today(company)
        from_location = consumption_location()
        with Transaction().set_context(company=company.id):
            cost = product.cost_price or Decimal(0)
        moves = []
        for box_id, kg in stockmath.give_back(quantity,
                [(b.id, kg) for b, kg in open_boxes]):
            box = by_id[box_id]
            moves.append(cls._move(company, product, kg, from_location,
                    box.location, box.lot, origin, date, unit_price=cost))
        moves = [m for m in moves if m]
        with without_check_access():
            Move.save(moves)
            Move.do(moves)
        return moves

    # -- daily list ---------------------------------------------------------

    @classmethod
    def candidates(cls, company, date=None):
        """Return the stockmath.Candidate of every box of `company` in
        stock (sealed or opened), for the daily list: use since the last
        weighing (kg), value at risk = theoretical kg × price per kg (see
        powder_prices; 0 for a sealed box), the powder's reliability, the
        age in days (since the last weighing, else the receipt) and the
        theoretical kg."""
        pool = Pool()
        Product = pool.get('product.product')
        Template = pool.get('product.template')
        date = date or today(company)
        rows = search_rows(cls, [
                ('company', '=', company.id),
                ('state', 'in', list(IN_STOCK)),
                ], cls._figure_fields
            + ['state', 'last_weighed_at', 'received_date'],
            order=[('id', 'ASC')])
        theoretical = cls._theoretical(rows)
        uses = cls.uses_since_weighing([r['id'] for r in rows])
        products = {p['id']: p['template'] for p in Product.read(
                sorted({r['product'] for r in rows}), ['template'])}
        reliabilities = {t['id']: (t['powder_reliability']
                if t['powder_reliability'] is not None
                else stockmath.PRIOR_SCORE)
            for t in Template.read(sorted(set(products.values())),
                ['powder_reliability'])}
        prices = cls.powder_prices(company, products)
        candidates = []
        for row in rows:
            since = (row['last_weighed_at'].date()
                if row['last_weighed_at'] else row['received_date'])
            opened = row['state'] == 'opened'
            candidates.append(stockmath.Candidate(
                    id=row['id'],
                    opened=opened,
                    use=uses[row['id']],
                    value=(max(theoretical[row['id']], 0)
                        * prices[row['product']] if opened else 0.),
                    reliability=reliabilities[products[row['product']]],
                    age=max((date - since).days, 0),
                    theoretical=theoretical[row['id']]))
        return candidates

    @classmethod
    def powder_prices(cls, company, products):
        """Return {product id: price per kg as float} of the powders of
        `company` (products: {product id: template id}): the cost price,
        else the list price of the variant, else of the template (coating's
        price per kg), else 0."""
        pool = Pool()
        CostPrice = pool.get('product.cost_price')
        ListPrice = pool.get('product.list_price')
        costs, variant_prices, template_prices = {}, {}, {}
        for row in search_rows(CostPrice, [
                    ('company', '=', company.id),
                    ('product', 'in', list(products)),
                    ], ['product', 'cost_price']):
            costs[row['product']] = row['cost_price']
        for row in search_rows(ListPrice, [
                    ('company', '=', company.id),
                    ('template', 'in', sorted(set(products.values()))),
                    ], ['template', 'product', 'list_price']):
            if row['product']:
                variant_prices[row['product']] = row['list_price']
            else:
                template_prices[row['template']] = row['list_price']
        return {p: float(costs.get(p) or variant_prices.get(p)
                or template_prices.get(t) or 0)
            for p, t in products.items()}


class WeighStart(ModelView):
    "Weigh a Powder Box"
    __name__ = 'powder.box.weigh.start'
    __string__ = "Weigh a Powder Box"

    box = fields.Many2One('powder.box', "Box", required=True, readonly=True)
    tare = fields.Float("Tare (kg)", digits=(16, 3), readonly=True)
    capacity = fields.Float("Capacity (kg)", digits=(16, 3), readonly=True)
    gross = fields.Float("Gross Weight (kg)", digits=(16, 3), required=True,
        help="What the scale shows with the box on it, lid included.")


class WeighResult(ModelView):
    "Weighing of a Powder Box"
    __name__ = 'powder.box.weigh.result'
    __string__ = "Weighing of a Powder Box"

    weighing = fields.Many2One('powder.weighing', "Weighing", readonly=True)
    box = fields.Many2One('powder.box', "Box", readonly=True)
    net = fields.Float("Net (kg)", digits=(16, 3), readonly=True)
    theoretical = fields.Float("Theoretical (kg)", digits=(16, 3),
        readonly=True)
    gap = fields.Float("Gap (kg)", digits=(16, 3), readonly=True)
    gap_pct = fields.Float("Gap (%)", digits=(16, 2), readonly=True)
    reliability = fields.Float("Reliability", digits=(16, 1), readonly=True)


class Weigh(Wizard):
    """Weigh a Powder Box

    From a box, or a line of the daily list or of a counting session: type
    the gross weight, see the net weight, the theoretical figure, the gap
    and the powder's new reliability score. The theoretical figure is shown
    only once the weighing is recorded, so that it cannot bias the reading.
    """
    __name__ = 'powder.box.weigh'

    start = StateView('powder.box.weigh.start',
        'powder_stock.box_weigh_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Record", 'save_weighing', 'tryton-ok', default=True),
            ])
    save_weighing = StateTransition()
    result = StateView('powder.box.weigh.result',
        'powder_stock.box_weigh_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def _box(self):
        record = self.record
        if self.model.__name__ == 'powder.box':
            return record
        return getattr(record, 'box', None)

    def default_start(self, fields):
        box = self._box()
        if not box:
            return {}
        return {'box': box.id, 'tare': box.tare, 'capacity': box.capacity}

    def transition_save_weighing(self):
        Weighing = Pool().get('powder.weighing')
        self.result.weighing = Weighing.record(self.start.box,
            self.start.gross)
        return 'result'

    def default_result(self, fields):
        weighing = self.result.weighing
        return {
            'weighing': weighing.id,
            'box': weighing.box.id,
            'net': weighing.net,
            'theoretical': weighing.theoretical,
            'gap': weighing.gap,
            'gap_pct': weighing.gap_pct,
            'reliability': weighing.reliability_after,
            }

    def end(self):
        return 'reload'


class ReceiveStart(ModelView):
    "Receive Powder Boxes"
    __name__ = 'powder.box.receive.start'
    __string__ = "Receive Powder Boxes"

    company = fields.Many2One('company.company', "Shop", required=True,
        readonly=True)
    product = fields.Many2One('product.product', "Powder", required=True,
        domain=[
            ('template.powder', '=', True),
            ('template.powder_company', '=', Eval('company', -1)),
            ('template.type', '=', 'goods'),
            ],
        context={'company': Eval('company', -1)}, depends={'company'})
    template = fields.Function(fields.Many2One('product.template',
            "Powder Template", context={'company': Eval('company', -1)},
            depends={'company'}), 'on_change_with_template')
    format = fields.Many2One('coating.powder.format', "Format",
        required=True, domain=[('template', '=', Eval('template', -1))])
    count = fields.Integer("Boxes", required=True,
        domain=[('count', '>', 0), ('count', '<=', 500)])
    unit_cost = fields.Numeric("Cost per kg", digits=price_digits,
        domain=['OR', ('unit_cost', '=', None), ('unit_cost', '>=', 0)],
        help="Empty: the powder's cost price.")
    date = fields.Date("Received", required=True)

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_count(cls):
        return 1

    @classmethod
    def default_date(cls):
        return today()

    @fields.depends('product')
    def on_change_with_template(self, name=None):
        return self.product.template if self.product else None

    @fields.depends('product', 'format')
    def on_change_product(self):
        if self.product and (not self.format
                or self.format.template != self.product.template):
            formats = self.product.template.powder_formats
            self.format = formats[-1] if formats else None


class Receive(Wizard):
    """Receive Powder Boxes

    Receive boxes of one powder and format: each gets its label code, its
    lot and its receipt move (see powder.box.create); the new boxes open,
    ready to print their labels."""
    __name__ = 'powder.box.receive'

    start = StateView('powder.box.receive.start',
        'powder_stock.box_receive_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Receive", 'receive', 'tryton-ok', default=True),
            ])
    receive = StateAction('powder_stock.act_box')

    def do_receive(self, action):
        Box = Pool().get('powder.box')
        boxes = Box.receive(self.start.company, self.start.product,
            self.start.count, format_=self.start.format,
            unit_cost=self.start.unit_cost, date=self.start.date)
        action['pyson_domain'] = PYSONEncoder().encode(
            [('id', 'in', [b.id for b in boxes])])
        return action, {}
