"""Powder catalogue: powders are product templates with `powder` checked.

A powder belongs to one shop (`powder_company`): other shops neither see it
(global rule, see catalogue.xml) nor may put it on their jobs. Its price per
kg is the template's list price, its default unit being the kilogram.
"""
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction

from . import calculation

FINISHES = [
    (None, ''),
    ('matt', "Matt"),
    ('satin', "Satin"),
    ('gloss', "Gloss"),
    ('textured', "Textured"),
    ('fine_textured', "Fine Textured"),
    ('metallic', "Metallic"),
    ('hammered', "Hammered"),
    ('other', "Other"),
    ]
TYPES = [
    (None, ''),
    ('epoxy', "Epoxy"),
    ('polyester', "Polyester"),
    ('epoxy_polyester', "Epoxy-Polyester"),
    ('polyurethane', "Polyurethane"),
    ('other', "Other"),
    ]


class Template(metaclass=PoolMeta):
    __name__ = 'product.template'

    _powder_states = {'invisible': ~Eval('powder')}

    powder = fields.Boolean("Powder",
        help="A coating powder of the shop's catalogue.")
    powder_company = fields.Many2One(
        'company.company', "Shop", ondelete='CASCADE',
        states={
            'invisible': ~Eval('powder'),
            'required': Bool(Eval('powder')),
            },
        help="The shop whose catalogue holds this powder.")
    powder_brand = fields.Char("Brand", states=_powder_states)
    powder_reference = fields.Char("Reference", states=_powder_states,
        help="The manufacturer's reference of the powder.")
    ral = fields.Many2One('coating.ral', "RAL", ondelete='RESTRICT',
        states=_powder_states)
    powder_finish = fields.Selection(FINISHES, "Finish",
        states=_powder_states)
    powder_type = fields.Selection(TYPES, "Powder Type",
        states=_powder_states)
    powder_density = fields.Float("Density (g/cm³)", digits=(16, 3),
        states=_powder_states,
        domain=['OR', ('powder_density', '=', None),
            ('powder_density', '>', 0)])
    powder_thickness = fields.Integer("Recommended Thickness (µm)",
        states=_powder_states,
        domain=['OR', ('powder_thickness', '=', None),
            ('powder_thickness', '>', 0)])
    powder_coverage = fields.Float("Theoretical Coverage (m²/kg)",
        digits=(16, 2), states=_powder_states,
        domain=['OR', ('powder_coverage', '=', None),
            ('powder_coverage', '>', 0)],
        help="Square metres covered by one kilogram at the recommended "
        "thickness, from the data sheet.")
    powder_consumption = fields.Float("Consumption (kg/m²)",
        digits=(16, 4), states=_powder_states,
        domain=['OR', ('powder_consumption', '=', None),
            ('powder_consumption', '>', 0)],
        help="Kilograms per square metre and coat at 100 % transfer "
        "efficiency. Left empty, it is 1 ÷ coverage, else thickness × "
        "density ÷ 1000.")
    powder_transfer_efficiency = fields.Float("Transfer Efficiency (%)",
        digits=(16, 1), states=_powder_states,
        domain=['OR', ('powder_transfer_efficiency', '=', None),
            [('powder_transfer_efficiency', '>=', 1),
                ('powder_transfer_efficiency', '<=', 100)]],
        help="Share of the sprayed powder that stays on the parts.")
    cure_temperature = fields.Integer("Cure Temperature (°C)",
        states=_powder_states,
        help="Object (metal) temperature of the cure schedule.")
    cure_minutes = fields.Integer("Cure Time (min)", states=_powder_states,
        help="Minutes at the cure temperature, counted once the metal "
        "has reached it.")
    powder_formats = fields.One2Many(
        'coating.powder.format', 'template', "Box Formats",
        states=_powder_states)

    @classmethod
    def default_powder(cls):
        return bool(Transaction().context.get('powder'))

    @classmethod
    def default_powder_company(cls):
        if Transaction().context.get('powder'):
            return Transaction().context.get('company')

    @classmethod
    def default_powder_transfer_efficiency(cls):
        return 65.

    @fields.depends('powder', 'powder_company')
    def on_change_powder(self):
        if self.powder and not self.powder_company:
            self.powder_company = Transaction().context.get('company')
        if self.powder:
            try:
                self.default_uom = Pool().get('ir.model.data').get_id(
                    'product', 'uom_kilogram')
            except KeyError:
                pass

    @fields.depends('powder_coverage', 'powder_consumption',
        'powder_thickness', 'powder_density')
    def on_change_powder_coverage(self):
        if self.powder_coverage and self.powder_coverage > 0:
            self.powder_consumption = round(1 / self.powder_coverage, 4)

    @property
    def powder_consumption_used(self):
        """Consumption in kg/m² used by quotes: the stored one, else from
        coverage or thickness × density (see calculation.consumption)."""
        return calculation.consumption(
            self.powder_consumption, self.powder_coverage,
            self.powder_thickness, self.powder_density)

    @property
    def price_per_kg(self):
        "The list price (per kg: a powder's default unit is the kilogram)."
        return self.list_price

    def get_rec_name(self, name):
        rec_name = super().get_rec_name(name)
        if self.powder and self.ral:
            rec_name = '%s (RAL %s)' % (rec_name, self.ral.code)
        return rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        domain = super().search_rec_name(name, clause)
        _, operator, value = clause
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        return [bool_op, domain,
            ('powder_reference', operator, value),
            ('ral.code', operator, value),
            ]

    @classmethod
    def create(cls, vlist):
        return super().create([cls._fill_consumption(v) for v in vlist])

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        args = []
        for templates, values in zip(actions, actions):
            if ('powder_coverage' in values
                    and 'powder_consumption' not in values
                    and values.get('powder_coverage')):
                values = cls._fill_consumption(values)
            args.extend((templates, values))
        super().write(*args)

    @staticmethod
    def _fill_consumption(values):
        "Store consumption = 1 ÷ coverage when only the coverage is given."
        values = values.copy()
        coverage = values.get('powder_coverage')
        if not values.get('powder_consumption') and coverage and coverage > 0:
            values['powder_consumption'] = round(1 / coverage, 4)
        return values

    @classmethod
    def validate_fields(cls, templates, field_names):
        super().validate_fields(templates, field_names)
        if (not field_names or field_names & {
                    'powder', 'default_uom', 'powder_company'}):
            kg = Pool().get('ir.model.data').get_id('product', 'uom_kilogram')
            for template in templates:
                if template.powder and template.default_uom.id != kg:
                    raise ValidationError(gettext(
                            'coating.msg_powder_uom_kg',
                            powder=template.rec_name,
                            uom=template.default_uom.rec_name))


class Product(metaclass=PoolMeta):
    __name__ = 'product.product'

    @property
    def price_per_kg(self):
        "The variant's list price, per kg."
        return self.list_price_used


class PowderFormat(ModelSQL, ModelView):
    """Powder Box Format

    A sale format of a powder: the net powder weight of a full box and the
    tare of the empty box, both in kg. The tare depends on the brand and the
    format: a new format takes by default the tare of the same brand and
    weight already known in the shop.
    """
    __name__ = 'coating.powder.format'

    template = fields.Many2One('product.template', "Powder", required=True,
        ondelete='CASCADE', domain=[('powder', '=', True)])
    brand = fields.Function(fields.Char("Brand"), 'on_change_with_brand')
    weight = fields.Float("Weight (kg)", digits=(16, 3), required=True,
        domain=[('weight', '>', 0)],
        help="Net weight of powder in a full box.")
    tare = fields.Float("Tare (kg)", digits=(16, 3), required=True,
        domain=[('tare', '>=', 0)],
        help="Weight of the empty box (carton, bag, liner).")
    barcode = fields.Char("Barcode")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('template')
        cls._order = [('weight', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_tare(cls):
        return 0.

    @fields.depends('template', '_parent_template.powder_brand')
    def on_change_with_brand(self, name=None):
        return self.template.powder_brand if self.template else None

    @fields.depends('template', 'weight', 'tare',
        '_parent_template.powder_brand', '_parent_template.powder_company')
    def on_change_weight(self):
        if self.template and self.weight and not self.tare:
            tare = self.known_tare(self.template.powder_company,
                self.template.powder_brand, self.weight)
            if tare is not None:
                self.tare = tare

    @classmethod
    def known_tare(cls, company, brand, weight):
        "Return the tare of another box of `brand` and `weight` in the shop."
        if not company or not brand:
            return None
        formats = cls.search([
                ('template.powder_company', '=', getattr(company, 'id', company)),
                ('template.powder_brand', 'ilike', brand),
                ('weight', '=', weight),
                ], limit=1, order=[('id', 'DESC')])
        return formats[0].tare if formats else None

    def get_rec_name(self, name):
        return '%s kg' % ('%g' % self.weight if self.weight else '?')

    @property
    def gross_weight(self):
        "Weight of a full box on the scale, in kg: weight + tare."
        return (self.weight or 0) + (self.tare or 0)
