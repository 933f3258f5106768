"Shop settings carried by the company: trade, branding, legal mentions."
import re

from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta

BUSINESS_TYPES = [
    ('repair', "Phone and computer repair"),
    ('coating', "Powder coating"),
    ('tailoring', "Tailoring"),
    ('agency', "Agency"),
    ]
_COLOUR = re.compile(r'^#[0-9a-fA-F]{6}$')


class Company(metaclass=PoolMeta):
    __name__ = 'company.company'

    business_type = fields.Selection(
        BUSINESS_TYPES, "Business Type", required=True)
    primary_colour = fields.Char(
        "Primary Colour", size=7,
        help="Hexadecimal colour of the shop's documents and pages, "
        "like #1f4e79.")
    legal_mentions = fields.Text(
        "Legal Mentions", translate=True,
        help="Legal form, share capital, trade register (RCS/RM) printed "
        "at the foot of documents.")
    terms = fields.Text(
        "Terms of Service", translate=True,
        help="The shop's terms printed on intake receipts and quotes.")
    phone_country = fields.Many2One(
        'country.country', "Phone Country",
        help="Country used to read phone numbers written without "
        "an international prefix.")
    payment_terms_text = fields.Text(
        "Payment Terms Mention", translate=True,
        help="Payment terms and late-payment penalty printed on invoices.")

    @classmethod
    def default_business_type(cls):
        return 'repair'

    @classmethod
    def default_primary_colour(cls):
        return '#1f4e79'

    @classmethod
    def create(cls, vlist):
        companies = super().create(vlist)
        # The shop's own party is the shop's: the party rule hides
        # parties of other shops, and of no shop, from its users.
        parties = [c.party for c in companies if not c.party.company]
        for company in companies:
            if company.party in parties:
                company.party.company = company
        if parties:
            Party = Pool().get('party.party')
            Party.save(parties)
        return companies

    @classmethod
    def validate_fields(cls, companies, field_names):
        super().validate_fields(companies, field_names)
        if not field_names or 'primary_colour' in field_names:
            for company in companies:
                if (company.primary_colour
                        and not _COLOUR.match(company.primary_colour)):
                    raise ValidationError(gettext(
                            'workshop.msg_invalid_colour',
                            colour=company.primary_colour,
                            company=company.rec_name))

    @property
    def phone_region(self):
        "ISO 3166 alpha-2 code used as default region for phone numbers."
        if self.phone_country:
            return self.phone_country.code
        for address in self.party.addresses:
            if address.country:
                return address.country.code
        return 'FR'

    @property
    def siret(self):
        "SIRET (14 digits, as stored) of the shop's first address with one, or None."
        for address in self.party.addresses:
            if getattr(address, 'siret', None):
                return address.siret.code
        return None

    @property
    def vat_number(self):
        "Intra-community VAT number of the shop, or None."
        for identifier in self.party.identifiers:
            if identifier.type == 'eu_vat':
                return identifier.code
        return None
