"""Signing a quote on the portal through the WSGI app (werkzeug test
client): the quote page's section, the form, the POST, the job page and
the signed PDF, refusals and other customers' quotes.

The routes open their own transactions, so the data is committed first
(setUpClass), with the portal's test tools. Skipped when the module
portal is not installed."""
import base64
import hashlib
import io
import os
import re
import unittest

from pdfminer.high_level import extract_text
from PIL import Image, ImageDraw

from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.tests.test_tryton import (
    DB_NAME, Client, activate_module, drop_db)
from trytond.transaction import Transaction, TransactionError
from trytond.wsgi import app

try:
    from trytond.modules.portal.tests.tools import (
        create_customer, create_job, setup_shop)
except ImportError:
    setup_shop = None

PASSWORD = 'Portail-Atelier-2025'
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_HASH = re.compile(r'name="shown_hash" value="([0-9a-f]{64})"')
_NONCE = re.compile(r"script-src 'nonce-([A-Za-z0-9_-]+)'")


def drawing(fmt='PNG'):
    image = Image.new('RGB', (300, 120), 'white')
    ImageDraw.Draw(image).line([(10, 80), (80, 20), (150, 90), (290, 30)],
        fill='black', width=4)
    output = io.BytesIO()
    image.save(output, fmt)
    return output.getvalue()


def data_url(data):
    return 'data:image/png;base64,' + base64.b64encode(data).decode()


@unittest.skipIf(setup_shop is None, "the module portal is not installed")
class EsignPortalTestCase(unittest.TestCase):
    "Test signing quotes on the portal"

    @classmethod
    def setUpClass(cls):
        drop_db()
        activate_module(['esign', 'portal', 'invoice_fr'])
        extras = {}
        while True:  # as with_transaction: lock the tables asked, retry
            with Transaction().start(DB_NAME, 1, **extras) as transaction:
                try:
                    cls.setUpDatabase()
                except TransactionError as error:
                    transaction.rollback()
                    error.fix(extras)
                    continue
                transaction.commit()
                break

    @classmethod
    def tearDownClass(cls):
        drop_db()

    @classmethod
    def setUpDatabase(cls):
        # French texts of esign (the portal's own are in texts_fr.py)
        Pool().get('ir.translation').translation_import('fr', 'esign',
            os.path.join(os.path.dirname(__file__), '..', 'locale',
                'fr.po'))
        ids = cls.ids = {}
        shop_a = setup_shop("Répar'Phone Lyon")
        shop_b = setup_shop("Atelier Sud")
        shop_a.company.terms = "Garantie 3 mois sur les pièces."
        shop_a.company.save()
        alice, _ = create_customer(shop_a, "Alice Martin",
            'alice@example.com', password=PASSWORD)
        bob, _ = create_customer(shop_a, "Bob Durand", 'bob@example.com',
            password=PASSWORD)
        carol, _ = create_customer(shop_b, "Carol Sudiste",
            'carol@example.com', password=PASSWORD)
        for name, shop, party in [('alice', shop_a, alice),
                ('bob', shop_a, bob), ('carol', shop_b, carol)]:
            order = create_job(shop, party, approve=False)
            ids[name] = order.id
            ids[name + '_quote'] = order.sale.id
            ids[name + '_number'] = order.number

    # helpers

    def client(self):
        return Client(app, Response)

    def url(self, path):
        return '/%s/portal/%s' % (DB_NAME, path)

    def get(self, client, path):
        return client.get(self.url(path))

    def post(self, client, path, data, **kwargs):
        return client.post(self.url(path), data=data, **kwargs)

    def sign_in(self, email):
        client = self.client()
        page = self.get(client, 'login').get_data(as_text=True)
        response = self.post(client, 'login', {
                'csrf_token': _CSRF.search(page).group(1),
                'email': email, 'password': PASSWORD})
        self.assertEqual(response.status_code, 303)
        return client

    def form(self, client, quote):
        "GET the signing form of `quote`: (page text, csrf, shown_hash)."
        response = self.get(client, 'quotes/%s/sign' % quote)
        self.assertEqual(response.status_code, 200)
        page = response.get_data(as_text=True)
        self.assertLess(len(response.get_data()), 100_000)
        return (page, _CSRF.search(page).group(1),
            _HASH.search(page).group(1), response)

    def signatures(self):
        with Transaction().start(DB_NAME, 0, readonly=True):
            return Pool().get('esign.signature').search([], count=True)

    # tests

    def test_sign_by_drawing(self):
        """The quote page links to the form; signing by drawing confirms
        the quote, the job page and quote page say it, the signed PDF
        downloads; a second POST signs nothing more"""
        client = self.sign_in('alice@example.com')
        quote = self.ids['alice_quote']
        page = self.get(client, 'quotes/%s' % quote).get_data(as_text=True)
        self.assertIn('Signer le devis en ligne', page)
        self.assertIn('quotes/%s/sign' % quote, page)

        page, csrf, shown, response = self.form(client, quote)
        self.assertIn('<canvas id="esign-pad"', page)
        self.assertIn('name="signature_file"', page)
        self.assertIn("J'accepte les conditions générales", page)
        self.assertIn('Garantie 3 mois sur les pièces.', page)
        self.assertIn('<label for="esign-name">', page)
        nonce = _NONCE.search(
            response.headers['Content-Security-Policy']).group(1)
        self.assertIn('<script nonce="%s">' % nonce, page)
        self.assertIn(shown, page)

        # The PDF the portal serves is the one whose hash is shown
        pdf = self.get(client, 'quotes/%s/pdf' % quote).get_data()
        self.assertEqual(hashlib.sha256(pdf).hexdigest(), shown)

        before = self.signatures()
        values = {'csrf_token': csrf, 'shown_hash': shown,
            'signature': data_url(drawing()), 'full_name': "Alice Martin"}
        # Without the terms: refused, the form again with the error
        response = self.post(client, 'quotes/%s/sign' % quote, values)
        self.assertEqual(response.status_code, 422)
        self.assertIn('Acceptez les conditions générales',
            response.get_data(as_text=True))
        self.assertIn('value="Alice Martin"',
            response.get_data(as_text=True))
        # Without the CSRF token: refused
        response = self.post(client, 'quotes/%s/sign' % quote,
            dict(values, csrf_token='', accept_terms='1'))
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.signatures(), before)

        response = self.post(client, 'quotes/%s/sign' % quote,
            dict(values, accept_terms='1'),
            headers={'User-Agent': 'Mozilla/5.0 (Test)'})
        self.assertEqual(response.status_code, 303,
            response.get_data(as_text=True))
        self.assertTrue(response.headers['Location'].endswith(
                'jobs/%s?done=signed' % self.ids['alice']))
        self.assertEqual(self.signatures(), before + 1)

        job = self.get(client, 'jobs/%s' % self.ids['alice']).get_data(
            as_text=True)
        self.assertIn('Signature du devis', job)
        self.assertIn('Alice Martin', job)
        self.assertIn(shown, job)
        self.assertIn('signé.pdf', job)  # the shared attachment

        page = self.get(client, 'quotes/%s' % quote).get_data(as_text=True)
        self.assertIn('Signé électroniquement par Alice Martin le', page)
        self.assertIn('quotes/%s/signed.pdf' % quote, page)
        self.assertNotIn('Signer le devis en ligne', page)
        response = self.get(client, 'quotes/%s/signed.pdf' % quote)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers['Content-Type'], 'application/pdf')
        text = extract_text(io.BytesIO(response.get_data()))
        self.assertIn('Signé électroniquement par Alice Martin', text)
        self.assertIn(shown, text)
        self.assertIn('Mozilla/5.0 (Test)', text)

        # Sent again (double click, back button): one signature
        response = self.post(client, 'quotes/%s/sign' % quote,
            dict(values, accept_terms='1'))
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.signatures(), before + 1)
        response = self.get(client, 'quotes/%s/sign' % quote)
        self.assertEqual(response.status_code, 303)

        with Transaction().start(DB_NAME, 0, readonly=True):
            Signature = Pool().get('esign.signature')
            self.assertEqual(Signature.verify_chain(), [])
            sale = Pool().get('sale.sale')(quote)
            self.assertIn(sale.state, {'confirmed', 'processing'})

    def test_sign_by_upload_and_changed_quote(self):
        """An uploaded image signs; a quote changed after it was shown is
        refused (409) with nothing signed"""
        client = self.sign_in('carol@example.com')
        quote = self.ids['carol_quote']
        page, csrf, shown, _ = self.form(client, quote)

        with Transaction().start(DB_NAME, 0) as transaction:
            Sale = Pool().get('sale.sale')
            sale = Sale(quote)
            Sale.draft([sale])
            line, = sale.lines
            line.quantity = 2
            line.save()
            Sale.quote([sale])
            transaction.commit()
        before = self.signatures()
        values = {'csrf_token': csrf, 'shown_hash': shown,
            'full_name': "Carol Sudiste", 'accept_terms': '1',
            'signature_file': (io.BytesIO(drawing('JPEG')), 'sig.jpg',
                'image/jpeg')}
        response = self.post(client, 'quotes/%s/sign' % quote, values,
            content_type='multipart/form-data')
        self.assertEqual(response.status_code, 409)
        self.assertIn('a changé depuis son affichage',
            response.get_data(as_text=True))
        self.assertEqual(self.signatures(), before)

        page, csrf, shown, _ = self.form(client, quote)
        values.update(csrf_token=csrf, shown_hash=shown,
            signature_file=(io.BytesIO(drawing('JPEG')), 'sig.jpg',
                'image/jpeg'))
        response = self.post(client, 'quotes/%s/sign' % quote, values,
            content_type='multipart/form-data')
        self.assertEqual(response.status_code, 303, re.findall(
                r'class="alert"[^<]*', response.get_data(as_text=True)))
        self.assertEqual(self.signatures(), before + 1)

    def test_other_quotes_not_found(self):
        """Another customer's quote (same shop, other shop) answers 404 to
        the form, the POST and the signed PDF"""
        client = self.sign_in('bob@example.com')
        page, csrf, shown, _ = self.form(client, self.ids['bob_quote'])
        for name in ['alice_quote', 'carol_quote']:
            quote = self.ids[name]
            for response in [
                    self.get(client, 'quotes/%s/sign' % quote),
                    self.get(client, 'quotes/%s/signed.pdf' % quote),
                    self.post(client, 'quotes/%s/sign' % quote, {
                            'csrf_token': csrf, 'shown_hash': shown,
                            'signature': data_url(drawing()),
                            'full_name': "Bob Durand",
                            'accept_terms': '1'}),
                    ]:
                self.assertEqual(response.status_code, 404, name)
        self.assertEqual(
            self.get(client, 'quotes/abc/sign').status_code, 404)
        # Not signed in: to the sign-in page
        response = self.get(self.client(),
            'quotes/%s/sign' % self.ids['bob_quote'])
        self.assertEqual(response.status_code, 303)
        self.assertIn('/portal/login', response.headers['Location'])
