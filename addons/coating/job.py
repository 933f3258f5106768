"""Coating jobs: service orders of kind coating, with their parts, powder,
coats, options, cure schedule and the live quote.

The quote formulas are in `calculation` (pure Python); this file gathers
their inputs from the job, its parts, its powder and the shop's settings.
"""
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields, sequence_ordered
from trytond.model.exceptions import ValidationError
from trytond.modules.product import price_digits
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction

from . import calculation
from .exceptions import CoatingQuoteError

_BODY = (
    "Bonjour {customer},\n\n%s\n\n"
    "Suivez votre commande à tout moment : {tracking_url}\n\n"
    "{shop}")
# (code, name, category, notify, subject, message, next codes)
DEFAULT_STAGES = [
    ('received', "Reçu", 'intake', True,
        "{shop} : travaux de thermolaquage {number} enregistrés",
        "Nous avons bien reçu vos pièces (commande {number}).",
        ['sandblasting', 'masking', 'primer', 'coating', 'cancelled']),
    ('sandblasting', "Sablage", 'open', False, None, None,
        ['masking', 'primer', 'coating', 'cancelled']),
    ('masking', "Masquage", 'open', False, None, None,
        ['primer', 'coating', 'cancelled']),
    ('primer', "Primaire", 'open', False, None, None, ['coating']),
    ('coating', "Poudrage", 'open', False, None, None, ['curing']),
    ('curing', "Cuisson", 'open', False, None, None, ['qc']),
    ('qc', "Contrôle qualité", 'open', False, None, None,
        ['ready', 'rework']),
    ('rework', "Reprise", 'open', False, None, None,
        ['sandblasting', 'masking', 'coating']),
    ('ready', "Prêt", 'ready', True,
        "{shop} : vos pièces sont prêtes ({number})",
        "Vos pièces thermolaquées vous attendent à l'atelier. "
        "Montant restant dû : {amount_due}.",
        ['delivered', 'rework']),
    ('delivered', "Livré", 'delivered', False, None, None, []),
    ('cancelled', "Annulé", 'cancelled', True,
        "{shop} : commande {number} annulée",
        "Votre commande {number} a été annulée. "
        "Vos pièces sont à récupérer à l'atelier.",
        []),
    ]
#: Stage codes of a coating job before the powder is sprayed (coating_batch
#: treats them as waiting for a batch).
WAITING_STAGES = ('received', 'sandblasting', 'masking', 'primer')

SUBSTRATES = [
    ('steel', "Steel"),
    ('aluminium', "Aluminium"),
    ('galvanised', "Galvanised Steel"),
    ('stainless', "Stainless Steel"),
    ('cast_iron', "Cast Iron"),
    ('other', "Other"),
    ]
#: Pretreatment group of each substrate: parts of one group share a
#: chemical pretreatment line (degreasing, phosphating, conversion coating).
PRETREATMENT_GROUPS = {
    'steel': 'ferrous',
    'cast_iron': 'ferrous',
    'aluminium': 'aluminium',
    'galvanised': 'zinc',
    'stainless': 'stainless',
    'other': 'other',
    }
PRETREATMENTS = [
    (None, ''),
    ('ferrous', "Ferrous"),
    ('aluminium', "Aluminium"),
    ('zinc', "Zinc"),
    ('stainless', "Stainless"),
    ('other', "Other"),
    ]
#: Unit of measure (product module XML id) of each calculation unit.
UOMS = {
    'kg': 'uom_kilogram',
    'h': 'uom_hour',
    'm2': 'uom_square_meter',
    'unit': 'uom_unit',
    }


class Stage(metaclass=PoolMeta):
    __name__ = 'service.order.stage'

    @classmethod
    def get_default_stages(cls, kind):
        """Received → Sandblasting → Masking → Primer → Coating → Curing →
        QC → Ready → Delivered; QC failures go to Rework, then back to
        sandblasting, masking or coating."""
        stages = super().get_default_stages(kind)
        if kind == 'coating':
            stages = [{
                    'code': code, 'name': name, 'category': category,
                    'notify': notify, 'email_subject': subject,
                    'email_body': _BODY % message if message else None,
                    'next': nexts,
                    } for code, name, category, notify, subject, message,
                nexts in DEFAULT_STAGES]
        return stages


class Order(metaclass=PoolMeta):
    __name__ = 'service.order'

    _coating_states = {'invisible': Eval('kind') != 'coating'}

    coating_parts = fields.One2Many('coating.part', 'order', "Parts",
        states=_coating_states)
    powder = fields.Many2One('product.product', "Powder", ondelete='RESTRICT',
        domain=[
            ('template.powder', '=', True),
            ('template.powder_company', '=', Eval('company', -1)),
            ],
        context={'company': Eval('company', -1)}, depends={'company'},
        states=_coating_states)
    ral = fields.Function(fields.Many2One('coating.ral', "RAL"),
        'on_change_with_ral')
    coats = fields.Integer("Coats", states=_coating_states,
        domain=['OR', ('coats', '=', None),
            [('coats', '>=', 1), ('coats', '<=', 3)]],
        help="Number of powder coats, 1 to 3 (primer and varnish apart).")
    primer = fields.Boolean("Primer", states=_coating_states,
        help="A primer layer under the coats (anti-corrosion).")
    varnish = fields.Boolean("Varnish", states=_coating_states,
        help="A clear varnish layer over the coats.")
    sandblasting = fields.Boolean("Sandblasting", states=_coating_states)
    masking = fields.Boolean("Masking", states=_coating_states)
    energy = fields.Boolean("Charge Energy", states=_coating_states)
    consumables = fields.Boolean("Charge Consumables",
        states=_coating_states)
    labour_minutes = fields.Integer("Labour (min)", states=_coating_states,
        domain=['OR', ('labour_minutes', '=', None),
            ('labour_minutes', '>=', 0)],
        help="Minutes of work before multipliers; empty: surface × the "
        "shop's minutes per m² and layer.")
    powder_margin = fields.Float("Powder Margin (%)", digits=(16, 2),
        states=_coating_states)
    labour_margin = fields.Float("Labour Margin (%)", digits=(16, 2),
        states=_coating_states)
    fixed_fee = fields.Numeric("Fixed Fee", digits=price_digits,
        states=_coating_states)
    cure_temperature = fields.Integer("Cure Temperature (°C)",
        states=_coating_states,
        help="Object temperature; taken from the powder, adjustable.")
    cure_minutes = fields.Integer("Cure Time (min)", states=_coating_states,
        help="Minutes at temperature; taken from the powder, adjustable.")
    coating_surface = fields.Function(fields.Float("Surface (m²)",
            digits=(16, 3)), 'on_change_with_coating_surface')
    powder_estimate = fields.Function(fields.Float("Powder Estimate (kg)",
            digits=(16, 3),
            help="surface × coats × consumption ÷ transfer efficiency"),
        'on_change_with_powder_estimate')
    coating_quote = fields.Function(fields.Text("Quote Calculation"),
        'on_change_with_coating_quote')
    coating_batch_reference = fields.Char("Batch", readonly=True,
        states=_coating_states,
        help="The powder batch used; filled by batch management.")
    powder_used = fields.Float("Powder Used (kg)", digits=(16, 3),
        states=_coating_states,
        domain=['OR', ('powder_used', '=', None), ('powder_used', '>=', 0)],
        help="Actual powder used by the job, rework excluded.")
    coating_cost = fields.Function(fields.Numeric("Cost", digits='currency',
            help="Powder (used, else estimated, plus rework) and labour "
            "(quoted minutes plus rework) at cost, without margins."),
        'get_coating_cost')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.kind.selection.append(('coating', "Coating"))
        cls._buttons.update({
                'coating_quote_lines': {
                    'invisible': ((Eval('kind') != 'coating')
                        | Bool(Eval('sale'))),
                    'readonly': ~Eval('powder'),
                    'depends': ['kind', 'sale', 'powder'],
                    },
                })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/form/notebook/page[@id="coating"]', 'states', {
                    'invisible': Eval('kind') != 'coating',
                    }),
            ]

    @classmethod
    def default_coats(cls):
        return 1

    @classmethod
    def default_primer(cls):
        return False

    @classmethod
    def default_varnish(cls):
        return False

    @classmethod
    def _default_shop(cls, name):
        company = Transaction().context.get('company')
        if company:
            return getattr(Pool().get('company.company')(company), name)

    @classmethod
    def default_powder_margin(cls):
        return cls._default_shop('coating_powder_margin')

    @classmethod
    def default_labour_margin(cls):
        return cls._default_shop('coating_labour_margin')

    @classmethod
    def default_fixed_fee(cls):
        return cls._default_shop('coating_fixed_fee')

    @fields.depends('powder', 'cure_temperature', 'cure_minutes')
    def on_change_powder(self):
        if self.powder:
            template = self.powder.template
            self.cure_temperature = template.cure_temperature
            self.cure_minutes = template.cure_minutes

    @fields.depends('powder')
    def on_change_with_ral(self, name=None):
        if self.powder and self.powder.template.ral:
            return self.powder.template.ral

    @fields.depends('coating_parts')
    def on_change_with_coating_surface(self, name=None):
        "Total surface of the parts, in m²: Σ surface × quantity."
        return round(sum(p.on_change_with_total_surface() or 0
                for p in self.coating_parts or []), 6)

    @fields.depends('powder', 'coats',
        methods=['on_change_with_coating_surface'])
    def on_change_with_powder_estimate(self, name=None):
        """Powder to spray in kg (calculation.powder_kg): surface × coats ×
        consumption ÷ transfer efficiency, for the coats only (primer and
        varnish are other powders)."""
        if not self.powder or not self.coats:
            return None
        template = self.powder.template
        try:
            return round(calculation.powder_kg(
                    self.on_change_with_coating_surface(), self.coats,
                    template.powder_consumption_used,
                    template.powder_transfer_efficiency), 3)
        except calculation.CalculationError:
            return None

    @fields.depends(methods=['_coating_quote_input'])
    def on_change_with_coating_quote(self, name=None):
        "The quote calculation as text, one line per step."
        try:
            lines = calculation.quote(self._coating_quote_input())
        except (calculation.CalculationError, CoatingQuoteError) as e:
            return str(e)
        return '\n'.join(self._format_calc_line(l) for l in lines)

    @staticmethod
    def _format_calc_line(line):
        if line.kind == 'info' and line.amount is None:
            return '%s: %s %s (%s)' % (
                line.label, line.quantity, line.unit, line.formula)
        if line.kind == 'info':
            return '%s: %s' % (line.label, line.amount)
        return '%s: %s %s × %s = %s  [%s]' % (
            line.label, line.quantity, line.unit, line.unit_price,
            line.amount, line.formula)

    @fields.depends('number', 'company', 'powder', 'coats', 'primer', 'varnish',
        'sandblasting', 'masking', 'energy', 'consumables', 'labour_minutes',
        'powder_margin', 'labour_margin', 'fixed_fee',
        methods=['on_change_with_coating_surface'])
    def _coating_quote_input(self):
        """Return the calculation.QuoteInput of the job; raise
        CoatingQuoteError when the job has no powder or the powder no
        consumption or transfer efficiency."""
        if not self.powder:
            raise CoatingQuoteError(gettext(
                    'coating.msg_quote_no_powder', order=self.number or ''))
        template = self.powder.template
        consumption = template.powder_consumption_used
        if not consumption or not template.powder_transfer_efficiency:
            raise CoatingQuoteError(gettext(
                    'coating.msg_quote_powder_incomplete',
                    order=self.number or '', powder=template.rec_name))
        shop = self.company
        digits = shop.currency.digits if shop and shop.currency else 2
        return calculation.QuoteInput(
            surface=self.on_change_with_coating_surface() or 0,
            coats=self.coats,
            consumption=consumption,
            efficiency=template.powder_transfer_efficiency,
            price_per_kg=self.powder.price_per_kg or Decimal(0),
            hourly_rate=shop.coating_hourly_rate or Decimal(0),
            minutes_per_m2=shop.coating_minutes_per_m2 or 0,
            labour_minutes=self.labour_minutes,
            primer=bool(self.primer),
            varnish=bool(self.varnish),
            primer_price_per_kg=shop.coating_primer_price,
            varnish_price_per_kg=shop.coating_varnish_price,
            sandblasting=bool(self.sandblasting),
            sandblasting_factor=shop.coating_sandblasting_factor or 1,
            masking=bool(self.masking),
            masking_factor=shop.coating_masking_factor or 1,
            energy=bool(self.energy),
            energy_rate=shop.coating_energy_rate or Decimal(0),
            consumables=bool(self.consumables),
            consumables_rate=shop.coating_consumables_rate or Decimal(0),
            powder_margin=self.powder_margin or 0,
            labour_margin=self.labour_margin or 0,
            fixed_fee=self.fixed_fee or Decimal(0),
            digits=digits,
            labels=self._coating_labels())

    def _coating_labels(self):
        "Translated labels of the calculation lines."
        labels = {key: gettext('coating.msg_calc_%s' % key)
            for key in list(calculation.LABELS)
            + list(calculation.FORMULA_WORDS)}
        if self.powder:
            labels['powder'] = '%s %s' % (labels['powder'],
                self.powder.template.rec_name)
        return labels

    def compute_coating_quote(self):
        """Return the live quote of the job: a list of calculation.CalcLine
        (kind, label, formula, quantity, unit, unit_price, amount as
        Decimal). Raises CoatingQuoteError or ValidationError (coats,
        surface) when an input is missing or out of range."""
        try:
            return calculation.quote(self._coating_quote_input())
        except calculation.CalculationError as exception:
            raise ValidationError(gettext(
                    'coating.msg_quote_invalid_%s' % exception.code,
                    order=self.rec_name,
                    value=exception.value)) from exception

    @classmethod
    @ModelView.button
    def coating_quote_lines(cls, orders):
        """Replace the quote lines of coating jobs without a sale by those
        of the calculation (see `create_coating_quote_lines`)."""
        for order in orders:
            order.create_coating_quote_lines()

    def create_coating_quote_lines(self):
        """Write the money lines of `compute_coating_quote` as
        service.order.line records (earlier calculated lines are replaced,
        lines added by hand are kept) and return them. The existing quote
        flow (`quote` button) turns them into the sale."""
        pool = Pool()
        Line = pool.get('service.order.line')
        ModelData = pool.get('ir.model.data')
        Uom = pool.get('product.uom')
        if self.sale:
            raise CoatingQuoteError(gettext(
                    'coating.msg_quote_already_sent', order=self.rec_name,
                    sale=self.sale.rec_name))
        calc = self.compute_coating_quote()
        Line.delete([l for l in self.lines if l.coating_kind])
        lines = []
        for sequence, calc_line in enumerate(calc, 1):
            if calc_line.kind == 'info':
                continue
            uom = Uom(ModelData.get_id('product', UOMS[calc_line.unit]))
            lines.append(Line(
                    order=self, sequence=sequence,
                    product=(self.powder
                        if calc_line.kind == 'powder' and self.powder.salable
                        else None),
                    coating_kind=calc_line.kind,
                    description='%s\n%s' % (
                        calc_line.label, calc_line.formula),
                    quantity=float(calc_line.quantity),
                    unit=uom, unit_price=calc_line.unit_price))
        Line.save(lines)
        return lines

    @classmethod
    def get_coating_cost(cls, orders, name):
        """Cost to the shop (calculation.cost): (powder used, else the
        estimate, + rework powder) × price per kg + (labour minutes of the
        quote + rework minutes) ÷ 60 × hourly rate."""
        result = {}
        for order in orders:
            if order.kind != 'coating' or not order.powder:
                result[order.id] = None
                continue
            powder = order.powder_used
            if powder is None:
                powder = order.powder_estimate or 0
            powder += order.rework_powder or 0
            minutes = order.rework_minutes or 0
            try:
                data = order._coating_quote_input()
                layers = (data.coats + bool(data.primer)
                    + bool(data.varnish))
                minutes += calculation.labour_minutes(data.surface, layers,
                    data.minutes_per_m2, data.sandblasting,
                    data.sandblasting_factor, data.masking,
                    data.masking_factor, data.labour_minutes)
            except (calculation.CalculationError, CoatingQuoteError):
                pass
            digits = order.currency.digits if order.currency else 2
            result[order.id] = calculation.cost(powder,
                order.powder.price_per_kg,
                minutes, order.company.coating_hourly_rate, digits)
        return result

    @classmethod
    def validate_fields(cls, orders, field_names):
        super().validate_fields(orders, field_names)
        if not field_names or field_names & {'coats', 'powder', 'company'}:
            for order in orders:
                order.check_coating()

    def check_coating(self):
        "Refuse coats out of 1–3 and a powder of another shop."
        if self.kind != 'coating':
            return
        if self.coats is not None:
            try:
                calculation.check_coats(self.coats)
            except calculation.CalculationError:
                raise ValidationError(gettext(
                        'coating.msg_quote_invalid_coats',
                        order=self.rec_name, value=self.coats))
        if (self.powder
                and self.powder.template.powder_company != self.company):
            raise ValidationError(gettext(
                    'coating.msg_powder_other_shop',
                    order=self.rec_name, powder=self.powder.rec_name))

    @classmethod
    def copy(cls, orders, default=None):
        default = default.copy() if default else {}
        default.setdefault('coating_batch_reference', None)
        default.setdefault('powder_used', None)
        return super().copy(orders, default=default)


class Line(metaclass=PoolMeta):
    __name__ = 'service.order.line'

    coating_kind = fields.Char("Coating Calculation", readonly=True,
        help="The calculation line this line comes from (powder, labour…); "
        "computing the quote again replaces it.")


class Part(sequence_ordered(), ModelSQL, ModelView):
    """Coating Part

    A part (or a set of identical parts) of a coating job. Its surface per
    unit, in m², is entered or computed from its dimensions in mm (see
    calculation.part_surface: outer surface of the bounding box).
    """
    __name__ = 'coating.part'

    order = fields.Many2One('service.order', "Job", required=True,
        ondelete='CASCADE', domain=[('kind', '=', 'coating')])
    number = fields.Char("Number", readonly=True,
        help="Label number of the part, unique in the job.")
    description = fields.Char("Description", required=True)
    quantity = fields.Integer("Quantity", required=True,
        domain=[('quantity', '>=', 1)])
    length = fields.Float("Length (mm)", digits=(16, 1),
        domain=['OR', ('length', '=', None), ('length', '>=', 0)])
    width = fields.Float("Width (mm)", digits=(16, 1),
        domain=['OR', ('width', '=', None), ('width', '>=', 0)])
    height = fields.Float("Height (mm)", digits=(16, 1),
        domain=['OR', ('height', '=', None), ('height', '>=', 0)])
    surface = fields.Float("Surface per Unit (m²)", digits=(16, 4),
        help="Entered, or 2 × (L×W + L×H + W×H) ÷ 1 000 000 from the "
        "dimensions in mm.")
    total_surface = fields.Function(fields.Float("Total Surface (m²)",
            digits=(16, 4)), 'on_change_with_total_surface')
    weight = fields.Float("Weight per Unit (kg)", digits=(16, 3),
        domain=['OR', ('weight', '=', None), ('weight', '>=', 0)])
    substrate = fields.Selection(SUBSTRATES, "Substrate", required=True)
    pretreatment_group = fields.Function(fields.Selection(PRETREATMENTS,
            "Pretreatment Group"), 'on_change_with_pretreatment_group')
    comment = fields.Text("Comment")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('order')
        t = cls.__table__()
        cls._sql_constraints += [
            ('number_uniq', Unique(t, t.order, t.number),
                'coating.msg_part_number_unique'),
            ]

    @classmethod
    def default_quantity(cls):
        return 1

    @classmethod
    def default_substrate(cls):
        return 'steel'

    @fields.depends('length', 'width', 'height', 'surface')
    def on_change_length(self):
        self._compute_surface()

    on_change_width = on_change_length
    on_change_height = on_change_length

    @fields.depends('length', 'width', 'height', 'surface')
    def _compute_surface(self):
        if self.length and self.width:
            try:
                self.surface = round(calculation.part_surface(
                        self.length, self.width, self.height), 4)
            except calculation.CalculationError:
                pass

    @fields.depends('surface', 'quantity')
    def on_change_with_total_surface(self, name=None):
        "Surface per unit × quantity, in m²."
        return (self.surface or 0) * (self.quantity or 0)

    @fields.depends('substrate')
    def on_change_with_pretreatment_group(self, name=None):
        return PRETREATMENT_GROUPS.get(self.substrate)

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Order = pool.get('service.order')
        vlist = [v.copy() for v in vlist]
        counters = {}
        for values in vlist:
            if values.get('surface') is None and values.get('length') \
                    and values.get('width'):
                try:
                    values['surface'] = round(calculation.part_surface(
                            values['length'], values['width'],
                            values.get('height')), 4)
                except calculation.CalculationError:
                    pass  # refused by the field domains
            if not values.get('number') and values.get('order'):
                order_id = values['order']
                if order_id not in counters:
                    counters[order_id] = cls.search_count(
                        [('order', '=', order_id)])
                counters[order_id] += 1
                values['number'] = '%s-%02d' % (
                    Order(order_id).number, counters[order_id])
        return super().create(vlist)

    @classmethod
    def validate_fields(cls, parts, field_names):
        super().validate_fields(parts, field_names)
        if not field_names or field_names & {'surface', 'quantity'}:
            for part in parts:
                if part.surface is not None and part.surface < 0:
                    raise ValidationError(gettext(
                            'coating.msg_part_negative_surface',
                            part=part.description,
                            order=part.order.rec_name,
                            surface=part.surface))

    @classmethod
    def copy(cls, parts, default=None):
        default = default.copy() if default else {}
        default.setdefault('number', None)
        return super().copy(parts, default=default)
