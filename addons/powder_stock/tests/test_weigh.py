"""The shop-floor weighing page /<database>/shopfloor/weigh, through the
WSGI app. The route opens its own transaction, so the data is committed
first."""
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

from .tools import close_job, create_job, create_powders, setup_shop

PASSWORD = 'Pesee-Atelier-2025'


class WeighPageTestCase(unittest.TestCase):
    "Test the shop-floor weighing page"

    @classmethod
    def setUpClass(cls):
        drop_db()
        activate_module('powder_stock')
        with Transaction().start(DB_NAME, 0) as transaction:
            cls.setUpDatabase()
            transaction.commit()

    @classmethod
    def tearDownClass(cls):
        drop_db()

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Box = pool.get('powder.box')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        technician = ModelData.get_id('workshop', 'group_technician')
        cls.codes = {}
        for name in ["Thermolaquage Nord", "Thermolaquage Sud"]:
            company, stages = setup_shop(name)
            with set_company(company):
                powder, = create_powders(company, [
                        ('T7016M', '18', [(20, 0.8)])])
                boxes = Box.receive(company, powder, 4,
                    format_=powder.template.powder_formats[0])
                if name == "Thermolaquage Sud":
                    # codes are per shop: one more so that the Sud code
                    # does not exist in Nord
                    boxes += Box.receive(company, powder, 1, capacity=20,
                        tare=0.8)
                    cls.codes['other'] = boxes[-1].code
                    continue
                Box.open_(boxes[:1])
                # 16 m² × 0.25 kg/m² = 4 kg out of the first box: 16 kg
                close_job(create_job(company, stages, powder, surface=16.0),
                    stages)
                Box.empty(boxes[3:])
                cls.codes.update(opened=boxes[0].code, sealed=boxes[1].code,
                    sealed2=boxes[2].code, emptied=boxes[3].code)
                User.create([{
                            'name': "Opérateur", 'login': 'operateur',
                            'password': PASSWORD,
                            'companies': [('add', [company.id])],
                            'company': company.id,
                            'groups': [('add', [technician])],
                            }])

    def _headers(self, password=PASSWORD, origin=None):
        headers = {}
        if password:
            headers['Authorization'] = 'Basic ' + base64.b64encode(
                ('operateur:%s' % password).encode()).decode()
        if origin:
            headers['Origin'] = origin
        return headers

    def get(self, code=None, database=DB_NAME, password=PASSWORD):
        return Client(app, Response).get(
            '/%s/shopfloor/weigh' % database, headers=self._headers(password),
            query_string={'code': code} if code is not None else None)

    def post(self, code, gross, password=PASSWORD, origin=None):
        # trytond itself refuses an Origin of another host (403)
        return Client(app, Response).post(
            '/%s/shopfloor/weigh' % DB_NAME,
            headers=self._headers(password, origin),
            data={'code': code, 'gross': gross})

    def weighings(self, code):
        "Return (gross, net, gap, user login) of the weighings of a box."
        with Transaction().start(DB_NAME, 0, readonly=True):
            Weighing = Pool().get('powder.weighing')
            return [(w.gross, w.net, w.gap, w.user.login if w.user else None)
                for w in Weighing.search([('box.code', '=', code)])]

    def test_authentication(self):
        "No or wrong credentials answer 401, also for a POST"
        for password in [None, 'wrong-password']:
            response = self.get('x', password=password)
            self.assertEqual(response.status_code, 401)
            self.assertIn('Basic', response.headers['WWW-Authenticate'])
        response = self.post(self.codes['sealed'], '20', password=None)
        self.assertEqual(response.status_code, 401)

    def test_form(self):
        "The form works without a code and without JavaScript"
        response = self.get()
        self.assertEqual(response.status_code, 200)
        page = response.get_data(as_text=True)
        self.assertIn('<form method="get"', page)
        self.assertIn('name="code"', page)
        self.assertNotIn('<script', page)

    def test_box(self):
        "A scanned code opens the box, without its theoretical figure"
        code = self.codes['opened']
        for value in [code, ' %s ' % code,
                'https://atelier.example/x?code=%s' % code]:
            response = self.get(value)
            self.assertEqual(response.status_code, 200, value)
            page = response.get_data(as_text=True)
            self.assertIn(code, page)
            self.assertIn('Poudre T7016M', page)
            self.assertIn('0,8 kg', page)  # tare
            self.assertIn('name="gross"', page)
            self.assertNotIn('16 kg', page)  # the books: not shown

    def test_weigh(self):
        "Weighing shows net, theoretical, gap and reliability; recorded"
        code = self.codes['opened']
        # 15.3 kg gross − 0.8 kg tare = 14.5 kg; the books say 16
        response = self.post(code, '15,3', origin='http://localhost')
        self.assertEqual(response.status_code, 200,
            response.get_data(as_text=True))
        page = response.get_data(as_text=True)
        self.assertIn('Pesée enregistrée', page)
        self.assertIn('14,5 kg', page)
        self.assertIn('16 kg', page)
        self.assertIn('−1,5 kg', page)
        self.assertIn('−9,4 %', page)
        self.assertIn('corrigé', page)
        self.assertEqual(self.weighings(code),
            [(15.3, 14.5, -1.5, 'operateur')])

    def test_refused(self):
        """Negative, above the format, not a number, emptied box: 422 with
        the reason naming the box, nothing recorded"""
        code = self.codes['sealed']
        for gross, words in [
                ('0,5', 'less than its tare of 0.8 kg'),
                ('21,9', 'more than its format holds (20 kg'),
                ('douze', 'not a weight'),
                ('', 'not a weight'),
                ('-3', 'not a weight'),
                ]:
            with self.subTest(gross=gross):
                response = self.post(code, gross)
                self.assertEqual(response.status_code, 422)
                page = response.get_data(as_text=True)
                self.assertIn('Pesée refusée', page)
                self.assertIn(code, page)
                self.assertIn(words, page)
        self.assertEqual(self.weighings(code), [])
        emptied = self.codes['emptied']
        page = self.get(emptied).get_data(as_text=True)
        self.assertNotIn('name="gross"', page)
        response = self.post(emptied, '12')
        self.assertEqual(response.status_code, 422)
        self.assertIn('marked emptied', response.get_data(as_text=True))
        self.assertEqual(len(self.weighings(emptied)), 1)  # the emptying

    def test_other_shop(self):
        "Another shop's box is not found, nor weighed"
        code = self.codes['other']
        for value in [code, '<script>']:
            response = self.get(value)
            self.assertEqual(response.status_code, 404)
            self.assertNotIn('<script>', response.get_data(as_text=True))
        response = self.post(code, '20')
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.weighings(code), [])

    def test_cross_site(self):
        "A form posted from another site (by its Referer) is refused"
        code = self.codes['sealed2']
        response = Client(app, Response).post(
            '/%s/shopfloor/weigh' % DB_NAME,
            headers=dict(self._headers(),
                Referer='https://evil.example/form.html'),
            data={'code': code, 'gross': '20,8'})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.weighings(code), [])

    def test_unknown_database(self):
        "An unknown database answers 404"
        response = self.get('x', database='nosuchdb')
        self.assertEqual(response.status_code, 404, response.get_data())

    @unittest.skipUnless(backend.name == 'sqlite', "needs SQLite files")
    def test_database_without_module(self):
        "A database without powder_stock answers 404, not 500"
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
