#!/usr/bin/env python3
"""Sign-up: time to create a new hosted shop with `saas.shop.sign_up`.

usage: scripts/bench/signup.py [--repeat N] [--country FR]
    [--dir DIR | --postgresql [URI] [--db NAME]]

A throw-away database is built with the saas module (and repair, coating:
the trades' default stages): SQLite in a temporary directory (or --dir,
kept and reused: shops get new names each run), or with --postgresql a
database on that server (URI, else ATELIER_BENCH_POSTGRESQL, else the
local postgresql://postgres@127.0.0.1:5432/) named bench_signup_<pid>,
dropped at the end, or --db NAME, kept and reused when it exists. Then
--repeat times (default 5) a new shop is signed up in its own
transaction, committed: party, company, chart of accounts and taxes
(account_fr for FR, minimal chart elsewhere), fiscal year with 12 periods
and invoice sequences, payment term, default stages of the trade, owner
user with the Owner role, trial subscription, audit row, activation link
and its queued email. A table lock Tryton asks for (TransactionError:
the first sign-up of a database creates singletons) restarts the
transaction with the lock, as the RPC dispatcher does; the time counts
every attempt and the attempts are printed. The median and the extremes
are printed with the machine's load, nothing is asserted.
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
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

DB = 'bench_signup'
PHONES = {'FR': '04 78 00 00 00', 'SN': '77 123 45 67',
    'CI': '07 07 12 34 56', 'BJ': '0197 12 34 56'}


def build(db, environ, directory):
    "Create database `db` with saas, repair and coating activated."
    if directory:
        open(os.path.join(directory, db + '.sqlite'), 'w').close()
    with tempfile.TemporaryDirectory() as tmp:
        passfile = os.path.join(tmp, 'pass')
        with open(passfile, 'w') as fp:
            fp.write('admin-bench')
        bl.trytond_admin(db, environ, '--all', '--email', 'admin@localhost',
            passfile=passfile)
    bl.trytond_admin(db, environ, '-u', 'saas', 'repair', 'coating',
        '--activate-dependencies')
    if directory:
        open(os.path.join(directory, 'built'), 'w').close()


def bench(repeat, country, directory=None, uri=None, db=DB, reuse=False):
    """Build (or reuse) the database and print the sign-up times; SQLite
    in `directory`, or PostgreSQL at `uri`."""
    os.environ.pop('TRYTOND_CONFIG', None)
    if uri:
        os.environ['TRYTOND_DATABASE__URI'] = uri
        os.environ.pop('TRYTOND_DATABASE__PATH', None)
        built = reuse and bl.pg_database_exists(uri, db)
    else:
        os.environ.update(TRYTOND_DATABASE__URI='sqlite://',
            TRYTOND_DATABASE__PATH=directory)
        built = os.path.exists(os.path.join(directory, 'built'))
    if not built:
        if uri:
            bl.pg_execute(uri, 'CREATE DATABASE "%s"' % db)
        started = time.perf_counter()
        build(db, os.environ, None if uri else directory)
        print("database %s built in %.0f s" % (
                db, time.perf_counter() - started))
    else:
        print("database %s: reused" % db)
    from trytond import config
    if uri:
        config.set('database', 'uri', uri)
    else:
        config.set('database', 'uri', 'sqlite://')
        config.set('database', 'path', directory)
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(db)
    pool.init()
    Shop = pool.get('saas.shop')
    times, attempts = [], []
    for i in range(repeat):
        tag = uuid.uuid4().hex[:8]
        values = {'shop_name': "Bench %s" % tag, 'owner_name': "Owner",
            'email': 'owner-%s@bench.example' % tag,
            'phone': PHONES.get(country, PHONES['FR']),
            'country': country, 'trade': ['repair', 'coating'][i % 2],
            'terms_accepted': True, 'privacy_accepted': True,
            'ip': '127.0.0.1'}
        tries = []

        def sign_up(extras):
            tries.append(1)
            with Transaction().start(db, 0, context={},
                    **extras) as transaction:
                Shop.sign_up(values)
                transaction.commit()
        started = time.perf_counter()
        bl.retrying(sign_up)
        times.append(time.perf_counter() - started)
        attempts.append(len(tries))
    print("sign-up of a new %s shop on %s (company, chart, fiscal year, "
        "stages, owner, trial, activation email), %d runs: median %.2f s "
        "(min %.2f s, max %.2f s); attempts %s; %s" % (country,
            'PostgreSQL' if uri else 'SQLite', repeat,
            statistics.median(times), min(times), max(times),
            ' '.join(map(str, attempts)), bl.machine()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--dir', help="SQLite: keep the database here")
    parser.add_argument('--country', default='FR')
    parser.add_argument('--postgresql', nargs='?', const='', metavar='URI',
        help="run on PostgreSQL (default server: see above)")
    parser.add_argument('--db', help="PostgreSQL: database kept and reused")
    args = parser.parse_args()
    if args.postgresql is not None:
        if args.postgresql:
            os.environ['ATELIER_BENCH_POSTGRESQL'] = args.postgresql
        uri = bl.postgresql_uri('ATELIER_BENCH_POSTGRESQL')
        if not uri:
            sys.exit("no PostgreSQL server answers")
        db = args.db or '%s_%d' % (DB, os.getpid())
        try:
            bench(args.repeat, args.country, uri=uri, db=db,
                reuse=bool(args.db))
        finally:
            if not args.db:
                from trytond.pool import Pool
                Pool.stop(db)
                from trytond import backend
                backend.Database(db).close()
                bl.pg_execute(uri, 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)'
                    % db)
    elif args.dir:
        os.makedirs(args.dir, exist_ok=True)
        bench(args.repeat, args.country, directory=args.dir)
    else:
        with tempfile.TemporaryDirectory() as directory:
            bench(args.repeat, args.country, directory=directory)


if __name__ == '__main__':
    main()
