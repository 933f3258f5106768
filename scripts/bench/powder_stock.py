#!/usr/bin/env python3
"""Powder stock: time to compute the daily list of boxes to weigh and the
reorder suggestions of a shop with 500 powders and 2,000 boxes.

usage: scripts/bench/powder_stock.py [--powders N] [--boxes N] [--days N]
    [--repeat N] [--dir DIR]

1. Pure maths (trytond.modules.powder_stock.stockmath): daily_list on the
   generated candidates of 2,000 boxes, reorder of 500 powders.
2. The models on a throw-away SQLite database built with the powder_stock
   module: one coating shop, --powders powders (default 500, formats of 5,
   20 and 25 kg), --boxes boxes (default 2,000, spread over the powders
   like a real catalogue: a few powders in many boxes, most in one or two;
   each box with its lot and receipt move), about half of them opened,
   consumption moves spread over the last --days days (default 60; 30 to
   95 % of each opened box, in two to eight takes), a
   weighing of one opened box in five (gaps of ±0 to 15 %, so the powders
   have varied reliability scores). Then, --repeat times (default 3, the
   median is printed):
   - the daily list: powder.box.candidates (theoretical stock by lot,
     use since the last weighing, value, reliability, age) then
     stockmath.daily_list, and the whole powder.weigh_list.fill that
     stores the list;
   - the reorder suggestions: powder.reorder.compute (stock by product,
     consumption over the window, first receipts, planned receipts, and
     the suggestions written).

Building takes several minutes on SQLite; --dir keeps the database in DIR
and reuses it the next time (delete DIR to build again). The figures are
printed, nothing is asserted.
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
import random  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from decimal import Decimal  # noqa: E402

from trytond.modules.powder_stock import stockmath  # noqa: E402

DB = 'bench_powder_stock'
FORMATS = [(5, 0.35), (20, 0.8), (25, 1.0)]


def median_time(func, repeat):
    "Return (median seconds, last result) of `repeat` calls of func()."
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench_pure(n_boxes, n_powders, repeat):
    rng = random.Random(1)
    candidates = [stockmath.Candidate(
            id=i, opened=rng.random() < 0.5, use=rng.uniform(0, 10),
            value=rng.uniform(0, 500), reliability=rng.uniform(0, 100),
            age=rng.randint(0, 200), theoretical=rng.uniform(-1, 25))
        for i in range(1, n_boxes + 1)]
    seconds, chosen = median_time(lambda: stockmath.daily_list(
            candidates, 3, 33, 90, stockmath.list_seed(
                1, dt.date(2025, 6, 2))), repeat)
    print("daily list, pure maths, %d boxes: median %.1f ms (%s)" % (
            n_boxes, seconds * 1000,
            ', '.join('%d %s' % (b, r) for b, r, _ in chosen)))
    specs = [(rng.uniform(-2, 100), rng.uniform(0, 3), rng.randint(3, 20),
            rng.uniform(0, 10), 30, rng.uniform(0, 20),
            rng.choice([5, 20, 25])) for _ in range(n_powders)]
    seconds, results = median_time(lambda: [stockmath.reorder(*s)
            for s in specs], repeat)
    print("reorder, pure maths, %d powders: median %.2f ms (%d to order)"
        % (n_powders, seconds * 1000, sum(r.order for r in results)))


def build(directory, n_powders, n_boxes, days):
    "Create the database with the powder_stock module and the shop's stock."
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
            '-u', 'powder_stock', '--activate-dependencies'],
        env=env, check=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    os.environ.update(TRYTOND_DATABASE__URI='sqlite://',
        TRYTOND_DATABASE__PATH=directory)
    # trytond's configuration was read when stockmath was imported
    from trytond import config
    config.set('database', 'uri', 'sqlite://')
    config.set('database', 'path', directory)
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(DB)
    pool.init()
    rng = random.Random(2)
    today = dt.date.today()
    # the weighings lock their box: take the table lock at the start
    with Transaction().start(DB, 0, _lock_tables=['powder_box']) as (
            transaction):
        from trytond.modules.powder_stock.tests.tools import (
            create_powders, setup_shop)
        from trytond.modules.powder_stock.stock import consumption_location
        Box = pool.get('powder.box')
        Move = pool.get('stock.move')
        Weighing = pool.get('powder.weighing')
        company, _ = setup_shop("Bench Shop")
        transaction.commit()
        with transaction.set_context(company=company.id):
            powders = []
            for start in range(0, n_powders, 100):
                powders += create_powders(company, [(
                            'REF-%04d' % i, '%.2f' % rng.uniform(9, 40),
                            [rng.choice(FORMATS)])
                        for i in range(start, min(start + 100, n_powders))])
                transaction.commit()
            # a few powders in many boxes, most in one or two (Zipf)
            weights = [1 / (rank + 1) for rank in range(len(powders))]
            boxes = []
            for index, powder in enumerate(rng.choices(powders, weights,
                        k=n_boxes)):
                boxes.append({
                        'company': company.id,
                        'product': powder.id,
                        'format': powder.template.powder_formats[0].id,
                        'received_date': today - dt.timedelta(
                            days=rng.randint(days, days + 120)),
                        })
            created = []
            for start in range(0, len(boxes), 250):
                created += Box.create(boxes[start:start + 250])
                transaction.commit()
            opened = [b for b in created if rng.random() < 0.5]
            Box.write(opened, {'state': 'opened',
                    'opened_at': dt.datetime.now()})
            consumption = consumption_location()
            moves = []
            for box in opened:
                # 30 to 95 % of the box used, in 2 to 8 takes
                takes = [rng.random() for _ in range(rng.randint(2, 8))]
                used = rng.uniform(0.3, 0.95) * box.capacity
                for take in takes:
                    moves.append(Box._move(company, box.product,
                            used * take / sum(takes),
                            box.location, consumption, box.lot, None,
                            today - dt.timedelta(days=rng.randint(0, days))))
            moves = [m for m in moves if m]
            for start in range(0, len(moves), 1000):
                chunk = moves[start:start + 1000]
                Move.save(chunk)
                Move.do(chunk)
                transaction.commit()
            weighed = [b for b in opened if rng.random() < 0.2]
            theoretical = Box.theoretical_quantities(weighed)
            for box in weighed:
                net = min(max(theoretical[box.id]
                        * rng.uniform(0.85, 1.15), 0), box.capacity)
                Weighing.record(box, round(net + box.tare, 3))
            transaction.commit()
    return company.id, len(opened), len(moves), len(weighed)


def bench_model(args):
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
        _bench_model(args, args.dir)
    else:
        with tempfile.TemporaryDirectory() as directory:
            _bench_model(args, directory)


def _bench_model(args, directory):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    marker = os.path.join(directory, 'built')
    if os.path.exists(marker):
        from trytond import config
        config.set('database', 'uri', 'sqlite://')
        config.set('database', 'path', directory)
        pool = Pool(DB)
        pool.init()
        with Transaction().start(DB, 0, readonly=True):
            company_id, = [c.id for c in pool.get('company.company').search(
                        [('party.name', '=', "Bench Shop")])]
        print("database: reused from %s" % directory)
    else:
        started = time.perf_counter()
        company_id, opened, moves, weighed = build(directory, args.powders,
            args.boxes, args.days)
        print("database: %d powders, %d boxes (%d opened), %d consumption "
            "moves, %d weighings built in %.0f s" % (
                args.powders, args.boxes, opened, moves, weighed,
                time.perf_counter() - started))
        open(marker, 'w').close()
    pool = Pool(DB)
    Company = pool.get('company.company')
    Box = pool.get('powder.box')
    WeighList = pool.get('powder.weigh_list')
    Reorder = pool.get('powder.reorder')
    date = dt.date.today()
    with Transaction().start(DB, 0, context={'company': company_id}) as (
            transaction):
        company = Company(company_id)

        def daily_list():
            candidates = Box.candidates(company, date)
            return stockmath.daily_list(candidates,
                company.powder_setting('powder_weigh_count'),
                company.powder_setting('powder_random_share'),
                company.powder_setting('powder_check_days'),
                stockmath.list_seed(company.id, date))
        seconds, chosen = median_time(daily_list, args.repeat)
        print("daily list, model on SQLite (candidates + selection), "
            "%d boxes: median %.0f ms (%s)" % (args.boxes,
                seconds * 1000, ', '.join(r for _, r, _ in chosen)))

        def stored_list():
            list_, = WeighList.create([{
                        'company': company_id, 'date': date}])
            lines = len(list_.lines)
            WeighList.delete([list_])
            return lines
        seconds, lines = median_time(stored_list, args.repeat)
        print("daily list, stored (powder.weigh_list create + fill): "
            "median %.0f ms (%d lines)" % (seconds * 1000, lines))

        seconds, suggestions = median_time(
            lambda: Reorder.compute(company, date), args.repeat)
        print("reorder suggestions, model on SQLite, %d powders: "
            "median %.0f ms (%d suggestions, %s kg to order)" % (
                args.powders, seconds * 1000, len(suggestions),
                Decimal(str(sum(s.quantity for s in suggestions)))))
        # leave the database as built (for --dir)
        transaction.rollback()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--powders', type=int, default=500)
    parser.add_argument('--boxes', type=int, default=2000)
    parser.add_argument('--days', type=int, default=60)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--dir',
        help="keep the database in this directory and reuse it next time")
    args = parser.parse_args()
    bench_pure(args.boxes, args.powders, max(args.repeat, 5))
    bench_model(args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
