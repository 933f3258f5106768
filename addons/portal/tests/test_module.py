"""Unit tests of the portal: tokens, the database secret, uploads, the
translations, per-shop accounts and invitations."""
import ast
import datetime
import glob
import io
import os
import re
from types import SimpleNamespace
from decimal import Decimal
from unittest import mock

from PIL import Image

from trytond.exceptions import RateLimitException
from trytond.model.exceptions import SQLConstraintError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.portal import texts
from trytond.modules.portal.exceptions import InviteError, UploadError
from trytond.modules.portal.secret import sign, verify
from trytond.modules.portal.session import csrf_token
from trytond.modules.portal.texts_fr import FR
from trytond.modules.portal.upload import check_upload, clean_name
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

MODULE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def page_strings():
    """Return the English strings of the portal's pages and emails: the
    first argument of _(), N_() and translator(lang)() in the code, and of
    _('...') in the templates."""
    strings = set()
    for path in glob.glob(os.path.join(MODULE, '*.py')):
        with open(path, encoding='utf-8') as fp:
            tree = ast.parse(fp.read())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            if ((isinstance(func, ast.Name) and func.id in {'_', 'N_'})
                    or (isinstance(func, ast.Attribute)
                        and func.attr in {'_', 'N_'})
                    or (isinstance(func, ast.Call)
                        and getattr(func.func, 'id', None) == 'translator')):
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(
                        arg.value, str):
                    strings.add(arg.value)
    for path in glob.glob(os.path.join(MODULE, 'templates', '*.html')):
        with open(path, encoding='utf-8') as fp:
            text = fp.read()
        for match in re.finditer(r"_\('((?:[^'\\]|\\.)*)'", text):
            strings.add(match.group(1).replace("\\'", "'"))
    return strings


def image(fmt, size=(8, 8)):
    buffer = io.BytesIO()
    Image.new('RGB', size, (10, 200, 10)).save(buffer, fmt)
    return buffer.getvalue()


class PortalTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Portal module"
    module = 'portal'
    extras = ['repair', 'coating', 'payment_gateway']

    def _customer(self, company, name="Awa Diop", email='awa@example.com'):
        Party = Pool().get('party.party')
        party, = Party.create([{
                    'name': name, 'company': company.id,
                    'contact_mechanisms': [('create', [
                                {'type': 'email', 'value': email}])],
                    }])
        return party

    def test_translations(self):
        "Every string of the pages has its French text, with the same fields"
        strings = page_strings()
        self.assertGreater(len(strings), 150)
        missing = sorted(s for s in strings if s not in FR)
        self.assertEqual(missing, [])
        placeholder = re.compile(r'%\((\w+)\)s')
        for english, french in FR.items():
            self.assertEqual(sorted(placeholder.findall(english)),
                sorted(placeholder.findall(french)), english)
        self.assertEqual(texts.translator('fr')('My jobs'), "Mes travaux")
        self.assertEqual(texts.translator('en')('My jobs'), "My jobs")
        self.assertEqual(
            texts.translator('fr')('Job %(number)s', number='2025-1'),
            "Commande n° 2025-1")

    def test_formats(self):
        "Dates and amounts in the customer's locale"
        eur = SimpleNamespace(code='EUR')
        xof = SimpleNamespace(code='XOF')
        day = datetime.date(2025, 3, 5)
        self.assertEqual(texts.format_date(day, 'fr'), "5 mars 2025")
        self.assertEqual(texts.format_date(day, 'en'), "5 March 2025")
        moment = datetime.datetime(2025, 3, 5, 13, 30)
        self.assertEqual(texts.format_date(moment, 'fr', 'Europe/Paris'),
            "5 mars 2025 à 14:30")
        self.assertEqual(texts.format_date(moment, 'en'),
            "5 March 2025 at 13:30")
        self.assertEqual(texts.format_amount(Decimal('1234.5'), eur, 'fr'),
            "1\u202f234,50\u00a0€")
        self.assertEqual(texts.format_amount(Decimal('1234.5'), eur, 'en'),
            "€1,234.50")
        self.assertNotIn(',', texts.format_amount(Decimal('15000'), xof,
                'fr').replace('\u202f', ''))
        self.assertEqual(texts.format_size(1536, 'fr'), "2 Ko")
        self.assertEqual(texts.format_quantity(1.5, 'fr'), "1,5")

    def test_not_found_bodies(self):
        "The 404 pages are small, fixed and in both languages"
        for lang in texts.LANGUAGES:
            body = texts.NOT_FOUND_BODY[lang].decode('utf-8')
            self.assertIn('lang="%s"' % lang, body)
            self.assertLess(len(body), 1000)
        self.assertIn("Page introuvable",
            texts.NOT_FOUND_BODY['fr'].decode('utf-8'))

    def test_upload_checks(self):
        "Uploads: type from the content, size limit, safe names"
        pdf = b'%PDF-1.7\n...\n%%EOF\n'
        self.assertEqual(check_upload(pdf, 'Devis signé.PDF', 1000),
            ('Devis_signe.pdf', 'application/pdf'))
        self.assertEqual(check_upload(image('PNG'), 'a.jpg', 10 ** 6)[1],
            'image/png')
        self.assertEqual(check_upload(image('JPEG'), 'b', 10 ** 6),
            ('b.jpg', 'image/jpeg'))
        self.assertEqual(check_upload(image('WEBP'), '../../etc/x.webp',
                10 ** 6), ('x.webp', 'image/webp'))
        for data, reason in [
                (b'', 'empty'),
                (pdf * 100, 'size'),
                (b'%PDF-1.7 no end', 'type'),
                (b'MZ\x90\x00' + b'\0' * 64, 'type'),
                (b'<svg xmlns="http://www.w3.org/2000/svg"/>', 'type'),
                (image('PNG')[:30], 'type'),
                (image('GIF'), 'type'),
                (b'PK\x03\x04' + b'\0' * 64, 'type'),
                ]:
            with self.assertRaises(UploadError) as cm:
                check_upload(data, 'x', 1000)
            self.assertEqual(cm.exception.reason, reason, data[:10])
        with mock.patch('trytond.modules.portal.upload.MAX_PIXELS', 10):
            with self.assertRaises(UploadError):
                check_upload(image('PNG', (100, 100)), 'big.png', 10 ** 6)
        self.assertEqual(clean_name('', 'application/pdf'), 'document.pdf')
        self.assertEqual(clean_name('<script>.png', 'image/png'),
            'script.png')

    @with_transaction()
    def test_secret_and_csrf(self):
        "Signatures and CSRF tokens use the database secret"
        Secret = Pool().get('portal.secret')
        key = Secret.get()
        self.assertEqual(len(key), 32)
        self.assertEqual(Secret.get(), key)
        signature = sign('file', 1, 2, 3)
        self.assertEqual(len(signature), 43)
        self.assertTrue(verify(signature, 'file', 1, 2, 3))
        self.assertFalse(verify(signature, 'file', 1, 2, 4))
        self.assertFalse(verify(signature[:-1] + 'x', 'file', 1, 2, 3))
        self.assertFalse(verify(None, 'file', 1, 2, 3))
        self.assertNotEqual(csrf_token('a' * 64), csrf_token('b' * 64))

    @with_transaction()
    def test_tokens(self):
        "Tokens are stored hashed, work once, expire, newer revoke older"
        pool = Pool()
        Token = pool.get('portal.token')
        User = pool.get('web.user')
        company = create_company()
        with set_company(company):
            party = self._customer(company)
            user, = User.create([{'email': 'awa@example.com',
                        'party': party.id, 'company': company.id}])
            raw, token = Token.issue(user, 'login')
            self.assertEqual(len(raw), 43)
            self.assertNotEqual(token.token_hash, raw)
            self.assertEqual(len(token.token_hash), 64)
            self.assertLessEqual(token.expires_at - datetime.datetime.now(),
                datetime.timedelta(minutes=15))
            self.assertIsNone(Token.lookup(raw, ['invite', 'reset']))
            self.assertEqual(Token.lookup(raw, ['login']), token)
            self.assertEqual(Token.consume(raw, ['login']), user)
            self.assertIsNone(Token.consume(raw, ['login']))
            self.assertIsNone(Token.lookup('x' * 43, ['login']))
            self.assertIsNone(Token.lookup('not a token', ['login']))
            first, _ = Token.issue(user, 'login')
            second, token = Token.issue(user, 'login')
            self.assertIsNone(Token.lookup(first, ['login']))
            Token.write([token], {'expires_at':
                    datetime.datetime.now() - datetime.timedelta(seconds=1)})
            self.assertIsNone(Token.consume(second, ['login']))
            raw, token = Token.issue(user, 'invite')
            self.assertGreater(token.expires_at - datetime.datetime.now(),
                datetime.timedelta(days=6))
            User.write([user], {'active': False})
            self.assertIsNone(Token.lookup(raw, ['invite']))

    @with_transaction()
    def test_email_per_shop(self):
        "An email has one active account per shop, and may have several shops"
        pool = Pool()
        User = pool.get('web.user')
        shop_a = create_company(name="A")
        shop_b = create_company(name="B")
        with set_company(shop_a):
            awa_a = self._customer(shop_a)
            other_a = self._customer(shop_a, name="Other")
        with set_company(shop_b):
            awa_b = self._customer(shop_b)
        User.create([{'email': 'Awa@Example.com', 'party': awa_a.id,
                    'company': shop_a.id, 'password': 'Premier-mot-1'}])
        User.create([{'email': 'awa@example.com', 'party': awa_b.id,
                    'company': shop_b.id, 'password': 'Second-mot-2'}])
        with self.assertRaises(SQLConstraintError):
            User.create([{'email': 'awa@example.com',
                        'party': other_a.id, 'company': shop_a.id}])
        Transaction().rollback()

    @with_transaction()
    def test_authenticate_two_shops(self):
        "Each shop's password signs in its own account; failures count"
        pool = Pool()
        User = pool.get('web.user')
        Attempt = pool.get('web.user.authenticate.attempt')
        shop_a = create_company(name="A")
        shop_b = create_company(name="B")
        with set_company(shop_a):
            awa_a = self._customer(shop_a)
        with set_company(shop_b):
            awa_b = self._customer(shop_b)
        user_a, user_b = User.create([
                {'email': 'awa@example.com', 'party': awa_a.id,
                    'company': shop_a.id, 'password': 'Premier-mot-1'},
                {'email': 'awa@example.com', 'party': awa_b.id,
                    'company': shop_b.id, 'password': 'Second-mot-2'},
                ])
        with mock.patch('time.sleep'):
            self.assertEqual(
                User.authenticate('AWA@example.com', 'Premier-mot-1'), user_a)
            self.assertEqual(
                User.authenticate('awa@example.com', 'Second-mot-2'), user_b)
            self.assertEqual(User.authenticate('awa@example.com',
                    'Second-mot-2', company=shop_a), None)
            self.assertEqual(Attempt.count('awa@example.com'), 1)
            self.assertIsNone(User.authenticate('nobody@example.com', 'x'))
            for _ in range(5):
                User.authenticate('awa@example.com', 'wrong')
            with self.assertRaises(RateLimitException):
                User.authenticate('awa@example.com', 'Premier-mot-1')

    @with_transaction()
    def test_invite(self):
        "Inviting creates the account, a token and a recorded email"
        pool = Pool()
        Party = pool.get('party.party')
        User = pool.get('web.user')
        Email = pool.get('portal.email')
        Token = pool.get('portal.token')
        Audit = pool.get('workshop.audit')
        company = create_company(name="Répar'Phone")
        with set_company(company):
            party = self._customer(company)
            Party.portal_invite([party])
            user, = User.search([('party', '=', party.id)])
            self.assertEqual(user.company, company)
            self.assertEqual(user.email, 'awa@example.com')
            self.assertTrue(user.portal_invited_at)
            email, = Email.search([('user', '=', user.id)])
            self.assertEqual(email.kind, 'invite')
            self.assertEqual(email.state, 'pending')
            self.assertIn('{link}', email.body)
            self.assertIn('/portal/password/', email.link)
            self.assertIn("Bonjour Awa", email.body)
            self.assertEqual(email.recipient, 'awa@example.com')
            token, = Token.search([('user', '=', user.id)])
            self.assertNotIn(token.token_hash, email.link)
            self.assertTrue(Audit.search([('action', '=', 'portal_invite')]))
            # A second invitation reuses the account, revokes the old link.
            Party.portal_invite([party])
            self.assertEqual(User.search([('party', '=', party.id)]), [user])
            self.assertEqual(len(Token.search([('user', '=', user.id),
                            ('used_at', '=', None)])), 1)
            # The message leaves after commit and forgets the link.
            with mock.patch(
                    'trytond.modules.portal.email.send_message') as send:
                Email.send(Email.search([]))
            self.assertEqual(send.call_count, 2)
            msg = send.call_args.args[0]
            self.assertIn('/portal/password/',
                msg.get_body(('plain',)).get_content())
            self.assertIn('href="http', msg.get_body(('html',)).get_content())
            self.assertEqual({e.state for e in Email.search([])}, {'sent'})
            self.assertEqual({e.link for e in Email.search([])}, {None})

    @with_transaction()
    def test_invite_errors(self):
        "No shop, no email, or another customer's email: a clear error"
        pool = Pool()
        Party = pool.get('party.party')
        User = pool.get('web.user')
        company = create_company()
        with set_company(company):
            no_email = Party(name="Sans Email", company=company)
            no_email.save()
            with self.assertRaises(InviteError):
                Party.portal_invite([no_email])
            first = self._customer(company)
            second = self._customer(company, name="Homonyme")
            Party.portal_invite([first])
            with self.assertRaises(InviteError):
                Party.portal_invite([second])
        no_shop = Party(name="Sans Boutique", company=None)
        no_shop.save()
        with self.assertRaises(InviteError):
            User.get_portal_user(no_shop)

    @with_transaction()
    def test_email_send_failure_and_expiry(self):
        "A failed email is retried later; an expired link is not sent"
        pool = Pool()
        Party = pool.get('party.party')
        Email = pool.get('portal.email')
        company = create_company()
        with set_company(company):
            Party.portal_invite([self._customer(company)])
            email, = Email.search([])
            with mock.patch('trytond.modules.portal.email.send_message',
                    side_effect=OSError("down")):
                Email.send([email])
            self.assertEqual(email.state, 'failed')
            self.assertEqual(email.attempts, 1)
            self.assertTrue(email.next_attempt_at)
            self.assertTrue(email.link)
            Email.write([email], {'link_expires_at':
                    datetime.datetime.now() - datetime.timedelta(1)})
            with mock.patch(
                    'trytond.modules.portal.email.send_message') as send:
                Email.send([email])
            self.assertFalse(send.called)
            self.assertEqual(email.state, 'cancelled')
            self.assertIsNone(email.link)

    @with_transaction()
    def test_portal_sections(self):
        """Trades add their section to the job page: the device of a
        repair (never its IMEI), the powder and parts of a coating job"""
        pool = Pool()
        Order = pool.get('service.order')
        Device = pool.get('repair.device')
        Part = pool.get('coating.part')
        self.assertEqual(Order(kind='service').get_portal_sections('fr'), [])
        repair = Order(kind='repair', fault="Écran fissuré",
            accessories="Chargeur", warranty_until=datetime.date(2026, 1, 5),
            device=Device(brand="Apple", model="iPhone 12",
                imei='356938035643809', serial_number='SN-123'))
        (title, rows), = repair.get_portal_sections('fr')
        self.assertEqual(title, "Réparation")
        self.assertIn(("Appareil", "Apple iPhone 12"), rows)
        self.assertIn(("Panne signalée", "Écran fissuré"), rows)
        self.assertIn(("Garantie jusqu'au", "5 janvier 2026"), rows)
        self.assertNotIn('356938035643809', str(rows))
        self.assertNotIn('SN-123', str(rows))
        (title, rows), = repair.get_portal_sections('en')
        self.assertEqual(title, "Repair")
        coating = Order(kind='coating', powder=None, coats=2,
            coating_parts=[Part(number='P-1', quantity=2,
                    description="Portail")])
        (title, rows), = coating.get_portal_sections('fr')
        self.assertEqual(title, "Thermolaquage")
        self.assertEqual(rows, [("Couches", "2"),
                ("Pièce P-1", "2 × Portail")])

    def test_quote_page_hook(self):
        """The quote page shows esign's section only when esign is
        activated and Sale has portal_sign_form"""
        from genshi.core import Markup
        from trytond.modules.portal.pages import QuotePage
        calls = []

        class Sale:
            @classmethod
            def portal_sign_form(cls, sale, web_user):
                calls.append((sale, web_user))
                return {'title': "Signer", 'content': Markup('<p>x</p>')}
        models = {'sale.sale': Sale}
        page = QuotePage.__new__(QuotePage)
        page.pool = SimpleNamespace(get=lambda name: models[name])
        page.sale, page.user = 'sale', 'web user'
        self.assertIsNone(page.esign_section())
        self.assertEqual(page.sections(), [])
        models['esign.signature'] = object
        section = page.esign_section()
        self.assertEqual(section['id'], 'sign')
        self.assertEqual(section['title'], "Signer")
        self.assertEqual(calls, [('sale', 'web user')])
        Sale.portal_sign_form = classmethod(lambda cls, s, u: Markup('<b/>'))
        self.assertEqual(page.esign_section(),
            {'id': 'sign', 'title': None, 'content': Markup('<b/>')})
        Sale.portal_sign_form = classmethod(lambda cls, s, u: None)
        self.assertIsNone(page.esign_section())
        del Sale.portal_sign_form
        self.assertIsNone(page.esign_section())
        with mock.patch.object(QuotePage, 'extra_sections',
                [lambda p: {'id': 'more', 'title': "Plus", 'content': ''},
                    lambda p: None]):
            self.assertEqual([s['id'] for s in page.sections()], ['more'])

    @with_transaction()
    def test_pay_link(self):
        """An invoice with something due in a shop with a gateway gets the
        pay page's link; otherwise 'pay at the shop' (None)"""
        from trytond.modules.portal.pages import pay_link
        pool = Pool()
        due = SimpleNamespace(state='posted', amount_to_pay=Decimal('10'),
            pay_token='tok', has_gateway=True)
        self.assertEqual(pay_link(pool, due),
            '/%s/pay/tok' % Transaction().database.name)
        for invoice in [
                SimpleNamespace(state='posted', amount_to_pay=Decimal('10'),
                    pay_token='tok', has_gateway=False),
                SimpleNamespace(state='paid', amount_to_pay=Decimal('0'),
                    pay_token='tok', has_gateway=True),
                SimpleNamespace(state='posted', amount_to_pay=Decimal('10'),
                    pay_token=None, has_gateway=True),
                ]:
            self.assertIsNone(pay_link(pool, invoice))


del ModuleTestCase
