"""The customer portal end to end in a real browser, and its security probes.

The real trytond WSGI app serves the test database (DB_NAME, PostgreSQL in
scripts/test) on a free loopback port (werkzeug, threaded); `[email] uri`
points at an SMTP server of the test (aiosmtpd) that keeps the emails;
payments go to the local FedaPay fake (tests/fakes/fedapay_fake.py).

PortalBrowserTestCase drives Debian's Chromium with Playwright (never a
browser of Playwright's own), one step per test, in order: staff invite a
customer, she chooses her password from the email, signs out, signs in by
a one-time link, follows a job, signs a quote by drawing on the canvas,
downloads the signed PDF and an invoice, pays the invoice on the FedaPay
fake, writes to the shop, downloads her data and signs out. Every page
visited is saved as a full-page screenshot in var/test-artefacts/portal/,
checked with axe-core (no 'serious' or 'critical' violation) and weighed
in the browser (Performance API, photos excluded: under 100 KB); the table
of weights is printed at the end.

PortalSecurityTestCase probes the same server over HTTP (requests): other
customers' ids (same shop, other shop) answer 404, forms without their
CSRF token are refused, bad passwords are throttled with the real delays,
and scripts/esign-check, run as a command, detects a tampered journal.

Chromium (/usr/bin/chromium, or ATELIER_CHROMIUM) and axe-core
(var/node-tools/node_modules/axe-core, npm) are installed by scripts/test
and scripts/setup; without them the browser tests fail and say what to
install.
"""
import base64
import datetime
import email
import email.policy
import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import unittest
from decimal import Decimal
from urllib.parse import urlsplit

import requests
from aiosmtpd.controller import Controller
from pdfminer.high_level import extract_text
from PIL import Image, ImageDraw
from werkzeug.serving import WSGIRequestHandler, make_server

import trytond.config as config
from trytond.modules.account.tests import create_chart, get_fiscalyear
from trytond.modules.account_invoice.tests.test_module import (
    set_invoice_sequences)
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.service_order.tests.tools import (
    create_service_product, create_stages)
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, activate_module
from trytond.transaction import Transaction, TransactionError
from trytond.worker import run_task
from trytond.wsgi import app

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakes.fedapay_fake import FedaPayFake  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = os.environ.get('ATELIER_CHROMIUM', '/usr/bin/chromium')
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic']
AXE = os.path.join(ROOT, 'var', 'node-tools', 'node_modules', 'axe-core',
    'axe.min.js')
ARTEFACTS = os.path.join(ROOT, 'var', 'test-artefacts', 'portal')
MAX_PAGE_BYTES = 100 * 1024
MODULES = ['portal', 'esign', 'invoice_fr', 'payment_fedapay']
FEDAPAY_PROCESS = 'https://sandbox-process.fedapay.com/'

AWA_EMAIL = 'awa.diop@example.com'
AWA_PASSWORD = 'Portail-Awa-Cotonou-2025'
BOB_EMAIL = 'bob.houngbo@example.com'
EVE_EMAIL = 'eve.essai@example.com'
CAROL_EMAIL = 'carol.sudiste@example.com'
PASSWORD = 'Portail-Atelier-2025'
PDF = b'%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_HASH = re.compile(r'name="shown_hash" value="([0-9a-f]{64})"')
_LINK = re.compile(
    r'https?://[^\s"<>]+/portal/(password|link)/[A-Za-z0-9_-]{43}')
_FILE = r'href="(/[^"]*/portal/files/%s\?[^"]+)"'

#: The page's transferred bytes: the document and every resource but
#: images (photos), as the browser counted them (headers included).
WEIGHT_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  let total = nav ? (nav.transferSize || nav.encodedBodySize) : 0;
  let images = 0;
  for (const r of performance.getEntriesByType('resource')) {
    const size = r.transferSize || r.encodedBodySize;
    if (r.initiatorType === 'img' || r.initiatorType === 'image') {
      images += size;
    } else {
      total += size;
    }
  }
  return {total: total, images: images,
    status: nav ? nav.responseStatus : 0};
}"""
AXE_RUN_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + '  ' + n.html.slice(0, 160)),
  }));
}"""

fixture = {}  # what setUpModule made: ids, the server's URL, fakes


# Data --------------------------------------------------------------------

def committed(func, user=1, context=None):
    """Run `func()` in a transaction of DB_NAME and commit, restarting it
    with the locks Tryton asks for (TransactionError) as its dispatcher
    does; then run the queued tasks (emails) as after a request. Returns
    what `func` returned."""
    extras = {}
    while True:
        with Transaction().start(DB_NAME, user, context=context or {},
                **extras) as transaction:
            try:
                result = func()
            except TransactionError as error:
                transaction.rollback()
                error.fix(extras)
                continue
            tasks = list(transaction.tasks)
            transaction.commit()
        for task in tasks:
            run_task(DB_NAME, task)
        return result


def png(size=(4, 4), colour=(30, 90, 160)):
    buffer = io.BytesIO()
    Image.new('RGB', size, colour).save(buffer, 'PNG')
    return buffer.getvalue()


def signature_data_url():
    "A drawn signature as the canvas would post it (PNG data URL)."
    image = Image.new('RGBA', (300, 120), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 80), (70, 20), (140, 90), (290, 30)],
        fill=(0, 0, 0, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, 'PNG')
    return 'data:image/png;base64,' + base64.b64encode(
        buffer.getvalue()).decode()


def _search_or_create(model, domain, values):
    Model = Pool().get(model)
    found = Model.search(domain, limit=1)
    if found:
        return found[0]
    record, = Model.create([values])
    return record


class _Shop:
    def __init__(self, company, stages, product):
        self.company, self.stages, self.product = company, stages, product


def _create_shop(name, currency, country, colour, fake=None):
    """A shop in `currency` with its chart, fiscal year, French stage names
    and a labour product; with `fake`, a FedaPay gateway on it."""
    pool = Pool()
    FiscalYear = pool.get('account.fiscalyear')
    Account = pool.get('account.account')
    Category = pool.get('product.category')
    Stage = pool.get('service.order.stage')
    Journal = pool.get('account.journal')
    Method = pool.get('account.invoice.payment.method')
    Gateway = pool.get('payment.gateway')
    company = create_company(name=name, currency=currency)
    company = pool.get('company.company')(company.id)
    company.primary_colour = colour
    company.portal_photos = True
    company.portal_uploads = True
    company.portal_upload_max_mb = 1
    company.phone_country = country
    company.terms = ("Garantie 3 mois sur les pièces et la main-d'œuvre.\n"
        "Paiement à la livraison.")
    company.save()
    with set_company(company):
        create_chart(company)
        fiscalyear = set_invoice_sequences(get_fiscalyear(company))
        fiscalyear.save()
        FiscalYear.create_period([fiscalyear])
        stages = create_stages(company)
        for code, label in [('intake', "Reçu"), ('open', "En cours"),
                ('ready', "Prêt"), ('delivered', "Livré"),
                ('cancelled', "Annulé")]:
            Stage.write([stages[code]], {'name': label})
        revenue, = Account.search([
                ('company', '=', company.id), ('type.revenue', '=', True),
                ('closed', '!=', True)], limit=1)
        category = Category(name="Main-d'œuvre", accounting=True,
            account_revenue=revenue)
        category.save()
        product = create_service_product(name="Remplacement d'écran",
            price=Decimal(25000) if currency.digits == 0 else Decimal(90))
        product.template.account_category = category
        product.template.save()
        if fake:
            cash, = Account.search([('company', '=', company.id),
                    ('code', '=', '1.1.1')], limit=1)
            journal, = Journal.create([{'name': "FedaPay", 'type': 'cash',
                        'code': 'FEDA'}])
            method, = Method.create([{'name': "FedaPay",
                        'company': company.id, 'journal': journal.id,
                        'debit_account': cash.id, 'credit_account': cash.id}])
            Gateway.create([{'company': company.id, 'name': "FedaPay",
                        'provider': 'fedapay', 'mode': 'sandbox',
                        'payment_method': method.id,
                        'fedapay_secret_key': fake.secret_key,
                        'fedapay_webhook_secret': fake.webhook_secret,
                        'fedapay_base_url': fake.url}])
    return _Shop(company, stages, product)


def _create_data(fake):
    """Shop A "Répar'Phone Cotonou" (XOF, FedaPay): Awa (no account yet:
    invited by the test; a job invoiced with a document, a photo and a
    message, a job quoted), Bob (an account; a job invoiced with a
    document and a message, a job quoted) and Eve (an account, for the
    throttling probe). Shop B "Atelier Sud" (EUR): Carol, a job invoiced
    with a document and a message, a job quoted. Returns the ids."""
    from trytond.modules.portal.tests.tools import (
        attach, create_customer, create_job, post_staff_message)
    pool = Pool()
    Mechanism = pool.get('party.contact_mechanism')
    Translation = pool.get('ir.translation')
    # The French texts of esign (its stamp "Signé électroniquement par"):
    # the test database is English, the portal's own words are in code.
    Translation.translation_import('fr', 'esign', os.path.join(ROOT,
            'addons', 'esign', 'locale', 'fr.po'))
    xof = _search_or_create('currency.currency', [('code', '=', 'XOF')], {
            'name': "Franc CFA (BCEAO)", 'code': 'XOF', 'symbol': 'F CFA',
            'digits': 0, 'rounding': Decimal(1)})
    eur = _search_or_create('currency.currency', [('code', '=', 'EUR')], {
            'name': "Euro", 'code': 'EUR', 'symbol': '€', 'digits': 2,
            'rounding': Decimal('0.01')})
    benin = _search_or_create('country.country', [('code', '=', 'BJ')],
        {'name': "Bénin", 'code': 'BJ'})
    france = _search_or_create('country.country', [('code', '=', 'FR')],
        {'name': "France", 'code': 'FR'})
    shop_a = _create_shop("Répar'Phone Cotonou", xof, benin, '#0b5d4b',
        fake=fake)
    shop_b = _create_shop("Atelier Sud", eur, france, '#7a1f5c')
    ids = {'shop_a': shop_a.company.id, 'shop_b': shop_b.company.id}
    promised = datetime.date.today() + datetime.timedelta(days=5)

    awa, _ = create_customer(shop_a, "Awa Diop", AWA_EMAIL, lang='fr')
    Mechanism.create([{'party': awa.id, 'type': 'mobile',
                'value': '+2290197808080'}])
    bob, bob_user = create_customer(shop_a, "Bob Houngbo", BOB_EMAIL,
        password=PASSWORD, lang='fr')
    eve, _ = create_customer(shop_a, "Eve Essai", EVE_EMAIL,
        password=PASSWORD, lang='fr')
    carol, _ = create_customer(shop_b, "Carol Sudiste", CAROL_EMAIL,
        password=PASSWORD, lang='fr')
    ids.update(awa=awa.id, bob_user=bob_user.id)
    with set_company(shop_a.company):
        a1 = create_job(shop_a, awa, "Écran cassé, iPhone 12",
            promised_date=promised)
        a2 = create_job(shop_a, awa, "Batterie qui chauffe", approve=False,
            promised_date=promised)
        ids['a1_doc'] = attach(a1, "diagnostic.pdf", PDF).id
        ids['a1_photo'] = attach(a1, "avant.png", png((320, 240))).id
        post_staff_message(a1, "Bonjour Awa, l'écran de remplacement est "
            "arrivé : votre téléphone sera prêt demain.")
        b1 = create_job(shop_a, bob, "Clavier de Bob", promised_date=promised)
        b2 = create_job(shop_a, bob, "Chargeur de Bob", approve=False,
            promised_date=promised)
        ids['b1_doc'] = attach(b1, "bob.pdf", PDF).id
        post_staff_message(b1, "Message pour Bob")
    with set_company(shop_b.company):
        c1 = create_job(shop_b, carol, "Jante de Carol",
            promised_date=promised)
        c2 = create_job(shop_b, carol, "Pneu de Carol", approve=False,
            promised_date=promised)
        ids['c1_doc'] = attach(c1, "carol.pdf", PDF).id
        post_staff_message(c1, "Message pour Carol")
    for key, order in [('a1', a1), ('a2', a2), ('b1', b1), ('b2', b2),
            ('c1', c1), ('c2', c2)]:
        order = pool.get('service.order')(order.id)
        ids[key] = order.id
        ids[key + '_number'] = order.number
        ids[key + '_quote'] = order.sale.id
        invoices = [i for i in order.invoices if i.state == 'posted']
        if invoices:
            ids[key + '_invoice'] = invoices[0].id
            ids[key + '_invoice_number'] = invoices[0].number
    return ids


# Servers -----------------------------------------------------------------

class Mailbox:
    "aiosmtpd handler keeping every message received."

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content,
            policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return '250 OK'

    def wait(self, recipient, kind, after, timeout=30):
        """Return (message, link) of the first message to `recipient`
        received after the first `after` ones with a link of `kind`
        ('password' or 'link'); fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                messages = self.messages[after:]
            for message in messages:
                if recipient not in (message['To'] or ''):
                    continue
                body = message.get_body(('plain',)).get_content()
                for found in _LINK.finditer(body):
                    if found.group(1) == kind:
                        return message, found.group(0)
            time.sleep(0.2)
        raise AssertionError("no email to %s with a %s link within %s s "
            "(received: %s)" % (recipient, kind, timeout,
                [m['Subject'] for m in self.messages]))


class QuietHandler(WSGIRequestHandler):
    "No access log on the test output (trytond logs the errors)."

    def log_request(self, *args, **kwargs):
        pass


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def setUpModule():
    activate_module(MODULES)
    fixture['fake'] = fake = FedaPayFake().start()
    fixture['ids'] = committed(lambda: _create_data(fake))
    mailbox = fixture['mailbox'] = Mailbox()
    smtp = fixture['smtp'] = Controller(mailbox, hostname='127.0.0.1',
        port=free_port())
    smtp.start()
    fixture['email_uri'] = config.get('email', 'uri')
    config.set('email', 'uri', 'smtp://127.0.0.1:%s' % smtp.port)
    server = fixture['server'] = make_server('127.0.0.1', 0, app,
        threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fixture['host'] = '127.0.0.1:%s' % server.server_port
    fixture['base'] = 'http://' + fixture['host']


def tearDownModule():
    if 'server' in fixture:
        fixture['server'].shutdown()
        fixture['server'].server_close()
    if 'smtp' in fixture:
        fixture['smtp'].stop()
        config.set('email', 'uri', fixture['email_uri'])
    if 'fake' in fixture:
        fixture['fake'].stop()


def portal_path(path=''):
    return '/%s/portal/%s' % (DB_NAME, path)


def read(func):
    "Return func() computed in a read-only transaction of DB_NAME."
    with Transaction().start(DB_NAME, 0, readonly=True):
        return func()


# The browser -------------------------------------------------------------

class PortalBrowserTestCase(unittest.TestCase):
    "The customer's journey through the portal in Chromium"

    @classmethod
    def setUpClass(cls):
        missing = []
        if not os.access(CHROMIUM, os.X_OK):
            missing.append("Debian's Chromium (%s): apt-get install -y "
                "chromium (scripts/test installs it)" % CHROMIUM)
        if not os.path.exists(AXE):
            missing.append("axe-core (%s): npm install axe-core@4 in "
                "var/node-tools (scripts/setup installs it)" % AXE)
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            missing.append("Playwright for Python: pip install -r "
                "requirements.txt (scripts/setup installs it)")
        if missing:
            raise AssertionError("The browser tests need: "
                + "; ".join(missing))
        with open(AXE, encoding='utf-8') as fp:
            cls.axe_source = fp.read()
        os.makedirs(ARTEFACTS, exist_ok=True)
        for name in os.listdir(ARTEFACTS):
            if name.endswith(('.png', '.pdf', '.json')):
                os.remove(os.path.join(ARTEFACTS, name))
        cls.started = time.monotonic()
        cls.pages = []  # (name, path, weight dict, violations)
        cls.failed = []
        cls.state = {}
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # A phone in French (Accept-Language fr-FR)
        cls.context = cls.browser.new_context(locale='fr-FR',
            viewport={'width': 412, 'height': 915}, accept_downloads=True)
        cls.context.set_default_timeout(60_000)
        cls.page = cls.context.new_page()
        cls.page.route(FEDAPAY_PROCESS + '**', cls._fedapay_page)

    @classmethod
    def tearDownClass(cls):
        for name in ['context', 'browser']:
            if hasattr(cls, name):
                getattr(cls, name).close()
        if hasattr(cls, 'playwright'):
            cls.playwright.stop()
        if getattr(cls, 'pages', None):
            cls._report()

    @classmethod
    def _report(cls):
        out = sys.stderr
        out.write("\nPortal pages in Chromium (screenshots in %s, %.0f s)\n"
            % (os.path.relpath(ARTEFACTS, ROOT),
                time.monotonic() - cls.started))
        out.write("%-24s %9s %8s  %s\n" % (
                "page", "KB", "photos", "axe violations (impact)"))
        for name, _, weight, violations in cls.pages:
            found = ', '.join('%s (%s)' % (v['id'], v['impact'])
                for v in violations) if violations is not None else '-'
            out.write("%-24s %9.1f %8.1f  %s\n" % (name,
                    weight['total'] / 1024, weight['images'] / 1024,
                    found or 'none'))
        out.flush()

    def setUp(self):
        failed = [f for f in self.failed if f != self._testMethodName]
        if failed:
            self.skipTest("an earlier step failed: %s" % failed[0])

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result else 0
        outcome = super().run(result)
        if result and len(result.failures) + len(result.errors) > before:
            self.failed.append(self._testMethodName)
            try:  # where the browser was when the step failed
                self.page.screenshot(path=os.path.join(ARTEFACTS,
                        'FAILED-%s.png' % self._testMethodName),
                    full_page=True)
                sys.stderr.write("\n%s failed at %s:\n%s\n" % (
                        self._testMethodName, self.page.url,
                        self.page.inner_text('body')[:2000]))
            except Exception:
                pass
        return outcome

    # helpers

    @property
    def ids(self):
        return fixture['ids']

    def url(self, path=''):
        return fixture['base'] + portal_path(path)

    def check_page(self, name, status=200, axe=True):
        """Screenshot the current page, weigh it and run axe-core on it;
        assert its status, the weight and no serious or critical
        violation."""
        page = self.page
        page.wait_for_load_state('load')
        number = len(self.pages) + 1
        page.screenshot(path=os.path.join(ARTEFACTS,
                '%02d-%s.png' % (number, name)), full_page=True)
        weight = page.evaluate(WEIGHT_JS)
        violations = None
        if axe:
            page.evaluate(self.axe_source)
            violations = page.evaluate(AXE_RUN_JS)
        self.pages.append((name, urlsplit(page.url).path, weight,
                violations))
        self.assertEqual(weight['status'], status, (name, page.url))
        self.assertGreater(weight['total'], 0, name)
        self.assertLess(weight['total'], MAX_PAGE_BYTES,
            "%s weighs %s bytes" % (name, weight['total']))
        serious = [v for v in violations or []
            if v['impact'] in {'serious', 'critical'}]
        self.assertFalse(serious, "axe-core on %s (%s):\n%s" % (
                name, page.url, json.dumps(serious, indent=1,
                    ensure_ascii=False)))

    def text(self, selector='main'):
        return self.page.inner_text(selector)

    def download(self, selector, save_as):
        "Click `selector` (a link to a file); return the file's bytes."
        with self.page.expect_download() as info:
            self.page.click(selector)
        download = info.value
        path = os.path.join(ARTEFACTS, save_as)
        download.save_as(path)
        with open(path, 'rb') as fp:
            return fp.read()

    def sign_out(self):
        self.page.click('header form[action$="/logout"] button')
        self.page.wait_for_url('**/portal/logout')
        self.assertIn("Vous êtes déconnecté.", self.text())

    @classmethod
    def _fedapay_page(cls, route):
        """FedaPay's payment page (the fake's): the amount, and the button
        that brings the customer back as FedaPay does (callback_url with
        ?id=&status=)."""
        fake = fixture['fake']
        token = urlsplit(route.request.url).path.strip('/')
        found = [t for t in list(fake.transactions.values())
            if t.get('payment_token') == token]
        if not found:
            route.fulfill(status=404, body='unknown payment token')
            return
        transaction = found[-1]
        back = '%s?id=%s&status=approved' % (transaction['callback_url'],
            transaction['id'])
        route.fulfill(status=200, content_type='text/html; charset=utf-8',
            body=('<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
                '<title>FedaPay (faux)</title></head><body><main>'
                '<h1>FedaPay sandbox (faux)</h1><p>Paiement de %s F CFA : '
                '%s</p><p><a id="fedapay-back" href="%s">Retour au '
                'marchand</a></p></main></body></html>') % (
                transaction['amount'], transaction['description'], back))

    # the journey, in order

    def test_01_invite_and_first_sign_in(self):
        "Staff invite Awa; she chooses her password from the email: home"
        mailbox = fixture['mailbox']
        after = len(mailbox.messages)

        def invite():
            pool = Pool()
            Party = pool.get('party.party')
            Company = pool.get('company.company')
            with set_company(Company(self.ids['shop_a'])):
                Party.portal_invite([Party(self.ids['awa'])])
        # As staff clicking "Invite to Portal" in the back office that
        # this server serves: the link is on this host.
        committed(invite, context={'_request': {
                    'http_host': fixture['host'], 'is_secure': False,
                    'remote_addr': '127.0.0.1'}})
        message, link = mailbox.wait(AWA_EMAIL, 'password', after)
        self.assertIn("Répar'Phone Cotonou", message['Subject'])
        self.assertTrue(link.startswith(self.url('password/')), link)

        self.page.goto(link)
        self.assertIn("Bienvenue dans votre espace client", self.text())
        self.check_page('invite-password')
        self.page.fill('#password', AWA_PASSWORD)
        self.page.fill('#confirm', AWA_PASSWORD)
        self.page.click('main form button[type=submit]')
        self.page.wait_for_url(self.url())
        self.assertIn("Bonjour Awa,", self.text())
        self.assertIn(self.ids['a1_number'], self.text())
        self.check_page('home-first-sign-in')

    def test_02_sign_out(self):
        "Sign out: the portal asks to sign in again"
        self.sign_out()
        self.check_page('signed-out')
        self.page.goto(self.url())
        self.assertIn('/portal/login', self.page.url)
        self.check_page('login')

    def test_03_one_time_link(self):
        "Sign in by a one-time link: ask, read the email, open, confirm"
        mailbox = fixture['mailbox']
        after = len(mailbox.messages)
        self.page.goto(self.url('login'))
        self.page.fill('#link-email', AWA_EMAIL)
        self.page.click('form[action$="/login/link"] button')
        self.page.wait_for_url('**/portal/login/link')
        self.assertIn("Consultez votre messagerie", self.text())
        self.check_page('link-sent')
        message, link = mailbox.wait(AWA_EMAIL, 'link', after)
        self.assertIn("15 minutes",
            message.get_body(('plain',)).get_content())
        self.page.goto(link)
        self.check_page('link-confirm')
        self.page.click('main form button[type=submit]')
        self.page.wait_for_url(self.url())
        self.assertIn("Bonjour Awa,", self.text())
        self.check_page('home')

    def test_04_follow_a_job(self):
        "The jobs, then a job: stage, timeline, documents, photo, messages"
        self.page.click('nav a[href$="/portal/jobs"]')
        self.page.wait_for_url(self.url('jobs'))
        self.assertIn(self.ids['a2_number'], self.text())
        self.assertNotIn(self.ids['b1_number'], self.text())
        self.check_page('jobs')
        self.page.click('main a[href$="/jobs/%s"]' % self.ids['a1'])
        self.page.wait_for_url(self.url('jobs/%s' % self.ids['a1']))
        steps = self.page.locator('ol.timeline li').all_inner_texts()
        self.assertGreaterEqual(len(steps), 2, steps)
        self.assertIn("Reçu", steps[0])
        self.assertIn("En cours", steps[-1])
        self.assertEqual(self.page.get_attribute(
                'ol.timeline li:last-child', 'aria-current'), 'step')
        text = self.text()
        self.assertIn("Commande n° %s" % self.ids['a1_number'], text)
        self.assertIn("diagnostic.pdf", text)
        self.assertIn("l'écran de remplacement est arrivé", text)
        self.assertEqual(self.page.locator('.photos img').count(), 1)
        self.check_page('job')

    def test_05_sign_quote(self):
        """Sign the quote by drawing on the canvas, typing the name and
        ticking the terms: the quote is confirmed, the signed PDF carries
        the stamp and the hash"""
        page = self.page
        page.click('nav a[href$="/portal/quotes"]')
        page.wait_for_url(self.url('quotes'))
        self.check_page('quotes')
        page.click('main a[href$="/quotes/%s"]' % self.ids['a2_quote'])
        page.wait_for_url(self.url('quotes/%s' % self.ids['a2_quote']))
        self.check_page('quote')
        page.click('a[href$="/quotes/%s/sign"]' % self.ids['a2_quote'])
        page.wait_for_url(self.url('quotes/%s/sign' % self.ids['a2_quote']))
        self.assertTrue(page.is_visible('#esign-pad'),
            "the canvas script did not run")
        self.check_page('sign')
        shown_hash = page.input_value('input[name=shown_hash]')
        self.assertRegex(shown_hash, '^[0-9a-f]{64}$')

        pad = page.locator('#esign-pad')
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()

        def at(fx, fy):
            return box['x'] + box['width'] * fx, box['y'] + box['height'] * fy
        page.mouse.move(*at(0.08, 0.7))
        page.mouse.down()
        for point in [(0.2, 0.25), (0.33, 0.75), (0.48, 0.3), (0.62, 0.7),
                (0.78, 0.35), (0.92, 0.6)]:
            page.mouse.move(*at(*point), steps=8)
        page.mouse.up()
        drawn = page.input_value('#esign-drawn')
        self.assertTrue(drawn.startswith('data:image/png;base64,'),
            drawn[:40])
        page.fill('#esign-name', "Awa Diop")
        page.check('input[name=accept_terms]')
        page.screenshot(path=os.path.join(ARTEFACTS,
                '%02d-sign-filled.png' % (len(self.pages) + 1)),
            full_page=True)
        page.click('form[action$="/sign"] button[type=submit]')
        page.wait_for_url('**/jobs/%s?done=signed' % self.ids['a2'])
        self.assertIn("Votre devis est signé. Merci !", self.text())
        self.assertIn("Signature du devis", self.text())
        self.check_page('job-signed')

        def signed():
            pool = Pool()
            sale = pool.get('sale.sale')(self.ids['a2_quote'])
            signature = pool.get('esign.signature').of_document(sale)
            return sale.state, signature and (signature.document_hash,
                signature.signer_name, signature.ip_address,
                signature.user_agent, bool(signature.image))
        state, entry = read(signed)
        self.assertIn(state, {'confirmed', 'processing'})
        self.assertEqual(entry[:3], (shown_hash, "Awa Diop", '127.0.0.1'))
        self.assertIn('Chrome', entry[3])
        self.assertTrue(entry[4])

        page.goto(self.url('quotes/%s' % self.ids['a2_quote']))
        self.assertIn("Signé électroniquement par Awa Diop le", self.text())
        self.assertNotIn("Signer le devis en ligne", self.text())
        self.check_page('quote-signed')
        pdf = self.download('a[href$="/quotes/%s/signed.pdf"]'
            % self.ids['a2_quote'], 'devis-signe.pdf')
        self.assertTrue(pdf.startswith(b'%PDF-'))
        text = extract_text(io.BytesIO(pdf))
        self.assertIn("Signé électroniquement par Awa Diop", text)
        self.assertIn(shown_hash, text)
        self.state['shown_hash'] = shown_hash

    def test_06_invoice_pdf(self):
        "The invoices, an invoice and its PDF"
        page = self.page
        page.click('nav a[href$="/portal/invoices"]')
        page.wait_for_url(self.url('invoices'))
        self.assertIn(self.ids['a1_invoice_number'], self.text())
        self.check_page('invoices')
        page.click('main a[href$="/invoices/%s"]' % self.ids['a1_invoice'])
        page.wait_for_url(self.url('invoices/%s' % self.ids['a1_invoice']))
        self.assertIn("Payer 25", self.text())
        self.check_page('invoice')
        pdf = self.download('a[href$="/invoices/%s/pdf"]'
            % self.ids['a1_invoice'], 'facture.pdf')
        self.assertTrue(pdf.startswith(b'%PDF-'))
        text = extract_text(io.BytesIO(pdf))
        self.assertIn(self.ids['a1_invoice_number'], text)
        self.assertIn("Awa Diop", text)

    def test_07_pay_invoice(self):
        """Pay the invoice on FedaPay (the fake): its page, a signed
        webhook after approval, the return page; the portal says paid"""
        page = self.page
        fake = fixture['fake']
        page.goto(self.url('invoices/%s' % self.ids['a1_invoice']))
        page.click('main a.button[href*="/pay/"]')
        page.wait_for_url('**/%s/pay/*' % DB_NAME)
        self.assertIn("Payer votre facture", self.text('body'))
        self.check_page('pay')
        page.click('form[action*="/pay/"] button')
        page.wait_for_url(FEDAPAY_PROCESS + '**')
        self.assertIn("FedaPay sandbox (faux)", self.text('body'))
        page.screenshot(path=os.path.join(ARTEFACTS,
                '%02d-fedapay-fake.png' % (len(self.pages) + 1)))
        token = urlsplit(page.url).path.strip('/')
        transaction, = [t for t in fake.transactions.values()
            if t.get('payment_token') == token]
        self.assertEqual(transaction['amount'], 25000)

        fake.set_outcome(transaction['id'], 'approved')
        body = fake.event(transaction['id'])
        gateway = read(lambda: Pool().get('payment.gateway').search([
                    ('company', '=', self.ids['shop_a'])])[0].id)
        response = requests.post('%s/%s/payment/fedapay/%s' % (
                fixture['base'], DB_NAME, gateway), data=body, timeout=60,
            headers={'Content-Type': 'application/json',
                'X-FEDAPAY-SIGNATURE': fake.sign(body)})
        self.assertEqual(response.status_code, 200, response.text[:500])

        page.click('#fedapay-back')
        page.wait_for_url('**/pay/return/**')
        self.assertIn("Paiement reçu", self.text('body'))
        self.check_page('pay-return')

        page.goto(self.url('invoices/%s' % self.ids['a1_invoice']))
        text = self.text()
        self.assertIn("Rien, merci !", text)
        self.assertIn("Historique des paiements", text)
        self.assertEqual(page.locator('table tbody tr').count(), 1)
        self.check_page('invoice-paid')
        state = read(lambda: Pool().get('account.invoice')(
                self.ids['a1_invoice']).state)
        self.assertEqual(state, 'paid')
        page.goto(self.url())
        self.assertIn("Rien à régler", self.text())

    def test_08_message(self):
        "Write to the shop on a job: in the thread and on the order's chat"
        page = self.page
        content = "Bonjour, je peux passer jeudi à 10 h ?"
        page.goto(self.url('jobs/%s' % self.ids['a1']))
        page.fill('#content', content)
        page.click('form[action$="/messages"] button')
        page.wait_for_url('**/jobs/%s?done=sent*' % self.ids['a1'])
        self.assertIn("Votre message a été envoyé à la boutique.",
            self.text())
        thread = self.text('#messages')
        self.assertIn(content, thread)
        self.assertIn("Vous", thread)
        self.check_page('job-message-sent')

        def chat():
            Message = Pool().get('ir.chat.message')
            return [(m.email, m.audience) for m in Message.search([
                        ('channel.resource', '=',
                            'service.order,%s' % self.ids['a1']),
                        ('content', '=', content)])]
        self.assertEqual(read(chat), [(AWA_EMAIL, 'public')])

        page.click('nav a[href$="/portal/messages"]')
        page.wait_for_url(self.url('messages'))
        self.assertIn(content, self.text())
        self.check_page('messages')
        page.click('nav a[href$="/portal/documents"]')
        page.wait_for_url(self.url('documents'))
        self.assertIn("diagnostic.pdf", self.text())
        self.assertIn("devis", self.text().lower())  # the signed quote
        self.check_page('documents')

    def test_09_download_my_data(self):
        "Download my data: her name and jobs, nothing of anyone else"
        page = self.page
        page.click('nav a[href$="/portal/profile"]')
        page.wait_for_url(self.url('profile'))
        self.check_page('profile')
        raw = self.download('a[href$="/profile/export"]', 'mes-donnees.json')
        data = json.loads(raw.decode('utf-8'))
        self.assertEqual(data['party']['name'], "Awa Diop")
        self.assertEqual({j['number'] for j in data['jobs']},
            {self.ids['a1_number'], self.ids['a2_number']})
        text = raw.decode('utf-8')
        # (Job numbers are per shop: Carol's are Awa's numbers at shop B.)
        for other in ["Bob", "Houngbo", BOB_EMAIL, "bob.pdf", "Carol",
                CAROL_EMAIL, "Jante", "Pneu", "carol.pdf", "Eve Essai",
                self.ids['b1_number'], self.ids['b2_number'],
                'password_hash']:
            self.assertNotIn(other, text)

    def test_10_sign_out(self):
        "Sign out at the end: the pages ask to sign in again"
        self.sign_out()
        self.page.goto(self.url('jobs/%s' % self.ids['a1']))
        self.assertIn('/portal/login?next=', self.page.url)
        self.assertNotIn('atelier_portal',
            {c['name'] for c in self.context.cookies(self.url())})
        self.check_page('login-after-sign-out')


# Security probes ---------------------------------------------------------

class Customer:
    "A customer's HTTP session on the test server (requests)."

    def __init__(self):
        self.session = requests.Session()
        self.session.headers['Accept-Language'] = 'fr-FR,fr;q=0.9'

    def get(self, path, **kwargs):
        return self.session.get(fixture['base'] + path,
            allow_redirects=False, timeout=120, **kwargs)

    def post(self, path, data=None, **kwargs):
        return self.session.post(fixture['base'] + path, data=data or {},
            allow_redirects=False, timeout=120, **kwargs)

    def csrf(self, response):
        found = _CSRF.search(response.text)
        assert found, "no CSRF token in %s" % response.url
        return found.group(1)

    def sign_in(self, email, password=PASSWORD):
        token = self.csrf(self.get(portal_path('login')))
        response = self.post(portal_path('login'), {'csrf_token': token,
                'email': email, 'password': password})
        assert response.status_code == 303, response.status_code
        return self


class PortalSecurityTestCase(unittest.TestCase):
    "Security probes of the portal over HTTP"

    @property
    def ids(self):
        return fixture['ids']

    def count(self, model, domain):
        return read(lambda: Pool().get(model).search_count(domain))

    def test_other_ids_not_found(self):
        """Another customer's job, quote, invoice, document and messages
        (same shop: Awa; other shop: Carol) answer Bob the one 404 page"""
        ids = self.ids
        bob = Customer().sign_in(BOB_EMAIL)
        reference = bob.get(portal_path('nothing-here'))
        self.assertEqual(reference.status_code, 404)
        # Bob's own records answer (the probes below are not vacuous).
        job = bob.get(portal_path('jobs/%s' % ids['b1']))
        self.assertEqual(job.status_code, 200)
        own_file = re.search(_FILE % ids['b1_doc'], job.text).group(1)
        for path in ['quotes/%s' % ids['b1_quote'],
                'invoices/%s' % ids['b1_invoice']]:
            self.assertEqual(bob.get(portal_path(path)).status_code, 200)
        self.assertEqual(bob.get(own_file.replace('&amp;', '&')).content,
            PDF)
        csrf = bob.csrf(job)

        def signed_links():
            from trytond.modules.portal.files import file_url
            pool = Pool()
            User = pool.get('web.user')
            Attachment = pool.get('ir.attachment')
            return [file_url(User(ids['bob_user']), Attachment(ids[key]))
                for key in ['a1_doc', 'a1_photo', 'c1_doc']]
        files = read(signed_links)  # valid signatures for Bob's account
        messages_before = self.count('ir.chat.message', [])
        attachments_before = self.count('ir.attachment', [])
        for other in ['a1', 'a2', 'c1', 'c2']:
            job, quote = ids[other], ids[other + '_quote']
            paths = ['jobs/%s' % job, 'quotes/%s' % quote,
                'quotes/%s/pdf' % quote, 'quotes/%s/sign' % quote,
                'quotes/%s/signed.pdf' % quote]
            if other + '_invoice' in ids:
                invoice = ids[other + '_invoice']
                paths += ['invoices/%s' % invoice,
                    'invoices/%s/pdf' % invoice]
            for path in paths:
                with self.subTest(customer=other, path=path):
                    response = bob.get(portal_path(path))
                    self.assertEqual(response.status_code, 404)
                    self.assertEqual(response.content, reference.content)
            with self.subTest(customer=other, post='messages'):
                response = bob.post(portal_path('jobs/%s/messages' % job),
                    {'csrf_token': csrf, 'content': "intrus"})
                self.assertEqual(response.status_code, 404)
                self.assertEqual(response.content, reference.content)
            with self.subTest(customer=other, post='documents'):
                response = bob.post(portal_path('jobs/%s/documents' % job),
                    {'csrf_token': csrf},
                    files={'file': ('x.pdf', PDF, 'application/pdf')})
                self.assertEqual(response.status_code, 404)
            with self.subTest(customer=other, post='sign'):
                response = bob.post(portal_path('quotes/%s/sign' % quote), {
                        'csrf_token': csrf, 'shown_hash': '0' * 64,
                        'signature': signature_data_url(),
                        'full_name': "Bob Houngbo", 'accept_terms': '1'})
                self.assertEqual(response.status_code, 404)
        for url in files:
            with self.subTest(file=url):
                response = bob.get(url)
                self.assertEqual(response.status_code, 404)
                self.assertEqual(response.content, reference.content)
        self.assertEqual(self.count('ir.chat.message', []), messages_before)
        self.assertEqual(self.count('ir.attachment', []), attachments_before)
        # Bob's threads and documents show none of the others' messages.
        for path in ['messages', 'documents', '']:
            text = bob.get(portal_path(path)).text
            for other in ["l'écran de remplacement", "Message pour Carol",
                    'diagnostic.pdf', 'carol.pdf', "Écran cassé", "Jante",
                    ids['a1_number'], ids['a2_number']]:
                self.assertNotIn(other.replace("'", '&#39;'), text, path)
                self.assertNotIn(other, text, path)

    def test_csrf_refused(self):
        "Forms without their CSRF token answer 403 and change nothing"
        bob = Customer().sign_in(BOB_EMAIL)
        page = bob.get(portal_path('profile'))
        token = bob.csrf(page)
        before = self.count('ir.chat.message', [])
        forms = [
            ('jobs/%s/messages' % self.ids['b1'], {'content': "sans jeton"}),
            ('profile', {'phone': '+22961000000', 'lang': 'en'}),
            ('logout-all', {}),
            ('logout', {}),
            ]
        for missing in [{}, {'csrf_token': ''},
                {'csrf_token': token[:-2] + ('AA' if token[-2:] != 'AA'
                        else 'BB')}]:
            for path, form in forms:
                with self.subTest(path=path, token=missing):
                    response = bob.post(portal_path(path),
                        dict(form, **missing))
                    self.assertEqual(response.status_code, 403)
                    self.assertIn("Formulaire refusé", response.text)
        self.assertEqual(self.count('ir.chat.message', []), before)
        profile = bob.get(portal_path('profile'))  # still signed in
        self.assertEqual(profile.status_code, 200)
        self.assertNotIn('61 00 00 00', profile.text)
        self.assertIn('lang="fr"', profile.text)
        # The sign-in form needs its pre-session token too.
        response = Customer().post(portal_path('login'),
            {'email': BOB_EMAIL, 'password': PASSWORD})
        self.assertEqual(response.status_code, 403)

    def test_throttled_passwords(self):
        """Bad passwords wait 2**n - 1 seconds (real delays), then are
        refused (429), the right password too ([session] max_attempt
        lowered to 2 to keep the test short)"""
        client = Customer()
        token = client.csrf(client.get(portal_path('login')))
        original = config.get('session', 'max_attempt')
        config.set('session', 'max_attempt', '2')
        try:
            answers = []
            for password in ['wrong-1', 'wrong-2', 'wrong-3', 'wrong-4',
                    PASSWORD]:
                started = time.monotonic()
                response = client.post(portal_path('login'), {
                        'csrf_token': token, 'email': EVE_EMAIL,
                        'password': password})
                answers.append((response.status_code,
                        time.monotonic() - started, response.text))
        finally:
            config.set('session', 'max_attempt', original)
        self.assertEqual([a[0] for a in answers], [401, 401, 401, 429, 429])
        self.assertGreaterEqual(answers[1][1], 1)
        self.assertGreaterEqual(answers[2][1], 3)
        self.assertIn("Adresse e-mail ou mot de passe incorrect",
            answers[0][2])
        self.assertIn("Trop de tentatives", answers[4][2])
        self.assertNotIn('atelier_portal=',
            client.session.cookies.get_dict())

    def esign_check(self):
        "Run scripts/esign-check on the test database: (exit code, output)."
        # The environment of the tests, and their filestore (the script
        # would take var/db for the default path).
        env = dict(os.environ,
            TRYTOND_DATABASE__PATH=config.get('database', 'path'))
        result = subprocess.run(
            [os.path.join(ROOT, 'scripts', 'esign-check'), '--db', DB_NAME],
            capture_output=True, text=True, timeout=600, env=env)
        return result.returncode, result.stdout + result.stderr

    def test_esign_check_tampered(self):
        """scripts/esign-check says OK, then names the entry changed with
        SQL behind the application's back (exit 1)"""
        bob = Customer().sign_in(BOB_EMAIL)
        quote = self.ids['b2_quote']
        form = bob.get(portal_path('quotes/%s/sign' % quote))
        self.assertEqual(form.status_code, 200)
        response = bob.post(portal_path('quotes/%s/sign' % quote), {
                'csrf_token': bob.csrf(form),
                'shown_hash': _HASH.search(form.text).group(1),
                'signature': signature_data_url(),
                'full_name': "Bob Houngbo", 'accept_terms': '1'})
        self.assertEqual(response.status_code, 303, response.text[:1000])

        code, output = self.esign_check()
        self.assertEqual(code, 0, output)
        self.assertRegex(output, r'OK: \d+ signatures')

        def entry():
            Signature = Pool().get('esign.signature')
            signature = Signature.of_document(
                Pool().get('sale.sale')(quote))
            return signature.id, signature.sequence, signature.signer_name

        def sql(name, signature_id):
            cursor = Transaction().connection.cursor()
            cursor.execute('UPDATE "esign_signature" SET "signer_name" = %s '
                'WHERE "id" = %s', (name, signature_id))
        signature_id, sequence, name = read(entry)
        committed(lambda: sql("Mallory", signature_id), user=0)
        try:
            code, output = self.esign_check()
            self.assertEqual(code, 1, output)
            self.assertIn('signature %s (no. %s)' % (signature_id, sequence),
                output)
            self.assertIn('TAMPERED', output)
        finally:
            committed(lambda: sql(name, signature_id), user=0)
        code, output = self.esign_check()
        self.assertEqual(code, 0, output)


if __name__ == '__main__':
    unittest.main()
