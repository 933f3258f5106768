import datetime
import io

from pdfminer.high_level import extract_text

from trytond.model.exceptions import ValidationError
from trytond.modules.company.tests import CompanyTestMixin, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from .tools import create_powders, setup_shop

GLOSS = ('49/70160', '7016', 'gloss', (180, 10))
MATT = ('49/70161', '7016', 'matt', (180, 10))


class CoatingBatchTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Coating Batch module"
    module = 'coating_batch'

    def _job(self, stages, powder, stage='received', parts=None, **values):
        pool = Pool()
        Order = pool.get('service.order')
        Party = pool.get('party.party')
        party = Party(name="Awa Diop")
        party.save()
        template = powder.template
        job, = Order.create([{
                    'kind': 'coating', 'party': party.id,
                    'stage': stages[stage].id,
                    'powder': powder.id, 'coats': 1,
                    'cure_temperature': template.cure_temperature,
                    'cure_minutes': template.cure_minutes,
                    'promised_date': datetime.date.today(),
                    'coating_parts': [('create', parts or [{
                                    'description': "Portail",
                                    'length': 2000, 'width': 1000,
                                    'height': 40, 'weight': 30,
                                    'quantity': 1,
                                    }, {
                                    'description': "Poteau",
                                    'length': 1500, 'width': 100,
                                    'height': 100, 'weight': 8,
                                    'quantity': 2,
                                    }])],
                    **values}])
        return job

    def _shop(self):
        company, stages = setup_shop()
        return company, stages

    @with_transaction()
    def test_incompatible_job_refused(self):
        "Gloss and matt, other cure, other shop: refused by the model"
        pool = Pool()
        Batch = pool.get('coating.batch')
        company, stages = self._shop()
        other, other_stages = setup_shop("Autre atelier")
        with set_company(other):
            other_powder, = create_powders(other, [GLOSS])
            foreign = self._job(other_stages, other_powder)
        with set_company(company):
            gloss, matt = create_powders(company, [GLOSS, MATT])
            first = self._job(stages, gloss)
            second = self._job(stages, gloss, stage='sandblasting')
            batch = Batch.from_recommendation(company, [first.id])
            self.assertEqual(batch.powder, gloss)
            self.assertTrue(batch.number)
            self.assertEqual(first.coating_batch_reference, batch.number)
            Batch.write([batch], {'jobs': [('add', [second.id])]})
            self.assertEqual(len(batch.jobs), 2)

            for job in [
                    self._job(stages, matt),
                    self._job(stages, gloss, cure_minutes=20),
                    self._job(stages, gloss, coats=2),
                    self._job(stages, gloss, parts=[{
                                'description': "Jante", 'length': 500,
                                'width': 500, 'height': 200,
                                'substrate': 'aluminium'}]),
                    ]:
                with self.assertRaises(ValidationError) as cm:
                    Batch.write([batch], {'jobs': [('add', [job.id])]})
                self.assertIn(job.number, str(cm.exception))
                self.assertIn(batch.number, str(cm.exception))
                # no savepoint in the test transaction: undo the link
                Batch.write([batch], {'jobs': [('remove', [job.id])]})
            with self.assertRaises(ValidationError) as cm:
                Batch.write([batch], {'jobs': [('add', [foreign.id])]})
            self.assertIn('another shop', str(cm.exception))
            Batch.write([batch], {'jobs': [('remove', [foreign.id])]})

            # A job may not be in two open batches, nor drift out of its key
            with self.assertRaises(ValidationError):
                Batch.from_recommendation(company, [first.id])
            with self.assertRaises(ValidationError):
                first.coats = 2
                first.save()

    @with_transaction()
    def test_launch_close(self):
        "Launch moves to coating; close to curing with the powder split"
        pool = Pool()
        Batch = pool.get('coating.batch')
        Audit = pool.get('workshop.audit')
        Order = pool.get('service.order')
        company, stages = self._shop()
        with set_company(company):
            gloss, = create_powders(company, [GLOSS])
            big = self._job(stages, gloss)
            small = self._job(stages, gloss, stage='masking', parts=[{
                        'description': "Équerre", 'length': 200,
                        'width': 100, 'height': 50, 'surface': 0.25,
                        'quantity': 10, 'weight': 0.5}])
            entered = self._job(stages, gloss, powder_used=0.5)
            batch = Batch.from_recommendation(company,
                [big.id, small.id, entered.id])
            Batch.launch([batch])
            self.assertEqual(batch.state, 'launched')
            for job in Order.browse([big, small, entered]):
                self.assertEqual(job.stage.code, 'coating')
            with self.assertRaises(ValidationError):
                Batch.close([batch])  # no powder used entered
            batch.powder_used = 3.5
            batch.save()
            Batch.close([batch])
            self.assertEqual(batch.state, 'closed')
            big, small, entered = Order.browse([big, small, entered])
            for job in [big, small, entered]:
                self.assertEqual(job.stage.code, 'curing')
            self.assertEqual(entered.powder_used, 0.5)
            self.assertAlmostEqual(big.powder_used + small.powder_used, 3.0)
            self.assertAlmostEqual(big.powder_used / small.powder_used,
                big.coating_surface / small.coating_surface, places=2)
            actions = {a.action for a in Audit.search([
                        ('resource', '=', str(batch))])}
            self.assertEqual(actions, {'batch_launch', 'batch_close'})

    @with_transaction()
    def test_launch_refuses_stage_without_path(self):
        "A job whose stage cannot reach coating directly is named"
        pool = Pool()
        Batch = pool.get('coating.batch')
        Stage = pool.get('service.order.stage')
        company, stages = self._shop()
        with set_company(company):
            Stage.write([stages['received']], {
                    'next_stages': [('remove', [stages['coating'].id])]})
            gloss, = create_powders(company, [GLOSS])
            job = self._job(stages, gloss)
            batch = Batch.from_recommendation(company, [job.id])
            with self.assertRaises(ValidationError) as cm:
                Batch.launch([batch])
            self.assertIn(job.number, str(cm.exception))
            self.assertEqual(job.stage, stages['received'])

    @with_transaction()
    def test_recommendation_wizard_and_load_plan(self):
        "Recommendations group by key; batches get a load plan"
        pool = Pool()
        Batch = pool.get('coating.batch')
        Oven = pool.get('coating.oven')
        Recommendation = pool.get('coating.batch.recommendation')
        Recommend = pool.get('coating.batch.recommend', type='wizard')
        company, stages = self._shop()
        with set_company(company):
            gloss, matt = create_powders(company, [GLOSS, MATT])
            jobs = [self._job(stages, gloss), self._job(stages, gloss),
                self._job(stages, matt),
                self._job(stages, gloss, stage='coating')]
            recommendations, unbatchable = Recommendation.compute(company)
            self.assertEqual(sorted(r.job_ids for r in recommendations),
                sorted([tuple(sorted([jobs[0].id, jobs[1].id])),
                        (jobs[2].id,)]))
            self.assertEqual(unbatchable, [])
            session_id, _, _ = Recommend.create()
            wizard = Recommend(session_id)
            values = wizard.default_start([])
            self.assertEqual(values['colour_changes_saved'], 1)
            gloss_row, = [r for r in values['recommendations']
                if r['job_count'] == 2]
            self.assertEqual(gloss_row['powder'], gloss.id)
            self.assertEqual(gloss_row['part_count'], 6)

            oven, = Oven.create([{
                        'name': "Four 1", 'length': 3000, 'width': 1500,
                        'height': 2200, 'kind': 'bars', 'supports': 4,
                        'gap': 50, 'max_weight': 500}])
            batch = Batch.from_recommendation(company,
                [jobs[0].id, jobs[1].id], oven=oven)
            Batch.plan_loads([batch])
            self.assertEqual(len(batch.loads), 6)
            self.assertGreaterEqual(batch.load_count, batch.load_bound)
            self.assertGreaterEqual(batch.load_bound, 1)
            with self.assertRaises(ValidationError):
                Oven.create([{'name': "Faux", 'length': 0, 'width': 1,
                            'height': 1, 'supports': 1, 'gap': 0}])
            Batch.suggest_cure_order([batch])
            self.assertEqual(batch.cure_sequence, 1)

    @with_transaction()
    def test_labels_pdf(self):
        "The labels PDF has the job and part numbers"
        pool = Pool()
        Batch = pool.get('coating.batch')
        Labels = pool.get('coating_batch.labels', type='report')
        company, stages = self._shop()
        with set_company(company):
            gloss, = create_powders(company, [GLOSS])
            job = self._job(stages, gloss)
            batch = Batch.from_recommendation(company, [job.id])
            ext, content, _, _ = Labels.execute([batch.id], {})
        self.assertEqual(ext, 'pdf')
        text = extract_text(io.BytesIO(bytes(content)))
        self.assertIn(job.number, text)
        for part in job.coating_parts:
            self.assertIn(part.number, text)
        self.assertNotIn('<svg', text)

    @with_transaction()
    def test_scan_lookup(self):
        "A job is found by its number or a part's, in the user's shops only"
        from trytond.modules.coating_batch.routes import (
            clean_code, find_job, job_values)
        pool = Pool()
        company, stages = self._shop()
        other, _ = setup_shop("Autre atelier")
        with set_company(company):
            gloss, = create_powders(company, [GLOSS])
            job = self._job(stages, gloss)
            part = job.coating_parts[0]
            self.assertEqual(find_job(pool, job.number, [company.id]), job)
            self.assertEqual(find_job(pool, part.number, [company.id]), job)
            with Transaction().set_context(_check_access=False):
                self.assertIsNone(find_job(pool, job.number, [other.id]))
            values = job_values(job)
        self.assertEqual(values['customer'], "Awa")
        self.assertIn('Poudrage', values['next_stages'])
        self.assertEqual(clean_code(
                'https://x.fr/db/shopfloor/scan?code=%s' % job.number),
            job.number)
        self.assertIsNone(clean_code('<script>'))


del ModuleTestCase
