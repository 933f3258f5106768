"""Two shops in one database: under access checks, no role of shop B sees
or changes any of shop A's tickets, customers, devices, quotes, invoices,
history or audit rows, and shop A's tracking token does not resolve for B.

Runs on the database named by the environment (PostgreSQL in scripts/test).
"""
import unittest
from decimal import Decimal

from sql.aggregate import Count

from trytond.model.exceptions import AccessError
from trytond.modules.account.tests import create_chart
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.service_order.tests.tools import (
    create_service_product, create_stages)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

ROLES = ['role_owner', 'role_admin', 'role_technician', 'role_accounting']
MODELS = [
    'service.order', 'service.order.line', 'service.order.stage',
    'service.order.stage.history', 'party.party', 'party.address',
    'party.contact_mechanism', 'repair.device', 'sale.sale',
    'account.invoice', 'workshop.audit',
    ]


class TenantIsolationTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        activate_module(['repair', 'account_invoice'])

    def _shop_a_records(self, company):
        "Create a full set of shop A data; return {model: [ids]}, token."
        pool = Pool()
        Party = pool.get('party.party')
        Device = pool.get('repair.device')
        Order = pool.get('service.order')
        Invoice = pool.get('account.invoice')
        Journal = pool.get('account.journal')
        Account = pool.get('account.account')
        create_chart(company)
        stages = create_stages(company, kind='repair')
        customer, = Party.create([{
                    'name': "Claire Martin",
                    'addresses': [('create', [{'city': "Lyon"}])],
                    'contact_mechanisms': [('create', [{
                                    'type': 'email',
                                    'value': 'claire@example.com'}])],
                    }])
        device, = Device.create([{
                    'party': customer.id, 'brand': "Apple",
                    'imei': '352099001761481'}])
        product = create_service_product(company=company)
        order, = Order.create([{
                    'kind': 'repair', 'party': customer.id,
                    'device': device.id, 'stage': stages['intake'].id,
                    'lines': [('create', [{
                                    'product': product.id,
                                    'description': "Labour",
                                    'quantity': 1, 'unit': product.sale_uom.id,
                                    'unit_price': Decimal('50')}])],
                    }])
        Order.quote([order])
        order.set_stage(stages['open'])
        receivable, = Account.search([
                ('type.receivable', '=', True), ('closed', '!=', True),
                ('party_required', '=', True),
                ('company', '=', company.id)], limit=1)
        revenue, = Account.search([
                ('type.revenue', '=', True), ('closed', '!=', True),
                ('company', '=', company.id)], limit=1)
        journal, = Journal.search([('type', '=', 'revenue')], limit=1)
        Invoice.create([{
                    'type': 'out', 'company': company.id,
                    'party': customer.id,
                    'invoice_address': customer.addresses[0].id,
                    'currency': company.currency.id,
                    'account': receivable.id, 'journal': journal.id,
                    'lines': [('create', [{
                                    'account': revenue.id,
                                    'description': "Repair",
                                    'quantity': 1,
                                    'unit_price': Decimal('50')}])],
                    }])
        records = {}
        for name in MODELS:
            Model = pool.get(name)
            domain = [('company', '=', company.id)] if 'company' in \
                Model._fields and name != 'service.order.line' else []
            if name == 'service.order.line':
                domain = [('order.company', '=', company.id)]
            elif name in {'party.address', 'party.contact_mechanism'}:
                domain = [('party.company', '=', company.id)]
            records[name] = [r.id for r in Model.search(domain)]
            self.assertTrue(records[name], msg="no %s for shop A" % name)
        return records, order.tracking_token

    def _create_users(self, company):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        users = []
        for role in ROLES:
            role_id = ModelData.get_id('workshop', role)
            user, = User.create([{
                        'login': 'b_%s' % role, 'name': role,
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'roles': [('create', [{'role': role_id}])],
                        }])
            users.append(user)
        return users

    @staticmethod
    def _count(Model, ids):
        "Rows of `ids` still in the table, read with SQL (no ORM, no rule)."
        table = Model.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                Count(table.id), where=table.id.in_(ids)))
        return cursor.fetchone()[0]

    @with_transaction()
    def test_shop_b_sees_nothing_of_shop_a(self):
        "No role of shop B can search, read, write or delete A's records"
        pool = Pool()
        Currency = pool.get('currency.currency')
        shop_a = create_company("Shop A")
        shop_b = create_company(
            "Shop B", currency=Currency(shop_a.currency.id))
        with set_company(shop_a):
            records, token = self._shop_a_records(shop_a)
        with set_company(shop_b):
            create_stages(shop_b, kind='repair')
        users = self._create_users(shop_b)
        transaction = Transaction()
        for user in users:
            with transaction.set_user(user.id), \
                    transaction.set_context(
                        company=shop_b.id, _check_access=True):
                for name, ids in records.items():
                    Model = pool.get(name)
                    with self.subTest(user=user.login, model=name):
                        try:
                            found = Model.search([('id', 'in', ids)])
                        except AccessError:
                            found = []  # no right on the model at all
                        self.assertEqual(found, [])
                        with self.assertRaises(AccessError):
                            Model.read(ids, ['id'])
                        try:
                            Model.delete(Model.browse(ids))
                        except AccessError:
                            pass
                        self.assertEqual(self._count(Model, ids), len(ids))
                with self.subTest(user=user.login, model='token'):
                    Order = pool.get('service.order')
                    self.assertEqual(
                        Order.search([('tracking_token', '=', token)]), [])

    @with_transaction()
    def test_shop_a_owner_sees_own_records(self):
        "The same checks see shop A's data for shop A's owner (no vacuity)"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        shop_a = create_company("Shop A")
        with set_company(shop_a):
            records, token = self._shop_a_records(shop_a)
        owner, = User.create([{
                    'login': 'a_owner', 'name': "Owner A",
                    'companies': [('add', [shop_a.id])],
                    'company': shop_a.id,
                    'roles': [('create', [{
                                    'role': ModelData.get_id(
                                        'workshop', 'role_owner')}])],
                    }])
        transaction = Transaction()
        with transaction.set_user(owner.id), transaction.set_context(
                company=shop_a.id, _check_access=True):
            for name in ['service.order', 'party.party', 'repair.device',
                    'workshop.audit', 'service.order.stage.history']:
                Model = pool.get(name)
                with self.subTest(model=name):
                    self.assertEqual(
                        len(Model.search([('id', 'in', records[name])])),
                        len(records[name]))
            Order = pool.get('service.order')
            self.assertEqual(
                len(Order.search([('tracking_token', '=', token)])), 1)
