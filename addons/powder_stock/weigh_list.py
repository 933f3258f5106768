"""The daily list of boxes to weigh.

Each morning (cron, or the first time the list of the day is opened) each
shop gets a short list of boxes to weigh: the shop's setting (3 by default)
chosen by stockmath.daily_list from the boxes in stock: use since the last
weighing, value at risk, poor reliability of the powder, and a controlled
random share (boxes not weighed for long more likely, overdue boxes first)
so that every box gets checked over time. The random part is seeded by the
shop and the date (stockmath.list_seed): the list of a day is stored once
made, and computing it again from the same figures gives the same boxes.
"""
from trytond.model import ModelSQL, ModelView, Unique, fields, sequence_ordered
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, PYSONEncoder
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import StateAction, Wizard

from . import stockmath
from .box import IN_STOCK, today
from .stock import search_rows

REASONS = [
    ('impossible', "Impossible Figure"),
    ('use', "Used Since Last Weighing"),
    ('value', "Value at Risk"),
    ('reliability', "Poor Reliability"),
    ('overdue', "Not Weighed for Long"),
    ('random', "Random Check"),
    ]


class WeighList(ModelSQL, ModelView):
    "Boxes to Weigh"
    __name__ = 'powder.weigh_list'
    __string__ = "Boxes to Weigh"

    company = fields.Many2One('company.company', "Shop", required=True,
        readonly=True)
    date = fields.Date("Date", required=True,
        states={'readonly': Eval('id', -1) >= 0})
    size = fields.Integer("Size", readonly=True,
        help="The shop's number of boxes to weigh per day when the list "
        "was made.")
    lines = fields.One2Many('powder.weigh_list.line', 'list', "Boxes",
        readonly=True)
    weighed_count = fields.Function(fields.Integer("Weighed"),
        'get_weighed_count')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('company_date_uniq', Unique(t, t.company, t.date),
                'powder_stock.msg_weigh_list_unique'),
            ]
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_date(cls):
        return today()

    def get_rec_name(self, name):
        return '%s %s' % (self.date.strftime('%d/%m/%Y') if self.date
            else '', self.company.rec_name if self.company else '')

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('company.rec_name',) + tuple(clause[1:])]

    def get_weighed_count(self, name):
        return sum(1 for l in self.lines if l.weighed)

    @classmethod
    def create(cls, vlist):
        "Create the lists and choose their boxes (see `fill`)."
        lists = super().create(vlist)
        cls.fill([l for l in lists if not l.lines])
        return lists

    @classmethod
    def fill(cls, lists):
        """Choose the boxes of each list with stockmath.daily_list, from
        the shop's boxes in stock (powder.box.candidates) and settings, the
        random part seeded by the shop and the list's date."""
        pool = Pool()
        Line = pool.get('powder.weigh_list.line')
        Box = pool.get('powder.box')
        rows, to_write = [], []
        for list_ in lists:
            company = list_.company
            size = company.powder_setting('powder_weigh_count')
            with without_check_access():
                candidates = Box.candidates(company, list_.date)
            chosen = stockmath.daily_list(candidates, size=size,
                share=company.powder_setting('powder_random_share'),
                max_age=company.powder_setting('powder_check_days'),
                seed=stockmath.list_seed(company.id, list_.date))
            with without_check_access():
                previous = {r['id']: r['last_weighing'] for r in Box.read(
                        [b for b, _, _ in chosen], ['last_weighing'])}
            for sequence, (box, reason, score) in enumerate(chosen, 1):
                rows.append({
                        'list': list_.id, 'sequence': sequence, 'box': box,
                        'reason': reason, 'score': score,
                        'previous_weighing': previous[box],
                        })
            to_write.extend(([list_], {'size': size}))
        with without_check_access():
            Line.create(rows)
            if to_write:
                cls.write(*to_write)

    @classmethod
    def for_day(cls, company, date=None):
        "Return the list of `company` for `date` (today), made if missing."
        date = date or today(company)
        lists = cls.search([
                ('company', '=', company.id),
                ('date', '=', date),
                ], limit=1)
        if lists:
            return lists[0]
        with without_check_access():
            list_, = cls.create([{'company': company.id, 'date': date}])
        return list_

    @classmethod
    def generate_lists(cls):
        """Cron: make today's list (in the shop's timezone) of the shop the
        cron runs for (Tryton runs it once per company of the cron), or of
        every shop with boxes in stock when it runs for none; lists already
        made are kept."""
        pool = Pool()
        Box = pool.get('powder.box')
        Company = pool.get('company.company')
        company_id = Transaction().context.get('company')
        with without_check_access():
            domain = [('state', 'in', list(IN_STOCK))]
            if company_id is not None and company_id >= 0:
                domain.append(('company', '=', company_id))
            companies = {r['company'] for r in search_rows(Box, domain,
                    ['company'])}
            for company in Company.browse(sorted(companies)):
                with Transaction().set_context(company=company.id):
                    cls.for_day(company)



class WeighListLine(sequence_ordered(), ModelSQL, ModelView):
    "Box to Weigh"
    __name__ = 'powder.weigh_list.line'
    __string__ = "Box to Weigh"

    list = fields.Many2One('powder.weigh_list', "List", required=True,
        ondelete='CASCADE')
    date = fields.Function(fields.Date("Date"), 'on_change_with_date',
        searcher='search_date')
    box = fields.Many2One('powder.box', "Box", required=True,
        ondelete='CASCADE')
    product = fields.Function(fields.Many2One('product.product', "Powder"),
        'on_change_with_product')
    location = fields.Function(fields.Many2One('stock.location',
            "Location"), 'on_change_with_location')
    reason = fields.Selection(REASONS, "Reason", required=True,
        readonly=True)
    score = fields.Float("Score", digits=(16, 4), readonly=True,
        help="Priority of the box in the scored part (0 to 1; 2 for an "
        "impossible figure; 0 in the random part).")
    box_state = fields.Function(fields.Selection('get_box_states',
            "Box State"), 'on_change_with_box_state')
    previous_weighing = fields.Many2One('powder.weighing',
        "Previous Weighing", readonly=True, ondelete='SET NULL',
        help="The box's last weighing when the list was made.")
    weighing = fields.Function(fields.Many2One('powder.weighing',
            "Weighing"), 'get_weighing')
    weighed = fields.Function(fields.Boolean("Weighed"), 'get_weighing')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('list')
        cls._buttons.update({
                'weigh': {
                    'invisible': (Eval('weighed', False)
                        | ~Eval('box_state').in_(list(IN_STOCK))),
                    'depends': ['weighed', 'box_state'],
                    },
                })

    @classmethod
    def get_box_states(cls):
        Box = Pool().get('powder.box')
        return Box.fields_get(['state'])['state']['selection']

    @fields.depends('box')
    def on_change_with_box_state(self, name=None):
        return self.box.state if self.box else None

    @fields.depends('list', '_parent_list.date')
    def on_change_with_date(self, name=None):
        return self.list.date if self.list else None

    @classmethod
    def search_date(cls, name, clause):
        return [('list.date',) + tuple(clause[1:])]

    @fields.depends('box')
    def on_change_with_product(self, name=None):
        return self.box.product if self.box else None

    @fields.depends('box')
    def on_change_with_location(self, name=None):
        return self.box.location if self.box else None

    @classmethod
    def get_weighing(cls, lines, names):
        """The first weighing of the box since the list was made (after its
        previous weighing: ids grow with time, timestamps of one second
        do not tell), and whether there is one."""
        Weighing = Pool().get('powder.weighing')
        result = {n: {l.id: None for l in lines} for n in names}
        with without_check_access():
            for line in lines:
                previous = line.previous_weighing
                weighings = Weighing.search([
                        ('box', '=', line.box.id),
                        ('id', '>', previous.id if previous else 0),
                        ], order=[('id', 'ASC')], limit=1)
                weighing = weighings[0].id if weighings else None
                if 'weighing' in names:
                    result['weighing'][line.id] = weighing
                if 'weighed' in names:
                    result['weighed'][line.id] = bool(weighing)
        return result

    @classmethod
    @ModelView.button_action('powder_stock.wizard_weigh')
    def weigh(cls, lines):
        "Open the weighing wizard of the line's box."
        pass


class OpenToday(Wizard):
    """Boxes to Weigh Today

    Make today's list of the user's current shop if the cron has not made
    it yet, then open its lines."""
    __name__ = 'powder.weigh_list.open'

    start = StateAction('powder_stock.act_weigh_list_line_today')

    def do_start(self, action):
        pool = Pool()
        WeighList = pool.get('powder.weigh_list')
        Company = pool.get('company.company')
        company_id = Transaction().context.get('company')
        ids = []
        if company_id is not None and company_id >= 0:
            ids.append(WeighList.for_day(Company(company_id)).id)
        action['pyson_domain'] = PYSONEncoder().encode(
            [('list', 'in', ids)])
        return action, {}


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection += [
            ('powder.weigh_list|generate_lists',
                "Make the Daily Lists of Powder Boxes to Weigh"),
            ('powder.reorder|compute_all',
                "Compute the Powder Reorder Suggestions"),
            ]
