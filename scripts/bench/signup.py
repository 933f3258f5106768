#!/usr/bin/env python3
"""Sign-up: time to create a new hosted shop with `saas.shop.sign_up`.

usage: scripts/bench/signup.py [--repeat N] [--dir DIR] [--country FR]

A throw-away SQLite database is built with the saas module (and repair,
coating: the trades' default stages); then --repeat times (default 5) a
new shop is signed up in its own transaction, committed: party, company,
chart of accounts and taxes (account_fr for FR, minimal chart elsewhere),
fiscal year with 12 periods and invoice sequences, payment term, default
stages of the trade, owner user with the Owner role, trial subscription,
audit row, activation link and its queued email. The median and the
extremes are printed, nothing is asserted. --dir keeps the database in DIR
and reuses it (shops get new names each run).
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
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

DB = 'bench_signup'
PHONES = {'FR': '04 78 00 00 00', 'SN': '77 123 45 67',
    'CI': '07 07 12 34 56', 'BJ': '0197 12 34 56'}


def build(directory):
    "Create the database with saas, repair and coating activated."
    env = dict(os.environ, TRYTOND_DATABASE__URI='sqlite://',
        TRYTOND_DATABASE__PATH=directory)
    env.pop('TRYTOND_CONFIG', None)
    open(os.path.join(directory, DB + '.sqlite'), 'w').close()
    passfile = os.path.join(directory, 'pass')
    with open(passfile, 'w') as fp:
        fp.write('admin-bench')
    admin = os.path.join(VENV, 'bin', 'trytond-admin')
    subprocess.run([admin, '-d', DB, '--all', '--email', 'admin@localhost'],
        env=dict(env, TRYTONPASSFILE=passfile), check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([admin, '-d', DB, '-u', 'saas', 'repair', 'coating',
            '--activate-dependencies'], env=env, check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    open(os.path.join(directory, 'built'), 'w').close()


def bench(directory, repeat, country):
    os.environ.pop('TRYTOND_CONFIG', None)
    os.environ.update(TRYTOND_DATABASE__URI='sqlite://',
        TRYTOND_DATABASE__PATH=directory)
    if not os.path.exists(os.path.join(directory, 'built')):
        started = time.perf_counter()
        build(directory)
        print("database built in %.0f s" % (time.perf_counter() - started))
    else:
        print("database: reused from %s" % directory)
    from trytond import config
    config.set('database', 'uri', 'sqlite://')
    config.set('database', 'path', directory)
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(DB)
    pool.init()
    Shop = pool.get('saas.shop')
    times = []
    for i in range(repeat):
        tag = uuid.uuid4().hex[:8]
        values = {'shop_name': "Bench %s" % tag, 'owner_name': "Owner",
            'email': 'owner-%s@bench.example' % tag,
            'phone': PHONES.get(country, PHONES['FR']),
            'country': country, 'trade': ['repair', 'coating'][i % 2],
            'terms_accepted': True, 'privacy_accepted': True,
            'ip': '127.0.0.1'}
        started = time.perf_counter()
        with Transaction().start(DB, 0, context={}) as transaction:
            Shop.sign_up(values)
            transaction.commit()
        times.append(time.perf_counter() - started)
    print("sign-up of a new %s shop (company, chart, fiscal year, stages, "
        "owner, trial, activation email), %d runs: median %.2f s "
        "(min %.2f s, max %.2f s)" % (country, repeat,
            statistics.median(times), min(times), max(times)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--dir')
    parser.add_argument('--country', default='FR')
    args = parser.parse_args()
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
        bench(args.dir, args.repeat, args.country)
    else:
        with tempfile.TemporaryDirectory() as directory:
            bench(directory, args.repeat, args.country)


if __name__ == '__main__':
    main()
