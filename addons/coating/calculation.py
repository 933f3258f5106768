"""Powder coating formulas, in pure Python (no Tryton import) so that they
can be unit-tested and benchmarked alone.

Units used everywhere:

- lengths of parts in millimetres (mm), surfaces in square metres (m²);
- powder masses in kilograms (kg), consumption in kg/m², coverage in m²/kg,
  density in g/cm³, film thickness in micrometres (µm);
- transfer efficiency in percent (%, 1–100): the share of the sprayed powder
  that ends on the part (the rest is overspray, lost or reclaimed);
- time in minutes (min) or hours (h); money as Decimal in the shop currency,
  rounded half-up to the currency's digits.

`quote(QuoteInput)` returns the live quote as a list of `CalcLine`: the
information lines show the intermediate figures, the others are the money
lines that become service order lines.
"""
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

MIN_COATS, MAX_COATS = 1, 3
#: Rounding of quantities on quote lines: kg to 10 g, hours to 1/100 h,
#: surfaces to 1/100 m², the digits of Tryton's kilogram, hour and square
#: metre units that the quote lines use (a sale line refuses more).
KG_DIGITS, HOUR_DIGITS, M2_DIGITS = 2, 2, 2
#: Digits of unit prices (the service order line's price_digits is 4).
PRICE_DIGITS = 4


class CalculationError(ValueError):
    """An input of a formula is out of its range. `code` names the check
    (`coats`, `surface`, `efficiency`, `consumption`, `dimension`,
    `quantity`, `factor`, `rate`), `value` is the offending value."""

    def __init__(self, code, value, message=None):
        self.code = code
        self.value = value
        super().__init__(message or '%s: %r' % (code, value))


def quantize(value, digits):
    "Return `value` as a Decimal rounded half-up to `digits` decimals."
    exponent = Decimal(1).scaleb(-digits)
    return Decimal(str(value)).quantize(exponent, rounding=ROUND_HALF_UP)


def check_coats(coats):
    "Raise CalculationError('coats') unless 1 ≤ coats ≤ 3 (an integer)."
    if (coats is None or int(coats) != coats
            or not MIN_COATS <= coats <= MAX_COATS):
        raise CalculationError('coats', coats)
    return int(coats)


def part_surface(length, width, height=0):
    """Surface to coat of one part from its dimensions, in m².

    surface [m²] = 2 × (L×W + L×H + W×H) [mm²] ÷ 1 000 000

    It is the outer surface of the part's bounding box: both faces of a flat
    sheet (H = 0 gives 2 × L × W) and the six faces of a box. Tubes, grids
    and profiles are over- or under-estimated: enter their surface instead.
    Raises CalculationError('dimension') on a negative or missing length or
    width.
    """
    height = height or 0
    for value in (length, width, height):
        if value is None or value < 0:
            raise CalculationError('dimension', value)
    return 2 * (length * width + length * height + width * height) / 1e6


def consumption(consumption=None, coverage=None, thickness=None,
        density=None):
    """Powder consumption in kg/m² at 100 % transfer efficiency.

    - the entered consumption (kg/m²) wins;
    - else 1 ÷ theoretical coverage (m²/kg);
    - else thickness (µm) × density (g/cm³) ÷ 1000: one m² of film one µm
      thick is 1 cm³, so it weighs `density` grams (the powder data sheet's
      "theoretical coverage" formula, e.g. 60 µm at 1.5 g/cm³ = 0.090 kg/m²).
    Returns None when nothing is known. Raises CalculationError
    ('consumption') on a value ≤ 0.
    """
    if consumption is not None:
        if consumption <= 0:
            raise CalculationError('consumption', consumption)
        return consumption
    if coverage is not None:
        if coverage <= 0:
            raise CalculationError('consumption', coverage)
        return 1 / coverage
    if thickness and density:
        if thickness <= 0 or density <= 0:
            raise CalculationError('consumption', (thickness, density))
        return thickness * density / 1000
    return None


def powder_kg(surface, coats, consumption, efficiency):
    """Powder to spray, in kg.

    kg = surface [m²] × coats × consumption [kg/m²] ÷ (efficiency [%] ÷ 100)

    Raises CalculationError: 'surface' (< 0), 'coats' (not 1–3),
    'consumption' (≤ 0 or missing), 'efficiency' (not in ]0, 100]).
    """
    if surface is None or surface < 0:
        raise CalculationError('surface', surface)
    coats = check_coats(coats)
    if not consumption or consumption <= 0:
        raise CalculationError('consumption', consumption)
    if not efficiency or not 0 < efficiency <= 100:
        raise CalculationError('efficiency', efficiency)
    return surface * coats * consumption / (efficiency / 100)


def labour_minutes(surface, layers, minutes_per_m2, sandblasting=False,
        sandblasting_factor=1, masking=False, masking_factor=1,
        base_minutes=None):
    """Labour time in minutes.

    minutes = base × (sandblasting factor if sandblasted)
        × (masking factor if masked)
    base = the entered minutes, else surface [m²] × minutes per m² and per
    layer [min/m²] × layers (coats + primer + varnish).

    Raises CalculationError('surface') on a negative surface and 'factor'
    on a factor < 1 (a multiplier never makes the job shorter).
    """
    if surface is None or surface < 0:
        raise CalculationError('surface', surface)
    for factor in (sandblasting_factor, masking_factor):
        if factor is None or factor < 1:
            raise CalculationError('factor', factor)
    if base_minutes is None:
        base_minutes = surface * (minutes_per_m2 or 0) * layers
    elif base_minutes < 0:
        raise CalculationError('rate', base_minutes)
    minutes = base_minutes
    if sandblasting:
        minutes *= sandblasting_factor
    if masking:
        minutes *= masking_factor
    return minutes


def with_margin(price, margin):
    "price × (1 + margin [%] ÷ 100), a Decimal rounded to PRICE_DIGITS."
    return quantize(
        Decimal(str(price)) * (1 + Decimal(str(margin or 0)) / 100),
        PRICE_DIGITS)


def line_amount(quantity, unit_price, digits=2):
    "quantity × unit price, rounded half-up to the currency's `digits`."
    return quantize(Decimal(str(quantity)) * unit_price, digits)


@dataclass
class CalcLine:
    """One line of the quote calculation.

    kind: 'info' (an intermediate figure, no money) or the money kinds
    'powder', 'primer', 'varnish', 'labour', 'energy', 'consumables', 'fee'.
    quantity: Decimal in `unit` ('m2', 'kg/m2', 'kg', 'h', 'min', 'unit');
    unit_price and amount: Decimal (None on info lines).
    """
    kind: str
    label: str
    formula: str
    quantity: Decimal
    unit: str
    unit_price: Decimal = None
    amount: Decimal = None

    def as_dict(self):
        return {
            'kind': self.kind, 'label': self.label, 'formula': self.formula,
            'quantity': self.quantity, 'unit': self.unit,
            'unit_price': self.unit_price, 'amount': self.amount,
            }


@dataclass
class QuoteInput:
    """What the live quote needs; see `quote`.

    surface: m² (all parts); consumption: kg/m²; efficiency: %;
    price_per_kg, primer_price_per_kg, varnish_price_per_kg: currency/kg
    (the last two default to price_per_kg); minutes_per_m2: min/m² per
    layer; labour_minutes: entered minutes (overrides the estimate);
    hourly_rate: currency/h; energy_rate: currency per m² and layer;
    consumables_rate: currency/m²; powder_margin, labour_margin: %;
    fixed_fee: currency; digits: currency digits.
    """
    surface: float
    coats: int
    consumption: float
    efficiency: float
    price_per_kg: Decimal
    hourly_rate: Decimal = Decimal(0)
    minutes_per_m2: float = 0
    labour_minutes: float = None
    primer: bool = False
    varnish: bool = False
    primer_price_per_kg: Decimal = None
    varnish_price_per_kg: Decimal = None
    sandblasting: bool = False
    sandblasting_factor: float = 1
    masking: bool = False
    masking_factor: float = 1
    energy: bool = False
    energy_rate: Decimal = Decimal(0)
    consumables: bool = False
    consumables_rate: Decimal = Decimal(0)
    powder_margin: float = 0
    labour_margin: float = 0
    fixed_fee: Decimal = Decimal(0)
    digits: int = 2
    labels: dict = field(default_factory=dict)


def _number(value):
    "Short text of a number for formula strings: 2.50 → 2.5."
    text = ('%.6f' % value).rstrip('0').rstrip('.')
    return text or '0'


def quote(data):
    """Return the quote of `data` (a QuoteInput) as a list of CalcLine.

    Money lines, each amount = quantity × unit price rounded to the currency:

    - powder: kg = surface × coats × consumption ÷ (efficiency ÷ 100),
      rounded to 10 g; unit price = price per kg × (1 + powder margin %);
    - primer, varnish (options): one layer each, same formula with 1 coat
      and their own price per kg (default: the powder's);
    - labour: hours = minutes ÷ 60 rounded to 1/100 h (minutes from
      `labour_minutes`); unit price = hourly rate × (1 + labour margin %);
    - energy (option): m² × layers at the energy rate per m² and layer;
    - consumables (option): m² at the consumables rate per m²;
    - fixed fee: 1 × the fee, when not zero.

    `data.labels` may translate the labels (keys of LABELS) and the words
    of the formulas (keys of FORMULA_WORDS). Raises CalculationError on
    inputs out of range.
    """
    labels = dict(LABELS, **FORMULA_WORDS)
    labels.update(data.labels or {})
    coats = check_coats(data.coats)
    if data.surface is None or data.surface < 0:
        raise CalculationError('surface', data.surface)
    layers = coats + bool(data.primer) + bool(data.varnish)
    digits = data.digits
    lines = [
        CalcLine('info', labels['surface'], labels['surface_formula'],
            quantize(data.surface, M2_DIGITS), 'm2'),
        CalcLine('info', labels['consumption'],
            labels['consumption_formula'],
            quantize(data.consumption or 0, 4), 'kg/m2'),
        ]

    def powder_line(kind, layer_coats, price):
        kg = quantize(powder_kg(data.surface, layer_coats, data.consumption,
                data.efficiency), KG_DIGITS)
        unit_price = with_margin(price, data.powder_margin)
        formula = "%s m² × %s × %s kg/m² ÷ %s %% = %s kg; %s/kg × (1 + %s %%)" % (
            _number(data.surface), layer_coats, _number(data.consumption),
            _number(data.efficiency), kg, _number(price),
            _number(data.powder_margin or 0))
        return CalcLine(kind, labels[kind], formula, kg, 'kg', unit_price,
            line_amount(kg, unit_price, digits))

    lines.append(powder_line('powder', coats, data.price_per_kg))
    if data.primer:
        lines.append(powder_line('primer', 1,
                data.primer_price_per_kg
                if data.primer_price_per_kg is not None
                else data.price_per_kg))
    if data.varnish:
        lines.append(powder_line('varnish', 1,
                data.varnish_price_per_kg
                if data.varnish_price_per_kg is not None
                else data.price_per_kg))

    minutes = labour_minutes(data.surface, layers, data.minutes_per_m2,
        sandblasting=data.sandblasting,
        sandblasting_factor=data.sandblasting_factor,
        masking=data.masking, masking_factor=data.masking_factor,
        base_minutes=data.labour_minutes)
    hours = quantize(minutes / 60, HOUR_DIGITS)
    if data.labour_minutes is not None:
        base = "%s min" % _number(data.labour_minutes)
    else:
        base = "%s m² × %s min/m² × %s %s" % (
            _number(data.surface), _number(data.minutes_per_m2 or 0), layers,
            labels['layers'])
    if data.sandblasting:
        base += " × %s (%s)" % (_number(data.sandblasting_factor),
            labels['sandblasting'])
    if data.masking:
        base += " × %s (%s)" % (_number(data.masking_factor),
            labels['masking'])
    unit_price = with_margin(data.hourly_rate, data.labour_margin)
    lines.append(CalcLine('labour', labels['labour'],
            "%s = %s min ÷ 60 = %s h; %s/h × (1 + %s %%)" % (
                base, _number(minutes), hours, _number(data.hourly_rate),
                _number(data.labour_margin or 0)),
            hours, 'h', unit_price, line_amount(hours, unit_price, digits)))
    if data.energy and data.energy_rate:
        quantity = quantize(data.surface * layers, M2_DIGITS)
        price = quantize(data.energy_rate, PRICE_DIGITS)
        lines.append(CalcLine('energy', labels['energy'],
                "%s m² × %s %s × %s/m²" % (
                    _number(data.surface), layers, labels['layers'],
                    _number(price)),
                quantity, 'm2', price, line_amount(quantity, price, digits)))
    if data.consumables and data.consumables_rate:
        quantity = quantize(data.surface, M2_DIGITS)
        price = quantize(data.consumables_rate, PRICE_DIGITS)
        lines.append(CalcLine('consumables', labels['consumables'],
                "%s m² × %s/m²" % (_number(data.surface), _number(price)),
                quantity, 'm2', price, line_amount(quantity, price, digits)))
    if data.fixed_fee:
        price = quantize(data.fixed_fee, PRICE_DIGITS)
        lines.append(CalcLine('fee', labels['fee'], "1 × %s" % price,
                Decimal(1), 'unit', price, line_amount(1, price, digits)))
    lines.append(CalcLine('info', labels['total'], labels['total_formula'],
            None, '', None, total(lines)))
    return lines


#: Labels of the calculation lines (English; the job passes translations).
LABELS = {
    'surface': "Surface to coat", 'consumption': "Consumption",
    'powder': "Powder", 'primer': "Primer", 'varnish': "Varnish",
    'labour': "Labour", 'energy': "Energy (oven)",
    'consumables': "Consumables", 'fee': "Fixed fee", 'total': "Total",
    }
#: Words inside the formulas shown to the customer.
FORMULA_WORDS = {
    'layers': "layers", 'sandblasting': "sandblasting",
    'masking': "masking",
    'surface_formula': "Σ parts (surface × quantity)",
    'consumption_formula': "kg/m² at 100 % transfer efficiency",
    'total_formula': "Σ amounts",
    }


def total(lines):
    "Sum of the amounts of the money lines of a calculation (Decimal)."
    return sum((l.amount for l in lines
            if l.kind != 'info' and l.amount is not None), Decimal(0))


def cost(powder_kg_used, price_per_kg, minutes, hourly_rate, digits=2):
    """Cost of a job to the shop, without margins, in currency:

    cost = powder used [kg] × price per kg + minutes ÷ 60 × hourly rate

    Rework powder and minutes are included by the caller in the arguments.
    """
    amount = (Decimal(str(powder_kg_used or 0)) * Decimal(str(price_per_kg or 0))
        + Decimal(str(minutes or 0)) / 60 * Decimal(str(hourly_rate or 0)))
    return quantize(amount, digits)


def net_powder(gross, tare):
    "Powder left in a box, in kg: gross weight − tare (never below 0)."
    return max((gross or 0) - (tare or 0), 0)
