"""Partial inventories: counting sessions that do not stop the shop.

A full inventory freezes a day of work. A counting session instead targets
a handful of boxes (20 by default) chosen for a busy period by
stockmath.plan_count: the powders most used over the shop's consumption
window and the least reliable, each counted whole (all its boxes) so that
its stock comes out right. The shop keeps working while it counts: each
box is weighed when convenient during the session (weighing wizard or
shop-floor page), and its weighing corrects that box at that moment against
its theoretical figure at that moment — nothing is frozen, no stock date
is fixed for the whole location as Tryton's stock.inventory would. Closing
the session reports the boxes counted and the gaps; boxes left uncounted
stay so, listed.
"""
import datetime

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access

from . import stockmath
from .box import IN_STOCK, today
from .exceptions import CountError
from .stock import consumption_by_product

STATES = [
    ('draft', "Draft"),
    ('counting', "Counting"),
    ('done', "Done"),
    ('cancelled', "Cancelled"),
    ]
REASONS = [
    ('use', "Most Used"),
    ('reliability', "Least Reliable"),
    ]


class Count(Workflow, ModelSQL, ModelView):
    "Powder Counting Session"
    __name__ = 'powder.count'
    __string__ = "Powder Counting Session"

    _draft = {'readonly': Eval('state') != 'draft'}

    company = fields.Many2One('company.company', "Shop", required=True,
        states=_draft)
    name = fields.Char("Name", required=True, states=_draft)
    start_date = fields.Date("Start", required=True, states=_draft,
        domain=[If(Eval('end_date'), ('start_date', '<=', Eval('end_date')),
                ())])
    end_date = fields.Date("End", required=True, states=_draft,
        help="The boxes can be weighed any day of the period; the shop "
        "keeps working.")
    size = fields.Integer("Boxes", required=True, states=_draft,
        domain=[('size', '>', 0)],
        help="Largest number of boxes to count.")
    state = fields.Selection(STATES, "State", readonly=True, required=True,
        sort=False)
    lines = fields.One2Many('powder.count.line', 'count', "Boxes",
        readonly=True)
    counted = fields.Function(fields.Integer("Counted"), 'get_figures')
    gap = fields.Function(fields.Float("Gap (kg)", digits=(16, 3),
            help="Sum of the gaps of the boxes counted."), 'get_figures')
    absolute_gap = fields.Function(fields.Float("Absolute Gap (kg)",
            digits=(16, 3), help="Sum of the absolute gaps."),
        'get_figures')

    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'counting'),
            ('counting', 'done'),
            ('draft', 'cancelled'),
            ('counting', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'plan': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'start': {
                    'invisible': Eval('state') != 'draft',
                    'readonly': ~Eval('lines', []),
                    'depends': ['state', 'lines'],
                    },
                'done': {
                    'invisible': Eval('state') != 'counting',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'counting']),
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_size(cls):
        return 20

    @classmethod
    def default_start_date(cls):
        return today()

    @classmethod
    def default_end_date(cls):
        return today() + datetime.timedelta(days=6)

    @classmethod
    def get_figures(cls, counts, names):
        result = {n: {} for n in names}
        for count in counts:
            gaps = [l.weighing.gap for l in count.lines if l.weighing]
            values = {
                'counted': len(gaps),
                'gap': round(sum(gaps), stockmath.KG_DIGITS),
                'absolute_gap': round(sum(abs(g) for g in gaps),
                    stockmath.KG_DIGITS),
                }
            for name in names:
                result[name][count.id] = values[name]
        return result

    @classmethod
    def targets(cls, company, size, date=None):
        """Return [(box id, reason)] to count in `company`: the boxes of
        stockmath.plan_count over the powders with boxes in stock, with
        their use over the shop's consumption window (kg) and their
        reliability; reason 'use' when the powder's use term outweighs its
        reliability term, else 'reliability'."""
        Box = Pool().get('powder.box')
        date = date or today(company)
        window = company.powder_setting('powder_reorder_window')
        boxes = Box.search([
                ('company', '=', company.id),
                ('state', 'in', list(IN_STOCK)),
                ], order=[('id', 'ASC')])
        by_product = {}
        for box in boxes:
            by_product.setdefault(box.product, []).append(box.id)
        uses = consumption_by_product(company,
            [p.id for p in by_product], date - datetime.timedelta(
                days=window), date)
        powders = [(p.id, uses[p.id], p.template.powder_reliability_used,
                ids) for p, ids in by_product.items()]
        max_use = max((max(u, 0) for _, u, _, _ in powders), default=0)
        reasons = {}
        for product_id, use, reliability, ids in powders:
            use_term = use / max_use if max_use > 0 else 0
            reason = ('use' if use_term >= (100 - reliability) / 100
                else 'reliability')
            for box_id in ids:
                reasons[box_id] = reason
        return [(b, reasons[b]) for b in stockmath.plan_count(powders, size)]

    @classmethod
    @ModelView.button
    def plan(cls, counts):
        "Choose the boxes of the draft sessions (see `targets`)."
        Line = Pool().get('powder.count.line')
        Line.delete([l for c in counts for l in c.lines])
        rows = []
        for count in counts:
            with without_check_access():
                targets = cls.targets(count.company, count.size,
                    count.start_date)
            for box, reason in targets:
                rows.append({'count': count.id, 'box': box,
                        'reason': reason})
        Line.create(rows)

    @classmethod
    @ModelView.button
    @Workflow.transition('counting')
    def start(cls, counts):
        """Open the session: weighings of its boxes now count for it."""
        for count in counts:
            if not count.lines:
                raise CountError(gettext('powder_stock.msg_count_empty',
                        count=count.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def done(cls, counts):
        "Close the sessions (audited with what was counted and found)."
        Audit = Pool().get('workshop.audit')
        Audit.log_entries('powder_count', [(c, gettext(
                        'powder_stock.msg_audit_count',
                        counted=c.counted, total=len(c.lines),
                        gap=c.gap, missing=', '.join(
                            l.box.code for l in c.lines if not l.weighing)
                        or '-'))
                for c in counts])

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, counts):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, counts):
        pass


class CountLine(ModelSQL, ModelView):
    "Powder Counting Session Box"
    __name__ = 'powder.count.line'
    __string__ = "Counting Session Box"

    count = fields.Many2One('powder.count', "Session", required=True,
        ondelete='CASCADE')
    box = fields.Many2One('powder.box', "Box", required=True,
        ondelete='CASCADE')
    product = fields.Function(fields.Many2One('product.product', "Powder"),
        'on_change_with_product')
    box_state = fields.Function(fields.Selection('get_box_states',
            "Box State"), 'on_change_with_box_state')
    reason = fields.Selection(REASONS, "Reason", readonly=True)
    weighing = fields.Many2One('powder.weighing', "Weighing", readonly=True,
        ondelete='SET NULL')
    counted = fields.Function(fields.Boolean("Counted"),
        'on_change_with_counted')
    gap = fields.Function(fields.Float("Gap (kg)", digits=(16, 3)),
        'on_change_with_gap')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('count')
        cls._order = [('count', 'ASC'), ('id', 'ASC')]
        cls._buttons.update({
                'weigh': {
                    'invisible': (Eval('counted', False)
                        | ~Eval('box_state').in_(list(IN_STOCK))),
                    'depends': ['counted', 'box_state'],
                    },
                })

    @classmethod
    def get_box_states(cls):
        Box = Pool().get('powder.box')
        return Box.fields_get(['state'])['state']['selection']

    @fields.depends('box')
    def on_change_with_product(self, name=None):
        return self.box.product if self.box else None

    @fields.depends('box')
    def on_change_with_box_state(self, name=None):
        return self.box.state if self.box else None

    @fields.depends('weighing')
    def on_change_with_counted(self, name=None):
        return bool(self.weighing)

    @fields.depends('weighing')
    def on_change_with_gap(self, name=None):
        return self.weighing.gap if self.weighing else None

    @classmethod
    @ModelView.button_action('powder_stock.wizard_weigh')
    def weigh(cls, lines):
        "Open the weighing wizard of the line's box."
        pass
