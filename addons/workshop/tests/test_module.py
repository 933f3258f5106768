from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.model.exceptions import ValidationError


class WorkshopTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Workshop module"
    module = 'workshop'

    @with_transaction()
    def test_audit_log(self):
        "An audit row records user, action, record and company"
        pool = Pool()
        Audit = pool.get('workshop.audit')
        Party = pool.get('party.party')
        company = create_company()
        with set_company(company):
            party = Party(name="Client")
            party.save()
            self.assertEqual(party.company, company)
            row, = Audit.log('import', [party], "test")
            self.assertEqual(row.company, company)
            self.assertEqual(row.resource, party)
            self.assertEqual(row.action, 'import')
            Party.delete([party])
            deletion, = Audit.search([('action', '=', 'deletion')])
            self.assertEqual(deletion.resource_name, "Client")

    @with_transaction()
    def test_invalid_colour(self):
        "A colour that is not #rrggbb is refused"
        company = create_company()
        company.primary_colour = 'blue'
        with self.assertRaises(ValidationError):
            company.save()


del ModuleTestCase
