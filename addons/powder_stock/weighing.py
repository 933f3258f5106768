"""Weighings of powder boxes: the scale against the books.

A weighing is a fact: who weighed which box, when, the gross weight on the
scale, the box's tare, the net powder left (gross − tare), what the stock
moves said (theoretical) and the gap. It is created by code only (the
weighing wizard, the shop-floor page, emptying a box) and nobody may change
or delete it afterwards. Recording it:

1. refuses, with the reason, a box of a shop the user is not in, a box
   already emptied and an impossible
   figure (stockmath.check_weighing: no gross weight, net below 0 or above
   the box's format beyond the scale tolerance);
2. corrects the stock with an inventory move between the box's location
   and the warehouse's lost and found, so the books say what the scale
   said;
3. recomputes the reliability score of the powder (stockmath.reliability);
4. marks the box's line of an open counting session counted;
5. writes the audit rows of the weighing and of the correction.
"""
import datetime

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from . import stockmath
from .box import today
from .exceptions import WeighingError

KINDS = [
    ('weighing', "Weighing"),
    ('emptied', "Emptied"),
    ]


def kg(value):
    "Return `value` kg as short text: 25, 0.35, -0.6 (to the gram)."
    if value is None:
        return '-'
    text = ('%.3f' % value).rstrip('0').rstrip('.')
    return '0' if text in {'-0', ''} else text


class Weighing(ModelSQL, ModelView):
    "Powder Box Weighing"
    __name__ = 'powder.weighing'
    __string__ = "Powder Box Weighing"

    company = fields.Many2One('company.company', "Shop", required=True,
        readonly=True)
    box = fields.Many2One('powder.box', "Box", required=True, readonly=True,
        ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))])
    product = fields.Many2One('product.product', "Powder", required=True,
        readonly=True, context={'company': Eval('company', -1)},
        depends={'company'})
    date = fields.DateTime("Date", required=True, readonly=True)
    day = fields.Date("Day", required=True, readonly=True,
        help="The shop's date of the weighing.")
    user = fields.Many2One('res.user', "User", readonly=True)
    kind = fields.Selection(KINDS, "Kind", required=True, readonly=True)
    gross = fields.Float("Gross (kg)", digits=(16, 3), readonly=True,
        help="What the scale showed with the box on it.")
    tare = fields.Float("Tare (kg)", digits=(16, 3), readonly=True)
    net = fields.Float("Net (kg)", digits=(16, 3), required=True,
        readonly=True, help="Powder found in the box: gross − tare.")
    theoretical = fields.Float("Theoretical (kg)", digits=(16, 3),
        required=True, readonly=True,
        help="Powder the stock moves gave the box just before.")
    gap = fields.Float("Gap (kg)", digits=(16, 3), required=True,
        readonly=True, help="Net − theoretical: positive when the box "
        "held more than the books said.")
    gap_pct = fields.Float("Gap (%)", digits=(16, 2), readonly=True,
        help="Gap ÷ theoretical × 100; empty when the books said 0 kg or "
        "less.")
    error = fields.Float("Relative Error", digits=(16, 4), readonly=True,
        help="|gap| ÷ max(net, theoretical, 1 kg): the figure the "
        "reliability score reads.")
    reliability_after = fields.Float("Reliability After", digits=(16, 1),
        readonly=True,
        help="The powder's reliability score once this weighing counted.")
    move = fields.Many2One('stock.move', "Correction", readonly=True,
        ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    def get_rec_name(self, name):
        return '%s @ %s' % (self.box.code,
            self.day.strftime('%d/%m/%Y') if self.day else '')

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('box.code',) + tuple(clause[1:])]

    @classmethod
    def refuse(cls, box, code, gross=None, net=None, tolerance=None):
        "Raise the WeighingError `code` of `box` in the user's words."
        raise WeighingError(gettext('powder_stock.msg_weigh_%s' % code,
                box=box.code, powder=box.product.rec_name,
                gross=kg(gross) if isinstance(gross, (int, float))
                else (gross if gross not in {None, ''} else '-'),
                tare=kg(box.tare), net=kg(net), capacity=kg(box.capacity),
                tolerance=kg(tolerance)))

    @classmethod
    def record(cls, box, gross, kind='weighing'):
        """Record the weighing of `box` (a powder.box) at `gross` kg and
        return it (see the module docstring). kind 'emptied': the box was
        found empty (net 0 kg, no gross weight). Raises WeighingError."""
        pool = Pool()
        Box = pool.get('powder.box')
        Audit = pool.get('workshop.audit')
        Move = pool.get('stock.move')
        box = Box(box.id)
        company = box.company
        tolerance = company.powder_setting('powder_scale_tolerance')
        user = Transaction().user
        if user and company.id not in pool.get('res.user').get_companies():
            cls.refuse(box, 'other_shop', gross=gross)
        if box.state == 'emptied':
            cls.refuse(box, 'emptied', gross=gross)
        if kind == 'emptied':
            net, gross = 0., None
        else:
            try:
                net = stockmath.check_weighing(gross, box.tare, box.capacity,
                    tolerance)
            except stockmath.WeighingError as exception:
                cls.refuse(box, exception.code, gross=gross,
                    net=exception.net, tolerance=tolerance)
        Box.lock([box])
        now = datetime.datetime.now()
        with without_check_access():
            theoretical = Box.theoretical_quantities([box])[box.id]
            gap_kg, gap_pct = stockmath.gap(net, theoretical)
            weighing, = cls.create([{
                        'company': company.id,
                        'box': box.id,
                        'product': box.product.id,
                        'date': now,
                        'day': today(company),
                        'user': Transaction().user or None,
                        'kind': kind,
                        'gross': gross,
                        'tare': box.tare if gross is not None else None,
                        'net': net,
                        'theoretical': theoretical,
                        'gap': gap_kg,
                        'gap_pct': gap_pct,
                        'error': round(
                            stockmath.relative_gap(net, theoretical), 4),
                        }])
            move = weighing._correction()
            if move:
                Move.save([move])
                Move.do([move])
            reliability = cls.update_reliability(box.product.template)
            cls.write([weighing], {
                    'move': move.id if move else None,
                    'reliability_after': reliability,
                    })
            last_move, = Move.search([('lot', '=', box.lot.id)],
                order=[('id', 'DESC')], limit=1)
            Box.write([box], {
                    'last_weighing': weighing.id,
                    'last_weighed_at': now,
                    'use_mark': last_move.id,
                    })
            cls._count(weighing)
        description = gettext('powder_stock.msg_audit_weighing',
            gross=kg(gross), tare=kg(weighing.tare), net=kg(net),
            theoretical=kg(theoretical), gap=kg(gap_kg),
            reliability=kg(reliability))
        Audit.log('powder_weighing', [weighing], description=description)
        if move:
            Audit.log('powder_correction', [move], description=gettext(
                    'powder_stock.msg_audit_correction',
                    box=box.code, gap=kg(gap_kg),
                    weighing=weighing.rec_name))
        return weighing

    def _correction(self):
        """Return the unsaved inventory move that sets the box's stock to
        the net weight (lost and found → box for a positive gap, box → lost
        and found for a negative one), or None for no gap."""
        Box = Pool().get('powder.box')
        if not self.gap:
            return None
        box = self.box
        lost_found = self.company.get_powder_lost_found()
        if self.gap > 0:
            from_location, to_location = lost_found, box.location
        else:
            from_location, to_location = box.location, lost_found
        return Box._move(self.company, self.product, abs(self.gap),
            from_location, to_location, box.lot, self, self.day)

    @classmethod
    def update_reliability(cls, template):
        """Recompute, store on `template` and return the reliability score
        of a powder from its latest weighings (stockmath.reliability with
        the shop's gap tolerance)."""
        pool = Pool()
        Template = pool.get('product.template')
        company = template.powder_company
        weighings = cls.search([
                ('product.template', '=', template.id),
                ('error', '!=', None),
                ], order=[('id', 'DESC')], limit=stockmath.SCORE_HISTORY)
        tolerance = (company.powder_setting('powder_gap_tolerance')
            if company else 5.)
        score = stockmath.reliability([w.error for w in weighings],
            tolerance)
        with without_check_access():
            Template.write([template], {'powder_reliability': score})
        return score

    @classmethod
    def _count(cls, weighing):
        "Mark the box's line of an open counting session counted."
        Line = Pool().get('powder.count.line')
        lines = Line.search([
                ('box', '=', weighing.box.id),
                ('count.state', '=', 'counting'),
                ('weighing', '=', None),
                ])
        if lines:
            Line.write(lines, {'weighing': weighing.id})


class Audit(metaclass=PoolMeta):
    __name__ = 'workshop.audit'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.action.selection += [
            ('powder_receipt', "Powder Box Received"),
            ('powder_box_open', "Powder Box Opened"),
            ('powder_box_empty', "Powder Box Emptied"),
            ('powder_weighing', "Powder Box Weighed"),
            ('powder_correction', "Powder Stock Corrected"),
            ('powder_count', "Powder Counting Session"),
            ]
