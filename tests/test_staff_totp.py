"""Two-factor sign-in of staff against the real server (PostgreSQL).

The trytond WSGI app, with sao's files served at / (as `[web] root` does),
runs on a free loopback port with `[session] authentications =
password+totp` (set for this module's tests only: the other tests keep
the configuration of test.conf). A shop has an Owner and a Technician.

Over JSON-RPC (`common.db.login`, as sao and the Tryton client call it):
the technician signs in with the password alone; the owner, not enrolled,
is refused with the address of the enrolment page; the owner enrols on
`/<db>/staff/2fa` (CSRF, wrong password, QR code, confirmation, recovery
codes shown once); then the password alone asks for `totp_code`, a wrong
code and a replayed one are refused, the right one signs in, a recovery
code signs in once. Audit rows are checked in the database.

In Chromium (Playwright, Debian's /usr/bin/chromium): sao's login dialog
asks the password, then the code, and the owner is signed in; the owner
not enrolled sees the refusal. Screenshots in var/test-artefacts/staff_totp/.
"""
import html
import json
import os
import re
import threading
import time
import unittest

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

import trytond.config as config
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, activate_module
from trytond.transaction import Transaction
from trytond.wsgi import SharedDataMiddlewareIndex, app

from trytond.modules.staff_totp import totp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAO = os.environ.get('ATELIER_SAO', os.path.join(
        ROOT, 'var', 'sao-build', 'node_modules', 'tryton-sao'))
CHROMIUM = os.environ.get('ATELIER_CHROMIUM', '/usr/bin/chromium')
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic']
ARTEFACTS = os.path.join(ROOT, 'var', 'test-artefacts', 'staff_totp')
PASSWORD = 'Atelier-Deux-Facteurs-2025'
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_TICKET = re.compile(r'name="ticket" value="([^"]+)"')
_SECRET = re.compile(r'<code id="secret">([A-Z2-7 ]+)</code>')
_CODES = re.compile(r'<li>([a-z2-9]{5}-[a-z2-9]{5})</li>')

fixture = {}


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


def committed(func, user=0):
    with Transaction().start(DB_NAME, user) as transaction:
        result = func()
        transaction.commit()
    return result


def read(func):
    with Transaction().start(DB_NAME, 0, readonly=True):
        return func()


def _create_data():
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    company = create_company(name="Atelier Deux Facteurs")
    users = {}
    with set_company(company):
        for login, role in [('totp_owner', 'role_owner'),
                ('totp_tech', 'role_technician'),
                ('totp_admin', 'role_admin')]:
            user, = User.create([{
                        'name': login, 'login': login, 'password': PASSWORD,
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'roles': [('create', [{
                                        'role': ModelData.get_id(
                                            'workshop', role)}])],
                        }])
            users[login] = user.id
    return {'company': company.id, 'users': users}


def setUpModule():
    activate_module(['staff_totp'])
    fixture['authentications'] = config.get(
        'session', 'authentications', default='password')
    config.set('session', 'authentications', 'password+totp')
    # sao lists the databases first; trytond opens each database of the
    # server for that, and waits on any other test's database being
    # built: the login dialog takes the name typed instead.
    fixture['db_list'] = config.get('database', 'list', default='True')
    config.set('database', 'list', 'False')
    fixture['ids'] = committed(_create_data)
    wsgi = app
    if os.path.exists(os.path.join(SAO, 'index.html')):
        wsgi = SharedDataMiddlewareIndex(app, {'/': SAO})
    server = fixture['server'] = make_server('127.0.0.1', 0, wsgi,
        threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fixture['base'] = 'http://127.0.0.1:%s' % server.server_port


def tearDownModule():
    if 'server' in fixture:
        fixture['server'].shutdown()
        fixture['server'].server_close()
    if 'authentications' in fixture:
        config.set('session', 'authentications', fixture['authentications'])
    if 'db_list' in fixture:
        config.set('database', 'list', fixture['db_list'])


def rpc_login(login, parameters, language='en'):
    "Call common.db.login; return (HTTP status, JSON body or None)."
    response = requests.post('%s/%s/rpc/' % (fixture['base'], DB_NAME),
        data=json.dumps({'id': 1, 'method': 'common.db.login',
                'params': [login, parameters, language]}),
        headers={'Content-Type': 'application/json'}, timeout=60)
    try:
        body = response.json()
    except ValueError:
        body = None
    return response.status_code, body


def audit_rows(login, action):
    def search():
        Audit = Pool().get('workshop.audit')
        user_id = fixture['ids']['users'][login]
        return [(r.description, r.company.id if r.company else None)
            for r in Audit.search([
                    ('action', '=', action),
                    ('resource', '=', 'res.user,%s' % user_id),
                    ], order=[('id', 'ASC')])]
    return read(search)


class Codes:
    "The codes of an enrolled user, never twice the same step."

    def __init__(self, secret, last_step):
        self.secret, self.last = secret, last_step

    def next(self):
        "A code valid now of a step after the last one used."
        while True:
            now = totp.current_step()
            step = max(now - 1, self.last + 1)
            if step <= now + 1:
                self.last = step
                return totp.code_at(self.secret, step)
            time.sleep(1)

    def wrong(self):
        good = {totp.code_at(self.secret, totp.current_step() + i)
            for i in (-1, 0, 1)}
        code = 0
        while '%06d' % code in good:
            code += 1
        return '%06d' % code


class StaffTOTPTestCase(unittest.TestCase):
    "Two-factor sign-in over JSON-RPC and the enrolment page"

    def enrol_on_page(self, login):
        """Enrol `login` through /<db>/staff/2fa; return (secret, step
        used, recovery codes)."""
        base = fixture['base']
        path = '%s/%s/staff/2fa' % (base, DB_NAME)
        client = requests.Session()
        page = client.get(path, timeout=60)
        self.assertEqual(page.status_code, 200)
        self.assertIn('Content-Security-Policy', page.headers)
        token = _CSRF.search(page.text).group(1)
        # no CSRF token: refused
        response = client.post(path, data={'step': 'password',
                'login': login, 'password': PASSWORD}, timeout=60)
        self.assertEqual(response.status_code, 403)
        # another site's form: refused (trytond itself refuses another
        # Origin; the page refuses another Referer)
        response = client.post(path, data={'csrf_token': token,
                'step': 'password', 'login': login, 'password': PASSWORD},
            headers={'Referer': 'https://evil.example/form'}, timeout=60)
        self.assertEqual(response.status_code, 403)
        response = client.post(path, data={'csrf_token': token,
                'step': 'password', 'login': login, 'password': 'wrong'},
            timeout=60)
        self.assertEqual(response.status_code, 401)
        response = client.post(path, data={'csrf_token': token,
                'step': 'password', 'login': login, 'password': PASSWORD},
            timeout=60)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIn('<svg', response.text)
        secret = _SECRET.search(response.text).group(1).replace(' ', '')
        ticket = html.unescape(_TICKET.search(response.text).group(1))
        # a forged ticket (another user id) is refused
        forged = '1' + ticket
        response = client.post(path, data={'csrf_token': token,
                'step': 'confirm', 'ticket': forged, 'code': '123456'},
            timeout=60)
        self.assertEqual(response.status_code, 403)
        codes = Codes(secret, totp.current_step() - 2)
        response = client.post(path, data={'csrf_token': token,
                'step': 'confirm', 'ticket': ticket, 'code': codes.wrong()},
            timeout=60)
        self.assertEqual(response.status_code, 422)
        code = codes.next()
        response = client.post(path, data={'csrf_token': token,
                'step': 'confirm', 'ticket': ticket, 'code': code},
            timeout=60)
        self.assertEqual(response.status_code, 200, response.text)
        recovery = _CODES.findall(response.text)
        self.assertEqual(len(recovery), 10)
        # the same ticket again: nothing pending any more
        response = client.post(path, data={'csrf_token': token,
                'step': 'confirm', 'ticket': ticket, 'code': code},
            timeout=60)
        self.assertEqual(response.status_code, 403)
        fixture.setdefault('artefacts', {})[login] = (secret, codes)
        return secret, codes, recovery

    def test_technician_password_only(self):
        "A technician without 2FA signs in with the password alone"
        status, body = rpc_login('totp_tech', {'password': PASSWORD})
        self.assertEqual(status, 200)
        self.assertEqual(body['result'][0],
            fixture['ids']['users']['totp_tech'])
        self.assertTrue(any('(password)' in d
                for d, _ in audit_rows('totp_tech', 'sign_in')))

    def test_owner_enrolment_and_sign_in(self):
        "Owner: refused before enrolment; code, replay, recovery after"
        login = 'totp_owner'
        user_id = fixture['ids']['users'][login]
        status, body = rpc_login(login, {})
        self.assertEqual(body['error'][0], 'LoginException')
        self.assertEqual(body['error'][1][0], 'password')

        status, body = rpc_login(login, {'password': PASSWORD})
        self.assertEqual(status, 200)
        message, description = body['error']
        self.assertIn('required', message)
        self.assertIn('/%s/staff/2fa' % DB_NAME, description)
        refusals = audit_rows(login, 'sign_in_failure')
        self.assertTrue(any('enrolment required' in d for d, _ in refusals))
        self.assertEqual({c for _, c in refusals},
            {fixture['ids']['company']})

        secret, codes, recovery = self.enrol_on_page(login)
        self.assertTrue(audit_rows(login, 'totp_enabled'))

        status, body = rpc_login(login, {'password': PASSWORD})
        self.assertEqual(body['error'][0], 'LoginException')
        self.assertEqual(body['error'][1][0], 'totp_code')
        self.assertEqual(body['error'][1][2], 'char')

        status, body = rpc_login(login, {'password': PASSWORD,
                'totp_code': codes.wrong()})
        self.assertEqual(status, 401)

        code = codes.next()
        status, body = rpc_login(login, {'password': PASSWORD,
                'totp_code': code})
        self.assertEqual(status, 200)
        self.assertEqual(body['result'][0], user_id)

        status, body = rpc_login(login, {'password': PASSWORD,
                'totp_code': code})
        self.assertEqual(status, 401, "replayed code")

        status, body = rpc_login(login, {'password': PASSWORD,
                'totp_code': recovery[0]})
        self.assertEqual(status, 200)
        self.assertEqual(body['result'][0], user_id)
        status, body = rpc_login(login, {'password': PASSWORD,
                'totp_code': recovery[0]})
        self.assertEqual(status, 401, "recovery code used twice")

        failures = [d for d, _ in audit_rows(login, 'sign_in_failure')]
        for reason in ['wrong code', 'code replayed']:
            self.assertTrue(any(reason in d for d in failures), reason)
        sign_ins = [d for d, _ in audit_rows(login, 'sign_in')]
        self.assertTrue(any('password+totp' in d for d in sign_ins))
        self.assertTrue(any('recovery code' in d for d in sign_ins))
        self.assertTrue(audit_rows(login, 'totp_recovery_used'))

        # the page does not enrol twice
        client = requests.Session()
        path = '%s/%s/staff/2fa' % (fixture['base'], DB_NAME)
        token = _CSRF.search(client.get(path, timeout=60).text).group(1)
        response = client.post(path, data={'csrf_token': token,
                'step': 'password', 'login': login, 'password': PASSWORD},
            timeout=60)
        self.assertIn('déjà activée', response.text)

        # the shop-floor pages' basic authentication cannot pass a code
        def basic(login):
            return requests.post('%s/%s/rpc/' % (fixture['base'], DB_NAME),
                data=json.dumps({'id': 1,
                        'method': 'model.res.user.get_preferences',
                        'params': [True, {}]}),
                headers={'Content-Type': 'application/json'},
                auth=(login, PASSWORD), timeout=60)
        self.assertEqual(basic(login).status_code, 401)
        self.assertEqual(basic('totp_tech').status_code, 200)


class StaffTOTPBrowserTestCase(unittest.TestCase):
    "sao's login dialog asks the code after the password (Chromium)"

    @classmethod
    def setUpClass(cls):
        missing = []
        if not os.access(CHROMIUM, os.X_OK):
            missing.append("Debian's Chromium (%s): apt-get install -y "
                "chromium (scripts/test installs it)" % CHROMIUM)
        if not os.path.exists(os.path.join(SAO, 'dist', 'tryton-sao.js')):
            missing.append("sao (%s): scripts/setup --sao" % SAO)
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            missing.append("Playwright for Python: pip install -r "
                "requirements.txt")
        if missing:
            raise AssertionError("The browser tests need: "
                + "; ".join(missing))
        os.makedirs(ARTEFACTS, exist_ok=True)
        for name in os.listdir(ARTEFACTS):
            if name.endswith('.png'):
                os.remove(os.path.join(ARTEFACTS, name))
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS)

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, 'browser'):
            cls.browser.close()
        if hasattr(cls, 'playwright'):
            cls.playwright.stop()

    def setUp(self):
        self.context = self.browser.new_context(locale='fr-FR',
            viewport={'width': 1280, 'height': 800})
        self.context.set_default_timeout(60_000)
        self.page = self.context.new_page()
        self.errors = []
        self.page.on('pageerror', lambda e: self.errors.append(str(e)))
        # (missing optional files of sao, custom.js..., answer 405/404 in
        # the console: only script errors count)

    def tearDown(self):
        self.context.close()

    def shot(self, name):
        self.page.screenshot(path=os.path.join(ARTEFACTS, name + '.png'),
            full_page=True)

    def open_login(self, login):
        page = self.page
        page.goto('%s/#%s' % (fixture['base'], DB_NAME))
        page.wait_for_selector('.login-dialog input#database',
            state='visible')
        page.fill('.login-dialog input#database', DB_NAME)
        page.fill('.login-dialog #login', login)
        page.click('.login-dialog button[type=submit]')

    def answer(self, value, name):
        page = self.page
        try:
            entry = page.wait_for_selector(
                '.ask-dialog input#ask-dialog-entry[name="%s"]' % name,
                state='visible')
        except Exception:
            self.shot('failed-%s' % name)
            raise AssertionError("no question %r in sao; page: %s; "
                "errors: %s" % (name, page.inner_text('body')[:1000],
                    self.errors))
        self.shot('ask-%s' % name)
        entry.fill(value)
        page.click('.ask-dialog .modal-footer .btn-primary')

    def signed_in_user(self):
        return self.page.evaluate("() => Sao.Session.current_session "
            "&& Sao.Session.current_session.user_id")

    def enrolled_codes(self, login):
        """Enrol `login` if needed (as the back-office wizard does) and
        return its Codes."""
        user_id = fixture['ids']['users'][login]

        def enrol():
            pool = Pool()
            User = pool.get('res.user')
            TOTP = pool.get('res.user.totp')
            user = User(user_id)
            if not User.totp_is_enabled(user_id):
                secret, _ = user.totp_start()
                user.totp_confirm(totp.code_at(secret, totp.current_step()))
            row = TOTP.get(user_id)
            return row.secret, row.last_step
        return Codes(*committed(enrol))

    def wait_signed_in(self):
        self.page.wait_for_function(
            "() => Sao.Session.current_session "
            "&& Sao.Session.current_session.user_id", timeout=60_000)
        return self.signed_in_user()

    def test_sign_in_with_code(self):
        "Password, then the app's code, and the admin is in sao"
        login = 'totp_admin'
        user_id = fixture['ids']['users'][login]
        codes = self.enrolled_codes(login)
        self.open_login(login)
        self.answer(PASSWORD, 'password')
        self.answer(codes.next(), 'totp_code')
        self.assertEqual(self.wait_signed_in(), user_id)
        # the back office is shown: its menu
        self.page.wait_for_selector('#menu', state='visible')
        time.sleep(1)
        self.shot('signed-in')
        self.assertFalse(self.errors, self.errors)
        self.assertTrue(any('password+totp' in d
                for d, _ in audit_rows(login, 'sign_in')))

    def test_wrong_code_then_right_one(self):
        "A wrong code sends back to the password; the right one passes"
        login = 'totp_admin'
        user_id = fixture['ids']['users'][login]
        codes = self.enrolled_codes(login)
        self.open_login(login)
        self.answer(PASSWORD, 'password')
        self.answer(codes.wrong(), 'totp_code')
        # refused (401): sao starts again with the password
        self.answer(PASSWORD, 'password')
        self.answer(codes.next(), 'totp_code')
        self.assertEqual(self.wait_signed_in(), user_id)

    def test_preferences_wizard(self):
        "A technician enrols from the preferences: QR code, code, codes"
        login = 'totp_tech_prefs'

        def create():
            pool = Pool()
            User = pool.get('res.user')
            ModelData = pool.get('ir.model.data')
            company = fixture['ids']['company']
            user, = User.create([{
                        'name': login, 'login': login, 'password': PASSWORD,
                        'companies': [('add', [company])],
                        'company': company,
                        'roles': [('create', [{
                                        'role': ModelData.get_id(
                                            'workshop', 'role_technician')}])],
                        }])
            return user.id
        user_id = committed(create)
        page = self.page
        self.open_login(login)
        self.answer(PASSWORD, 'password')
        self.assertEqual(self.wait_signed_in(), user_id)
        page.wait_for_selector('#menu', state='visible')
        page.click('#user-preferences > a')
        page.click('#user-preferences a:has-text("Preferences")')
        page.click('.modal a[role=tab]:has-text("Two-Factor Sign-in")')
        page.click('.modal button[name=totp_manage]')
        secret_input = page.wait_for_selector('.modal input[name="secret"]',
            state='visible')
        page.wait_for_function(
            "el => el.value.length > 20", arg=secret_input)
        secret = secret_input.input_value().replace(' ', '')
        time.sleep(1)
        self.shot('preferences-enrol')
        page.fill('.modal input[name="code"]',
            totp.code_at(secret, totp.current_step()))
        page.click('.modal button:has-text("Confirm")')
        codes = page.wait_for_selector(
            '.modal textarea[name="recovery_codes"]', state='visible')
        page.wait_for_function(
            "el => el.value.split('\\n').length == 10", arg=codes)
        self.shot('preferences-codes')

        def state():
            User = Pool().get('res.user')
            user = User(user_id)
            return user.totp_enabled, user.totp_recovery_left
        self.assertEqual(read(state), (True, 10))
        self.assertFalse(self.errors, self.errors)

    def test_owner_not_enrolled_sees_how_to_enrol(self):
        "An Admin not enrolled sees the refusal and the enrolment page"
        login = 'totp_not_enrolled'

        def create():
            pool = Pool()
            User = pool.get('res.user')
            ModelData = pool.get('ir.model.data')
            company = fixture['ids']['company']
            user, = User.create([{
                        'name': login, 'login': login, 'password': PASSWORD,
                        'companies': [('add', [company])],
                        'company': company,
                        'roles': [('create', [{
                                        'role': ModelData.get_id(
                                            'workshop', 'role_admin')}])],
                        }])
        committed(create)
        self.open_login(login)
        self.answer(PASSWORD, 'password')
        dialog = self.page.wait_for_selector('.error-dialog',
            state='visible')
        text = dialog.inner_text()
        self.shot('enrolment-required')
        self.assertIn(login, text)
        self.assertIsNone(self.signed_in_user())
