#!/usr/bin/env python3
"""Many shops in one PostgreSQL database under a mixed load of staff and
customers: latency and throughput for N concurrent users, and the time to
create a new shop.

usage: scripts/bench/multi_shop.py [--shops 200] [--jobs 5000]
    [--levels 10,50,100] [--duration 30] [--db NAME] [--keep | --reuse]

Database: PostgreSQL only, the server of ATELIER_BENCH_POSTGRESQL, else of
TRYTOND_DATABASE__URI when it is a postgresql:// URI, else the local one
(postgresql://postgres@127.0.0.1:5432/, trust). The database is
bench_multishop_<pid>_<time>, or --db; it is dropped WITH (FORCE) at the
end unless --keep. --reuse runs the load on a database kept by an earlier
--keep run (--db required) instead of generating it again; a kept
database without bench shops (modules already activated, e.g. a copy of
a fresh one) gets them generated, without the slow module activation.

Generation (timed and printed, not measured as load):

1. trytond-admin creates the database and activates --modules (default
   `repair` and `invoice_fr`, and their dependencies; add `saas` to time
   its sign-up) and always `staff_totp`: config/postgresql.conf asks for
   two-factor sign-in (`authentications = password+totp`) and trytond
   refuses every sign-in of a database without it (a reused database
   without it gets it activated).
2. `--shops` shops are created by `company.company.create_french_shop`
   (invoice_fr: the shop's party, address and company; repair gives each
   its default stages and transitions), each with its order sequence.
3. The first shop is the template, built through the modules' methods:
   `--customers` customers (party.party of that shop) and up to 40 repair
   orders (`service.order.create`, then moves with `set_stage` spread over
   every stage, so history rows, audit rows and (cancelled, no email)
   notifications are the modules' own).
4. Set-based SQL clones the rest: the template's customers into every
   other shop (new ids from the tables' sequences, codes 'BENCH-<id>'),
   then `--jobs` orders per shop (template orders repeated, stage and
   customer mapped to the shop's own by stage code and rank, intake dates
   spread over the last year, numbers YYYY-NNNNN continuing the shop's
   sequence, a fresh 192-bit URL-safe tracking token per order) with their
   stage history (template history, dates shifted to the clone's intake and
   spread over days). Each shop's ir.sequence continues after its last
   cloned number. Audit rows and notifications are not cloned.
5. `--staff-shops` shops spread over the list get one Technician each:
   company.employee, res.user (login benchtech<NNN>, role
   workshop.role_technician, that shop as only company). Technicians sign
   in with the password alone (two-factor sign-in is optional for them).
6. `admin` (in the workshop Owner and Admin groups: two-factor sign-in
   required) is enrolled in this process as the enrolment page does (new
   secret, confirmed with a pyotp code); its sign-ins send the password
   and a pyotp code of that secret (also for a reused database: the
   secret is read from it).

Load: the server is `scripts/serve-prod --db <db>` (production's gunicorn
app atelier_ops.wsgi:app with the database preloaded, plus its queue
worker and cron; --workers x --threads, default 2 x 4 as in production,
on a free loopback port, pids and logs in a temporary ATELIER_PROD_DIR);
when that script is missing, gunicorn on trytond.application:app with
config/postgresql.conf and TRYTOND_DATABASE_NAMES. The output says which.
For each N of --levels, N concurrent clients (threads, one keep-alive
connection each, no think time: a closed loop, so the latency includes
the wait for a worker) run for --duration seconds after logging in (an
untimed warm-up of up to 10 clients for 10 s comes first):

- staff (--staff-share of N, at least 1): log in with common.db.login and
  get_preferences like sao, then repeat: the list of 20 open orders of
  their shop at a random offset (model.service.order.search_read), then a
  stage change of one of them through the wizard of the order's "Change
  Stage" button (wizard.service.order.change_stage create, execute start,
  execute change with an allowed next stage, delete: 4 JSON-RPC calls);
- customers: GET /<db>/t/<token> for random tokens of every shop.

Per N it prints the requests, errors, median and 95th percentile latency
(ms) per kind and over all HTTP requests, and the requests per second,
with the machine's cores and load average. Then the time to create a new
shop: the median of --new-shops calls of company.company.create_french_shop
through JSON-RPC as the administrator, and of saas.shop.sign_up (the
sign-up of addons/saas) when saas is activated, else a line says it was
not measured. A per-step line splits the stage change into its 4 calls.

All traffic stays on 127.0.0.1 and the run stops by itself. A benchmark:
it prints figures, it asserts no timings (exit code 1 when requests
failed).
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
VENV = os.path.join(ROOT, '.venv')
if (os.path.exists(os.path.join(VENV, 'bin', 'python'))
        and os.path.realpath(sys.prefix) != os.path.realpath(VENV)):
    python = os.path.join(VENV, 'bin', 'python')
    os.execv(python, [python, os.path.abspath(__file__)] + sys.argv[1:])

import argparse  # noqa: E402
import base64  # noqa: E402
import datetime as dt  # noqa: E402
import hashlib  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

PROD_CONF = os.path.join(ROOT, 'config', 'postgresql.conf')
SHOP_PREFIX = 'Boutique Bench '
NEW_SHOP_PREFIX = 'Nouvelle boutique bench '
CUSTOMER_PREFIX = 'Client Bench '
STAFF_LOGIN = 'benchtech%03d'
ADMIN_PASSWORD = 'bench-Admin-7qK2'
TEMPLATE_ORDERS = 40
# Stage codes of the repair stages (addons/repair/order.py) in the order a
# ticket goes through them; template orders stop at each of them in turn.
PATH = ['received', 'diagnosed', 'in_progress', 'done', 'ready',
    'delivered']
OPEN_CATEGORIES = ['intake', 'open', 'done', 'ready']
# saas (its sign-up) is opt-in: --modules repair,invoice_fr,saas
DEFAULT_MODULES = ['repair', 'invoice_fr']
WIZARD_STEPS = ['create', 'start', 'change', 'delete']
KINDS = ['tracking page', 'staff list', 'stage change (4 RPC)']


def staff_password(index):
    "Return the password (str) of the bench Technician number `index`."
    # 16 distinct characters: trytond's password entropy rule
    # ([password] entropy, distinct characters / length) always passes.
    text = base64.urlsafe_b64encode(
        hashlib.sha256(b'atelier-bench-%d' % index).digest()).decode()
    return ''.join(dict.fromkeys(text))[:16]


# ---------------------------------------------------------------- generation

def build_orm(db, args):
    """Create the shops, the template shop's customers and orders and the
    staff users through the modules' methods (in this process, as root).
    Return {'shops': [company ids], 'template_orders': int, times...}."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(db)
    pool.init()
    times = {}
    started = time.perf_counter()
    with Transaction().start(db, 0, context={}) as tx:
        Currency = pool.get('currency.currency')
        Country = pool.get('country.country')
        Company = pool.get('company.company')
        Order = pool.get('service.order')
        eur = (Currency.search([('code', '=', 'EUR')], limit=1)
            or Currency.create([{'name': "Euro", 'code': 'EUR',
                        'symbol': '€', 'numeric_code': '978'}]))[0]
        france = (Country.search([('code', '=', 'FR')], limit=1)
            or Country.create([{'name': "France", 'code': 'FR',
                        'code3': 'FRA', 'code_numeric': '250'}]))[0]
        shops = []
        for i in range(args.shops):
            shops.append(Company.create_french_shop({
                        'name': '%s%03d' % (SHOP_PREFIX, i + 1),
                        'street': '%d rue de la République' % (i + 1),
                        'postal_code': '69002', 'city': 'Lyon',
                        'country': france.id, 'siret': None,
                        'vat_number': None, 'currency': eur.id,
                        'timezone': 'Europe/Paris',
                        'business_type': 'repair',
                        }))
            # The shop's order sequence, as its first order would make it.
            Order._new_number(shops[-1])
            if i % 20 == 19:
                tx.commit()
        tx.commit()
    times['shops'] = time.perf_counter() - started

    started = time.perf_counter()
    rng = random.Random(200)
    with Transaction().start(db, 0, context={}) as tx:
        Party = pool.get('party.party')
        Stage = pool.get('service.order.stage')
        Order = pool.get('service.order')
        template = shops[0]
        stages = {s.code: s for s in Stage.search([
                    ('company', '=', template), ('kind', '=', 'repair')])}
        with tx.set_context(company=template):
            customers = Party.create([{
                        'name': '%s%04d' % (CUSTOMER_PREFIX, i),
                        'company': template,
                        } for i in range(args.customers)])
            count = min(TEMPLATE_ORDERS, args.jobs)
            now = dt.datetime.now()
            orders = Order.create([{
                        'kind': 'repair', 'company': template,
                        'party': customers[i % len(customers)].id,
                        'stage': stages['received'].id,
                        'description': "Écran cassé, appareil %d" % i,
                        'priority': rng.choice(
                            ['low', 'normal', 'normal', 'high']),
                        'intake_date': now - dt.timedelta(hours=1),
                        } for i in range(count)])
            # Order i stops at stage i % (len(PATH) + 1); the last slot
            # goes to cancelled (from diagnosed).
            for step, code in enumerate(PATH[1:], 1):
                moving = [o for i, o in enumerate(orders)
                    if i % (len(PATH) + 1) >= step
                    and i % (len(PATH) + 1) != len(PATH)]
                for order in moving:
                    order.set_stage(stages[code])
            for i, order in enumerate(orders):
                if i % (len(PATH) + 1) == len(PATH):
                    order.set_stage(stages['diagnosed'])
                    order.set_stage(stages['cancelled'])
        tx.commit()
    times['template'] = time.perf_counter() - started
    return {'shops': shops, 'template_orders': count, 'times': times}


def build_staff(db, shops, count):
    """Create one Technician (employee and user) in `count` shops spread
    over `shops`; return [(login, password, shop id)]."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(db)
    step = max(1, len(shops) // max(1, count))
    chosen = shops[::step][:count]
    staff = []
    with Transaction().start(db, 0, context={}) as tx:
        Party = pool.get('party.party')
        Employee = pool.get('company.employee')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        role = ModelData.get_id('workshop', 'role_technician')
        for i, shop in enumerate(chosen, 1):
            with tx.set_context(company=shop):
                party, = Party.create([{
                            'name': "Technicien Bench %03d" % i,
                            'company': shop}])
                employee, = Employee.create([{
                            'party': party.id, 'company': shop}])
            login = STAFF_LOGIN % i
            User.create([{
                        'login': login, 'name': "Technicien %03d" % i,
                        'password': staff_password(i),
                        'companies': [('add', [shop])], 'company': shop,
                        'employees': [('add', [employee.id])],
                        'employee': employee.id,
                        'roles': [('create', [{'role': role}])],
                        }])
            staff.append((login, staff_password(i), shop))
        tx.commit()
    return staff


def columns(cursor, table):
    "Return the column names (list) of `table`."
    cursor.execute("SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s "
        "ORDER BY ordinal_position", (table,))
    return [r[0] for r in cursor.fetchall()]


def foreign_keys(cursor, table):
    "Return the columns (set) of `table` that reference another table."
    cursor.execute("""
        SELECT kcu.column_name
        FROM information_schema.table_constraints tc
        JOIN information_schema.key_column_usage kcu
            ON tc.constraint_name = kcu.constraint_name
            AND tc.table_schema = kcu.table_schema
        WHERE tc.constraint_type = 'FOREIGN KEY'
            AND tc.table_schema = current_schema()
            AND tc.table_name = %s""", (table,))
    return {r[0] for r in cursor.fetchall()}


def copied(cursor, table, overridden, alias):
    """Return (column list, select list) of the columns of `table` copied
    from the template row `alias`: every column but `overridden` (dict
    column: SQL expression) and the write stamps. Other foreign keys must
    be empty on the template (they would point into its shop): the select
    list gives them NULL and a non-empty one stops the run."""
    names, exprs = [], []
    fks = foreign_keys(cursor, table)
    for name in columns(cursor, table):
        if name in overridden:
            names.append(name)
            exprs.append(overridden[name])
        elif name in {'write_date', 'write_uid'}:
            continue
        elif name in fks:
            cursor.execute('SELECT count(*) FROM "%s" t JOIN bench_tpl_%s b '
                'ON b.id = t.id WHERE t."%s" IS NOT NULL' % (
                    table, table, name))
            if cursor.fetchone()[0]:
                sys.exit("template %s rows have %s set: cannot clone them "
                    "into other shops" % (table, name))
        else:
            names.append(name)
            exprs.append('%s."%s"' % (alias, name))
    return ', '.join('"%s"' % n for n in names), ', '.join(exprs)


def clone_sql(uri, db, shops, template_orders, jobs, chunk=20):
    """Clone the template shop (shops[0]) customers into every other shop
    and fill every shop with `jobs` orders and their history by set-based
    INSERT ... SELECT. Return {'customers', 'orders', 'history'} row counts
    added."""
    import psycopg
    template = shops[0]
    counts = {'customers': 0, 'orders': 0, 'history': 0}
    with psycopg.connect(uri, dbname=db) as conn:
        cur = conn.cursor()
        cur.execute('CREATE TEMP TABLE bench_shops '
            '(company integer PRIMARY KEY, pos integer)')
        with cur.copy('COPY bench_shops (company, pos) FROM STDIN') as copy:
            for pos, shop in enumerate(shops):
                copy.write_row((shop, pos))
        cur.execute('CREATE TEMP TABLE bench_tpl_party_party AS '
            'SELECT id, row_number() OVER (ORDER BY id) - 1 AS idx '
            'FROM party_party WHERE company = %s AND name LIKE %s',
            (template, CUSTOMER_PREFIX + '%'))
        cur.execute('SELECT count(*) FROM bench_tpl_party_party')
        customers, = cur.fetchone()

        # Customers: the template's, into every other shop.
        names, exprs = copied(cur, 'party_party', {
                'id': 'n.nid', 'company': 'n.company',
                'code': "'BENCH-' || n.nid",
                'create_date': "now() AT TIME ZONE 'UTC'",
                'create_uid': '0',
                }, 'p')
        cur.execute('INSERT INTO party_party (%s) SELECT %s FROM ('
            "SELECT nextval('party_party_id_seq') AS nid, s.company, "
            't.id AS tid FROM bench_shops s CROSS JOIN bench_tpl_party_party '
            't WHERE s.company != %%s ORDER BY s.pos, t.idx) n '
            'JOIN party_party p ON p.id = n.tid' % (names, exprs),
            (template,))
        counts['customers'] = cur.rowcount
        cur.execute('CREATE TEMP TABLE bench_party AS SELECT p.id, '
            'p.company, row_number() OVER (PARTITION BY p.company '
            'ORDER BY p.id) - 1 AS idx FROM party_party p JOIN bench_shops s '
            'ON s.company = p.company WHERE p.name LIKE %s',
            (CUSTOMER_PREFIX + '%',))
        cur.execute('CREATE INDEX ON bench_party (company, idx)')

        cur.execute('CREATE TEMP TABLE bench_tpl_service_order AS '
            'SELECT id, row_number() OVER (ORDER BY id) - 1 AS idx '
            'FROM service_order WHERE company = %s', (template,))
        cur.execute('CREATE TEMP TABLE bench_tpl_history AS '
            'SELECT h.*, row_number() OVER (PARTITION BY h."order" '
            'ORDER BY h.date, h.id) - 1 AS rank '
            'FROM service_order_stage_history h '
            'JOIN bench_tpl_service_order t ON t.id = h."order"')
        cur.execute('CREATE TEMP TABLE bench_stage AS SELECT t.id AS tid, '
            's.company, s.id FROM service_order_stage t '
            'JOIN service_order_stage s ON s.code = t.code '
            'AND s.kind = t.kind WHERE t.company = %s AND s.company IN '
            '(SELECT company FROM bench_shops)', (template,))
        cur.execute('CREATE INDEX ON bench_stage (tid, company)')
        cur.execute('CREATE TEMP TABLE bench_new (id integer, '
            'company integer, n integer, tidx integer, intake timestamp, '
            'spread float)')
        order_names, order_exprs = copied(cur, 'service_order', {
                'id': 'b.id', 'company': 'b.company',
                'party': 'bp.id', 'stage': 'bs.id',
                'number': "to_char(now(), 'YYYY') || '-' || "
                "lpad((b.n + 1)::text, 5, '0')",
                # 24 bytes of a hash of a random UUID: 192 bits, URL-safe
                # base64, 32 characters, like service_order.new_token.
                'tracking_token': "translate(encode(substring(sha256(("
                "gen_random_uuid()::text || b.id::text)::bytea) FROM 1 "
                "FOR 24), 'base64'), '+/', '-_')",
                'intake_date': 'b.intake',
                'create_date': "now() AT TIME ZONE 'UTC'",
                'create_uid': '0',
                }, 'o')
        history_names, history_exprs = copied(cur,
            'service_order_stage_history', {
                'id': "nextval('service_order_stage_history_id_seq')",
                'order': 'b.id', 'company': 'b.company',
                'from_stage': 'fs.id', 'to_stage': 'ts.id',
                'user': 'NULL',
                'date': "b.intake + (h.date - o.intake_date) "
                "+ h.rank * b.spread * interval '1 day'",
                'create_date': "now() AT TIME ZONE 'UTC'",
                'create_uid': '0',
                }, 'h')
        conn.commit()
        for start in range(0, len(shops), chunk):
            part = shops[start:start + chunk]
            cur.execute('TRUNCATE bench_new')
            cur.execute("""
                INSERT INTO bench_new
                SELECT nextval('service_order_id_seq'), s.company, g.n,
                    g.n %% %(t)s,
                    (now() AT TIME ZONE 'UTC')
                        - random() * interval '365 days',
                    0.1 + random() * 2
                FROM bench_shops s CROSS JOIN generate_series(0, %(j)s - 1) g(n)
                WHERE s.company = ANY(%(part)s)
                    AND NOT (s.company = %(template)s AND g.n < %(t)s)
                ORDER BY s.pos, g.n""", {
                    't': template_orders, 'j': jobs, 'part': part,
                    'template': template})
            cur.execute('ANALYZE bench_new')
            cur.execute("""
                INSERT INTO service_order (%s)
                SELECT %s FROM bench_new b
                JOIN bench_tpl_service_order t ON t.idx = b.tidx
                JOIN service_order o ON o.id = t.id
                JOIN bench_party tp ON tp.id = o.party
                JOIN bench_party bp ON bp.company = b.company
                    AND bp.idx = (tp.idx + b.n) %%%% %%(customers)s
                JOIN bench_stage bs ON bs.tid = o.stage
                    AND bs.company = b.company""" % (
                    order_names, order_exprs), {'customers': customers})
            counts['orders'] += cur.rowcount
            cur.execute("""
                INSERT INTO service_order_stage_history (%s)
                SELECT %s FROM bench_new b
                JOIN bench_tpl_service_order t ON t.idx = b.tidx
                JOIN service_order o ON o.id = t.id
                JOIN bench_tpl_history h ON h."order" = o.id
                LEFT JOIN bench_stage fs ON fs.tid = h.from_stage
                    AND fs.company = b.company
                JOIN bench_stage ts ON ts.tid = h.to_stage
                    AND ts.company = b.company
                ORDER BY b.id, h.rank""" % (history_names, history_exprs))
            counts['history'] += cur.rowcount
            conn.commit()
            print("  cloned orders of shops %d-%d of %d" % (
                    start + 1, start + len(part), len(shops)), flush=True)
        # Each shop's numbering continues after its cloned orders.
        cur.execute("""
            UPDATE ir_sequence SET number_next_internal = %s
            WHERE company = ANY(%s) AND sequence_type = (
                SELECT db_id FROM ir_model_data
                WHERE module = 'service_order'
                    AND fs_id = 'sequence_type_order')""",
            (jobs + 1, shops))
        conn.commit()
        for table in ['party_party', 'service_order',
                'service_order_stage_history']:
            cur.execute('ANALYZE "%s"' % table)
        conn.commit()
    return counts


def load_existing(uri, db):
    """Return (shops, staff) of a database generated earlier: shop company
    ids in creation order and [(login, password, shop id)]."""
    import psycopg
    with psycopg.connect(uri, dbname=db) as conn:
        shops = [r[0] for r in conn.execute(
                'SELECT c.id FROM company_company c JOIN party_party p '
                'ON p.id = c.party WHERE p.name LIKE %s ORDER BY c.id',
                (SHOP_PREFIX + '%',))]
        staff = [(login, staff_password(int(login[len('benchtech'):])),
                company) for login, company in conn.execute(
                'SELECT login, company FROM res_user WHERE login LIKE '
                "'benchtech%%' ORDER BY login")]
    return shops, staff


def database_figures(uri, db, shops):
    "Return (orders, history rows) of the bench shops (ints)."
    import psycopg
    with psycopg.connect(uri, dbname=db) as conn:
        orders, = conn.execute('SELECT count(*) FROM service_order '
            'WHERE company = ANY(%s)', (shops,)).fetchone()
        history, = conn.execute('SELECT count(*) FROM '
            'service_order_stage_history WHERE company = ANY(%s)',
            (shops,)).fetchone()
    return orders, history


def sample_tokens(uri, db, count):
    "Return `count` random tracking tokens of the database (list of str)."
    import psycopg
    with psycopg.connect(uri, dbname=db) as conn:
        total, = conn.execute('SELECT count(*) FROM service_order').fetchone()
        fraction = min(100.0, 100.0 * 3 * count / max(total, 1))
        rows = conn.execute('SELECT tracking_token FROM service_order '
            'TABLESAMPLE BERNOULLI (%s) WHERE tracking_token IS NOT NULL '
            'LIMIT %s', (fraction, count)).fetchall()
    return [r[0] for r in rows]


# ---------------------------------------------------------------- clients

class RPCError(Exception):
    pass


class Client:
    "One user's keep-alive HTTP connection to the server."

    def __init__(self, port, db):
        self.port = port
        self.db = db
        self.conn = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
        self.auth = None
        self.context = {}
        self.id = 0

    def close(self):
        self.conn.close()

    def _request(self, method, path, body=None, headers=None):
        """Send one request; return (status, body bytes, ms). Reconnects
        once when the server closed the kept-alive connection."""
        for attempt in (0, 1):
            start = time.perf_counter()
            try:
                self.conn.request(method, path, body=body,
                    headers=headers or {})
                response = self.conn.getresponse()
                data = response.read()
                return (response.status, data,
                    (time.perf_counter() - start) * 1000)
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError):
                self.conn.close()
                if attempt:
                    raise

    def get(self, path):
        "GET `path`; return (status, ms)."
        status, _, ms = self._request('GET', path)
        return status, ms

    def rpc(self, method, *params, context=True):
        """Call JSON-RPC `method` with `params` (the user's context added
        last unless context is False); return (result, ms). Raises
        RPCError for an HTTP or Tryton error."""
        self.id += 1
        if context is not False:
            params = params + (
                self.context if context is True else context,)
        body = json.dumps({'id': self.id, 'method': method,
                'params': list(params)}).encode()
        headers = {'Content-Type': 'application/json'}
        if self.auth:
            headers['Authorization'] = self.auth
        status, data, ms = self._request('POST', '/%s/rpc/' % self.db,
            body, headers)
        if status != 200:
            raise RPCError('%s HTTP %s' % (method, status))
        answer = json.loads(data)
        if answer.get('error'):
            error = answer['error']
            raise RPCError('%s: %s' % (method, str(
                        error[0] if isinstance(error, list) else error)[:200]))
        return answer['result'], ms

    def login(self, login, password, codes=None):
        """Log in like sao; return the ms of common.db.login. `codes`
        (benchlib.TOTPCodes): the user's two-factor codes, sent with the
        password (sao asks for the code after it: one call less here)."""
        parameters = {'password': password}
        if codes is not None:
            parameters['totp_code'] = codes.next()
        (user_id, session, *_), ms = self.rpc('common.db.login', login,
            parameters, 'fr', context=False)
        token = base64.b64encode(
            ('%s:%s:%s' % (login, user_id, session)).encode()).decode()
        self.auth = 'Session ' + token
        self.context, _ = self.rpc('model.res.user.get_preferences', True,
            context={})
        return ms


class Recorder:
    "Latencies (ms) and errors per kind, shared by the client threads."

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = {k: [] for k in KINDS}
        self.requests = []  # ms of every HTTP request
        self.errors = {k: 0 for k in KINDS}
        self.messages = []
        self.steps = {k: [] for k in WIZARD_STEPS}

    def step(self, name, ms):
        with self.lock:
            self.steps[name].append(ms)

    def ok(self, kind, ms, request_ms):
        with self.lock:
            self.latencies[kind].append(ms)
            self.requests.extend(request_ms)

    def error(self, kind, message, request_ms=()):
        with self.lock:
            self.errors[kind] += 1
            self.requests.extend(request_ms)
            if len(self.messages) < 10:
                self.messages.append('%s: %s' % (kind, message))


class Start:
    "The start signal of a level's clients and the end of their run."

    def __init__(self):
        self.event = threading.Event()
        self.deadline = None

    def go(self, duration):
        self.deadline = time.perf_counter() + duration
        self.event.set()

    def wait(self):
        self.event.wait()

    def running(self):
        return time.perf_counter() < self.deadline


def customer_loop(client, tokens, rng, start, recorder):
    "Customer: open the tracking page of random orders until the end."
    base = '/%s/t/' % client.db
    start.wait()
    while start.running():
        try:
            status, ms = client.get(base + rng.choice(tokens))
        except (OSError, http.client.HTTPException) as exception:
            recorder.error(KINDS[0], repr(exception))
            continue
        if status == 200:
            recorder.ok(KINDS[0], ms, [ms])
        else:
            recorder.error(KINDS[0], 'HTTP %s' % status, [ms])


def staff_loop(client, shop, rng, start, recorder):
    """Staff: list 20 open orders of the shop, change the stage of one of
    them through the Change Stage wizard; again until the end."""
    domain = [('company', '=', shop),
        ('stage.category', 'in', OPEN_CATEGORIES)]
    try:
        stages, _ = client.rpc('model.service.order.stage.search_read',
            [('company', '=', shop)], 0, None, None, ['id', 'category'])
        open_orders, _ = client.rpc('model.service.order.search_count',
            domain, 0, None)
    except (RPCError, OSError, http.client.HTTPException) as exception:
        recorder.error(KINDS[1], 'start: %s' % exception)
        return
    category = {s['id']: s['category'] for s in stages}
    start.wait()
    while start.running():
        try:
            orders, ms = client.rpc('model.service.order.search_read',
                domain, rng.randrange(0, max(1, min(1000, open_orders - 20))),
                20, None,
                ['number', 'party.rec_name', 'stage.rec_name',
                    'intake_date', 'priority', 'stage'])
        except (RPCError, OSError, http.client.HTTPException) as exception:
            recorder.error(KINDS[1], str(exception))
            continue
        recorder.ok(KINDS[1], ms, [ms])
        if not orders or not start.running():
            continue
        order = rng.choice(orders)
        context = dict(client.context, active_id=order['id'],
            active_ids=[order['id']], active_model='service.order')
        spent = []
        name = 'wizard.service.order.change_stage.'
        try:
            (session, start_state, _), ms = client.rpc(
                name + 'create', context={})
            spent.append(ms)
            try:
                result, ms = client.rpc(name + 'execute', session, {},
                    start_state, context=context)
                spent.append(ms)
                defaults = result['view']['defaults']
                allowed = [s for s in defaults['allowed_stages']
                    if category.get(s) != 'cancelled'] or defaults[
                    'allowed_stages']
                if allowed:
                    # As sao sends it: the fields, not the rec_name keys.
                    data = {k: v for k, v in defaults.items()
                        if '.' not in k}
                    data.update(stage=rng.choice(allowed),
                        deliver_unpaid=False, override_reason=None)
                    result, ms = client.rpc(name + 'execute', session,
                        {'start': data}, 'change', context=context)
                    spent.append(ms)
            finally:
                _, ms = client.rpc(name + 'delete', session,
                    context=context)
                spent.append(ms)
        except (RPCError, OSError, http.client.HTTPException,
                KeyError, TypeError) as exception:
            recorder.error(KINDS[2], str(exception), spent)
            continue
        if len(spent) == len(WIZARD_STEPS):
            for name, value in zip(WIZARD_STEPS, spent):
                recorder.step(name, value)
        recorder.ok(KINDS[2], sum(spent), spent)


def run_level(port, db, clients, staff_share, staff, tokens, duration,
        seed):
    """Run `clients` concurrent users for `duration` s; return (recorder,
    elapsed s, staff count, login ms list)."""
    staff_count = 0
    if staff:
        staff_count = min(clients, max(1, round(clients * staff_share)))
    recorder = Recorder()
    start = Start()
    threads, users, logins = [], [], []
    login_errors = []
    for i in range(clients):
        client = Client(port, db)
        users.append(client)
        rng = random.Random(seed * 1000 + i)
        if i < staff_count:
            login, password, shop = staff[i % len(staff)]
            try:
                logins.append(client.login(login, password))
            except (RPCError, OSError, http.client.HTTPException) as error:
                login_errors.append('%s: %s' % (login, error))
                continue
            target, args = staff_loop, (client, shop, rng)
        else:
            target, args = customer_loop, (client, tokens, rng)
        threads.append(threading.Thread(target=target,
                args=args + (start, recorder), daemon=True))
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    start.go(duration)
    for thread in threads:
        thread.join(duration + 180)
    elapsed = time.perf_counter() - started
    for client in users:
        client.close()
    for message in login_errors:
        recorder.error(KINDS[1], 'login ' + message)
    return recorder, elapsed, staff_count, logins


def ms(value):
    return '%8.1f' % value if value is not None else '       -'


def report_level(clients, recorder, elapsed, staff_count, logins, before):
    print("N=%d (%d staff, %d customers), %.0f s; before: %s; after: %s" % (
            clients, staff_count, clients - staff_count, elapsed, before,
            bl.machine()))
    print("  %-22s %8s %7s %9s %9s" % (
            'kind', 'count', 'errors', 'median ms', 'p95 ms'))
    for kind in KINDS:
        values = sorted(recorder.latencies[kind])
        print("  %-22s %8d %7d %s  %s" % (kind, len(values),
                recorder.errors[kind],
                ms(statistics.median(values) if values else None),
                ms(bl.percentile(values, 0.95))))
    values = sorted(recorder.requests)
    errors = sum(recorder.errors.values())
    print("  %-22s %8d %7d %s  %s" % ('all HTTP requests', len(values),
            errors, ms(statistics.median(values) if values else None),
            ms(bl.percentile(values, 0.95))))
    if recorder.steps['change']:
        print("  stage change steps, median ms: %s" % ', '.join(
                '%s %.0f' % (name, statistics.median(recorder.steps[name]))
                for name in WIZARD_STEPS if recorder.steps[name]))
    if logins:
        print("  logins before the run: %d, median %.0f ms" % (
                len(logins), statistics.median(logins)))
    print("  %.1f requests/s" % (len(values) / elapsed if elapsed else 0))
    for message in recorder.messages[:5]:
        print("  error: %s" % message)
    return errors


def measure_new_shops(port, db, count, codes):
    """Create `count` shops through JSON-RPC company.company.
    create_french_shop as admin (`codes`: its two-factor codes); return
    the list of ms."""
    client = Client(port, db)
    client.login('admin', ADMIN_PASSWORD, codes)
    (france,), _ = client.rpc('model.country.country.search',
        [('code', '=', 'FR')], 0, 1, None)
    (eur,), _ = client.rpc('model.currency.currency.search',
        [('code', '=', 'EUR')], 0, 1, None)
    stamp = int(time.time())
    timings = []
    for i in range(count):
        _, spent = client.rpc('model.company.company.create_french_shop', {
                'name': '%s%d-%d' % (NEW_SHOP_PREFIX, stamp, i),
                'street': '1 place Bellecour', 'postal_code': '69002',
                'city': 'Lyon', 'country': france, 'siret': None,
                'vat_number': None, 'currency': eur,
                'timezone': 'Europe/Paris', 'business_type': 'repair',
                })
        timings.append(spent)
    client.close()
    return timings


def start_server(db, environ, port, workers, threads, directory, log):
    """Start the server on 127.0.0.1:`port`: scripts/serve-prod when it
    exists (gunicorn, queue worker and cron, as in production), else
    gunicorn on trytond.application:app. Return (Popen, description,
    path of the application log)."""
    serve_prod = os.path.join(ROOT, 'scripts', 'serve-prod')
    if os.path.exists(serve_prod):
        prod = os.path.join(directory, 'prod')
        env = dict(environ, ATELIER_BIND='127.0.0.1:%d' % port,
            GUNICORN_WORKERS=str(workers), GUNICORN_THREADS=str(threads),
            ATELIER_PROD_DIR=prod)
        env.pop('TRYTOND_CONFIG', None)
        # Its own session: stopping it stops the processes it started.
        process = subprocess.Popen([serve_prod, '--db', db], env=env,
            stdout=log, stderr=log, start_new_session=True)
        return process, ('scripts/serve-prod (gunicorn atelier_ops.wsgi:app, '
            '%d workers x %d threads, with its queue worker and cron)' % (
                workers, threads)), os.path.join(prod, 'log', 'app.log')
    env = dict(environ, TRYTOND_CONFIG=PROD_CONF,
        TRYTOND_DATABASE_NAMES=db)
    command = [os.path.join(VENV, 'bin', 'gunicorn'),
        '--workers', str(workers), '--threads', str(threads),
        '--bind', '127.0.0.1:%d' % port, '--preload', '--timeout', '120',
        'trytond.application:app']
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log,
        start_new_session=True)
    return process, ('gunicorn trytond.application:app, %d workers x %d '
        'threads, preloaded, config/postgresql.conf (scripts/serve-prod '
        'absent; no queue worker: queued tasks wait)' % (workers, threads)), \
        None


def admin_codes(db, init=False):
    """Enrol admin in two-factor sign-in (required: it is in the workshop
    Owner and Admin groups) unless it is, in this process as root, as the
    enrolment page does: a new secret confirmed with its current pyotp
    code. Return admin's benchlib.TOTPCodes (secret and last step used
    read from the database). `init`: load the pool first."""
    import pyotp
    from trytond.pool import Pool
    from trytond.transaction import Transaction, without_check_access
    pool = Pool(db)
    if init:
        pool.init()
    with Transaction().start(db, 0, context={}) as tx:
        User = pool.get('res.user')
        TOTP = pool.get('res.user.totp')
        admin, = User.search([('login', '=', 'admin')])
        if not User.totp_is_enabled(admin.id):
            with tx.set_user(admin.id), without_check_access():
                secret, _ = admin.totp_start()
                admin.totp_confirm(pyotp.TOTP(secret).now())
        row = TOTP.get(admin.id)
        codes = bl.TOTPCodes(row.secret, row.last_step)
        tx.commit()
    return codes


def module_activated(uri, db, name):
    "Return whether module `name` is activated in database `db` (bool)."
    import psycopg
    with psycopg.connect(uri, dbname=db) as conn:
        return bool(conn.execute("SELECT 1 FROM ir_module WHERE name = %s "
                "AND state = 'activated'", (name,)).fetchone())


def measure_sign_ups(port, db, count, codes):
    """Sign up `count` shops through JSON-RPC saas.shop.sign_up as admin
    (the operator's call; the public page calls the same method; `codes`:
    admin's two-factor codes); return the list of ms."""
    client = Client(port, db)
    client.login('admin', ADMIN_PASSWORD, codes)
    stamp = int(time.time())
    timings = []
    for i in range(count):
        _, spent = client.rpc('model.saas.shop.sign_up', {
                'shop_name': 'Inscription bench %d-%d' % (stamp, i),
                'email': 'signup-%d-%d@bench.example.fr' % (stamp, i),
                'phone': '+33478000000', 'country': 'FR',
                'trade': 'repair', 'terms_accepted': True,
                'privacy_accepted': True, 'language': 'fr',
                'ip': '127.0.0.1', 'owner_name': 'Gérante Bench %d' % i,
                })
        timings.append(spent)
    client.close()
    return timings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--shops', type=int, default=200)
    parser.add_argument('--jobs', type=int, default=5000,
        help="orders per shop (default 5000)")
    parser.add_argument('--customers', type=int, default=300,
        help="customers per shop (default 300)")
    parser.add_argument('--staff-shops', type=int, default=50,
        help="shops that get a Technician login (default 50)")
    parser.add_argument('--levels', default='10,50,100',
        help="concurrent users, comma separated (default 10,50,100)")
    parser.add_argument('--duration', type=float, default=30,
        help="seconds per level (default 30)")
    parser.add_argument('--staff-share', type=float, default=0.3,
        help="share of the users who are staff (default 0.3)")
    parser.add_argument('--workers', type=int, default=2,
        help="gunicorn worker processes (default 2, as scripts/serve-prod)")
    parser.add_argument('--threads', type=int, default=4,
        help="threads per gunicorn worker (default 4, as "
        "scripts/serve-prod)")
    parser.add_argument('--new-shops', type=int, default=5,
        help="shops created to time the creation (default 5)")
    parser.add_argument('--modules', default=','.join(DEFAULT_MODULES),
        help="modules activated, comma separated (default %(default)s; "
        "add saas to time its sign-up too)")
    parser.add_argument('--db', help="database name (default unique)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--keep', action='store_true',
        help="keep the database at the end")
    group.add_argument('--reuse', action='store_true',
        help="run on the database --db kept by an earlier run (or "
        "generate the shops into it when it has none, skipping the "
        "module activation)")
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(',') if n.strip()]
    if (args.shops < 1 or args.jobs < 1 or args.customers < 1
            or not levels or min(levels) < 1):
        parser.error("--shops, --jobs, --customers and --levels must be "
            "positive")
    if args.reuse and not args.db:
        parser.error("--reuse needs --db")

    uri = bl.postgresql_uri('ATELIER_BENCH_POSTGRESQL',
        'TRYTOND_DATABASE__URI')
    if not uri:
        sys.exit("No PostgreSQL answers (ATELIER_BENCH_POSTGRESQL, "
            "TRYTOND_DATABASE__URI or %s): this benchmark needs one" %
            bl.DEFAULT_POSTGRESQL)
    db = args.db or 'bench_multishop_%d_%d' % (os.getpid(), int(time.time()))
    os.environ.pop('TRYTOND_CONFIG', None)
    os.environ.update(TRYTOND_DATABASE__URI=uri)
    environ = dict(os.environ)
    print("machine: %s" % bl.machine())

    directory = tempfile.mkdtemp(prefix='bench_multishop_')
    log = open(os.path.join(directory, 'server.log'), 'w+')
    server = app_log = None
    created = False
    failed = 0
    try:
        started = time.perf_counter()
        shops = []
        generated = False
        if args.reuse:
            if not bl.pg_database_exists(uri, db):
                sys.exit("--reuse: database %s does not exist" % db)
            if not module_activated(uri, db, 'staff_totp'):
                # Kept before two-factor sign-in was on: without the
                # module, trytond would refuse every sign-in.
                bl.trytond_admin(db, environ, '-u', 'staff_totp',
                    '--activate-dependencies')
                print("database (PostgreSQL, %s): staff_totp activated "
                    "(two-factor sign-in)" % db, flush=True)
            shops, staff = load_existing(uri, db)
        if shops:
            orders, history = database_figures(uri, db, shops)
            print("database (PostgreSQL, %s): reused, %d shops, %d orders, "
                "%d history rows, %d staff logins" % (db, len(shops),
                    orders, history, len(staff)))
        else:
            if args.reuse:
                print("database (PostgreSQL, %s): reused, no bench shops "
                    "yet: generating them (modules as activated)" % db)
            else:
                if bl.pg_database_exists(uri, db):
                    sys.exit("database %s exists: drop it or use --reuse"
                        % db)
                bl.pg_execute(uri, 'CREATE DATABASE "%s" TEMPLATE '
                    "template0 ENCODING 'UTF8'" % db)
                created = True
                passfile = os.path.join(directory, 'pass')
                with open(passfile, 'w') as fp:
                    fp.write(ADMIN_PASSWORD)
                bl.trytond_admin(db, environ, '--all', '--email',
                    'admin@localhost', passfile=passfile)
                modules = [m for m in args.modules.split(',') if m]
                if 'staff_totp' not in modules:
                    modules.append('staff_totp')
                bl.trytond_admin(db, environ, '-u', *modules,
                    '--activate-dependencies')
                print("database (PostgreSQL, %s): modules %s activated in "
                    "%.0f s" % (db, ', '.join(modules),
                        time.perf_counter() - started), flush=True)
            built = build_orm(db, args)
            generated = True
            shops = built['shops']
            print("  %d shops by create_french_shop in %.0f s; template "
                "shop (%d customers, %d orders with their moves) in %.0f s"
                % (len(shops), built['times']['shops'], args.customers,
                    built['template_orders'], built['times']['template']),
                flush=True)
            cloned = time.perf_counter()
            counts = clone_sql(uri, db, shops, built['template_orders'],
                args.jobs)
            clone_time = time.perf_counter() - cloned
            staff_started = time.perf_counter()
            staff = build_staff(db, shops, min(args.staff_shops, len(shops)))
            staff_time = time.perf_counter() - staff_started
            orders, history = database_figures(uri, db, shops)
            print("  SQL clones: %d customers, %d orders, %d history rows "
                "in %.0f s; %d Technician logins in %.0f s" % (
                    counts['customers'], counts['orders'], counts['history'],
                    clone_time, len(staff), staff_time))
            print("generated: %d shops x %d jobs = %d orders, %d history "
                "rows, in %.0f s" % (len(shops), args.jobs, orders, history,
                    time.perf_counter() - started), flush=True)
        # The generation loaded the pool in this process; a reused
        # database has not.
        codes = admin_codes(db, init=not generated)
        from trytond.pool import Pool
        from trytond import backend
        Pool.stop(db)
        backend.Database(db).close()

        tokens = sample_tokens(uri, db, 20000)
        port = bl.free_port()
        server, description, app_log = start_server(db, environ, port,
            args.workers, args.threads, directory, log)
        bl.wait_for_port(port, server, log)
        print("server: %s on 127.0.0.1:%d" % (description, port))
        print("workload: closed loop, no think time; staff %d%% of the "
            "users (list of 20 open orders + stage change by the wizard), "
            "customers the tracking page of random orders of all shops; "
            "%.0f s per level; the clients run on the same machine" % (
                100 * args.staff_share, args.duration), flush=True)
        # Warm-up: every worker loads its caches (not counted).
        run_level(port, db, min(10, max(levels)), args.staff_share, staff,
            tokens, min(10, args.duration), seed=0)
        for clients in levels:
            before = bl.machine()
            recorder, elapsed, staff_count, logins = run_level(port, db,
                clients, args.staff_share, staff, tokens, args.duration,
                seed=clients)
            failed += report_level(clients, recorder, elapsed, staff_count,
                logins, before)
            sys.stdout.flush()

        if args.new_shops > 0:
            timings = measure_new_shops(port, db, args.new_shops, codes)
            print("new shop (company.company.create_french_shop over "
                "JSON-RPC as admin, %d shops in the database): median "
                "%.0f ms over %d (min %.0f, max %.0f); %s" % (
                    len(shops), statistics.median(timings), len(timings),
                    min(timings), max(timings), bl.machine()))
        if not module_activated(uri, db, 'saas'):
            print("sign-up (saas.shop.sign_up): not measured, the saas "
                "module is not activated in this database (%s)" % (
                    'add saas to --modules' if os.path.isdir(
                        os.path.join(ROOT, 'addons', 'saas'))
                    else 'addons/saas does not exist'))
        elif args.new_shops > 0:
            try:
                timings = measure_sign_ups(port, db, args.new_shops,
                    codes)
            except (RPCError, OSError, http.client.HTTPException) as error:
                # The sign-up is another module's: its failure is a
                # figure to report, not a reason to lose the others.
                failed += 1
                print("sign-up (saas.shop.sign_up over JSON-RPC as admin): "
                    "failed: %s; %s" % (
                        str(error) or error.__class__.__name__,
                        bl.machine()))
            else:
                print("sign-up (saas.shop.sign_up over JSON-RPC as admin: "
                    "shop, chart of accounts, owner, trial subscription, "
                    "activation email queued): median %.0f ms over %d (min "
                    "%.0f, max %.0f); %s" % (statistics.median(timings),
                        len(timings), min(timings), max(timings),
                        bl.machine()))
    finally:
        bl.stop(server)
        if created and not args.keep:
            try:
                bl.pg_execute(uri,
                    'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % db)
            except Exception as exception:
                print("could not drop the database %s: %s" % (db, exception))
        elif created or args.reuse:
            print("database kept: %s (run again with --reuse --db %s)" % (
                    db, db))
        log.flush()
        log.seek(0)
        server_log = log.read()
        log.close()
        if app_log and os.path.exists(app_log):
            with open(app_log, errors='replace') as fp:
                server_log += fp.read()
        shutil.rmtree(directory, ignore_errors=True)
    if failed and server_log:
        print("--- the server's errors (last 30 lines) ---")
        print(''.join([l for l in server_log.splitlines(True)
                    if 'ERROR' in l or 'Error' in l or 'Traceback' in l][-30:]))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
