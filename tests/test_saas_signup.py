"""Sign-up of a new shop through the real page (PostgreSQL): trytond's WSGI
app served by werkzeug, emails through a local SMTP server (aiosmtpd).

GET /<db>/signup, POST the form with its CSRF token and cookie, receive the
activation email, follow its link, choose the password, sign in with it
(JSON-RPC common.db.login); then the refusals: a field error names the
field (400, nothing created), a POST without the CSRF token (403), the
throttle per IP network (429), a used link (404), a database without saas
(404).
"""
import email
import email.policy
import json
import re
import threading
import time
import unittest
from urllib.parse import urlsplit

import requests
from aiosmtpd.controller import Controller
from werkzeug.serving import WSGIRequestHandler, make_server

import trytond.config as config
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, activate_module
from trytond.transaction import Transaction
from trytond.wsgi import app

from test_portal_browser import free_port

MODULES = ['saas', 'repair']
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LINK = re.compile(r'https?://[^\s"<>]+/signup/activate/[A-Za-z0-9_-]{43}')
PASSWORD = 'Atelier-Boutique-Lyon-2026'
fixture = {}


class Mailbox:
    "aiosmtpd handler keeping every message received."

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(email.message_from_bytes(
                    envelope.original_content, policy=email.policy.default))
        return '250 OK'

    def wait_link(self, recipient, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                messages = list(self.messages)
            for message in messages:
                if recipient in (message['To'] or ''):
                    body = message.get_body(('plain',)).get_content()
                    found = _LINK.search(body)
                    if found:
                        return message, found.group(0)
            time.sleep(0.2)
        raise AssertionError("no activation email to %s" % recipient)


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


def setUpModule():
    activate_module(MODULES)
    with Transaction().start(DB_NAME, 0) as transaction:
        Configuration = Pool().get('saas.configuration')
        config_ = Configuration(1)
        config_.signup_max_ip = 4
        config_.save()
        transaction.commit()
    mailbox = fixture['mailbox'] = Mailbox()
    smtp = fixture['smtp'] = Controller(mailbox, hostname='127.0.0.1',
        port=free_port())
    smtp.start()
    fixture['email_uri'] = config.get('email', 'uri')
    config.set('email', 'uri', 'smtp://127.0.0.1:%s' % smtp.port)
    server = fixture['server'] = make_server('127.0.0.1', 0, app,
        threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fixture['base'] = 'http://127.0.0.1:%s' % server.server_port


def tearDownModule():
    if 'server' in fixture:
        fixture['server'].shutdown()
        fixture['server'].server_close()
    if 'smtp' in fixture:
        fixture['smtp'].stop()
        config.set('email', 'uri', fixture['email_uri'])


def url(path):
    return '%s/%s/signup%s' % (fixture['base'], DB_NAME, path)


def form(**kwargs):
    values = {'shop_name': "Répar'Phone Part-Dieu", 'owner_name': "Marie",
        'email': 'marie@partdieu.example', 'phone': '04 78 00 00 00',
        'country': 'FR', 'trade': 'repair', 'terms_accepted': '1',
        'privacy_accepted': '1'}
    values.update(kwargs)
    return values


class SaasSignUpTestCase(unittest.TestCase):
    "Sign-up page to activated owner"

    def test_1_sign_up_and_activate(self):
        session = requests.Session()
        page = session.get(url(''), headers={'Accept-Language': 'fr'})
        self.assertEqual(page.status_code, 200)
        self.assertIn('Créer ma boutique', page.text)
        self.assertNotIn('<script', page.text)
        csrf = _CSRF.search(page.text).group(1)

        started = time.perf_counter()
        answer = session.post(url(''), data=form(csrf_token=csrf),
            headers={'Origin': fixture['base']})
        elapsed = time.perf_counter() - started
        self.assertEqual(answer.status_code, 200, answer.text)
        self.assertIn('marie@partdieu.example', answer.text)
        print("\nsign-up POST answered in %.2f s" % elapsed)

        message, link = fixture['mailbox'].wait_link('marie@partdieu.example')
        self.assertIn("Répar'Phone Part-Dieu", message['Subject'])
        path = urlsplit(link).path
        activation = session.get(fixture['base'] + path)
        self.assertEqual(activation.status_code, 200)
        csrf = _CSRF.search(activation.text).group(1)
        mismatch = session.post(fixture['base'] + path, data={
                'csrf_token': csrf, 'password': PASSWORD,
                'password2': PASSWORD + 'x'},
            headers={'Origin': fixture['base']})
        self.assertEqual(mismatch.status_code, 400)
        done = session.post(fixture['base'] + path, data={
                'csrf_token': csrf, 'password': PASSWORD,
                'password2': PASSWORD}, headers={'Origin': fixture['base']})
        self.assertEqual(done.status_code, 200, done.text)
        self.assertIn('marie@partdieu.example', done.text)
        # The link works once.
        self.assertEqual(session.get(fixture['base'] + path).status_code,
            404)

        login = requests.post('%s/%s/rpc/' % (fixture['base'], DB_NAME),
            # With an id, Tryton answers the JSON-RPC envelope
            # {id, result | error}; without one, the bare result.
            data=json.dumps({'id': 1, 'method': 'common.db.login',
                    'params': ['marie@partdieu.example',
                        {'password': PASSWORD}, 'fr']}),
            headers={'Content-Type': 'application/json'})
        self.assertEqual(login.status_code, 200)
        result = login.json()
        self.assertNotIn('error', result, result)
        # [user id, session key, bus URL host or None]
        user_id, session_key, _ = result['result']
        self.assertTrue(session_key)

        with Transaction().start(DB_NAME, 0, readonly=True):
            Shop = Pool().get('saas.shop')
            shop, = Shop.search([('owner_email', '=',
                        'marie@partdieu.example')])
            self.assertEqual(shop.state, 'trial')
            self.assertEqual(shop.terms_ip, '127.0.0.1')
            self.assertEqual(shop.company.currency.code, 'EUR')
            # The session is the owner's staff account of the new shop.
            self.assertEqual(shop.owner.id, user_id)
            self.assertEqual(shop.owner.company, shop.company)

    def test_2_refusals(self):
        session = requests.Session()
        page = session.get(url(''), headers={'Accept-Language': 'en'})
        self.assertIn('Create my shop', page.text)
        csrf = _CSRF.search(page.text).group(1)
        headers = {'Origin': fixture['base']}
        bad = session.post(url(''), data=form(csrf_token=csrf,
                email='x@other.example', phone='12'), headers=headers)
        self.assertEqual(bad.status_code, 400)
        self.assertIn('Phone', bad.text)
        no_csrf = session.post(url(''), data=form(email='y@other.example'),
            headers=headers)
        self.assertEqual(no_csrf.status_code, 403)
        statuses = [session.post(url(''), data=form(csrf_token=csrf,
                    email='z%d@other.example' % i, phone='1'),
                headers=headers).status_code for i in range(6)]
        self.assertIn(429, statuses)
        self.assertEqual(requests.get('%s/no_such_db/signup' % (
                    fixture['base'])).status_code, 404)
