"""Batching rules and load planning, pure Python (no database):
examples and hypothesis properties."""
import datetime
import unittest

from hypothesis import HealthCheck, given, settings, strategies as st

from trytond.modules.coating_batch.grouping import (
    Batch, Job, colour_changes_saved, cure_order, recommend, split_powder)
from trytond.modules.coating_batch.key import (
    differences, make_key, normalise_reference)
from trytond.modules.coating_batch.loadplan import (
    Oven, Part, PartTooLarge, PlanError, cart_length, hanging_orientation,
    lower_bound, plan, violations)


def key(**changes):
    values = dict(powder='TIGER/49/70160', ral='7016', finish='gloss',
        powder_type='polyester', coats=1, primer=False, varnish=False,
        cure_temperature=180, cure_minutes=10,
        pretreatment_groups=['ferrous'])
    values.update(changes)
    return make_key(**values)


class KeyTestCase(unittest.TestCase):
    "Compatibility key"

    def test_gloss_and_matt_never_grouped(self):
        "RAL 7016 gloss and RAL 7016 matt are never grouped"
        gloss = key()
        matt = key(powder='TIGER/49/70161', finish='matt')
        same_ref_matt = key(finish='matt')
        jobs = [Job(1, gloss), Job(2, matt), Job(3, same_ref_matt),
            Job(4, gloss)]
        recommendations, _ = recommend(jobs)
        self.assertEqual(sorted(r.job_ids for r in recommendations),
            [(1, 4), (2,), (3,)])
        self.assertEqual(differences(gloss, same_ref_matt), ['finish'])

    def test_coats_and_cure_never_grouped(self):
        "Different coats, cure schedules, primer or pretreatment split"
        variants = [key(), key(coats=2), key(cure_temperature=200),
            key(cure_minutes=15), key(primer=True), key(varnish=True),
            key(pretreatment_groups=['aluminium']),
            key(pretreatment_groups=['aluminium', 'ferrous']),
            key(powder_type='epoxy')]
        jobs = [Job(i, k) for i, k in enumerate(variants * 2)]
        recommendations, _ = recommend(jobs)
        self.assertEqual(len(recommendations), len(variants))
        for r in recommendations:
            self.assertEqual(r.jobs, 2)

    def test_key_normalisation(self):
        "180 and 180.0 °C are one cure; references ignore case and spaces"
        self.assertEqual(key(cure_temperature=180.0), key())
        self.assertEqual(normalise_reference(' tiger ', '49/70160 '),
            'TIGER/49/70160')
        self.assertIsNone(key(powder=''))
        self.assertIsNone(key(pretreatment_groups=[None]))
        self.assertIn('RAL 7016', key().label())

    def test_recommendation_figures(self):
        "Counts, earliest date, sums, urgency order and changes saved"
        d = datetime.date
        jobs = [
            Job(1, key(), d(2025, 5, 10), 3, 1.5, 0.3),
            Job(2, key(), d(2025, 5, 2), 2, 0.5, 0.1, 'high'),
            Job(3, key(finish='matt'), d(2025, 5, 1), 1, 2., 0.4),
            Job(4, None, d(2025, 4, 1)),
            Job(5, key(coats=2), None, 4, 1., 0.2, 'urgent'),
            ]
        recommendations, unbatchable = recommend(jobs)
        self.assertEqual(unbatchable, [4])
        first, second, third = recommendations
        self.assertEqual(first.job_ids, (3,))
        self.assertEqual(second.job_ids, (2, 1))
        self.assertEqual(second.earliest_promised_date, d(2025, 5, 2))
        self.assertEqual((second.parts, second.surface), (5, 2.))
        self.assertAlmostEqual(second.powder, 0.4)
        self.assertEqual(second.priority, 'high')
        self.assertEqual(second.colour_changes_saved, 1)
        self.assertEqual(third.job_ids, (5,))  # undated last
        self.assertEqual(colour_changes_saved(recommendations), 4 - 3)

    def test_cure_order(self):
        "Urgent day first, then hottest, then the longest oven use"
        d = datetime.date(2025, 5, 2)
        batches = [Batch(1, d, 'normal', 160, 20, 1),
            Batch(2, d, 'normal', 200, 10, 1),
            Batch(3, d - datetime.timedelta(1), 'normal', 140, 10, 1),
            Batch(4, d, 'normal', 200, 10, 3),
            Batch(5, None, 'urgent', 220, 10, 1)]
        self.assertEqual(cure_order(batches), [3, 4, 2, 1, 5])

    def test_split_powder(self):
        "Entered figures kept, the rest by surface, the sum is the total"
        used, total = split_powder(3.5, {1: None, 2: None, 3: 0.5},
            {1: 2., 2: 1., 3: 5.})
        self.assertEqual(used, {1: 2.0, 2: 1.0, 3: 0.5})
        used, _ = split_powder(1, {1: None, 2: None, 3: None},
            {1: 0, 2: 0, 3: 0})
        self.assertAlmostEqual(sum(used.values()), 1)
        self.assertEqual(used[1], 0.333)
        self.assertEqual(split_powder(None, {1: 1.5, 2: 0.5}, {}),
            ({1: 1.5, 2: 0.5}, 2.0))
        for args, error in [((None, {1: None}, {}), 'missing'),
                ((1, {1: 2.}, {}), 'exceeded')]:
            with self.assertRaises(ValueError) as cm:
                split_powder(*args)
            self.assertEqual(str(cm.exception), error)


keys = st.builds(key,
    powder=st.sampled_from(['A/1', 'A/2', 'B/1']),
    finish=st.sampled_from(['matt', 'gloss', 'satin']),
    coats=st.integers(1, 3),
    primer=st.booleans(),
    cure_temperature=st.sampled_from([160, 180, 180.0, 200]),
    cure_minutes=st.sampled_from([10, 15]),
    pretreatment_groups=st.lists(
        st.sampled_from(['ferrous', 'aluminium', 'zinc']), min_size=1,
        max_size=2))


class GroupingPropertyTestCase(unittest.TestCase):
    "Properties of the recommendations"

    @given(st.lists(st.tuples(st.one_of(st.none(), keys),
                st.one_of(st.none(), st.dates()),
                st.integers(0, 10)), max_size=60))
    @settings(deadline=None, max_examples=150)
    def test_one_key_per_batch(self, rows):
        "Every recommended batch has one key; every job is in one place"
        jobs = [Job(i, k, date, n) for i, (k, date, n) in enumerate(rows)]
        by_id = {j.id: j for j in jobs}
        recommendations, unbatchable = recommend(jobs)
        seen = list(unbatchable)
        for r in recommendations:
            self.assertEqual({by_id[i].key for i in r.job_ids}, {r.key})
            self.assertEqual(r.jobs, len(r.job_ids))
            self.assertEqual(r.colour_changes_saved, r.jobs - 1)
            seen.extend(r.job_ids)
        self.assertEqual(sorted(seen), sorted(by_id))
        self.assertEqual(len({r.key for r in recommendations}),
            len(recommendations))
        ordered = [r.sort_key() for r in recommendations]
        self.assertEqual(ordered, sorted(ordered))


ovens = st.builds(Oven,
    length=st.integers(500, 6000), width=st.integers(300, 2000),
    height=st.integers(300, 2500),
    kind=st.sampled_from(['bars', 'carts']),
    supports=st.integers(1, 8), gap=st.integers(0, 100),
    max_weight=st.one_of(st.none(), st.integers(50, 2000)))


@st.composite
def batches(draw):
    oven = draw(ovens)
    n = draw(st.integers(1, 12))
    parts = []
    for i in range(n):
        parts.append(Part(id=i,
                length=draw(st.integers(10, 3000)),
                width=draw(st.integers(10, 1500)),
                height=draw(st.integers(10, 2000)),
                weight=draw(st.integers(0, 300)),
                quantity=draw(st.integers(1, 6)),
                label='P%d' % i))
    return oven, parts


class LoadPlanPropertyTestCase(unittest.TestCase):
    "Properties of load plans"

    @given(batches())
    @settings(deadline=None, max_examples=300,
        suppress_health_check=[HealthCheck.too_slow])
    def test_no_touching_parts_within_the_oven(self, batch):
        "No two parts touch, every part is inside, no load is too heavy"
        oven, parts = batch
        try:
            loads = plan(parts, oven)
        except PartTooLarge as exception:
            # only when the part really fits no empty oven
            part = exception.part
            cart = ((oven.length - (oven.supports - 1) * oven.gap)
                / oven.supports if oven.kind == 'carts' else oven.length)
            self.assertTrue(
                part.height > oven.height
                or (oven.max_weight is not None
                    and part.weight > oven.max_weight)
                or not any(l <= cart and w <= oven.width for l, w in [
                            (part.length, part.width),
                            (part.width, part.length)]),
                str(exception))
            self.assertIn(part.label, str(exception))
            return
        except PlanError:
            self.assertEqual(oven.kind, 'carts')
            self.assertLessEqual(cart_length(oven), 0)
            return
        self.assertEqual(violations(loads, oven), [])
        placed = sorted((p.part, p.unit) for load in loads for p in load)
        self.assertEqual(placed, sorted((p.id, u) for p in parts
                for u in range(1, p.quantity + 1)))
        self.assertTrue(all(loads))
        self.assertGreaterEqual(len(loads), lower_bound(parts, oven))

    def test_examples(self):
        "Small parts share a bar; the gap is kept; a huge part is named"
        oven = Oven(length=1000, width=500, height=1000, kind='bars',
            supports=2, gap=50, max_weight=100)
        loads = plan([Part('a', 300, 100, 200, 10, quantity=3)], oven)
        self.assertEqual(len(loads), 1)
        xs = sorted(p.x for p in loads[0])
        self.assertEqual(xs, [0, 350, 700])
        square = [Part('a', 300, 300, 200, 10, quantity=7)]
        loads = plan(square, oven)
        # 3 per bar, 2 bars per load (one bar per level: 650 mm > 500)
        self.assertEqual([len(l) for l in loads], [6, 1])
        self.assertEqual(lower_bound(square, oven), 2)
        self.assertEqual(violations(loads, oven), [])
        # 300 x 100 parts turned: 6 per bar, all on one load
        narrow = plan([Part('a', 300, 100, 200, 10, quantity=7)], oven)
        self.assertEqual(len(narrow), 1)
        heavy = plan([Part('h', 100, 100, 100, 60, quantity=3)], oven)
        self.assertEqual([len(l) for l in heavy], [1, 1, 1])
        with self.assertRaises(PartTooLarge) as cm:
            plan([Part(7, 1200, 600, 100, label='Portail 7-2')], oven)
        self.assertIn('Portail 7-2', str(cm.exception))
        turned = plan([Part('t', 400, 900, 100)], oven)
        self.assertTrue(turned[0][0].turned)
        # a gate hangs long side along the bar, thin side in depth...
        self.assertEqual(hanging_orientation((600, 40, 900), oven),
            (900, 40, 600))
        # ...or long side up when it is longer than the oven
        self.assertEqual(hanging_orientation((1200, 30, 300), Oven(
                    1000, 500, 1500)), (300, 30, 1200))


if __name__ == '__main__':
    unittest.main()
