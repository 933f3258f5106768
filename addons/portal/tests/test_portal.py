"""The portal's routes through the WSGI app (werkzeug test client).

The routes open their own transactions, so the data is committed first
(setUpClass). Emails are captured by replacing the SMTP send of
portal.email; queued tasks run after each route's commit as in
production on SQLite.

Shops and customers:
- shop A "Répar'Phone <Lyon>" (photos and uploads allowed, 1 MB):
  alice (2 jobs: one invoiced with documents and messages, one quoted),
  bob (another customer, one invoiced job with a document and a message),
  dave (no account: invited by a test), and one customer per test that
  changes an account (eve, frank, grace, henri, ines, jules, kim);
- shop B "Atelier Sud": carol, whose email is alice's (one person, two
  shops), with an invoiced job, a document and a message.
"""
import datetime
import io
import json
import re
import tempfile
import time
import unittest
from decimal import Decimal
from unittest import mock

from genshi.core import Markup
from PIL import Image

import trytond.config as config
from trytond import backend
from trytond.modules.company.tests import set_company
from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.tests.test_tryton import (
    DB_NAME, Client, activate_module, create_db, drop_db)
from trytond.transaction import Transaction, TransactionError
from trytond.wsgi import app

from .tools import (
    attach, create_customer, create_job, post_staff_message, setup_shop)

PDF = b'%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'
PASSWORD = 'Portail-Atelier-2025'
CAROL_PASSWORD = 'Portail-Sud-2025'
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LINK = re.compile(r'/portal/(link|password)/([A-Za-z0-9_-]{43})')


def png(size=(4, 4)):
    buffer = io.BytesIO()
    Image.new('RGB', size, (200, 30, 30)).save(buffer, 'PNG')
    return buffer.getvalue()


class Outbox:
    "Replacement of portal.email's send_message: keeps the messages."

    def __init__(self):
        self.messages = []

    def __call__(self, msg, strict=False):
        self.messages.append(msg)

    def links(self, kind='link'):
        "The tokens of the links of kind 'link' or 'password' sent."
        found = []
        for msg in self.messages:
            body = msg.get_body(('plain',)).get_content()
            found += [t for k, t in _LINK.findall(body) if k == kind]
        return found


class PortalTestCase(unittest.TestCase):
    "Test the customer portal's routes"

    @classmethod
    def setUpClass(cls):
        drop_db()
        activate_module('portal')
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
        pool = Pool()
        Company = pool.get('company.company')
        Account = pool.get('account.account')
        Journal = pool.get('account.journal')
        Method = pool.get('account.invoice.payment.method')
        Invoice = pool.get('account.invoice')
        Date = pool.get('ir.date')
        ids = cls.ids = {}
        shop_a = setup_shop("Répar'Phone <Lyon>")
        shop_b = setup_shop("Atelier Sud", colour='#ffd400', uploads=False)
        cls.shop_a, cls.shop_b = shop_a.company.id, shop_b.company.id
        alice, cls.alice_user = create_customer(shop_a, "Alice Martin",
            'alice@example.com', password=PASSWORD)
        bob, _ = create_customer(shop_a, "Bob Durand", 'bob@example.com',
            password=PASSWORD)
        carol, _ = create_customer(shop_b, "Carol Sudiste",
            'ALICE@example.com', password=CAROL_PASSWORD)
        dave, _ = create_customer(shop_a, "Dave Invité", 'dave@example.com')
        cls.dave = dave.id
        for name in ['eve', 'frank', 'grace', 'henri', 'ines', 'jules',
                'kim']:
            party, user = create_customer(shop_a, name.title() + " Test",
                '%s@example.com' % name, password=PASSWORD)
            create_job(shop_a, party, quote=False)
        with set_company(shop_a.company):
            a1 = create_job(shop_a, alice, description="Écran cassé\nVitre")
            a2 = create_job(shop_a, alice, description="Batterie",
                approve=False)
            ids['a1'], ids['a2'] = a1.id, a2.id
            ids['a1_number'], ids['a2_number'] = a1.number, a2.number
            ids['a2_quote'] = a2.sale.id
            ids['a1_quote'] = a1.sale.id
            ids['a1_invoice'], = [i.id for i in a1.invoices]
            ids['a1_invoice_number'], = [i.number for i in a1.invoices]
            ids['a1_doc'] = attach(a1, "rapport.pdf", PDF).id
            ids['a1_hidden'] = attach(a1, "interne.pdf", PDF,
                shared=False).id
            ids['a1_photo'] = attach(a1, "avant.png", png(),
                shared=False).id
            post_staff_message(a1, "Votre écran est commandé.")
            # A deposit of 40 paid at the counter on the invoice of a1.
            cash, = Account.search([('company', '=', shop_a.company.id),
                    ('code', '=', '1.1.1')])
            journal, = Journal.search([('code', '=', 'CASH')], limit=1)
            method = Method(name="Espèces", company=shop_a.company,
                journal=journal, credit_account=cash, debit_account=cash)
            method.save()
            Invoice(ids['a1_invoice']).pay_invoice(Decimal('40'), method,
                Date.today(), "Acompte")
            post_staff_message(a1, "NOTE INTERNE client pénible",
                audience='internal')
            b1 = create_job(shop_a, bob, description="Clavier de Bob")
            ids['b1'], ids['b1_number'] = b1.id, b1.number
            ids['b1_quote'] = b1.sale.id
            ids['b1_invoice'], = [i.id for i in b1.invoices]
            ids['b1_doc'] = attach(b1, "bob.pdf", PDF).id
            post_staff_message(b1, "Message pour Bob")
        with set_company(shop_b.company):
            c1 = create_job(shop_b, carol, description="Jante de Carol")
            ids['c1'], ids['c1_number'] = c1.id, c1.number
            ids['c1_quote'] = c1.sale.id
            ids['c1_invoice'], = [i.id for i in c1.invoices]
            ids['c1_doc'] = attach(c1, "carol.pdf", PDF).id
            post_staff_message(c1, "Message pour Carol")
        cls.tracking_token = a1.tracking_token
        Company.write([shop_a.company], {'portal_photos': True})

    def setUp(self):
        self.outbox = Outbox()
        patcher = mock.patch(
            'trytond.modules.portal.email.send_message', self.outbox)
        patcher.start()
        self.addCleanup(patcher.stop)

    # helpers

    def client(self, base_url='http://localhost'):
        client = Client(app, Response)
        client.base_url = base_url
        return client

    def url(self, path='', database=DB_NAME):
        return '/%s/portal/%s' % (database, path)

    def get(self, client, path, **kwargs):
        return client.get(self.url(path), base_url=client.base_url, **kwargs)

    def post(self, client, path, data=None, **kwargs):
        return client.post(self.url(path), data=data or {},
            base_url=client.base_url, **kwargs)

    def csrf(self, response):
        found = _CSRF.search(response.get_data(as_text=True))
        self.assertTrue(found, "no CSRF token in the page")
        return found.group(1)

    def sign_in(self, email='alice@example.com', password=PASSWORD,
            client=None):
        client = client or self.client()
        token = self.csrf(self.get(client, 'login'))
        response = self.post(client, 'login', {
                'csrf_token': token, 'email': email, 'password': password})
        self.assertEqual(response.status_code, 303,
            response.get_data(as_text=True))
        return client

    def page(self, client, path, status=200):
        response = self.get(client, path)
        self.assertEqual(response.status_code, status, path)
        self.assertLess(len(response.get_data()), 100_000, path)
        return response.get_data(as_text=True)

    def cookie_header(self, response, name):
        for value in response.headers.getlist('Set-Cookie'):
            if value.startswith(name + '='):
                return value
        return None

    def count(self, model, domain):
        with Transaction().start(DB_NAME, 0, readonly=True):
            return Pool().get(model).search_count(domain)

    # tests

    def test_login_page(self):
        "The sign-in page: French, labelled fields, CSRF, pre-session cookie"
        response = self.get(self.client(), 'login')
        self.assertEqual(response.status_code, 200)
        page = response.get_data(as_text=True)
        self.assertIn('<html lang="fr"', page)
        self.assertIn('href="#main"', page)
        self.assertIn('<label for="login-email">Adresse e-mail</label>', page)
        self.assertIn('id="login-email"', page)
        self.assertIn('Recevoir un lien de connexion', page)
        self.assertTrue(self.csrf(response))
        cookie = self.cookie_header(response, 'atelier_portal_pre')
        self.assertIn('HttpOnly', cookie)
        self.assertIn('SameSite=Lax', cookie)
        self.assertNotIn('Secure', cookie)
        self.assertEqual(response.headers['Cache-Control'], 'no-store')
        self.assertEqual(response.headers['X-Robots-Tag'], 'noindex')
        self.assertEqual(response.headers['Referrer-Policy'], 'same-origin')
        self.assertIn("frame-ancestors 'none'",
            response.headers['Content-Security-Policy'])

    def test_login_page_english(self):
        "Accept-Language picks English for anonymous pages"
        response = self.client().get(self.url('login'),
            headers={'Accept-Language': 'en-GB,en;q=0.9'})
        page = response.get_data(as_text=True)
        self.assertIn('<html lang="en"', page)
        self.assertIn('Sign in with your password', page)
        self.assertIn('Email me a sign-in link', page)

    def test_session_cookie(self):
        "Signing in sets an HttpOnly, SameSite=Lax, expiring cookie"
        client = self.client()
        token = self.csrf(self.get(client, 'login'))
        response = self.post(client, 'login', {'csrf_token': token,
                'email': 'Alice@Example.com', 'password': PASSWORD})
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers['Location'].endswith(self.url()))
        cookie = self.cookie_header(response, 'atelier_portal')
        self.assertIn('HttpOnly', cookie)
        self.assertIn('SameSite=Lax', cookie)
        self.assertIn('Max-Age=', cookie)
        self.assertIn('Path=/%s/portal' % DB_NAME, cookie)
        self.assertNotIn('Secure', cookie)  # http://localhost in tests

    def test_secure_cookie_https(self):
        "Over https the cookies are Secure"
        client = self.client('https://localhost')
        response = self.get(client, 'login')
        self.assertIn('Secure',
            self.cookie_header(response, 'atelier_portal_pre'))
        response = self.post(client, 'login', {
                'csrf_token': self.csrf(response),
                'email': 'alice@example.com', 'password': PASSWORD})
        self.assertEqual(response.status_code, 303)
        self.assertIn('Secure', self.cookie_header(response, 'atelier_portal'))

    def test_wrong_password(self):
        "A wrong password answers the page again, not signed in"
        client = self.client()
        token = self.csrf(self.get(client, 'login'))
        response = self.post(client, 'login', {'csrf_token': token,
                'email': 'bob@example.com', 'password': 'nope-nope-nope'})
        self.assertEqual(response.status_code, 401)
        self.assertIn("Adresse e-mail ou mot de passe incorrect",
            response.get_data(as_text=True))
        self.assertIsNone(self.cookie_header(response, 'atelier_portal'))
        self.assertEqual(self.get(client, '').status_code, 303)

    def test_signed_out_redirects(self):
        "Pages without a session go to the sign-in page, and come back"
        client = self.client()
        response = self.get(client, 'jobs/%s' % self.ids['a1'])
        self.assertEqual(response.status_code, 303)
        location = response.headers['Location']
        self.assertIn('/portal/login?next=', location)
        token = self.csrf(client.get(location))
        response = self.post(client, 'login', {'csrf_token': token,
                'email': 'alice@example.com', 'password': PASSWORD,
                'next': self.url('jobs/%s' % self.ids['a1'])})
        self.assertTrue(response.headers['Location'].endswith(
                '/portal/jobs/%s' % self.ids['a1']))

    def test_next_open_redirect(self):
        "`next` outside the portal is ignored"
        client = self.client()
        token = self.csrf(self.get(client, 'login'))
        response = self.post(client, 'login', {'csrf_token': token,
                'email': 'alice@example.com', 'password': PASSWORD,
                'next': 'https://evil.example/portal/'})
        self.assertTrue(response.headers['Location'].endswith(self.url()))

    def test_pages(self):
        "Every page of a customer shows theirs and answers under 100 KB"
        client = self.sign_in()
        home = self.page(client, '')
        self.assertIn("Bonjour Alice,", home)
        self.assertIn("Répar'Phone &lt;Lyon&gt;", home)
        self.assertIn(self.ids['a1_number'], home)
        self.assertIn('quotes/%s' % self.ids['a2_quote'], home)
        self.assertIn("À régler à la boutique", home)
        self.assertIn("Votre écran est commandé.", home)
        self.assertIn("rapport.pdf", home)
        self.assertNotIn("Bob", home)
        self.assertNotIn("Carol", home)
        self.assertIn('aria-current="page"', home)

        jobs = self.page(client, 'jobs')
        self.assertIn(self.ids['a1_number'], jobs)
        self.assertNotIn(self.ids['b1_number'], jobs)

        job = self.page(client, 'jobs/%s' % self.ids['a1'])
        self.assertIn("Commande n° %s" % self.ids['a1_number'], job)
        self.assertIn("14 mars 2031", job)
        self.assertIn('<ol class="timeline">', job)
        self.assertIn("In progress", job)
        self.assertIn("rapport.pdf", job)
        self.assertNotIn("interne.pdf", job)
        self.assertIn('<img src="/%s/portal/files/%s?' % (
                DB_NAME, self.ids['a1_photo']), job)
        self.assertIn("Votre écran est commandé.", job)
        self.assertNotIn("NOTE INTERNE", job)
        self.assertIn('enctype="multipart/form-data"', job)
        self.assertIn('<label for="content">', job)

        quotes = self.page(client, 'quotes')
        self.assertIn('quotes/%s' % self.ids['a2_quote'], quotes)
        self.assertIn("En attente de votre accord", quotes)
        quote = self.page(client, 'quotes/%s' % self.ids['a2_quote'])
        self.assertIn('quotes/%s/pdf' % self.ids['a2_quote'], quote)
        self.assertIn("Total TTC", quote)
        from trytond.modules.portal.pages import QuotePage
        from trytond.modules.portal.routing import current_request
        seen = []

        def section(page):
            seen.append(current_request())
            return {'id': 'extra', 'title': "Section en plus",
                'content': Markup('<p class="x">Contenu <b>en plus</b></p>')}
        with mock.patch.object(QuotePage, 'extra_sections', [section]):
            quote = self.page(client, 'quotes/%s?done=signed'
                % self.ids['a2_quote'])
        self.assertIn('<section id="extra"', quote)
        self.assertIn('<p class="x">Contenu <b>en plus</b></p>', quote)
        self.assertIn("Votre devis est signé. Merci !", quote)
        self.assertTrue(seen[0] is not None)

        invoices = self.page(client, 'invoices')
        self.assertIn(self.ids['a1_invoice_number'], invoices)
        invoice = self.page(client, 'invoices/%s' % self.ids['a1_invoice'])
        self.assertIn("réglez cette facture à la boutique", invoice)
        self.assertIn("Historique des paiements", invoice)
        self.assertRegex(invoice, r'<td class="num">40,00\s?\S*</td>')
        self.assertRegex(invoice, r'<dd>60,00\s?\S*</dd>')
        self.assertIn('invoices/%s/pdf' % self.ids['a1_invoice'], invoice)

        documents = self.page(client, 'documents')
        self.assertIn("rapport.pdf", documents)
        self.assertIn("avant.png", documents)
        self.assertNotIn("interne.pdf", documents)
        self.assertNotIn("bob.pdf", documents)

        messages = self.page(client, 'messages')
        self.assertIn("Votre écran est commandé.", messages)
        self.assertNotIn("NOTE INTERNE", messages)
        profile = self.page(client, 'profile')
        self.assertIn('alice@example.com', profile)
        self.assertIn('profile/export', profile)
        self.assertIn('logout-all', profile)

    def test_other_ids_not_found(self):
        """Ids of another customer (same shop, other shop), unknown and
        malformed ones answer the same 404 page"""
        client = self.sign_in()
        reference = self.get(client, 'jobs/999999999')
        self.assertEqual(reference.status_code, 404)
        body = reference.get_data()
        ids = self.ids
        paths = [
            'jobs/%s' % ids['b1'], 'jobs/%s' % ids['c1'],
            'quotes/%s' % ids['b1_quote'], 'quotes/%s' % ids['c1_quote'],
            'quotes/%s/pdf' % ids['b1_quote'],
            'quotes/%s/pdf' % ids['c1_quote'],
            'invoices/%s' % ids['b1_invoice'],
            'invoices/%s' % ids['c1_invoice'],
            'invoices/%s/pdf' % ids['b1_invoice'],
            'invoices/%s/pdf' % ids['c1_invoice'],
            'jobs/abc', 'jobs/-1', 'jobs/0', 'jobs/01', 'jobs/1.0',
            'jobs/%s' % ('9' * 40), 'quotes/x', 'invoices/%00',
            'files/%s' % ids['b1_doc'], 'nothing-here',
            ]
        for path in paths:
            response = self.get(client, path)
            self.assertEqual(response.status_code, 404, path)
            self.assertEqual(response.get_data(), body, path)
        # Posting to another customer's job changes nothing.
        token = self.csrf(self.get(client, 'jobs/%s' % ids['a1']))
        before = self.count('ir.chat.message', [])
        for job in [ids['b1'], ids['c1']]:
            response = self.post(client, 'jobs/%s/messages' % job,
                {'csrf_token': token, 'content': "intrus"})
            self.assertEqual(response.status_code, 404)
            self.assertEqual(response.get_data(), body)
            response = self.post(client, 'jobs/%s/documents' % job,
                {'csrf_token': token,
                    'file': (io.BytesIO(PDF), 'x.pdf')},
                content_type='multipart/form-data')
            self.assertEqual(response.status_code, 404)
        self.assertEqual(self.count('ir.chat.message', []), before)

    def test_files_signed(self):
        "Documents download through signed, expiring links only"
        client = self.sign_in()
        job = self.page(client, 'jobs/%s' % self.ids['a1'])
        link = re.search(r'href="(/[^"]*/files/%s\?[^"]+)"'
            % self.ids['a1_doc'], job).group(1).replace('&amp;', '&')
        response = self.client().get(link)  # no session needed
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.get_data(), PDF)
        self.assertIn('attachment', response.headers['Content-Disposition'])
        self.assertEqual(response.headers['X-Content-Type-Options'],
            'nosniff')
        photo = re.search(r'src="(/[^"]*/files/%s\?[^"]+)"'
            % self.ids['a1_photo'], job).group(1).replace('&amp;', '&')
        response = self.client().get(photo)
        self.assertEqual(response.headers['Content-Type'], 'image/png')
        not_found = self.get(client, 'jobs/999999999').get_data()
        tampered = link[:-3] + ('AAA' if not link.endswith('AAA') else 'BBB')
        other = link.replace('files/%s' % self.ids['a1_doc'],
            'files/%s' % self.ids['b1_doc'])
        for url in [tampered, other, link.replace('&s=', '&x=')]:
            response = self.client().get(url)
            self.assertEqual(response.status_code, 404, url)
            self.assertEqual(response.get_data(), not_found)
        # A valid signature of a file the customer does not see.
        from trytond.modules.portal.files import file_url
        with Transaction().start(DB_NAME, 0, readonly=True):
            pool = Pool()
            User = pool.get('web.user')
            Attachment = pool.get('ir.attachment')
            user = User(self.alice_user.id)
            hidden = file_url(user, Attachment(self.ids['a1_hidden']))
            bobs = file_url(user, Attachment(self.ids['b1_doc']))
            expired = file_url(user, Attachment(self.ids['a1_doc']),
                now=time.time() - 3600)
        for url in [hidden, bobs, expired]:
            response = self.client().get(url)
            self.assertEqual(response.status_code, 404, url)

    def test_pdf_downloads(self):
        "The quote and invoice documents download"
        client = self.sign_in()
        for path in ['quotes/%s/pdf' % self.ids['a1_quote'],
                'invoices/%s/pdf' % self.ids['a1_invoice']]:
            response = self.get(client, path)
            self.assertEqual(response.status_code, 200, path)
            self.assertIn('attachment',
                response.headers['Content-Disposition'])
            self.assertTrue(response.get_data())

    def test_csrf_refused(self):
        "A POST without its CSRF token is refused (403) and changes nothing"
        client = self.sign_in('ines@example.com')
        page = self.get(client, 'profile')
        token = self.csrf(page)
        ines_order, = self._orders('ines@example.com')
        before = self.count('ir.chat.message', [])
        for data in [{}, {'csrf_token': ''}, {'csrf_token': 'x' * 43},
                {'csrf_token': token[:-1] + ('A' if token[-1] != 'A'
                        else 'B')}]:
            for path, form in [
                    ('jobs/%s/messages' % ines_order,
                        {'content': "sans jeton"}),
                    ('profile', {'phone': '+33 6 12 34 56 78',
                            'lang': 'en'}),
                    ('logout-all', {}),
                    ('logout', {}),
                    ]:
                response = self.post(client, path, dict(data, **form))
                self.assertEqual(response.status_code, 403, (path, data))
                self.assertIn('Formulaire refusé',
                    response.get_data(as_text=True))
        self.assertEqual(self.count('ir.chat.message', []), before)
        profile = self.page(client, 'profile')  # still signed in
        self.assertNotIn('12 34 56 78', profile)
        self.assertIn('lang="fr"', profile)
        # The sign-in form needs its pre-session token too.
        response = self.post(self.client(), 'login', {
                'email': 'ines@example.com', 'password': PASSWORD})
        self.assertEqual(response.status_code, 403)

    def test_throttled_passwords(self):
        "Repeated bad passwords wait longer and longer, then are refused"
        client = self.client()
        token = self.csrf(self.get(client, 'login'))
        statuses = []
        with mock.patch('time.sleep') as sleep:
            for _ in range(8):
                response = self.post(client, 'login', {'csrf_token': token,
                        'email': 'eve@example.com', 'password': 'wrong'})
                statuses.append(response.status_code)
            delays = [c.args[0] for c in sleep.call_args_list]
            response = self.post(client, 'login', {'csrf_token': token,
                    'email': 'eve@example.com', 'password': PASSWORD})
        self.assertEqual(statuses[:6], [401] * 6)
        self.assertEqual(statuses[6:], [429, 429])
        self.assertEqual(delays[:6], [0, 1, 3, 7, 15, 31])
        self.assertEqual(response.status_code, 429)  # right one, too late
        self.assertIn("Trop de tentatives", response.get_data(as_text=True))

    def test_one_time_link(self):
        "A sign-in link works once, from a POST, and expires"
        client = self.client()
        token = self.csrf(self.get(client, 'login'))
        response = self.post(client, 'login/link', {'csrf_token': token,
                'email': 'frank@example.com'})
        self.assertEqual(response.status_code, 200)
        self.assertIn("Consultez votre messagerie",
            response.get_data(as_text=True))
        link, = self.outbox.links('link')
        msg, = self.outbox.messages
        self.assertEqual(msg['To'], 'frank@example.com')
        self.assertIn("15 minutes", msg.get_body(('plain',)).get_content())
        # The email record keeps no usable link once sent.
        with Transaction().start(DB_NAME, 0, readonly=True):
            Email = Pool().get('portal.email')
            email, = Email.search([('recipient', '=', 'frank@example.com')])
            self.assertEqual(email.state, 'sent')
            self.assertIsNone(email.link)
            self.assertNotIn(link, email.body)
            Token = Pool().get('portal.token')
            self.assertFalse(Token.search([('token_hash', '=', link)]))
        page = self.get(client, 'link/%s' % link)  # GET does not use it
        self.assertEqual(page.status_code, 200)
        page = self.get(client, 'link/%s' % link)
        form_token = self.csrf(page)
        response = self.post(client, 'link/%s' % link,
            {'csrf_token': form_token})
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.get(client, '').status_code, 200)
        again = self.client()
        form_token = self.csrf(self.get(again, 'login'))
        response = self.post(again, 'link/%s' % link,
            {'csrf_token': form_token})
        self.assertEqual(response.status_code, 404)
        self.assertIn("Lien plus valable", response.get_data(as_text=True))
        self.assertEqual(self.get(again, 'link/%s' % link).status_code, 404)

        # An expired link does not work.
        client = self.client()
        token = self.csrf(self.get(client, 'login'))
        response = self.post(client, 'login/link', {'csrf_token': token,
                'email': 'frank@example.com'})
        self.assertEqual(response.status_code, 200)
        second = self.outbox.links('link')[-1]
        with Transaction().start(DB_NAME, 0) as transaction:
            Token = Pool().get('portal.token')
            tokens = Token.search([('user.email', '=', 'frank@example.com'),
                    ('used_at', '=', None)])
            Token.write(tokens, {'expires_at':
                    datetime.datetime.now() - datetime.timedelta(seconds=1)})
            transaction.commit()
        self.assertEqual(self.get(client, 'link/%s' % second).status_code,
            404)

    def test_link_requests_limited(self):
        """Link requests answer the same page for unknown emails and are
        limited per email"""
        client = self.client()
        token = self.csrf(self.get(client, 'login'))
        statuses = []
        for _ in range(4):
            response = self.post(client, 'login/link', {'csrf_token': token,
                    'email': 'nobody@example.com'})
            statuses.append(response.status_code)
        self.assertEqual(statuses, [200, 200, 200, 429])
        self.assertFalse(self.outbox.messages)
        self.assertIn("Trop de demandes", response.get_data(as_text=True))

    def test_sign_out_everywhere(self):
        "Signing out everywhere ends the other sessions too"
        first = self.sign_in('grace@example.com')
        second = self.sign_in('grace@example.com')
        self.assertEqual(self.get(second, '').status_code, 200)
        token = self.csrf(self.get(first, 'profile'))
        response = self.post(first, 'logout-all', {'csrf_token': token})
        self.assertEqual(response.status_code, 200)
        self.assertIn("tous vos appareils", response.get_data(as_text=True))
        self.assertEqual(self.get(second, '').status_code, 303)
        self.assertEqual(self.get(first, '').status_code, 303)
        self.assertEqual(self.count('web.user.session',
                [('user.email', '=', 'grace@example.com')]), 0)

    def test_logout(self):
        "Signing out ends this session only"
        first = self.sign_in('bob@example.com')
        second = self.sign_in('bob@example.com')
        token = self.csrf(self.get(first, ''))
        response = self.post(first, 'logout', {'csrf_token': token})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.get(first, '').status_code, 303)
        self.assertEqual(self.get(second, '').status_code, 200)

    def test_same_email_two_shops(self):
        "One email, two shops: each password opens its own shop's account"
        client = self.sign_in('alice@example.com', CAROL_PASSWORD)
        home = self.page(client, '')
        self.assertIn("Atelier Sud", home)
        self.assertIn(self.ids['c1_number'], home)
        self.assertNotIn(self.ids['a1_number'], home)
        self.assertEqual(self.get(client, 'jobs/%s' % self.ids['a1']
                ).status_code, 404)

    def _orders(self, email):
        with Transaction().start(DB_NAME, 0, readonly=True):
            Order = Pool().get('service.order')
            return [o.id for o in Order.search(
                    [('party.portal_users.email', '=', email)])]

    def test_messages(self):
        "The customer writes on a job's thread; staff see it"
        client = self.sign_in('kim@example.com')
        order, = self._orders('kim@example.com')
        token = self.csrf(self.get(client, 'jobs/%s' % order))
        response = self.post(client, 'jobs/%s/messages' % order,
            {'csrf_token': token, 'content': "Est-ce prêt <b>demain</b> ?"})
        self.assertEqual(response.status_code, 303)
        page = self.page(client, 'jobs/%s?done=sent' % order)
        self.assertIn("Votre message a été envoyé", page)
        self.assertIn("Est-ce prêt &lt;b&gt;demain&lt;/b&gt; ?", page)
        for content, status in [('  ', 400), ('x' * 5001, 400)]:
            response = self.post(client, 'jobs/%s/messages' % order,
                {'csrf_token': token, 'content': content})
            self.assertEqual(response.status_code, status)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Message = Pool().get('ir.chat.message')
            message, = Message.search([
                    ('channel.resource', '=', 'service.order,%s' % order)])
            self.assertEqual(message.email, 'kim@example.com')
            self.assertEqual(message.audience, 'public')

    def test_upload(self):
        "Uploads are checked by size and content"
        client = self.sign_in('jules@example.com')
        order, = self._orders('jules@example.com')
        token = self.csrf(self.get(client, 'jobs/%s' % order))

        def upload(data, name):
            return self.post(client, 'jobs/%s/documents' % order,
                {'csrf_token': token, 'file': (io.BytesIO(data), name)},
                content_type='multipart/form-data')
        domain = [('resource', '=', 'service.order,%s' % order)]
        response = upload(png(), 'Photo été.PNG')
        self.assertEqual(response.status_code, 303)
        self.assertEqual(upload(b'MZ\x90\x00' + b'\0' * 200,
                'facture.pdf').status_code, 415)
        self.assertEqual(upload(b'<html><script>alert(1)</script>',
                'x.png').status_code, 415)
        self.assertEqual(upload(png()[:40], 'cut.png').status_code, 415)
        big = PDF[:-6] + b'0' * (1024 * 1024) + b'\n%%EOF\n'
        response = upload(big, 'gros.pdf')
        self.assertEqual(response.status_code, 413)
        self.assertIn("trop lourd", response.get_data(as_text=True))
        huge = b'%PDF-1.4\n' + b'0' * (21 * 1024 * 1024)
        self.assertEqual(upload(huge, 'enorme.pdf').status_code, 413)
        self.assertEqual(upload(b'', 'vide.pdf').status_code, 400)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Attachment = Pool().get('ir.attachment')
            attachment, = Attachment.search(domain)
            self.assertEqual(attachment.name, 'Photo_ete.png')
            self.assertTrue(attachment.portal_shared)
            self.assertEqual(attachment.portal_uploaded_by.email,
                'jules@example.com')

    def test_upload_not_allowed(self):
        "A shop without uploads refuses them (404) and shows no form"
        client = self.sign_in('alice@example.com', CAROL_PASSWORD)
        page = self.page(client, 'jobs/%s' % self.ids['c1'])
        self.assertNotIn('multipart/form-data', page)
        token = self.csrf(self.get(client, 'jobs/%s' % self.ids['c1']))
        response = self.post(client, 'jobs/%s/documents' % self.ids['c1'],
            {'csrf_token': token, 'file': (io.BytesIO(PDF), 'a.pdf')},
            content_type='multipart/form-data')
        self.assertEqual(response.status_code, 404)

    def test_export(self):
        "My data: the party's data and nothing of another customer"
        client = self.sign_in()
        response = self.get(client, 'profile/export')
        self.assertEqual(response.status_code, 200)
        self.assertIn('attachment', response.headers['Content-Disposition'])
        data = json.loads(response.get_data(as_text=True))
        text = response.get_data(as_text=True)
        self.assertEqual(data['party']['name'], "Alice Martin")
        self.assertEqual(data['account']['email'], 'alice@example.com')
        self.assertEqual({j['number'] for j in data['jobs']},
            {self.ids['a1_number'], self.ids['a2_number']})
        self.assertTrue(data['jobs'][0]['history'])
        self.assertEqual(len(data['quotes']), 2)
        self.assertEqual([i['number'] for i in data['invoices']],
            [self.ids['a1_invoice_number']])
        self.assertIn("Votre écran est commandé.",
            [m['content'] for m in data['messages']])
        self.assertIn('rapport.pdf', [d['name'] for d in data['documents']])
        self.assertIn('alice@example.com',
            [c['value'] for c in data['contact_mechanisms']])
        self.assertEqual(data['addresses'][0]['city'], 'Lyon')
        for other in ["Bob", "Carol", "bob@example.com", self.ids['b1_number'],
                "Jante", "NOTE INTERNE", 'interne.pdf', 'password_hash']:
            self.assertNotIn(other, text)
        self.assertEqual(self.count('workshop.audit',
                [('action', '=', 'portal_export')]) > 0, True)

    def test_profile(self):
        "Contact data, preferences and language are saved"
        client = self.sign_in('henri@example.com')
        token = self.csrf(self.get(client, 'profile'))
        response = self.post(client, 'profile', {'csrf_token': token,
                'email': 'henri.new@example.com', 'phone': 'pas un numéro',
                'lang': 'en'})
        self.assertEqual(response.status_code, 400)
        self.assertIn("numéro de téléphone", response.get_data(as_text=True))
        response = self.post(client, 'profile', {'csrf_token': token,
                'email': 'henri.new@example.com', 'phone': '+33612345678',
                'notify_sms': '1', 'lang': 'en'})
        self.assertEqual(response.status_code, 303)
        page = self.page(client, 'profile?done=saved')
        self.assertIn('lang="en"', page)
        self.assertIn("Your details are saved.", page)
        self.assertIn('henri.new@example.com', page)
        self.assertIn('+33 6 12 34 56 78', page)
        self.assertIn('My jobs', self.page(client, ''))
        with Transaction().start(DB_NAME, 0, readonly=True, context={
                    'company': self.shop_a}):
            Party = Pool().get('party.party')
            party, = Party.search([('name', '=', "Henri Test")])
            self.assertTrue(party.notify_by_sms)
            self.assertFalse(party.notify_by_email)
            self.assertEqual(party.lang.code, 'en')
            # The sign-in email is unchanged.
            self.assertEqual(party.portal_users[0].email, 'henri@example.com')
        # Back to French for the other tests of henri.
        response = self.post(client, 'profile', {'csrf_token': token,
                'notify_email': '1', 'lang': 'fr'})
        self.assertIn('lang="fr"', self.page(client, ''))

    def test_invite(self):
        "Staff invite a customer; the link lets them choose a password once"
        with Transaction().start(DB_NAME, 1) as transaction:
            pool = Pool()
            Party = pool.get('party.party')
            Queue = pool.get('ir.queue')
            with set_company(Pool().get('company.company')(self.shop_a)):
                Party.portal_invite([Party(self.dave)])
            tasks = list(transaction.tasks)
            transaction.commit()
        with Transaction().start(DB_NAME, 0) as transaction:
            for task in tasks:
                Queue(task).run()
            transaction.commit()
        msg, = self.outbox.messages
        self.assertEqual(msg['To'], 'dave@example.com')
        self.assertIn("Répar'Phone", msg['Subject'])
        self.assertIn("7 jours", msg.get_body(('plain',)).get_content())
        link, = self.outbox.links('password')
        client = self.client()
        page = self.get(client, 'password/%s' % link)
        self.assertEqual(page.status_code, 200)
        self.assertIn('autocomplete="new-password"', page.get_data(
                as_text=True))
        token = self.csrf(page)
        response = self.post(client, 'password/%s' % link, {
                'csrf_token': token, 'password': 'Dave-Portail-1',
                'confirm': 'Dave-Portail-2'})
        self.assertEqual(response.status_code, 400)
        response = self.post(client, 'password/%s' % link, {
                'csrf_token': token, 'password': 'court',
                'confirm': 'court'})
        self.assertEqual(response.status_code, 400)
        response = self.post(client, 'password/%s' % link, {
                'csrf_token': token, 'password': 'Dave-Portail-1',
                'confirm': 'Dave-Portail-1'})
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.get(client, '').status_code, 200)
        self.assertEqual(self.get(client, 'password/%s' % link).status_code,
            404)
        self.sign_in('dave@example.com', 'Dave-Portail-1')
        self.assertTrue(self.count('workshop.audit',
                [('action', '=', 'portal_invite')]))

    def test_reset_two_shops(self):
        "A reset request for an email of two shops sends one email per shop"
        client = self.client()
        token = self.csrf(self.get(client, 'reset'))
        response = self.post(client, 'reset', {'csrf_token': token,
                'email': 'alice@example.com'})
        self.assertEqual(response.status_code, 200)
        subjects = sorted(m['Subject'] for m in self.outbox.messages)
        self.assertEqual(len(subjects), 2)
        self.assertIn("Atelier Sud", subjects[0])
        self.assertIn("Répar'Phone", subjects[1])

    def test_tracking_link(self):
        "The no-login tracking page links to the portal's sign-in"
        response = Client(app, Response).get(
            '/%s/t/%s' % (DB_NAME, self.tracking_token))
        self.assertIn('/%s/portal/login' % DB_NAME,
            response.get_data(as_text=True))

    def test_unknown_database(self):
        "An unknown database answers the same 404"
        reference = self.get(self.client(), 'nothing-here').get_data()
        response = self.client().get('/nosuchdb/portal/login')
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.get_data(), reference)

    @unittest.skipUnless(backend.name == 'sqlite', "needs SQLite files")
    def test_database_without_module(self):
        "A database without portal answers 404, not 500"
        reference = self.get(self.client(), 'nothing-here').get_data()
        path = config.get('database', 'path')
        with tempfile.TemporaryDirectory() as directory:
            config.set('database', 'path', directory)
            try:
                create_db('bare')
                response = self.client().get('/bare/portal/login')
                post = self.client().post('/bare/portal/login', data={})
            finally:
                config.set('database', 'path', path)
                Pool.stop('bare')
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.get_data(), reference)
        self.assertEqual(post.status_code, 404)
