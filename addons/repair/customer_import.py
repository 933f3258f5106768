"""Import a shop's existing customers and their devices from a CSV file.

Two layers, used by both the back-office wizard and `scripts/import`:

- `read_rows(data)` parses the bytes of a CSV file (no database needed):
  encoding, separator, header recognition;
- `CustomerImporter(company).import_rows(parsed)` validates each row and
  creates or merges parties, contact mechanisms, addresses and devices of
  that shop, inside the current Tryton transaction.

`rejects_csv(parsed, rejects)` writes the refused lines back, with their
line number and reason, for the user to correct and import again.
"""
import re
import unicodedata

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from trytond.modules.workshop import csv_file

from .device import normalize_imei

# Field of the importer -> accepted headers, compared by `header_key`
# (lower case, without accents, spaces or punctuation).
HEADERS = {
    'name': ['nom', 'name', 'nom de famille', 'last name', 'surname'],
    'first_name': ['prénom', 'first name', 'firstname', 'given name'],
    'phone': ['téléphone', 'phone', 'tél', 'phone number'],
    'email': ['email', 'e-mail', 'mail', 'courriel'],
    'address': ['adresse', 'address', 'rue', 'street'],
    'zip': ['code postal', 'zip', 'zip code', 'postal code', 'cp'],
    'city': ['ville', 'city'],
    'brand': ['marque', 'brand'],
    'model': ['modèle', 'model'],
    'imei': ['imei'],
    'serial': ['numéro de série', 'serial', 'serial number', 'n° de série',
        'no de série', 'sn'],
    }
_HEADER_FIELDS = csv_file.header_fields(HEADERS)
# Strict address check (no library here provides one without DNS look-ups):
# an ASCII local part of RFC 5322 "atext" dot-atoms and a domain of at least
# two DNS labels (RFC 1035 letters, digits, hyphens), the last one alphabetic.
_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")


class ImportFileError(UserError):
    """The file cannot be read at all; nothing is imported.

    `kind` is the reason: 'empty', 'binary', 'encoding' or 'no_name_column'.
    The message is the translated `repair.msg_import_<code>` (its id when
    there is no transaction, as in pure parsing tests).
    """

    def __init__(self, code, **variables):
        self.kind = code
        super().__init__(gettext('repair.msg_import_%s' % code, **variables))


def name_key(text):
    "Return the matching key of a person's name: no case, accents or extra spaces."
    text = unicodedata.normalize('NFKD', text or '')
    text = ''.join(c for c in text if not unicodedata.combining(c))
    return ' '.join(text.casefold().split())


def read_rows(data):
    """Parse the bytes of a customers CSV file into a ParsedFile (rules of
    workshop's csv_file: encoding, separator, headers in French or English,
    see HEADERS). Raises ImportFileError 'empty', 'binary', 'encoding' or
    'no_name_column'."""
    return csv_file.read_rows(data, _HEADER_FIELDS, 'name', ImportFileError)


def normalize_phone(value, region):
    """Return `value` as an E.164 number (ITU-T E.164, '+' and digits).

    `region` is the ISO 3166 alpha-2 code used for numbers written without
    an international prefix (the shop's `company.phone_region`). Returns
    (e164, is_mobile). Raises ValueError when phonenumbers does not find a
    valid number for that region (wrong length or unassigned prefix).
    """
    try:
        number = phonenumbers.parse(value, region)
    except NumberParseException as exception:
        raise ValueError(str(exception)) from exception
    if not phonenumbers.is_valid_number(number):
        raise ValueError(value)
    is_mobile = phonenumbers.number_type(number) == PhoneNumberType.MOBILE
    return (phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.E164), is_mobile)


def normalize_email(value):
    """Return the e-mail address `value` with its domain in lower case.

    Checked by a strict regular expression (see _EMAIL: RFC 5322 dot-atom
    local part, a dotted RFC 1035 domain); no DNS look-up. Raises
    ValueError when the address does not match.
    """
    value = value.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError(value)
    local, domain = value.rsplit('@', 1)
    return '%s@%s' % (local, domain.lower())


def rejects_csv(parsed, rejects):
    """Return the bytes of a CSV of the refused lines `rejects` [(line,
    reason, Row)]: line number, reason, then the original columns."""
    return csv_file.rejects_csv(parsed, rejects,
        gettext('repair.msg_import_rejects_line'),
        gettext('repair.msg_import_rejects_reason'))


class ImportResult:
    """Outcome of an import: lines that `imported` (created a customer),
    `merged` (matched one) and `rejects` [(line, reason, Row)]."""

    def __init__(self):
        self.imported = 0
        self.merged = 0
        self.rejects = []

    @property
    def rejected(self):
        return len(self.rejects)

    def summary(self):
        return 'imported %s, merged %s, rejected %s' % (
            self.imported, self.merged, self.rejected)


class CustomerImporter:
    """Create or merge the customers of one shop from parsed rows.

    A row matches an existing customer of `company` (only that shop's) by
    e-mail, then phone, then full name ("<first name> <name>", ignoring case
    and accents); its new contacts, address and device are added to it. An
    IMEI is never given to two devices of the shop. Must run inside a
    transaction whose context company is `company`.
    """

    def __init__(self, company):
        self.company = company
        self.region = company.phone_region
        pool = Pool()
        Country = pool.get('country.country')
        countries = Country.search([('code', '=', self.region)], limit=1)
        self.country = countries[0] if countries else None
        self._load()

    def _load(self):
        "Index the shop's customers and devices by their matching keys."
        pool = Pool()
        Party = pool.get('party.party')
        Device = pool.get('repair.device')
        self.by_email, self.by_phone, self.by_name = {}, {}, {}
        self.contacts, self.addresses, self.devices = {}, {}, {}
        self.by_imei = {}
        parties = Party.search([('company', '=', self.company.id)],
            order=[('id', 'ASC')])
        for party in parties:
            self.by_name.setdefault(name_key(party.name), party.id)
            self.contacts[party.id] = set()
            for mechanism in party.contact_mechanisms:
                key = self._contact_key(mechanism.type,
                    mechanism.value_compact or mechanism.value)
                if key:
                    self.contacts[party.id].add(key)
                    index = (self.by_email if key[0] == 'email'
                        else self.by_phone)
                    index.setdefault(key[1], party.id)
            self.addresses[party.id] = {
                self._address_key(a.street, a.postal_code, a.city)
                for a in party.addresses}
        for device in Device.search([('company', '=', self.company.id)]):
            self.devices.setdefault(device.party.id, set()).add(
                self._device_key(device.brand, device.model,
                    device.imei, device.serial_number))
            if device.imei:
                self.by_imei[device.imei] = device.party.id

    @staticmethod
    def _contact_key(type_, value):
        if not value:
            return None
        if type_ == 'email':
            return ('email', value.strip().casefold())
        if type_ in {'phone', 'mobile'}:
            return ('phone', value)
        return None

    @staticmethod
    def _address_key(street, postal_code, city):
        return tuple(name_key(v) for v in [street, postal_code, city])

    @staticmethod
    def _device_key(brand, model, imei, serial):
        if imei:
            return ('imei', imei)
        if serial:
            return ('serial', name_key(serial))
        return ('model', name_key(brand), name_key(model))

    def check(self, values):
        """Return (clean values, [reasons]) of a row's values.

        Reasons are translated messages; a row with reasons is refused.
        """
        clean = dict(values)
        reasons = []
        if not values.get('name'):
            reasons.append(gettext('repair.msg_import_missing_name'))
        if values.get('phone'):
            try:
                clean['phone'], clean['mobile'] = normalize_phone(
                    values['phone'], self.region)
            except ValueError:
                reasons.append(gettext('repair.msg_import_invalid_phone',
                        phone=values['phone'], region=self.region))
        if values.get('email'):
            try:
                clean['email'] = normalize_email(values['email'])
            except ValueError:
                reasons.append(gettext('repair.msg_import_invalid_email',
                        email=values['email']))
        if values.get('imei'):
            try:
                clean['imei'] = normalize_imei(values['imei'])
            except ValueError as exception:
                reasons.append(gettext('repair.msg_import_invalid_imei',
                        imei=values['imei'], reason=str(exception)))
        clean['full_name'] = ' '.join(filter(None,
                [values.get('first_name'), values.get('name')]))
        return clean, reasons

    def match(self, values):
        "Return the id of the shop's customer matching clean values, or None."
        if values.get('email'):
            party = self.by_email.get(values['email'].casefold())
            if party:
                return party
        if values.get('phone'):
            party = self.by_phone.get(values['phone'])
            if party:
                return party
        return self.by_name.get(name_key(values['full_name']))

    def import_rows(self, parsed, progress=None):
        """Import the rows of a ParsedFile and return an ImportResult.

        `progress`, when given, is called with (done, total) every 500 rows.
        Writes one 'import' audit row with the counts.
        """
        result = ImportResult()
        total = len(parsed.rows)
        for done, row in enumerate(parsed.rows, 1):
            values, reasons = self.check(row.values)
            if not reasons:
                party = self.match(values)
                imei_owner = self.by_imei.get(values.get('imei'))
                if imei_owner and imei_owner != party:
                    reasons.append(gettext('repair.msg_import_imei_taken',
                            imei=values['imei']))
            if reasons:
                result.rejects.append((row.line, '; '.join(reasons), row))
            elif party:
                self.merge(party, values)
                result.merged += 1
            else:
                self.create(values)
                result.imported += 1
            if progress and (done % 500 == 0 or done == total):
                progress(done, total)
        Audit = Pool().get('workshop.audit')
        Audit.log('import', [], company=self.company,
            description='customers: %s' % result.summary())
        return result

    def create(self, values):
        "Create the customer of clean values with its contacts and device."
        Party = Pool().get('party.party')
        party, = Party.create([{
                    'name': values['full_name'],
                    'company': self.company.id,
                    'addresses': [],
                    }])
        self.by_name.setdefault(name_key(party.name), party.id)
        self.contacts[party.id] = set()
        self.addresses[party.id] = set()
        self.merge(party.id, values)
        return party

    def merge(self, party_id, values):
        "Add to customer `party_id` the contacts, address and device it lacks."
        pool = Pool()
        Mechanism = pool.get('party.contact_mechanism')
        Address = pool.get('party.address')
        Device = pool.get('repair.device')
        mechanisms = []
        for type_, value in [
                ('email', values.get('email')),
                ('mobile' if values.get('mobile') else 'phone',
                    values.get('phone'))]:
            key = self._contact_key(type_, value)
            if key and key not in self.contacts[party_id]:
                mechanisms.append(
                    {'party': party_id, 'type': type_, 'value': value})
                self.contacts[party_id].add(key)
                index = self.by_email if key[0] == 'email' else self.by_phone
                index.setdefault(key[1], party_id)
        if mechanisms:
            Mechanism.create(mechanisms)
        street, zip_, city = (values.get(k) for k in ['address', 'zip', 'city'])
        key = self._address_key(street, zip_, city)
        if any(key) and key not in self.addresses[party_id]:
            Address.create([{
                        'party': party_id,
                        'street_unstructured': street or None,
                        'postal_code': zip_ or None,
                        'city': city or None,
                        'country': self.country.id if self.country else None,
                        }])
            self.addresses[party_id].add(key)
        device = [values.get(k) for k in ['brand', 'model', 'imei', 'serial']]
        key = self._device_key(*device)
        devices = self.devices.setdefault(party_id, set())
        if any(device) and key not in devices:
            brand, model, imei, serial = (v or None for v in device)
            Device.create([{
                        'company': self.company.id,
                        'party': party_id,
                        'brand': brand,
                        'model': model,
                        'imei': imei,
                        'serial_number': serial,
                        }])
            devices.add(key)
            if imei:
                self.by_imei[imei] = party_id


def import_file(company, data, progress=None):
    """Read and import the bytes of a CSV file for `company`.

    Returns (ParsedFile, ImportResult); raises ImportFileError when the file
    cannot be read (then nothing is imported).
    """
    parsed = read_rows(data)
    return parsed, CustomerImporter(company).import_rows(
        parsed, progress=progress)


class CustomerImportStart(ModelView):
    "Import Customers"
    __name__ = 'repair.customer_import.start'

    file = fields.Binary("File", required=True, filename='filename',
        help="A CSV file (comma or semicolon separated, UTF-8 or "
        "Windows-1252) with a header line: name (required), first name, "
        "phone, email, address, zip, city, brand, model, IMEI, serial.")
    filename = fields.Char("File Name")


class CustomerImportResult(ModelView):
    "Import Customers"
    __name__ = 'repair.customer_import.result'

    imported = fields.Integer("Created", readonly=True,
        help="Lines that created a customer.")
    merged = fields.Integer("Merged", readonly=True,
        help="Lines that matched an existing customer of the shop.")
    rejected = fields.Integer("Rejected", readonly=True,
        help="Lines refused; see the rejects file.")
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


class CustomerImport(Wizard):
    "Import Customers"
    __name__ = 'repair.customer_import'

    start = StateView('repair.customer_import.start',
        'repair.customer_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateTransition()
    result = StateView('repair.customer_import.result',
        'repair.customer_import_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_import_(self):
        pool = Pool()
        Company = pool.get('company.company')
        company_id = Transaction().context.get('company')
        if not company_id:
            raise UserError(gettext('repair.msg_import_no_company'))
        company = Company(company_id)
        parsed, result = import_file(company, self.start.file)
        self._result = {
            'imported': result.imported,
            'merged': result.merged,
            'rejected': result.rejected,
            'unknown_columns': ', '.join(parsed.unknown_columns),
            }
        if result.rejects:
            name = (self.start.filename or 'import.csv')
            self._result['rejects'] = rejects_csv(parsed, result.rejects)
            self._result['rejects_filename'] = name + '.rejects.csv'
        return 'result'

    def default_result(self, fields):
        return getattr(self, '_result', {})
