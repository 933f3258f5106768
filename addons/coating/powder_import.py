"""Import a shop's powder catalogue from a CSV file.

Same rules as the customer import of the repair module: UTF-8 (with or
without BOM) or Windows-1252, comma or semicolon, headers in French or
English whatever their case and accents, refused lines written back to a
rejects file with their line number and reason, and no duplicates: a powder
whose brand and reference are already in the shop's catalogue, or earlier
in the file, is refused.

Columns: brand, reference (required), name, RAL, finish, type, density
(g/cm³), thickness (µm), coverage (m²/kg), consumption (kg/m²), transfer
efficiency (%), cure temperature (°C), cure minutes, price per kg, formats
("20:0.8|5:0.35" = 20 kg boxes of 0.8 kg tare and 5 kg of 0.35 kg).
"""
import re
from decimal import Decimal, InvalidOperation

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from trytond.modules.workshop import csv_file

from .catalogue import FINISHES, TYPES

HEADERS = {
    'brand': ['marque', 'brand', 'fabricant', 'manufacturer'],
    'reference': ['référence', 'reference', 'ref', 'réf'],
    'name': ['nom', 'name', 'désignation', 'designation', 'libellé'],
    'ral': ['ral', 'teinte', 'colour', 'color'],
    'finish': ['finition', 'finish', 'aspect'],
    'type': ['type', 'chimie', 'resin'],
    'density': ['densité', 'density', 'masse volumique'],
    'thickness': ['épaisseur', 'thickness', 'épaisseur µm', 'thickness µm'],
    'coverage': ['rendement', 'coverage', 'couverture', 'm²/kg'],
    'consumption': ['consommation', 'consumption', 'kg/m²'],
    'efficiency': ['rendement de transfert', 'transfer efficiency',
        'efficiency', 'taux de transfert'],
    'cure_temperature': ['température de cuisson', 'cure temperature',
        'température', 'temperature'],
    'cure_minutes': ['durée de cuisson', 'cure minutes', 'cure time',
        'durée', 'minutes'],
    'price': ['prix', 'price', 'prix/kg', 'price per kg', 'prix au kg'],
    'formats': ['formats', 'format', 'conditionnement', 'boxes'],
    }


class ImportFileError(UserError):
    "The file cannot be read; nothing is imported. `kind` says why."

    def __init__(self, kind, **variables):
        self.kind = kind
        super().__init__(gettext('coating.msg_import_%s' % kind, **variables))


key = csv_file.header_key
_FIELDS = csv_file.header_fields(HEADERS)
_FINISHES = {key(k): k for k, _ in FINISHES if k}
_FINISHES.update({key(v): k for k, v in FINISHES if k})
_FINISHES.update({'mat': 'matt', 'satine': 'satin', 'brillant': 'gloss',
        'texture': 'textured', 'structure': 'textured',
        'metallise': 'metallic', 'martele': 'hammered',
        'finementtexture': 'fine_textured', 'autre': 'other'})
_TYPES = {key(k): k for k, _ in TYPES if k}
_TYPES.update({key(v): k for k, v in TYPES if k})
_TYPES.update({'epoxypolyester': 'epoxy_polyester', 'hybride': 'epoxy_polyester',
        'hybrid': 'epoxy_polyester', 'polyurethanne': 'polyurethane',
        'autre': 'other'})


def read_rows(data):
    """Parse the bytes of a powder CSV file into a workshop csv_file
    ParsedFile (same rules as the customer import). Raises ImportFileError
    'empty', 'binary', 'encoding' or 'no_reference_column'."""
    return csv_file.read_rows(data, _FIELDS, 'reference', ImportFileError)


def parse_number(text):
    "Decimal of '1,5' or '1.5' or '1 234,5'; ValueError otherwise."
    text = text.replace('\u00a0', '').replace(' ', '').replace(',', '.')
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(text)


def rejects_csv(parsed, rejects):
    """Bytes of a CSV of refused lines [(line, reason, Row)]: line,
    reason, then the original cells (workshop csv_file.rejects_csv)."""
    return csv_file.rejects_csv(parsed, rejects,
        gettext('coating.msg_import_rejects_line'),
        gettext('coating.msg_import_rejects_reason'))


class ImportResult:
    "Counts of an import: `imported` lines and `rejects` [(line, reason, Row)]."

    def __init__(self):
        self.imported = 0
        self.rejects = []

    @property
    def rejected(self):
        return len(self.rejects)


# (field, bounds (low, high, low inclusive), integer)
_NUMBERS = [
    ('density', (0, None, False), False),
    ('thickness', (0, None, False), True),
    ('coverage', (0, None, False), False),
    ('consumption', (0, None, False), False),
    ('efficiency', (1, 100, True), False),
    ('cure_temperature', (0, 400, False), True),
    ('cure_minutes', (0, None, False), True),
    ('price', (0, None, True), False),
    ]


class PowderImporter:
    """Create the powders of one shop from parsed rows, in the current
    transaction (context company = the shop)."""

    def __init__(self, company):
        pool = Pool()
        Template = pool.get('product.template')
        RAL = pool.get('coating.ral')
        self.company = company
        self.ral = {r.code: r for r in RAL.search([])}
        self.known = {(key(t.powder_brand), key(t.powder_reference))
            for t in Template.search([
                    ('powder', '=', True),
                    ('powder_company', '=', company.id)])}

    def check(self, values):
        "Return (clean values, [reasons]) of a row."
        clean, reasons = {}, []
        for name in ['brand', 'reference']:
            if not values.get(name):
                reasons.append(gettext('coating.msg_import_missing',
                        column=name))
        if values.get('ral'):
            code = re.sub(r'^ral\s*', '', values['ral'], flags=re.I).strip()
            if code in self.ral:
                clean['ral'] = self.ral[code]
            else:
                reasons.append(gettext('coating.msg_import_unknown_ral',
                        ral=values['ral']))
        for name, mapping in [('finish', _FINISHES), ('type', _TYPES)]:
            if values.get(name):
                if key(values[name]) in mapping:
                    clean[name] = mapping[key(values[name])]
                else:
                    reasons.append(gettext('coating.msg_import_unknown_value',
                            column=name, value=values[name]))
        for name, (low, high, inclusive), integer in _NUMBERS:
            if not values.get(name):
                continue
            try:
                number = parse_number(values[name])
                if integer and number != number.to_integral_value():
                    raise ValueError(values[name])
                if ((number < low or (number == low and not inclusive))
                        or (high is not None and number > high)):
                    raise ValueError(values[name])
            except ValueError:
                reasons.append(gettext('coating.msg_import_invalid_number',
                        column=name, value=values[name]))
                continue
            clean[name] = int(number) if integer else number
        if values.get('formats'):
            formats = []
            for item in re.split(r'[|/]', values['formats']):
                weight, _, tare = item.partition(':')
                try:
                    weight, tare = parse_number(weight), parse_number(
                        tare or '0')
                    if weight <= 0 or tare < 0:
                        raise ValueError(item)
                except ValueError:
                    reasons.append(gettext('coating.msg_import_invalid_format',
                            value=item))
                    break
                formats.append((float(weight), float(tare)))
            clean['formats'] = formats
        if not reasons:
            ident = (key(values['brand']), key(values['reference']))
            if ident in self.known:
                reasons.append(gettext('coating.msg_import_duplicate',
                        brand=values['brand'],
                        reference=values['reference']))
        return clean, reasons

    def import_rows(self, parsed):
        "Import the rows of a ParsedFile and return an ImportResult (audited)."
        pool = Pool()
        Template = pool.get('product.template')
        Audit = pool.get('workshop.audit')
        ModelData = pool.get('ir.model.data')
        kg = ModelData.get_id('product', 'uom_kilogram')
        result = ImportResult()
        to_create = []
        for row in parsed.rows:
            clean, reasons = self.check(row.values)
            if reasons:
                result.rejects.append((row.line, '; '.join(reasons), row))
                continue
            values = row.values
            self.known.add((key(values['brand']), key(values['reference'])))
            to_create.append({
                    'name': values.get('name') or '%s %s' % (
                        values['brand'], values['reference']),
                    'type': 'goods',
                    'default_uom': kg,
                    'list_price': clean.get('price', Decimal(0)),
                    'powder': True,
                    'powder_company': self.company.id,
                    'powder_brand': values['brand'],
                    'powder_reference': values['reference'],
                    'ral': clean['ral'].id if 'ral' in clean else None,
                    'powder_finish': clean.get('finish'),
                    'powder_type': clean.get('type'),
                    'powder_density': _float(clean.get('density')),
                    'powder_thickness': clean.get('thickness'),
                    'powder_coverage': _float(clean.get('coverage')),
                    'powder_consumption': _float(clean.get('consumption')),
                    'powder_transfer_efficiency': _float(
                        clean.get('efficiency')) or 65.,
                    'cure_temperature': clean.get('cure_temperature'),
                    'cure_minutes': clean.get('cure_minutes'),
                    'products': [('create', [{}])],
                    'powder_formats': [('create', [
                                {'weight': w, 'tare': t}
                                for w, t in clean.get('formats', [])])],
                    })
            result.imported += 1
        if to_create:
            Template.create(to_create)
        Audit.log('import', [], company=self.company,
            description='powders: imported %s, rejected %s' % (
                result.imported, result.rejected))
        return result


def _float(value):
    return float(value) if value is not None else None


def import_file(company, data):
    "Read and import a CSV file; return (ParsedFile, ImportResult)."
    parsed = read_rows(data)
    return parsed, PowderImporter(company).import_rows(parsed)


class PowderImportStart(ModelView):
    "Import Powders"
    __name__ = 'coating.powder_import.start'

    file = fields.Binary("File", required=True, filename='filename',
        help="A CSV file (comma or semicolon, UTF-8 or Windows-1252) with "
        "a header: brand, reference (required), name, RAL, finish, type, "
        "density, thickness, coverage, consumption, transfer efficiency, "
        "cure temperature, cure minutes, price per kg, formats.")
    filename = fields.Char("File Name")


class PowderImportResult(ModelView):
    "Import Powders"
    __name__ = 'coating.powder_import.result'

    imported = fields.Integer("Created", readonly=True)
    rejected = fields.Integer("Rejected", readonly=True)
    unknown_columns = fields.Char("Ignored Columns", readonly=True)
    rejects = fields.Binary("Rejects", filename='rejects_filename',
        readonly=True)
    rejects_filename = fields.Char("Rejects File Name", readonly=True)

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('//group[@id="rejects"]', 'states', {
                    'invisible': ~Eval('rejected', 0),
                    }),
            ]


class PowderImport(Wizard):
    "Import Powders"
    __name__ = 'coating.powder_import'

    start = StateView('coating.powder_import.start',
        'coating.powder_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateTransition()
    result = StateView('coating.powder_import.result',
        'coating.powder_import_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_import_(self):
        Company = Pool().get('company.company')
        company_id = Transaction().context.get('company')
        if not company_id:
            raise UserError(gettext('coating.msg_import_no_company'))
        parsed, result = import_file(Company(company_id), self.start.file)
        self._result = {
            'imported': result.imported,
            'rejected': result.rejected,
            'unknown_columns': ', '.join(parsed.unknown_columns),
            }
        if result.rejects:
            self._result['rejects'] = rejects_csv(parsed, result.rejects)
            self._result['rejects_filename'] = (
                (self.start.filename or 'powders.csv') + '.rejects.csv')
        return 'result'

    def default_result(self, fields):
        return getattr(self, '_result', {})
