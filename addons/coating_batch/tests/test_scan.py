"""The shop-floor scan page /<database>/shopfloor/scan, through the WSGI
app. The route opens its own transaction, so the data is committed first.
"""
import base64
import tempfile
import unittest

import trytond.config as config
from trytond import backend
from trytond.modules.company.tests import set_company
from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.tests.test_tryton import (
    DB_NAME, Client, activate_module, create_db, drop_db)
from trytond.transaction import Transaction
from trytond.wsgi import app

from .tools import create_powders, setup_shop

PASSWORD = 'Scan-Atelier-2025'


class ScanTestCase(unittest.TestCase):
    "Test the shop-floor scan page"

    @classmethod
    def setUpClass(cls):
        drop_db()
        activate_module('coating_batch')
        with Transaction().start(DB_NAME, 0) as transaction:
            cls.setUpDatabase()
            transaction.commit()

    @classmethod
    def tearDownClass(cls):
        drop_db()

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Order = pool.get('service.order')
        Party = pool.get('party.party')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        technician = ModelData.get_id('workshop', 'group_technician')
        numbers = {}
        for name in ["Thermolaquage Nord", "Thermolaquage Sud"]:
            company, stages = setup_shop(name)
            with set_company(company):
                powder, = create_powders(company, [
                        ('49/70160', '7016', 'gloss', (180, 10))])
                party = Party(name="Awa Diop-Ndiaye")
                party.save()
                job, = Order.create([{
                            'kind': 'coating', 'party': party.id,
                            'stage': stages['sandblasting'].id,
                            'powder': powder.id, 'coats': 1,
                            'cure_temperature': 180, 'cure_minutes': 10,
                            'coating_parts': [('create', [{
                                            'description': "Portail <b>",
                                            'length': 2000, 'width': 1000,
                                            'quantity': 1}])],
                            }])
                if name == "Thermolaquage Sud":
                    # numbers are per shop: one more so that the Sud
                    # number does not exist in Nord
                    job, = Order.copy([job], default={
                        'intake_date': job.intake_date})
                numbers[name] = (job.number, job.coating_parts[0].number)
            if name == "Thermolaquage Nord":
                User.create([{
                            'name': "Opérateur", 'login': 'operateur',
                            'password': PASSWORD,
                            'companies': [('add', [company.id])],
                            'company': company.id,
                            'groups': [('add', [technician])],
                            }])
        cls.numbers = numbers

    def get(self, code=None, database=DB_NAME, password=PASSWORD):
        headers = {}
        if password:
            headers['Authorization'] = 'Basic ' + base64.b64encode(
                ('operateur:%s' % password).encode()).decode()
        path = '/%s/shopfloor/scan' % database
        return Client(app, Response).get(path, headers=headers,
            query_string={'code': code} if code is not None else None)

    def test_authentication(self):
        "No or wrong credentials answer 401"
        for password in [None, 'wrong-password']:
            response = self.get('x', password=password)
            self.assertEqual(response.status_code, 401)
            self.assertIn('Basic', response.headers['WWW-Authenticate'])

    def test_form(self):
        "The form works without a code and without JavaScript"
        response = self.get()
        self.assertEqual(response.status_code, 200)
        page = response.get_data(as_text=True)
        self.assertIn('<form method="get"', page)
        self.assertIn('name="code"', page)
        self.assertNotIn('<script', page)

    def test_job_and_part(self):
        "A job's or a part's number opens the job, first name only"
        job, part = self.numbers["Thermolaquage Nord"]
        for code in [job, part, ' %s ' % part]:
            response = self.get(code)
            self.assertEqual(response.status_code, 200, code)
            page = response.get_data(as_text=True)
            self.assertIn(job, page)
            self.assertIn(part, page)
            self.assertIn('Awa', page)
            self.assertNotIn('Ndiaye', page)
            self.assertIn('Sablage', page)  # stage
            self.assertIn('Poudrage', page)  # allowed next stage
            self.assertIn('Portail &lt;b&gt;', page)

    def test_other_shop(self):
        "Another shop's job is not found"
        job, part = self.numbers["Thermolaquage Sud"]
        for code in [job, part, '<script>']:
            response = self.get(code)
            self.assertEqual(response.status_code, 404)
            self.assertNotIn('<script>', response.get_data(as_text=True))

    def test_unknown_database(self):
        "An unknown database answers 404"
        response = self.get('x', database='nosuchdb')
        self.assertEqual(response.status_code, 404, response.get_data())

    @unittest.skipUnless(backend.name == 'sqlite', "needs SQLite files")
    def test_database_without_module(self):
        "A database without coating_batch answers 404, not 500"
        path = config.get('database', 'path')
        with tempfile.TemporaryDirectory() as directory:
            config.set('database', 'path', directory)
            try:
                create_db('bare')
                response = self.get('x', database='bare')
            finally:
                config.set('database', 'path', path)
                Pool.stop('bare')
        self.assertEqual(response.status_code, 404)
