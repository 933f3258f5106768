"Creation of a French shop (party and company) on the server."
from trytond.pool import Pool, PoolMeta
from trytond.rpc import RPC
from trytond.transaction import Transaction, without_check_access


class Company(metaclass=PoolMeta):
    __name__ = 'company.company'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__['create_french_shop'] = RPC(readonly=False)

    @classmethod
    def create_french_shop(cls, values):
        """Create a shop's party and company; return the company id.

        `values` holds the party's `name`, `street`, `postal_code`, `city`,
        `country` (id), `siret` (14 digits, stored as a fr_siret identifier
        of the address, its 9 first digits as fr_siren), `vat_number`
        (eu_vat), optional `email` and `phone`, and the company fields
        `currency` (id), `timezone`, `business_type`, `legal_mentions`,
        `payment_terms_text`, `terms`, `primary_colour`.

        The shop's party belongs to no shop until the company exists, so the
        workshop party rule (party.company in the user's companies) would
        refuse it to any user: the party is created without rule checks,
        for callers allowed to create companies and parties (else the
        access error of ir.model.access is raised). Identifiers are checked
        by python-stdnum (party.identifier validation).
        """
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        Party = pool.get('party.party')
        Identifier = pool.get('party.identifier')
        ModelAccess.check(cls.__name__, 'create')
        ModelAccess.check('party.party', 'create')
        values = dict(values)
        siret = (values.pop('siret') or '').replace(' ', '')
        vat_number = values.pop('vat_number', None)
        contacts = []
        for type_ in ['email', 'phone']:
            value = values.pop(type_, None)
            if value:
                contacts.append({'type': type_, 'value': value})
        address = {k: values.pop(k, None)
            for k in ['street', 'postal_code', 'city', 'country']}
        identifiers = []
        if vat_number:
            identifiers.append({'type': 'eu_vat', 'code': vat_number})
        if siret:
            identifiers.append({'type': 'fr_siren', 'code': siret[:9]})
        with without_check_access(), \
                Transaction().set_context(company=None):
            party, = Party.create([{
                        'name': values.pop('name'),
                        'company': None,
                        'addresses': [('create', [address])],
                        'contact_mechanisms': [('create', contacts)],
                        'identifiers': [('create', identifiers)],
                        }])
            if siret:
                Identifier.create([{
                            'party': party.id,
                            'address': party.addresses[0].id,
                            'type': 'fr_siret', 'code': siret,
                            }])
            values['party'] = party.id
            company, = cls.create([values])
        return company.id
