#!/usr/bin/env python3
"""FedaPay webhooks: latency from a signed webhook to the posted payment,
and verified webhook deliveries per second of one trytond server process.

usage: scripts/bench/payment_webhook.py [--payments N] [--clients N]

Database: a throw-away PostgreSQL database (named bench_payment_<pid>_<time>)
on the server given by the URI in ATELIER_BENCH_POSTGRESQL, else on
postgresql://postgres@127.0.0.1:5432/ when it answers; it is dropped WITH
(FORCE) at the end. When no PostgreSQL answers, a SQLite database in a
temporary directory is used instead (and the output says so). The module
payment_fedapay is activated with trytond-admin; tests/payment_fixtures.py
creates an XOF shop in Benin with its chart, a customer and a FedaPay
gateway pointing at the local fake of FedaPay's API
(tests/fakes/fedapay_fake.py), then the bench adds one posted invoice per
payment (2 x --payments, default 200, plus a few for warming up).

The real `trytond` server serves the database on a free loopback port. Each
invoice's payment is started through it (POST /<db>/pay/<token>/<gateway>,
303 to the fake's payment page) and the fake approves every FedaPay
transaction. Then:

1. latency: the first --payments signed webhooks (X-FEDAPAY-SIGNATURE) are
   sent one after the other; each is timed from sending until the answer,
   which trytond gives after running the queued re-check (GET
   /v1/transactions/{id} at the fake) and posting the payment, since
   without a queue worker it runs queued tasks right after the commit in
   the same request. Prints the median and 95th percentile in ms; the
   invoices' states are read back from the database at the end.
2. throughput: the other --payments webhooks, about fresh transactions, are
   sent from --clients concurrent keep-alive clients (default 4); prints
   the deliveries answered 200 per second and the non-200 answers.

Building the database and starting the payments is timed and printed but
not measured. All traffic (the server, the fake, the clients) stays on
127.0.0.1 and the run stops by itself. A benchmark: it prints figures, it
asserts no timings.
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
import datetime as dt  # noqa: E402
import http.client  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

TEST_CONF = os.path.join(ROOT, 'config', 'test.conf')
HEADER = 'X-FEDAPAY-SIGNATURE'
WARMUP = 5  # payments done before measuring, not counted
PAY_PAGE = 'https://sandbox-process.fedapay.com/'


def admin(db, environ, passfile):
    "Create the database's tables and activate payment_fedapay."
    bl.trytond_admin(db, environ, '--all', '--email', 'admin@localhost',
        passfile=passfile)
    bl.trytond_admin(db, environ, '-u', 'payment_fedapay',
        '--activate-dependencies')


def build(db, fake, count):
    """Create the shop (payment_fixtures) and `count` posted invoices in
    all for its customer; return (gateway id, [(invoice id, pay token)])."""
    sys.path.insert(0, os.path.join(ROOT, 'tests'))
    import payment_fixtures as fx
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    values = {
        'fedapay_secret_key': fake.secret_key,
        'fedapay_webhook_secret': fake.webhook_secret,
        'fedapay_base_url': fake.url,
        }
    pool = Pool(db)
    pool.init()
    shop = fx.create_payment_shop(db, 'XOF', 'BJ', 'fedapay', values,
        customer_phone='+2290197808080')

    def more_invoices(extras):
        Invoice = pool.get('account.invoice')
        with Transaction().start(db, 0, context={}, **extras) as tx:
            first = Invoice(shop['invoice'])
            line = first.lines[0]
            with tx.set_context(company=shop['company']):
                invoices = Invoice.create([{
                            'type': 'out', 'company': shop['company'],
                            'journal': first.journal.id,
                            'party': shop['party'],
                            'invoice_address': first.invoice_address.id,
                            'currency': first.currency.id,
                            'account': first.account.id,
                            'invoice_date': dt.date.today(),
                            'lines': [('create', [{
                                            'company': shop['company'],
                                            'account': line.account.id,
                                            'description': "Réparation %d" % i,
                                            'quantity': 1,
                                            'unit_price': shop['amount'],
                                            }])],
                            } for i in range(count - 1)])
                Invoice.post(invoices)
            tx.commit()
        with Transaction().start(db, 0, readonly=True):
            return [(i.id, i.pay_token) for i in Invoice.search(
                    [('company', '=', shop['company']),
                        ('type', '=', 'out')], order=[('id', 'ASC')])]
    invoices = bl.retrying(more_invoices) if count > 1 else [
        (shop['invoice'], shop['pay_token'])]
    return shop['gateway'], invoices


def invoice_states(db, invoice_ids):
    """Return {invoice id: (state, number of payment lines)} read in a new
    transaction."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(db, 0, readonly=True):
        Invoice = Pool(db).get('account.invoice')
        return {i.id: (i.state, len(i.payment_lines))
            for i in Invoice.browse(list(invoice_ids))}


def run_clients(port, items, send, clients):
    """Send `items` from `clients` threads, each on its own keep-alive
    connection: send(conn, item) returns (status, ms). Return the list of
    (item, status or exception repr, ms) and the elapsed seconds."""
    results = []
    lock = threading.Lock()

    def worker(chunk):
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
        for item in chunk:
            try:
                status, ms = send(conn, item)
            except (OSError, http.client.HTTPException) as exception:
                status, ms = repr(exception), None
                conn.close()
                conn = http.client.HTTPConnection(
                    '127.0.0.1', port, timeout=60)
            with lock:
                results.append((item, status, ms))
        conn.close()
    chunks = [items[i::clients] for i in range(clients)]
    threads = [threading.Thread(target=worker, args=(chunk,))
        for chunk in chunks if chunk]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--payments', type=int, default=200,
        help="payments measured for the latency, and again for the "
        "throughput (default 200)")
    parser.add_argument('--clients', type=int, default=4,
        help="concurrent clients for the throughput (default 4)")
    args = parser.parse_args()
    if args.payments < 1 or args.clients < 1:
        parser.error("--payments and --clients must be positive")

    directory = tempfile.mkdtemp(prefix='bench_payment_')
    db = 'bench_payment_%d_%d' % (os.getpid(), int(time.time()))
    pg_uri = bl.postgresql_uri('ATELIER_BENCH_POSTGRESQL')
    if pg_uri:
        backend_name = 'PostgreSQL'
        db_env = {'TRYTOND_DATABASE__URI': pg_uri}
    else:
        backend_name = 'SQLite'
        db_env = {'TRYTOND_DATABASE__URI': 'sqlite://',
            'TRYTOND_DATABASE__PATH': directory}
        print("No PostgreSQL answers at %s: falling back to SQLite in %s" % (
                os.environ.get('ATELIER_BENCH_POSTGRESQL')
                or bl.DEFAULT_POSTGRESQL, directory))
    config_env = dict(db_env, TRYTOND_CONFIG=TEST_CONF,
        TRYTOND_WEB__HOSTNAME='localhost', DB_NAME=db)
    # Before trytond is imported: its configuration reads the environment.
    os.environ.update(config_env)
    environ = dict(os.environ)

    server = fake = None
    created = False
    log = open(os.path.join(directory, 'trytond.log'), 'w+')
    try:
        started = time.perf_counter()
        if pg_uri:
            bl.pg_execute(pg_uri, 'CREATE DATABASE "%s" TEMPLATE template0 '
                "ENCODING 'UTF8'" % db)
        else:
            open(os.path.join(directory, db + '.sqlite'), 'w').close()
        created = True
        passfile = os.path.join(directory, 'pass')
        with open(passfile, 'w') as fp:
            fp.write('admin-bench')
        admin(db, environ, passfile)

        sys.path.insert(0, os.path.join(ROOT, 'tests'))
        from fakes.fedapay_fake import FedaPayFake
        fake = FedaPayFake().start()
        total = WARMUP + 2 * args.payments
        gateway, invoices = build(db, fake, total)
        print("database (%s, %s): payment_fedapay, 1 shop, %d invoices "
            "built in %.0f s" % (backend_name, db, len(invoices),
                time.perf_counter() - started))

        port = bl.free_port()
        server = subprocess.Popen(
            [os.path.join(VENV, 'bin', 'trytond'), '-d', db],
            env=dict(environ, TRYTOND_WEB__LISTEN='127.0.0.1:%d' % port),
            stdout=log, stderr=log)
        bl.wait_for_port(port, server, log)

        # Start every payment through the server (not measured).
        started = time.perf_counter()
        known = set(fake.transactions)

        def pay(conn, invoice):
            invoice_id, token = invoice
            start = time.perf_counter()
            conn.request('POST', '/%s/pay/%s/%s' % (db, token, gateway),
                body=b'', headers={'Content-Length': '0'})
            response = conn.getresponse()
            response.read()
            ms = (time.perf_counter() - start) * 1000
            if response.status != 303 or not (
                    response.getheader('Location') or '').startswith(
                    PAY_PAGE):
                return response.status, ms
            return 303, ms
        results, _ = run_clients(port, invoices, pay, args.clients)
        failed = [r for r in results if r[1] != 303]
        # FedaPay id of each invoice's attempt: the fake keeps our
        # reference in custom_metadata, the database maps it to invoices.
        by_reference = {t['custom_metadata'].get('reference'): i
            for i, t in fake.transactions.items() if i not in known}
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        with Transaction().start(db, 0, readonly=True):
            Tx = Pool(db).get('payment.gateway.transaction')
            fedapay_of = {t.invoice.id: int(by_reference[t.reference])
                for t in Tx.search([]) if t.reference in by_reference}
        for fedapay_id in fedapay_of.values():
            fake.set_outcome(fedapay_id, 'approved')
        print("payments started: %d through the server in %.1f s, %d "
            "failed" % (len(results), time.perf_counter() - started,
                len(failed)))
        if failed:
            print("  first failures: %r" % failed[:5])
        ready = [(i, fedapay_of[i]) for i, _ in invoices if i in fedapay_of]
        warmup = ready[:WARMUP]
        latency_set = ready[WARMUP:WARMUP + args.payments]
        throughput_set = ready[WARMUP + args.payments:]
        if len(throughput_set) < args.payments:
            print("  only %d payments could be started instead of %d" % (
                    len(ready), total))

        def webhook(conn, item):
            invoice_id, fedapay_id = item
            body = fake.event(fedapay_id)
            headers = {'Content-Type': 'application/json',
                HEADER: fake.sign(body),
                'User-Agent': 'FedaPay-Webhook/bench'}
            start = time.perf_counter()
            conn.request('POST', '/%s/payment/fedapay/%s' % (db, gateway),
                body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            return response.status, (time.perf_counter() - start) * 1000

        run_clients(port, warmup, webhook, 1)

        # 1. Latency: one webhook after the other.
        results, _ = run_clients(port, latency_set, webhook, 1)
        latencies = sorted(ms for _, status, ms in results if status == 200)
        latency_errors = [r for r in results if r[1] != 200]

        # 2. Throughput: fresh transactions from concurrent clients.
        results, elapsed = run_clients(port, throughput_set, webhook,
            args.clients)
        delivered = [r for r in results if r[1] == 200]
        throughput_errors = [r for r in results if r[1] != 200]

        states = invoice_states(db, [i for i, _ in ready])
    finally:
        bl.stop(server)
        if fake is not None:
            fake.stop()
        if created and pg_uri:
            try:
                from trytond.pool import Pool
                from trytond import backend
                Pool.stop(db)
                backend.Database(db).close()
            except Exception:
                pass
            try:
                bl.pg_execute(pg_uri,
                    'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % db)
            except Exception as exception:
                print("could not drop the database %s: %s" % (
                        db, exception))
        log.flush()
        log.seek(0)
        server_log = log.read()
        log.close()
        shutil.rmtree(directory, ignore_errors=True)

    def paid(items):
        return sum(1 for i, _ in items if states.get(i, ('',))[0] == 'paid')

    def twice(items):
        return sum(1 for i, _ in items if states.get(i, ('', 0))[1] > 1)

    where = "%s, trytond's own server" % backend_name
    if latencies:
        p95 = bl.percentile(latencies, 0.95)
        figures = "median %.1f ms, p95 %.1f ms" % (
            statistics.median(latencies), p95)
    else:
        figures = "no successful delivery"
    print("webhook to posted payment, %d payments (%s): %s, %d paid, "
        "%d errors" % (len(latency_set), where, figures, paid(latency_set),
            len(latency_errors)))
    print("verified webhook deliveries: %d in %.1f s from %d clients = "
        "%.1f/s, %d errors (%d of %d invoices paid)" % (
            len(delivered), elapsed, args.clients,
            len(delivered) / elapsed if elapsed else 0,
            len(throughput_errors), paid(throughput_set),
            len(throughput_set)))
    doubles = twice(latency_set) + twice(throughput_set)
    if doubles:
        print("  %d invoices have more than one payment line" % doubles)
    for name, errors in [('latency', latency_errors),
            ('throughput', throughput_errors)]:
        if errors:
            print("  %s errors (first 5): %r" % (name, [
                        status for _, status, _ in errors[:5]]))
    unpaid = (len(latency_set) - paid(latency_set)
        + len(throughput_set) - paid(throughput_set))
    if (latency_errors or throughput_errors or unpaid) and server_log:
        print("--- end of the trytond server's log ---")
        print(''.join(server_log.splitlines(True)[-40:]))
    return 1 if latency_errors or throughput_errors or unpaid else 0


if __name__ == '__main__':
    sys.exit(main())
