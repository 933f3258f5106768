"""The public tracking page /<database>/t/<token>, through the WSGI app.

The route opens its own transaction, so the data is committed first.
"""
import datetime
import os
import tempfile
import unittest
from decimal import Decimal
from unittest import mock

import trytond.config as config
from trytond import backend
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.tests.test_tryton import (
    DB_NAME, Client, activate_module, create_db, drop_db)
from trytond.transaction import Transaction
from trytond.wsgi import app

from .tools import create_stages


class TrackingTestCase(unittest.TestCase):
    "Test the tracking page"

    @classmethod
    def setUpClass(cls):
        drop_db()
        activate_module('service_order')
        with Transaction().start(DB_NAME, 1) as transaction:
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
        company = create_company(name="Répar'Phone <Lyon>")
        company.primary_colour = '#7a1f5c'
        company.save()
        with set_company(company):
            stages = create_stages(company)
            party = Party(name="Awa Diop-Ndiaye", contact_mechanisms=[
                    {'type': 'email', 'value': 'awa.private@example.com'},
                    {'type': 'phone', 'value': '+33 6 12 34 56 78'},
                    ])
            party.save()
            order = Order(kind='service', party=party,
                stage=stages['intake'],
                promised_date=datetime.date(2031, 3, 14))
            order.save()
            order.set_stage(stages['open'])
            revoked = Order(kind='service', party=party,
                stage=stages['intake'])
            revoked.save()
            cls.revoked_token = revoked.tracking_token
            Order.revoke_token([revoked])
            cls.number = order.number
            cls.token = order.tracking_token

    def client(self):
        return Client(app, Response)

    def get(self, token, database=DB_NAME):
        return self.client().get('/%s/t/%s' % (database, token))

    def test_page_content(self):
        "The page shows the ticket and first name only"
        response = self.get(self.token)
        self.assertEqual(response.status_code, 200)
        page = response.get_data(as_text=True)
        self.assertIn('lang="fr"', page)
        self.assertIn('name="viewport"', page)
        self.assertIn("Répar'Phone &lt;Lyon&gt;", page)  # escaped
        self.assertNotIn("<Lyon>", page)
        self.assertIn(self.number, page)
        self.assertIn("Bonjour Awa,", page)
        self.assertIn("Received", page)
        self.assertIn("In progress", page)
        self.assertEqual(page.count('<li'), 2)
        self.assertIn('<ol>', page)
        self.assertIn("14 mars 2031", page)
        today = datetime.date.today()
        self.assertIn('datetime="%s' % today.isoformat(), page)
        self.assertIn('#7a1f5c', page)
        for private in ['Diop', 'Ndiaye', 'awa.private', '12 34 56']:
            self.assertNotIn(private, page)
        self.assertLess(len(response.get_data()), 30_000)
        self.assertEqual(response.headers['Cache-Control'], 'no-store')
        self.assertEqual(response.headers['X-Robots-Tag'], 'noindex')
        self.assertEqual(response.headers['Referrer-Policy'], 'same-origin')
        self.assertIn('text/html', response.headers['Content-Type'])

    def test_amount_due(self):
        "The amount due is shown once the order is billed"
        Order = Pool(DB_NAME).get('service.order')

        def get_amounts(cls, orders, names):
            values = {'amount_due': Decimal('1234.5'),
                'amount_paid': Decimal('20'),
                'payment_state': 'deposit_paid'}
            return {n: {o.id: values[n] for o in orders} for n in names}
        with mock.patch.object(Order, 'get_amounts', classmethod(get_amounts)):
            page = self.get(self.token).get_data(as_text=True)
        self.assertIn("Reste à payer", page)
        self.assertIn("1\u202f234,50\u00a0", page)
        self.assertNotIn("réglé", page)

    def test_quoted_not_invoiced(self):
        "A quote not invoiced yet is not shown as paid; a paid one is"
        Order = Pool(DB_NAME).get('service.order')

        def amounts(state, due):
            def get_amounts(cls, orders, names):
                values = {'amount_due': due, 'amount_paid': Decimal(0),
                    'payment_state': state}
                return {n: {o.id: values[n] for o in orders} for n in names}
            return mock.patch.object(
                Order, 'get_amounts', classmethod(get_amounts))
        with amounts('not_paid', Decimal(0)):
            page = self.get(self.token).get_data(as_text=True)
        self.assertNotIn("réglé", page)
        self.assertNotIn("Reste à payer", page)
        with amounts('paid', Decimal(0)):
            page = self.get(self.token).get_data(as_text=True)
        self.assertIn("Reste à payer", page)
        self.assertIn("(réglé)", page)

    def test_not_found_identical(self):
        "Wrong, revoked and malformed tokens answer the same 404"
        wrong = self.get('A' * 32)
        revoked = self.get(self.revoked_token)
        malformed = self.get('not a token<script>')
        short = self.get('x')
        for response in [wrong, revoked, malformed, short]:
            self.assertEqual(response.status_code, 404)
            self.assertEqual(response.get_data(), wrong.get_data())
            self.assertEqual(response.headers['Cache-Control'], 'no-store')
        self.assertNotIn(self.number, wrong.get_data(as_text=True))

    def test_unknown_database(self):
        "An unknown database answers the same 404"
        response = self.get(self.token, database='nosuchdb')
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.get_data(), self.get('A' * 32).get_data())

    @unittest.skipUnless(backend.name == 'sqlite', "needs SQLite files")
    def test_database_without_module(self):
        "A database without service_order answers 404, not 500"
        path = config.get('database', 'path')
        with tempfile.TemporaryDirectory() as directory:
            config.set('database', 'path', directory)
            try:
                create_db('bare')
                response = self.get(self.token, database='bare')
            finally:
                config.set('database', 'path', path)
                Pool.stop('bare')
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.get_data(), self.get('A' * 32).get_data())
