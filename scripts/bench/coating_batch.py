#!/usr/bin/env python3
"""Coating batches: time to recommend batches for 10,000 waiting jobs, and
quality of the oven load plans (loads used / lower bound).

usage: scripts/bench/coating_batch.py [--jobs N] [--batches N] [--no-model]

1. Pure grouping (trytond.modules.coating_batch.grouping.recommend) on N
   generated jobs (default 10,000; seeded, realistic spread: 60 powders,
   3 finishes, 1-2 coats, 4 cure schedules, 3 pretreatment groups, one job
   in ten without a powder yet).
2. The model (coating.batch.recommendation, the same computation reading
   the jobs from the database) on a throw-away SQLite database built with
   the coating_batch module, one shop and the same N jobs waiting at the
   'received' stage, each with 1-4 parts (skipped with --no-model; building
   takes a minute or two).
3. Load plans of --batches generated batches (default 200, seeded): 3 to 40
   kinds of parts of realistic sizes (brackets to gates) and quantities, in
   three ovens (bars 3000 x 1500 x 2000 with 6 bars; bars 6000 x 1200 x 2200
   with 4 bars; carts 6000 x 1800 x 2000 with 2 carts). Prints the ratio
   loads / lower bound (module docstring of loadplan.py): mean, median,
   95th percentile and max, and the planning time.
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

from trytond.modules.coating_batch.grouping import (  # noqa: E402
    Job, colour_changes_saved, recommend)
from trytond.modules.coating_batch.key import make_key  # noqa: E402
from trytond.modules.coating_batch.loadplan import (  # noqa: E402
    Oven, Part, lower_bound, plan)

DB = 'bench_coating_batch'
FINISHES = ['matt', 'satin', 'gloss']
CURES = [(180, 10), (180, 15), (200, 10), (160, 20)]
GROUPS = ['ferrous', 'aluminium', 'zinc']
OVENS = [
    Oven(3000, 1500, 2000, 'bars', 6, 50, 500),
    Oven(6000, 1200, 2200, 'bars', 4, 80, 800),
    Oven(6000, 1800, 2000, 'carts', 2, 50, 1000),
    ]


def job_specs(n, seed=10000):
    """Return n generated jobs as dicts: powder index, finish, coats, cure,
    group, promised date, parts [(l, w, h, kg, qty)], or powder None."""
    rng = random.Random(seed)
    today = dt.date(2025, 6, 2)
    specs = []
    for i in range(n):
        powder = None if rng.random() < 0.1 else rng.randrange(60)
        parts = [(rng.randint(100, 2500), rng.randint(20, 800),
                rng.randint(20, 1500), round(rng.uniform(0.2, 40), 1),
                rng.randint(1, 6)) for _ in range(rng.randint(1, 4))]
        specs.append({
                'powder': powder,
                'finish': FINISHES[powder % 3] if powder is not None else None,
                'coats': 1 if rng.random() < 0.85 else 2,
                'cure': CURES[powder % 4] if powder is not None else None,
                'group': rng.choice(GROUPS),
                'promised': (today + dt.timedelta(rng.randint(-3, 30))
                    if rng.random() < 0.8 else None),
                'priority': rng.choice(['normal'] * 6 + ['high', 'urgent']),
                'parts': parts,
                })
    return specs


def pure_jobs(specs):
    jobs = []
    for i, s in enumerate(specs):
        key = None
        if s['powder'] is not None:
            key = make_key('REF-%02d' % s['powder'], str(7000 + s['powder']),
                s['finish'], 'polyester', s['coats'], False, False,
                s['cure'][0], s['cure'][1], [s['group']])
        surface = sum(2 * (l * w + l * h + w * h) / 1e6 * q
            for l, w, h, _, q in s['parts'])
        jobs.append(Job(i, key, s['promised'],
                sum(p[4] for p in s['parts']), surface, surface * 0.15,
                s['priority']))
    return jobs


def bench_pure(specs, repeat=5):
    jobs = pure_jobs(specs)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        recommendations, unbatchable = recommend(jobs)
        times.append(time.perf_counter() - start)
    print("recommendations, pure grouping, %d jobs: median %.1f ms "
        "(%d batches, %d jobs without powder, %d colour changes saved)" % (
            len(jobs), statistics.median(times) * 1000, len(recommendations),
            len(unbatchable), colour_changes_saved(recommendations)))


#: A substrate of each pretreatment group (coating.job.PRETREATMENT_GROUPS)
SUBSTRATES = {'ferrous': 'steel', 'aluminium': 'aluminium',
    'zinc': 'galvanised'}


def binary_surface(length, width, height):
    """Surface per unit in m², in 1/8 m² steps: surface × quantity stays
    exact in binary floating point, so that coating's surfaces (3-4
    digits) never shows 0.7000000000000001."""
    surface = 2 * (length * width + length * height + width * height) / 1e6
    return max(round(surface * 8), 1) / 8


def build(directory, specs):
    "Create the database with the coating_batch module and the jobs."
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
            '-u', 'coating_batch', '--activate-dependencies'],
        env=env, check=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    os.environ.update(TRYTOND_DATABASE__URI='sqlite://',
        TRYTOND_DATABASE__PATH=directory)
    # trytond's configuration was read when the pure modules were imported
    from trytond import config
    config.set('database', 'uri', 'sqlite://')
    config.set('database', 'path', directory)
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(DB)
    pool.init()
    with Transaction().start(DB, 0) as transaction:
        from trytond.modules.coating_batch.tests.tools import (
            setup_shop, create_powders)
        Party = pool.get('party.party')
        Order = pool.get('service.order')
        company, stages = setup_shop("Bench Shop")
        with transaction.set_context(company=company.id):
            powders = create_powders(company, [(
                        'REF-%02d' % i, str(7000 + i), FINISHES[i % 3],
                        CURES[i % 4]) for i in range(60)])
            customers = Party.create([{'name': "Client %04d Nom" % i,
                        'company': company.id} for i in range(200)])
            rng = random.Random(1)
            for start in range(0, len(specs), 500):
                Order.create([{
                            'kind': 'coating', 'company': company.id,
                            'party': rng.choice(customers).id,
                            'stage': stages['received'].id,
                            'promised_date': s['promised'],
                            'priority': s['priority'],
                            'powder': (powders[s['powder']].id
                                if s['powder'] is not None else None),
                            'coats': s['coats'],
                            'cure_temperature': (s['cure'][0]
                                if s['cure'] else None),
                            'cure_minutes': (s['cure'][1]
                                if s['cure'] else None),
                            'coating_parts': [('create', [{
                                            'description': "Pièce",
                                            'length': l, 'width': w,
                                            'height': h, 'weight': kg,
                                            'quantity': q,
                                            'surface': binary_surface(
                                                l, w, h),
                                            'substrate': SUBSTRATES[
                                                s['group']],
                                            } for l, w, h, kg, q in s[
                                            'parts']])],
                            } for s in specs[start:start + 500]])
                transaction.commit()
    return company.id


def bench_model(specs, repeat=3):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        company = build(directory, specs)
        print("database: %d jobs built in %.0f s" % (
                len(specs), time.perf_counter() - started))
        pool = Pool(DB)
        with Transaction().start(DB, 0, readonly=True,
                context={'company': company}):
            Recommendation = pool.get('coating.batch.recommendation')
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                recommendations, unbatchable = Recommendation.compute(
                    company)
                times.append(time.perf_counter() - start)
    print("recommendations, model on SQLite, %d jobs: median %.0f ms "
        "(%d batches, %d jobs not ready)" % (
            len(specs), statistics.median(times) * 1000,
            len(recommendations), len(unbatchable)))


def generated_batches(n, seed=20000):
    "Return n (oven, parts) pairs, seeded."
    rng = random.Random(seed)
    kinds = [  # (length, width, height) ranges, mm
        ((100, 400), (20, 150), (50, 400)),  # brackets, small parts
        ((400, 1200), (30, 400), (200, 900)),  # panels, rails
        ((1000, 2800), (40, 200), (300, 1400)),  # gates, railings
        ((300, 700), (300, 700), (300, 700)),  # wheel rims, boxes
        ]
    batches = []
    for i in range(n):
        oven = OVENS[i % len(OVENS)]
        parts = []
        for j in range(rng.randint(3, 40)):
            (l0, l1), (w0, w1), (h0, h1) = rng.choice(kinds)
            length, width = rng.randint(l0, l1), rng.randint(w0, w1)
            height = rng.randint(h0, h1)
            weight = round(length * width * height / 1e6 * 0.05
                + rng.uniform(0.1, 5), 1)
            parts.append(Part('%d-%d' % (i, j), length, width, height,
                    weight, rng.randint(1, 12)))
        batches.append((oven, parts))
    return batches


def bench_loads(n):
    ratios, times, units = [], [], 0
    for oven, parts in generated_batches(n):
        start = time.perf_counter()
        loads = plan(parts, oven)
        times.append(time.perf_counter() - start)
        units += sum(p.quantity for p in parts)
        ratios.append(len(loads) / lower_bound(parts, oven))
    ratios.sort()
    print("load plans, %d batches (%d parts): loads / lower bound mean %.2f, "
        "median %.2f, p95 %.2f, max %.2f; %d of %d at the bound; "
        "planning median %.1f ms, max %.0f ms" % (
            n, units, statistics.mean(ratios), statistics.median(ratios),
            ratios[int(0.95 * (len(ratios) - 1))], ratios[-1],
            sum(1 for r in ratios if r == 1), n,
            statistics.median(times) * 1000, max(times) * 1000))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--jobs', type=int, default=10000)
    parser.add_argument('--batches', type=int, default=200)
    parser.add_argument('--no-model', action='store_true')
    args = parser.parse_args()
    specs = job_specs(args.jobs)
    bench_pure(specs)
    bench_loads(args.batches)
    if not args.no_model:
        bench_model(specs)
    return 0


if __name__ == '__main__':
    sys.exit(main())
