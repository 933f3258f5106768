"""Shop settings of a coating workshop, carried by the company: the rates
and margins of the live quote, and the default coating stages."""
from decimal import Decimal

from trytond.model import fields
from trytond.modules.product import price_digits
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

_states = {'invisible': Eval('business_type') != 'coating'}


class Company(metaclass=PoolMeta):
    __name__ = 'company.company'

    coating_hourly_rate = fields.Numeric("Hourly Rate", digits=price_digits,
        states=_states, domain=['OR', ('coating_hourly_rate', '=', None),
            ('coating_hourly_rate', '>=', 0)],
        help="Cost of one hour of workshop labour, without margin "
        "(currency per hour).")
    coating_minutes_per_m2 = fields.Float("Minutes per m² and Layer",
        digits=(16, 2), states=_states,
        help="Labour to hang, spray and unload one square metre for one "
        "layer (coat, primer or varnish), when the job gives no minutes.")
    coating_sandblasting_factor = fields.Float("Sandblasting Multiplier",
        digits=(16, 2), states=_states,
        domain=['OR', ('coating_sandblasting_factor', '=', None),
            ('coating_sandblasting_factor', '>=', 1)],
        help="Labour minutes are multiplied by it when parts are "
        "sandblasted (≥ 1).")
    coating_masking_factor = fields.Float("Masking Multiplier",
        digits=(16, 2), states=_states,
        domain=['OR', ('coating_masking_factor', '=', None),
            ('coating_masking_factor', '>=', 1)],
        help="Labour minutes are multiplied by it when parts are "
        "masked (≥ 1).")
    coating_energy_rate = fields.Numeric("Energy per m² and Layer",
        digits=price_digits, states=_states,
        help="Oven energy charged per square metre and layer "
        "(currency per m²).")
    coating_consumables_rate = fields.Numeric("Consumables per m²",
        digits=price_digits, states=_states,
        help="Masking tape, plugs, hooks charged per square metre "
        "(currency per m²).")
    coating_primer_price = fields.Numeric("Primer Price per kg",
        digits=price_digits, states=_states,
        help="Empty: the price of the job's powder.")
    coating_varnish_price = fields.Numeric("Varnish Price per kg",
        digits=price_digits, states=_states,
        help="Empty: the price of the job's powder.")
    coating_powder_margin = fields.Float("Powder Margin (%)", digits=(16, 2),
        states=_states)
    coating_labour_margin = fields.Float("Labour Margin (%)", digits=(16, 2),
        states=_states)
    coating_fixed_fee = fields.Numeric("Fixed Fee per Job",
        digits=price_digits, states=_states,
        help="Set-up fee added to every coating quote.")

    @classmethod
    def default_coating_hourly_rate(cls):
        return Decimal('45')

    @classmethod
    def default_coating_minutes_per_m2(cls):
        return 10.

    @classmethod
    def default_coating_sandblasting_factor(cls):
        return 1.5

    @classmethod
    def default_coating_masking_factor(cls):
        return 1.2

    @classmethod
    def default_coating_powder_margin(cls):
        return 0.

    @classmethod
    def default_coating_labour_margin(cls):
        return 0.

    @classmethod
    def create(cls, vlist):
        companies = super().create(vlist)
        cls._create_coating_stages(companies)
        return companies

    @classmethod
    def write(cls, *args):
        super().write(*args)
        cls._create_coating_stages(sum(args[0:None:2], []))

    @classmethod
    def _create_coating_stages(cls, companies):
        "Give each coating shop without coating stages the default ones."
        Stage = Pool().get('service.order.stage')
        for company in companies:
            if company.business_type == 'coating':
                Stage.create_defaults(company, 'coating')
