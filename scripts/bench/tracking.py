#!/usr/bin/env python3
"""Latency and throughput of the customer tracking page /<db>/t/<token>
with 10,000 tickets in the database.

usage: scripts/bench/tracking.py [--tickets N] [--requests N] [--clients N]

Builds a throw-away SQLite database in a temporary directory with the
repair module, one shop, its stages, 1,000 customers and N tickets (default
10,000) spread over stages with their history; serves it with the real
`trytond` server on a free loopback port; then sends `--requests` GET
requests (default 2,000) for random tokens from `--clients` concurrent
keep-alive clients (default 4) and prints the median and 95th percentile
latency in milliseconds and the requests per second. All traffic stays on
127.0.0.1 and the run stops by itself.
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
import random  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

DB = 'bench_tracking'


def build(directory, tickets):
    "Create the database and its tickets; return the list of tokens."
    os.environ.pop('TRYTOND_CONFIG', None)
    env = dict(os.environ, TRYTOND_DATABASE__URI='sqlite://',
        TRYTOND_DATABASE__PATH=directory)
    open(os.path.join(directory, DB + '.sqlite'), 'w').close()
    passfile = os.path.join(directory, 'pass')
    with open(passfile, 'w') as fp:
        fp.write('admin-bench')
    subprocess.run([os.path.join(VENV, 'bin', 'trytond-admin'), '-d', DB,
            '--all', '--email', 'admin@localhost'],
        env=dict(env, TRYTONPASSFILE=passfile), check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([os.path.join(VENV, 'bin', 'trytond-admin'), '-d', DB,
            '-u', 'repair', '--activate-dependencies'],
        env=env, check=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    os.environ.update(TRYTOND_DATABASE__URI='sqlite://',
        TRYTOND_DATABASE__PATH=directory)
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(DB)
    pool.init()
    rng = random.Random(10000)
    with Transaction().start(DB, 0) as transaction:
        Currency = pool.get('currency.currency')
        Party = pool.get('party.party')
        Company = pool.get('company.company')
        Stage = pool.get('service.order.stage')
        Order = pool.get('service.order')
        eur, = Currency.create([{'name': 'Euro', 'code': 'EUR',
                    'symbol': '€'}])
        shop_party, = Party.create([{'name': "Bench Shop"}])
        company, = Company.create([{'party': shop_party.id,
                    'currency': eur.id, 'business_type': 'repair'}])
        stages = Stage.search([('company', '=', company.id)])
        # No emails during the load: the benchmark is about the page.
        Stage.write(stages, {'notify': False})
        stages = {s.code: s for s in stages}
        with transaction.set_context(company=company.id):
            customers = Party.create([{
                        'name': "Client %04d Nom" % i,
                        'company': company.id} for i in range(1000)])
            now = dt.datetime.now()
            path = ['diagnosed', 'in_progress', 'done', 'ready']
            for start in range(0, tickets, 500):
                orders = Order.create([{
                            'kind': 'repair', 'company': company.id,
                            'party': rng.choice(customers).id,
                            'stage': stages['received'].id,
                            'intake_date': now - dt.timedelta(
                                days=rng.uniform(0, 365)),
                            } for _ in range(min(500, tickets - start))])
                by_reach = {}
                for order in orders:
                    by_reach.setdefault(rng.randrange(len(path) + 1),
                        []).append(order)
                for step, code in enumerate(path, 1):
                    moving = [o for r, os_ in by_reach.items()
                        if r >= step for o in os_]
                    if moving:
                        Order.write(moving, {'stage': stages[code].id})
                transaction.commit()
            tokens = [o.tracking_token for o in Order.search([])]
    return tokens


def client(port, paths, latencies, errors):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    for path in paths:
        start = time.perf_counter()
        try:
            conn.request('GET', path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)
        except (OSError, http.client.HTTPException) as exception:
            errors.append(repr(exception))
            conn.close()
            conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
            continue
        latencies.append((time.perf_counter() - start) * 1000)
    conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--tickets', type=int, default=10000)
    parser.add_argument('--requests', type=int, default=2000)
    parser.add_argument('--clients', type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        tokens = build(directory, args.tickets)
        print("database: %d tickets built in %.0f s" % (
                len(tokens), time.perf_counter() - started))
        port = bl.free_port()
        env = dict(os.environ, TRYTOND_DATABASE__URI='sqlite://',
            TRYTOND_DATABASE__PATH=directory,
            TRYTOND_WEB__LISTEN='127.0.0.1:%d' % port)
        server = subprocess.Popen(
            [os.path.join(VENV, 'bin', 'trytond'), '-d', DB], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            bl.wait_for_port(port, server, timeout=60)
            rng = random.Random(1)
            base = '/%s/t/' % DB
            for token in rng.sample(tokens, 20):  # warm-up
                client(port, [base + token], [], [])
            paths = [base + rng.choice(tokens) for _ in range(args.requests)]
            chunks = [paths[i::args.clients] for i in range(args.clients)]
            latencies, errors = [], []
            threads = [threading.Thread(target=client,
                    args=(port, chunk, latencies, errors))
                for chunk in chunks]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(10)
    latencies.sort()
    p95 = bl.percentile(latencies, 0.95)
    print("tracking page, %d tickets, %d requests, %d clients (SQLite, "
        "trytond's own server):" % (len(tokens), args.requests,
            args.clients))
    print("  median %.1f ms, p95 %.1f ms, %.0f requests/s, %d errors" % (
            statistics.median(latencies), p95, len(latencies) / elapsed,
            len(errors)))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
