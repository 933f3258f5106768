"""The production stack on this machine, then a backup restored elsewhere.

scripts/serve-prod --init creates database DB_NAME_prod (DB_NAME is the
runner's prefix, so scripts/test drops whatever is left), activates
`repair` and `account_invoice` and serves it with gunicorn, trytond-worker
and trytond-cron. gunicorn reaches PostgreSQL through a TCP relay of this
test, so the database can be made unreachable for the app alone.

config/postgresql.conf asks for two-factor sign-in (`password+totp`):
serve-prod adds `staff_totp` to the modules, and admin (Owner and Admin)
must enrol before signing in.

In order: /health, admin refused until enrolled, its enrolment on
/<db>/staff/2fa and a JSON-RPC login with a code (pyotp) through
gunicorn, shop data written from this process (a repair job with a
photo, a draft invoice), a task queued here and run by the worker, a
task that fails, /metrics, /health
503 without the database; then scripts/backup, scripts/restore into
DB_NAME_restored (and its refusal to overwrite), equal row counts, the
photo's bytes and the intake receipt PDF's text from the restored
database, and the backups' retention.

A module cleanup stops serve-prod (SIGTERM, then its components' process
groups by their pid files) and drops both databases even after a failure.
"""
import base64
import datetime as dt
import html
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from unittest import mock
from urllib.parse import urlsplit

import psycopg
import pyotp
import requests
from pdfminer.high_level import extract_text

import trytond.config as config
from trytond.modules.account.tests import create_chart
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction, TransactionError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG_URI = (os.environ.get('ATELIER_TEST_POSTGRESQL')
    or 'postgresql://postgres@127.0.0.1:5432/')
DB = DB_NAME + '_prod'
RESTORED = DB_NAME + '_restored'
PASSWORD = 'Atelier-Prod-2026!'
TABLES = ['service_order', 'account_invoice', 'party_party', 'ir_attachment']
PHOTO = b'\x89PNG\r\n\x1a\n' + os.urandom(2048)
state = {}  # the stack: process, dirs, port, relay; ids of the data


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Relay:
    """TCP relay 127.0.0.1:<port> -> PostgreSQL. close() refuses new
    connections and keeps open ones (the worker's LISTEN stays up)."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.listener = socket.create_server(('127.0.0.1', 0))
        self.port = self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.closed:
                client.close()
                return
            server = socket.create_connection(self.target)
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b),
                    daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            source.close()

    def close(self):
        # shutdown() wakes the thread blocked in accept(); close() alone
        # leaves the socket listening until accept() returns.
        self.closed = True
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()


def pg(dbname='postgres'):
    uri = urlsplit(PG_URI)
    return psycopg.connect(host=uri.hostname, port=uri.port or 5432,
        user=uri.username or 'postgres', dbname=dbname, autocommit=True)


def in_db(name, func, user=0):
    """Run `func()` in a committed transaction of database `name` (its pool
    loaded in this process), restarted with the locks Tryton asks for
    (TransactionError) as its dispatcher does; return what it returned."""
    if name not in Pool.database_list():
        with Transaction().start(name, 0, readonly=True):
            Pool(name).init()
    extras = {}
    while True:
        with Transaction().start(name, user, **extras) as transaction:
            try:
                result = func()
            except TransactionError as error:
                transaction.rollback()
                error.fix(extras)
                continue
            transaction.commit()
        return result


def setUpModule():
    # A cleanup, not tearDownModule: it runs even when this setup fails.
    unittest.addModuleCleanup(stop_and_drop)
    uri = urlsplit(PG_URI)
    work = tempfile.mkdtemp(prefix='atelier-prod-')
    state.update(work=work, prod=os.path.join(work, 'prod'),
        data=os.path.join(work, 'prod', 'data'),
        backups=os.path.join(work, 'backups'), port=free_port(),
        relay=Relay(uri.hostname, uri.port or 5432))
    # This process writes the shop's files into the stack's file store
    # (put back for the next test modules of the run).
    state['path'] = config.get('database', 'path')
    config.set('database', 'path', state['data'])
    env = dict(os.environ,
        TRYTOND_DATABASE__URI='postgresql://%s@127.0.0.1:%d/' % (
            uri.username or 'postgres', state['relay'].port),
        TRYTOND_DATABASE_NAMES=DB, ATELIER_PROD_DIR=state['prod'],
        ATELIER_PORT=str(state['port']), GUNICORN_WORKERS='2',
        GUNICORN_THREADS='2', ATELIER_MODULES='repair account_invoice',
        ATELIER_ADMIN_PASSWORD=PASSWORD, ATELIER_TASK_STALE='0')
    env.pop('TRYTOND_CONFIG', None)
    env.pop('SENTRY_DSN', None)
    state['log'] = open(os.path.join(work, 'serve-prod.log'), 'w')
    state['process'] = subprocess.Popen(
        [os.path.join(ROOT, 'scripts', 'serve-prod'), '--init'],
        env=env, stdout=state['log'], stderr=subprocess.STDOUT,
        start_new_session=True)
    deadline = time.monotonic() + 1200  # activating modules takes minutes
    while time.monotonic() < deadline:
        if state['process'].poll() is not None:
            break
        try:
            if requests.get(url('/health'), timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(2)
    raise RuntimeError("serve-prod did not become healthy:\n" + logs())


def stop_and_drop():
    "Stop the stack, drop both databases, remove the work folder."
    process = state.get('process')
    if process and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
    run_dir = os.path.join(state.get('prod', ''), 'run')
    for name in ('app', 'worker', 'cron'):
        try:
            with open(os.path.join(run_dir, name + '.pid')) as file:
                os.killpg(int(file.read()), signal.SIGKILL)
        except (OSError, ValueError):
            pass
    if 'relay' in state:
        state['relay'].close()
    for name in (DB, RESTORED):
        Pool.stop(name)
        with pg() as conn:
            conn.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
    if 'path' in state:
        config.set('database', 'path', state['path'])
    if 'log' in state:
        state['log'].close()
    shutil.rmtree(state.get('work', ''), ignore_errors=True)


def url(path):
    return 'http://127.0.0.1:%d%s' % (state['port'], path)


def logs():
    "The last lines of serve-prod's and its components' logs."
    text = []
    for path in [os.path.join(state['work'], 'serve-prod.log')] + [
            os.path.join(state['prod'], 'log', n + '.log')
            for n in ('admin', 'app', 'worker', 'cron')]:
        if os.path.exists(path):
            with open(path, errors='replace') as file:
                text.append('== %s\n%s' % (
                        path, ''.join(file.readlines()[-30:])))
    return '\n'.join(text)


def metric(text, name, **labels):
    "The value of sample `name{labels}` in exposition `text`, else None."
    want = ','.join('%s="%s"' % item for item in sorted(labels.items()))
    for line in text.splitlines():
        sample, _, value = line.rpartition(' ')
        if '{' in sample:
            key, rest = sample.split('{', 1)
            found = ','.join(sorted(rest.rstrip('}').split(',')))
        else:
            key, found = sample, ''
        if key == name and found == want:
            return float(value)
    return None


def create_shop():
    "A shop with a repair job, its photo and a draft invoice: ids."
    pool = Pool()
    Stage = pool.get('service.order.stage')
    Order = pool.get('service.order')
    Party = pool.get('party.party')
    Device = pool.get('repair.device')
    Attachment = pool.get('ir.attachment')
    Invoice = pool.get('account.invoice')
    Account = pool.get('account.account')
    Journal = pool.get('account.journal')
    company = create_company("Répar'Phone Prod")
    with set_company(company):
        # The database speaks French ([database] language): French chart.
        create_chart(company, chart='account.account_template_root_fr')
        stages = {s.code: s for s in Stage.create_defaults(company, 'repair')}
        party = Party(name="Awa Diop", addresses=[{'city': "Lyon"}])
        party.save()
        device = Device(party=party, brand="Apple", model="iPhone 12",
            imei='352099001761481')
        device.save()
        order = Order(kind='repair', party=party, device=device,
            stage=stages['received'], fault="Écran cassé",
            accessories="Chargeur")
        order.save()
        photo, = Attachment.create([{'name': 'photo.png',
                    'resource': str(order), 'data': PHOTO}])
        receivable, = Account.search([('type.receivable', '=', True),
                ('party_required', '=', True),
                ('company', '=', company.id)], limit=1)
        journal, = Journal.search([('type', '=', 'revenue')], limit=1)
        Invoice.create([{'type': 'out', 'party': party.id,
                    'company': company.id, 'currency': company.currency.id,
                    'invoice_address': party.addresses[0].id,
                    'account': receivable.id, 'journal': journal.id}])
    return {'company': company.id, 'company_party': company.party.id,
        'order': order.id, 'party': party.id,
        'photo': photo.id, 'number': order.number}


def receipt_text(company_id, order_id):
    "Text of the intake receipt PDF of the order (rendered now)."
    pool = Pool()
    Receipt = pool.get('repair.intake_receipt', type='report')
    with Transaction().set_context(company=company_id):
        ext, content, _, _ = Receipt.execute([order_id], {})
    assert ext == 'pdf' and bytes(content).startswith(b'%PDF')
    return extract_text(io.BytesIO(bytes(content)))


def run(*args):
    env = dict(os.environ, TRYTOND_DATABASE__URI=PG_URI,
        TRYTOND_DATABASE__PATH=state['data'])
    return subprocess.run([os.path.join(ROOT, 'scripts', args[0])]
        + list(args[1:]), env=env, capture_output=True, text=True)


def rpc_login(parameters):
    "common.db.login of admin with `parameters` through gunicorn."
    return requests.post(url('/%s/rpc/' % DB), json={'id': 1,
            'method': 'common.db.login',
            'params': ['admin', parameters, 'fr']}, timeout=30)


class Codes:
    "TOTP codes (pyotp) of a secret, never twice the same 30 s step."

    def __init__(self, secret, last_step):
        self.totp = pyotp.TOTP(secret)
        self.last = last_step

    def now(self):
        return self.totp.timecode(dt.datetime.now(dt.timezone.utc))

    def next(self):
        "A code valid now (one step either side) not used before."
        while True:
            now = self.now()
            step = max(now - 1, self.last + 1)
            if step <= now + 1:
                self.last = step
                return self.totp.generate_otp(step)
            time.sleep(1)

    def wrong(self):
        good = {self.totp.generate_otp(self.now() + i) for i in (-1, 0, 1)}
        return next('%06d' % i for i in range(10 ** 6)
            if '%06d' % i not in good)


def enrol_admin(test):
    """Enrol admin on the enrolment page served by gunicorn, as the
    operator does with an authenticator app; return its Codes."""
    page = url('/%s/staff/2fa' % DB)
    client = requests.Session()
    response = client.get(page, timeout=30)
    test.assertEqual(response.status_code, 200, response.text)
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', response.text).group(1)
    response = client.post(page, data={'csrf_token': token,
            'step': 'password', 'login': 'admin', 'password': PASSWORD},
        timeout=30)
    test.assertEqual(response.status_code, 200, response.text)
    secret = re.search(r'<code id="secret">([A-Z2-7 ]+)</code>',
        response.text).group(1).replace(' ', '')
    ticket = html.unescape(re.search(r'name="ticket" value="([^"]+)"',
            response.text).group(1))
    codes = Codes(secret, 0)
    step = codes.now()
    response = client.post(page, data={'csrf_token': token,
            'step': 'confirm', 'ticket': ticket,
            'code': codes.totp.generate_otp(step)}, timeout=30)
    test.assertEqual(response.status_code, 200, response.text)
    test.assertEqual(len(re.findall(
                r'<li>([a-z2-9]{5}-[a-z2-9]{5})</li>', response.text)), 10)
    codes.last = step
    return codes


class ProductionTestCase(unittest.TestCase):
    "The stack served by scripts/serve-prod; steps run in order."

    def test_01_health(self):
        "/health answers 200 with the database loaded and answering"
        response = requests.get(url('/health'), timeout=10)
        self.assertEqual(response.status_code, 200, response.text)
        report = response.json()
        self.assertEqual(report['status'], 'ok')
        self.assertEqual(report['databases'][DB]['database'], 'ok')
        self.assertTrue(report['databases'][DB]['loaded'])

    def test_02_login(self):
        """admin (Owner and Admin: two-factor sign-in required) is refused
        until enrolled, enrols on /<db>/staff/2fa through gunicorn, then
        signs in by JSON-RPC with the password and a code and calls a
        method"""
        response = rpc_login({'password': PASSWORD})
        self.assertEqual(response.status_code, 200, response.text)
        message, description = response.json()['error']
        self.assertIn('/%s/staff/2fa' % DB, description, message)

        codes = enrol_admin(self)
        response = rpc_login({'password': PASSWORD})
        error = response.json()['error']
        self.assertEqual(error[0], 'LoginException', error)
        self.assertEqual(error[1][0], 'totp_code', error)
        response = rpc_login({'password': PASSWORD,
                'totp_code': codes.wrong()})
        self.assertEqual(response.status_code, 401, response.text)
        response = rpc_login({'password': PASSWORD,
                'totp_code': codes.next()})
        self.assertEqual(response.status_code, 200, response.text)
        result = response.json()
        self.assertNotIn('error', result, result)
        user_id, session = result['result'][:2]
        self.assertIsInstance(user_id, int)
        token = base64.b64encode(
            ('admin:%s:%s' % (user_id, session)).encode()).decode()
        response = requests.post(url('/%s/rpc/' % DB), json={'id': 2,
                'method': 'model.res.user.get_preferences',
                'params': [False, {}]},
            headers={'Authorization': 'Session ' + token}, timeout=30)
        self.assertEqual(
            response.json()['result']['email'], 'admin@example.com')

    def test_03_queue(self):
        "a task queued here is run by trytond-worker; a failing one is kept"
        state.update(in_db(DB, create_shop, user=1))

        def queue():
            Party = Pool().get('party.party')
            party = Party(state['party'])
            Party.__queue__.write([party], {'name': "Awa Diop (file)"})
            # Codes are unique: the task raises a user error (SQL
            # constraint), as a send refused by a provider would.
            taken = Party(state['company_party']).code
            Party.__queue__.write([party], {'code': taken})
            with Transaction().set_context(
                    queue_scheduled_at=dt.timedelta(days=1)):
                Party.__queue__.write([party], {'name': "Plus tard"})
        in_db(DB, queue)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with pg(DB) as conn:
                name, = conn.execute('SELECT name FROM party_party '
                    'WHERE id = %s', (state['party'],)).fetchone()
                errors, = conn.execute("SELECT count(*) FROM ir_error "
                    "WHERE origin LIKE 'ir.queue,%%'").fetchone()
            if name == "Awa Diop (file)" and errors:
                break
            time.sleep(1)
        self.assertEqual(name, "Awa Diop (file)", logs())
        self.assertEqual(errors, 1, logs())

    def test_04_metrics(self):
        "/metrics counts requests and reads the queue"
        text = requests.get(url('/metrics'), timeout=30).text
        self.assertGreaterEqual(metric(text, 'atelier_http_requests_total',
                method='POST', status='200'), 2, text)
        self.assertGreaterEqual(metric(text, 'atelier_http_requests_total',
                method='GET', status='200'), 1, text)
        self.assertIsNotNone(metric(text,
                'atelier_http_request_duration_seconds_count',
                method='POST'), text)
        self.assertEqual(metric(text, 'atelier_database_up', database=DB), 1)
        self.assertEqual(
            metric(text, 'atelier_queue_pending', database=DB), 0, text)
        self.assertEqual(
            metric(text, 'atelier_queue_scheduled', database=DB), 1, text)
        self.assertEqual(
            metric(text, 'atelier_queue_failed_tasks', database=DB), 1, text)
        self.assertEqual(metric(text, 'atelier_errors_open',
                database=DB, origin='ir.queue'), 1, text)

    def test_05_health_without_database(self):
        "/health answers 503 with the reason when PostgreSQL is unreachable"
        state['relay'].close()
        response = requests.get(url('/health'), timeout=30)
        self.assertEqual(response.status_code, 503, response.text)
        self.assertIn('%s: database unreachable' % DB,
            ' '.join(response.json()['reasons']))
        text = requests.get(url('/metrics'), timeout=30).text
        self.assertEqual(metric(text, 'atelier_database_up', database=DB), 0)

    def test_06_backup_restore(self):
        "a backup restored into a new database has the same data and files"
        result = run('backup', '--db', DB, '--target', state['backups'])
        self.assertEqual(result.returncode, 0, result.stderr)
        backup = state['backup'] = result.stdout.strip()
        with open(os.path.join(backup, 'MANIFEST.json')) as file:
            manifest = json.load(file)
        self.assertEqual(manifest['databases'], [DB])
        self.assertEqual(set(manifest['files']),
            {DB + '.dump', DB + '.files.tar.gz'})
        result = run('restore', backup, '--db', DB, '--to', RESTORED)
        self.assertEqual(result.returncode, 0, result.stderr)

        counts = {}
        for name in (DB, RESTORED):
            with pg(name) as conn:
                counts[name] = {table: conn.execute(
                        'SELECT count(*) FROM "%s"' % table).fetchone()[0]
                    for table in TABLES}
        self.assertEqual(counts[RESTORED], counts[DB])
        self.assertTrue(all(counts[DB].values()), counts[DB])

        def read():
            Attachment = Pool().get('ir.attachment')
            photo = Attachment(state['photo'])
            return (bytes(photo.data),
                receipt_text(state['company'], state['order']))
        photo, text = in_db(RESTORED, read)
        self.assertEqual(photo, PHOTO)
        self.assertTrue(os.path.isdir(os.path.join(state['data'], RESTORED)))
        self.assertIn(state['number'], text)
        self.assertIn('352099001761481', text)
        self.assertEqual(text, in_db(DB, read)[1])

    def test_07_restore_refuses_to_overwrite(self):
        "restore refuses an existing database unless --force"
        result = run('restore', state['backup'], '--db', DB, '--to', RESTORED)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn('already exist', result.stderr)
        Pool.stop(RESTORED)
        result = run('restore', state['backup'], '--db', DB, '--to',
            RESTORED, '--force')
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_08_retention(self):
        "backups beyond --keep and older than --max-age-days are removed"
        target = state['backups']
        yesterday = (dt.datetime.now(dt.timezone.utc)
            - dt.timedelta(days=1)).strftime('%Y%m%dT%H%M%SZ')
        for name in ('20200101T000000Z', '20200102T000000Z', yesterday,
                '.20200103T000000Z.partial', 'notes'):
            os.makedirs(os.path.join(target, name))
        result = run('backup', '--db', DB, '--target', target, '--keep', '3')
        self.assertEqual(result.returncode, 0, result.stderr)
        newest = os.path.basename(result.stdout.strip())
        first = os.path.basename(state['backup'])
        self.assertEqual(sorted(os.listdir(target)), sorted([
                    '.20200103T000000Z.partial', 'notes', yesterday, first,
                    newest]))
        time.sleep(1.1)  # a backup's name is its second
        result = run('backup', '--db', DB, '--target', target, '--keep',
            '10', '--max-age-days', '0.5')
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn(yesterday, os.listdir(target))
        self.assertIn(newest, os.listdir(target))



class SentryTestCase(unittest.TestCase):
    "Sentry is initialised only with a DSN, and never with secrets"

    def test_sentry_only_with_dsn(self):
        "no sentry_sdk.init without SENTRY_DSN; no locals, bodies, PII"
        from atelier_ops.sentry import init_sentry
        with mock.patch('sentry_sdk.init') as init, \
                mock.patch.dict(os.environ, {'SENTRY_DSN': ''}):
            self.assertFalse(init_sentry('app'))
        init.assert_not_called()
        dsn = 'https://key@sentry.example.com/1'
        with mock.patch('sentry_sdk.init') as init, \
                mock.patch('sentry_sdk.set_tag') as set_tag, \
                mock.patch.dict(os.environ, {'SENTRY_DSN': dsn}):
            self.assertTrue(init_sentry('worker'))
        options = init.call_args.kwargs
        self.assertEqual(options['dsn'], dsn)
        self.assertFalse(options['send_default_pii'])
        self.assertFalse(options['include_local_variables'])
        self.assertEqual(options['max_request_body_size'], 'never')
        set_tag.assert_called_once_with('component', 'worker')


if __name__ == '__main__':
    unittest.main(argv=sys.argv[:1])
