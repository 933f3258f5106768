from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction
from trytond.model.exceptions import AccessError, ValidationError


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
    def test_audit_export_and_deletion_by_user(self):
        "A user's export and deletion of shop data leave one audit row each"
        pool = Pool()
        Audit = pool.get('workshop.audit')
        Party = pool.get('party.party')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        transaction = Transaction()
        company = create_company()
        user, = User.create([{
                    'login': 'owner', 'name': "Owner",
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'roles': [('create', [{'role': ModelData.get_id(
                                        'workshop', 'role_owner')}])],
                    }])
        with set_company(company):
            parties = Party.create([{'name': "Client %s" % i}
                    for i in range(3)])
            # root and code without access checks: not audited
            Party.export_data(parties, ['name'])
            self.assertFalse(Audit.search([('action', '=', 'export')]))
        with transaction.set_user(user.id), transaction.set_context(
                _check_access=True, company=company.id,
                companies=[company.id]):
            Party.export_data(Party.browse([p.id for p in parties]),
                ['name', 'code'])
            Party.export_data_domain([('name', '=', "Client 1")], ['name'],
                header=True)
            Party.delete(Party.browse([parties[0].id]))
        first, second = Audit.search([('action', '=', 'export')],
            order=[('id', 'ASC')])
        self.assertEqual((first.user, first.company), (user, company))
        self.assertIn("3 rows (name, code)", first.description)
        self.assertIn("1 rows (name)", second.description)
        # the party's own deletion audit and the mixin's make one row
        deletion, = Audit.search([('action', '=', 'deletion')])
        self.assertEqual((deletion.resource_name, deletion.user),
            ("Client 0", user))

    @with_transaction()
    def test_default_company_rule_assignments(self):
        "Only administrators give a user a shop they are not in"
        pool = Pool()
        User = pool.get('res.user')
        UserCompany = pool.get('res.user-company.company')
        ModelData = pool.get('ir.model.data')
        transaction = Transaction()
        shop_a, shop_b = create_company("A"), create_company("B")
        owner_b, = User.create([{
                    'login': 'owner-b',
                    'name': "Owner B",
                    'companies': [('add', [shop_b.id])],
                    'company': shop_b.id,
                    'roles': [('create', [{'role': ModelData.get_id(
                                        'workshop', 'role_owner')}])],
                    }])
        # shop B's owner cannot grant itself shop A
        with transaction.set_user(owner_b.id), \
                transaction.set_context(_check_access=True,
                    company=shop_b.id, companies=[shop_b.id]):
            with self.assertRaises(AccessError):
                UserCompany.create([{
                            'user': owner_b.id, 'company': shop_a.id}])
        # the administrator (admin, group Administration) sets up a shop it
        # is not in yet, as setup_french_shop does
        admin, = User.search([('login', '=', 'admin')])
        User.write([admin], {'companies': [('remove', [shop_a.id])]})
        with transaction.set_user(admin.id), \
                transaction.set_context(_check_access=True,
                    company=shop_b.id, companies=[shop_b.id]):
            User.write([User(admin.id)], {
                    'companies': [('add', [shop_a.id])]})
        self.assertIn(shop_a, User(admin.id).companies)

    @with_transaction()
    def test_default_company_rule(self):
        "Shop data of models without a rule of their own stays in its shop"
        pool = Pool()
        Employee = pool.get('company.employee')
        Party = pool.get('party.party')
        PartyLang = pool.get('party.party.lang')
        Lang = pool.get('ir.lang')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        transaction = Transaction()
        shop_a, shop_b = create_company("A"), create_company("B")
        users = {}
        for shop in [shop_a, shop_b]:
            users[shop], = User.create([{
                        'login': 'owner-%s' % shop.rec_name,
                        'name': "Owner %s" % shop.rec_name,
                        'companies': [('add', [shop.id])],
                        'company': shop.id,
                        'roles': [('create', [{'role': ModelData.get_id(
                                            'workshop', 'role_owner')}])],
                        }])
        with set_company(shop_a):
            employee, = Employee.create([{'company': shop_a.id,
                        'party': Party.create([{'name': "Emp"}])[0].id}])
            party, = Party.create([{'name': "Client A"}])
            french, = Lang.search([('code', '=', 'fr')])
            lang, = PartyLang.create([{'party': party.id,
                        'company': shop_a.id, 'lang': french.id}])
        for shop, expected in [(shop_b, []), (shop_a, [employee.id])]:
            with transaction.set_user(users[shop].id), \
                    transaction.set_context(_check_access=True,
                        company=shop.id, companies=[shop.id]):
                self.assertEqual([e.id for e in Employee.search([
                                ('id', '=', employee.id)])], expected)
                self.assertEqual(bool(PartyLang.search([
                                ('id', '=', lang.id)])), bool(expected))
        # a forged context does not widen the user's shops
        with transaction.set_user(users[shop_b].id), \
                transaction.set_context(_check_access=True,
                    company=shop_a.id, companies=[shop_a.id]):
            self.assertEqual(Employee.search([('id', '=', employee.id)]),
                [])
            # RPC's export_data instantiates the ids it is given: the
            # record rules still apply
            with self.assertRaises(AccessError):
                Employee.export_data(Employee.browse([employee.id]),
                    ['party'])

    @with_transaction()
    def test_invalid_colour(self):
        "A colour that is not #rrggbb is refused"
        company = create_company()
        company.primary_colour = 'blue'
        with self.assertRaises(ValidationError):
            company.save()


del ModuleTestCase
