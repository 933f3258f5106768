import datetime
import glob
from unittest.mock import patch

from lxml import etree

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.company.model import CompanyMultiValueMixin
from trytond.modules.company.tests import CompanyTestMixin, set_company
from trytond.modules.powder_stock.exceptions import WeighingError
from trytond.pool import Pool, isregisteredby
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from .tools import close_job, create_job, create_powders, setup_shop

P7016 = ('T7016M', '18', [(5, 0.35), (20, 0.8)])
P9010 = ('T9010B', '15.50', [(25, 1.0)])


class _Mixin:

    @property
    def _skip_company_rule(self):
        # A powder's shop is `powder_company` (coating's rule, which also
        # lets everyone see products of no shop).
        return super()._skip_company_rule | {
            ('product.template', 'powder_company')}

    @with_transaction()
    def test_company_multivalue_context(self):
        "Company in the context of multivalue targets of our models"
        # As in coating: product.template, extended here, has upstream
        # multivalue fields this module must not change.
        pool = Pool()
        Company = pool.get('company.company')
        for mname, model in pool.iterobject():
            if (not isregisteredby(model, self.module)
                    or not mname.startswith('powder.')):
                continue
            company = next((fname for fname, field in model._fields.items()
                    if field._type == 'many2one'
                    and issubclass(field.get_target(), Company)), None)
            if not company:
                continue
            for fname, field in model._fields.items():
                if not hasattr(field, 'get_target'):
                    continue
                if issubclass(field.get_target(), CompanyMultiValueMixin):
                    self.assertIn('company', list(field.context.keys()),
                        msg='Missing company in "%s"."%s" context' % (
                            mname, fname))

    @with_transaction()
    def test_list_datetime_widget(self):
        """A DateTime column of our list views names widget="date" or
        "time" (sao 8.0 has no list column for a bare datetime)."""
        pool = Pool()
        View = pool.get('ir.ui.view')
        checked = 0
        for view in View.search([
                    ('module', '=', 'powder_stock'), ('model', '!=', None)]):
            Model = pool.get(view.model)
            arch = etree.fromstring(view.arch.encode('utf-8'))
            if arch.tag == 'data' and view.inherit.type != 'tree':
                continue
            if arch.tag not in {'tree', 'data'}:
                continue
            for node in arch.iter('field'):
                field = Model._fields.get(node.get('name'))
                if field is None:
                    continue
                checked += 1
                if field._type in {'datetime', 'timestamp'}:
                    with self.subTest(view=view.name, field=field.name):
                        self.assertIn(node.get('widget'), {'date', 'time'})
        self.assertGreater(checked, 40)

    def _shop(self, name="Thermolaquage Diop"):
        return setup_shop(name)


class PowderStockTestCase(_Mixin, CompanyTestMixin, ModuleTestCase):
    "Test Powder Stock module"
    module = 'powder_stock'

    def test_view(self):
        "Views; those of purchase_request are checked with the extras"
        real_glob = glob.glob

        def glob_(pattern, **kwargs):
            return [f for f in real_glob(pattern, **kwargs)
                if not f.endswith('_purchase.xml')]
        with patch('glob.glob', glob_):
            super().test_view()

    @with_transaction()
    def test_receive(self):
        "Receiving boxes: code, lot, format, receipt move, audit"
        pool = Pool()
        Box = pool.get('powder.box')
        Audit = pool.get('workshop.audit')
        company, _ = self._shop()
        with set_company(company):
            powder, = create_powders(company, [P7016])
            large = powder.template.powder_formats[-1]
            boxes = Box.receive(company, powder, 3, format_=large)
            self.assertEqual([b.code for b in boxes],
                ['BOX-00001', 'BOX-00002', 'BOX-00003'])
            box = boxes[0]
            self.assertEqual((box.capacity, box.tare), (20, 0.8))
            self.assertEqual(box.lot.number, box.code)
            self.assertEqual(box.lot.product, powder)
            self.assertEqual(box.state, 'sealed')
            self.assertEqual(box.theoretical, 20)
            move, = box.moves
            self.assertEqual(move.state, 'done')
            self.assertEqual(move.from_location.type, 'supplier')
            self.assertEqual(move.origin, box)
            # unit cost: the powder's cost price (60 % of 18)
            self.assertEqual(float(move.unit_price), 10.8)
            self.assertEqual(powder.template.powder_stock_kg, 60)
            self.assertEqual(powder.template.powder_box_count, 3)
            self.assertEqual(len(Audit.search([
                            ('action', '=', 'powder_receipt')])), 3)
            with self.assertRaises(AccessError):
                Box.delete([box])
            # a copy is another box received like it
            copy, = Box.copy([box])
            self.assertEqual((copy.code, copy.state, copy.theoretical),
                ('BOX-00004', 'sealed', 20))
            self.assertNotEqual(copy.lot, box.lot)

    @with_transaction()
    def test_box_other_shop_powder(self):
        "A box cannot hold another shop's powder nor another format"
        pool = Pool()
        Box = pool.get('powder.box')
        company, _ = self._shop()
        other, _ = self._shop("Autre atelier")
        with set_company(other):
            foreign, = create_powders(other, [P7016])
        with set_company(company):
            powder, = create_powders(company, [P9010])
            with self.assertRaises(ValidationError):
                Box.receive(company, foreign, 1, capacity=20, tare=1)
            with self.assertRaises(ValidationError) as cm:
                Box.receive(company, powder, 1,
                    format_=foreign.template.powder_formats[0])
            self.assertIn('"Format"', cm.exception.message)
            self.assertIn('BOX-', cm.exception.message)

    @with_transaction()
    def test_consumption(self):
        """A closed job takes its powder from the open box, opening the
        oldest sealed one; the actual figure moves only the difference"""
        pool = Pool()
        Box = pool.get('powder.box')
        Order = pool.get('service.order')
        Audit = pool.get('workshop.audit')
        company, stages = self._shop()
        with set_company(company):
            powder, = create_powders(company, [P7016])
            first, second = Box.receive(company, powder, 2,
                format_=powder.template.powder_formats[-1],
                date=datetime.date.today() - datetime.timedelta(days=3))
            # 4 m² × 1 coat × 0.125 ÷ 50 % = 1 kg
            job = create_job(company, stages, powder, surface=4.0)
            self.assertEqual(job.powder_estimate, 1.0)
            self.assertEqual(job.powder_consumed, 0)
            job = close_job(job, stages, ['coating', 'curing'])
            self.assertEqual(job.powder_consumed, 0)
            job = close_job(job, stages, ['qc', 'ready'])
            self.assertEqual(job.powder_consumed, 1.0)
            first, second = Box.browse([first, second])
            self.assertEqual(first.state, 'opened')
            self.assertEqual(second.state, 'sealed')
            self.assertEqual((first.theoretical, first.use_since_weighing),
                (19.0, 1.0))
            audit, = Audit.search([('action', '=', 'powder_box_open')])
            self.assertIn(job.number, audit.description)

            # the actual figure, entered later: 0.6 kg back into the box
            Order.write([job], {'powder_used': 0.4})
            self.assertEqual(Order(job.id).powder_consumed, 0.4)
            self.assertEqual(Box(first.id).theoretical, 19.6)
            Order.write([job], {'powder_used': 0.4})
            self.assertEqual(len(Box(first.id).moves), 3)

            # a big job: the open box gives what the books give it, then
            # the rest comes from it too (the books go below zero)
            big = create_job(company, stages, powder, surface=100.0)
            close_job(big, stages)
            self.assertEqual(Box(first.id).theoretical, -5.4)
            self.assertEqual(Box(second.id).state, 'sealed')

            # a second opened box is used once the first runs out
            Box.open_([Box(second.id)])
            third = create_job(company, stages, powder, surface=8.0)
            close_job(third, stages)
            self.assertEqual(Box(first.id).theoretical, -5.4)
            self.assertEqual(Box(second.id).theoretical, 18.0)

    @with_transaction()
    def test_consumption_without_box(self):
        "With no box the powder leaves the warehouse without a lot"
        pool = Pool()
        Order = pool.get('service.order')
        company, stages = self._shop()
        with set_company(company):
            powder, = create_powders(company, [P7016])
            job = close_job(create_job(company, stages, powder), stages)
            self.assertEqual(job.powder_consumed, 1.0)
            self.assertEqual(powder.template.powder_stock_kg, -1.0)
            # delivered: nothing more moves
            with Transaction().set_context(deliver_unpaid=True):
                Order.write([job], {'stage': stages['delivered'].id})
            self.assertEqual(Order(job.id).powder_consumed, 1.0)

    @with_transaction()
    def test_weighing(self):
        """A weighing corrects the stock, keeps who, when, the figures and
        the gap, updates the reliability and leaves audit rows"""
        pool = Pool()
        Box = pool.get('powder.box')
        Weighing = pool.get('powder.weighing')
        Audit = pool.get('workshop.audit')
        company, stages = self._shop()
        with set_company(company):
            powder, = create_powders(company, [P7016])
            box, = Box.receive(company, powder, 1,
                format_=powder.template.powder_formats[-1])
            Box.open_([box])
            close_job(create_job(company, stages, powder, surface=16.0),
                stages)
            box = Box(box.id)
            self.assertEqual(box.theoretical, 16.0)

            # the scale: 14.3 kg gross − 0.8 kg tare = 13.5 kg, 2.5 kg less
            weighing = Weighing.record(box, 14.3)
            self.assertEqual(weighing.user.id, Transaction().user)
            self.assertEqual((weighing.net, weighing.theoretical,
                    weighing.gap, weighing.gap_pct), (13.5, 16.0, -2.5,
                    -15.62))
            self.assertEqual(weighing.day, datetime.date.today())
            self.assertEqual(Box(box.id).theoretical, 13.5)
            self.assertEqual(Box(box.id).use_since_weighing, 0)
            self.assertEqual(Box(box.id).last_weighing, weighing)
            move = weighing.move
            self.assertEqual((move.quantity, move.to_location.type,
                    move.state), (2.5, 'lost_found', 'done'))
            # e = 2.5 / 16 = 15.6 % > 3 × 5 %: reliability below 30
            template = powder.template.__class__(powder.template.id)
            self.assertEqual(template.powder_reliability,
                weighing.reliability_after)
            self.assertLess(template.powder_reliability, 30)
            self.assertEqual(template.powder_weighing_count, 1)
            self.assertEqual(template.powder_last_gap, -2.5)
            self.assertEqual(template.powder_total_gap, -2.5)
            self.assertEqual(template.powder_weighings, (weighing,))
            audit, = Audit.search([('action', '=', 'powder_weighing')])
            self.assertEqual(audit.resource, weighing)
            self.assertIn('13.5', audit.description)
            correction, = Audit.search([
                    ('action', '=', 'powder_correction')])
            self.assertEqual(correction.resource, move)

            # weighed again, no gap: no correction, reliability up
            weighing2 = Weighing.record(Box(box.id), 14.3)
            self.assertEqual(weighing2.gap, 0)
            self.assertIsNone(weighing2.move)
            self.assertGreater(weighing2.reliability_after,
                weighing.reliability_after)
            self.assertEqual(len(Audit.search([
                            ('action', '=', 'powder_correction')])), 1)

            # a weighing is a fact: nobody writes or deletes it
            with Transaction().set_context(_check_access=True):
                with self.assertRaises(AccessError):
                    Weighing.write([weighing], {'gap': 0})
                with self.assertRaises(AccessError):
                    Weighing.delete([weighing])

    @with_transaction()
    def test_weighing_refused(self):
        """Negative, above the format, no weight, emptied box, other shop:
        refused with a message naming the box, nothing recorded"""
        pool = Pool()
        Box = pool.get('powder.box')
        Weighing = pool.get('powder.weighing')
        company, stages = self._shop()
        other, _ = self._shop("Autre atelier")
        with set_company(other):
            foreign_powder, = create_powders(other, [P7016])
            foreign, = Box.receive(other, foreign_powder, 1, capacity=20,
                tare=0.8)
        with set_company(company):
            powder, = create_powders(company, [P9010])
            box, = Box.receive(company, powder, 1,
                format_=powder.template.powder_formats[0])
            for gross, code, words in [
                    (0.5, 'negative', 'less than its tare of 1 kg'),
                    (26.2, 'above', 'more than its format holds (25 kg'),
                    (None, 'gross', 'not a weight'),
                    (-4, 'gross', 'not a weight'),
                    (0, 'gross', 'not a weight'),
                    ]:
                with self.subTest(gross=gross):
                    with self.assertRaises(WeighingError) as cm:
                        Weighing.record(box, gross)
                    self.assertIn(box.code, cm.exception.message)
                    self.assertIn(words, cm.exception.message)
            # within the tolerance: accepted
            self.assertEqual(Weighing.record(box, 26.04).net, 25.04)
            self.assertEqual(Weighing.record(box, 0.97).net, 0)
            with self.assertRaises(WeighingError) as cm:
                Weighing.record(foreign, 10)
            self.assertIn('another shop', cm.exception.message)
            Box.empty([box])
            with self.assertRaises(WeighingError) as cm:
                Weighing.record(Box(box.id), 10)
            self.assertIn('emptied', cm.exception.message)
            self.assertEqual(Weighing.search_count([
                        ('box', '=', foreign.id)]), 0)

    @with_transaction()
    def test_empty(self):
        "Emptying a box takes what the books still give it to lost and found"
        pool = Pool()
        Box = pool.get('powder.box')
        Weighing = pool.get('powder.weighing')
        company, stages = self._shop()
        with set_company(company):
            powder, = create_powders(company, [P7016])
            box, = Box.receive(company, powder, 1, capacity=5, tare=0.35)
            Box.open_([box])
            close_job(create_job(company, stages, powder, surface=16.0),
                stages)
            Box.empty([Box(box.id)])
            box = Box(box.id)
            self.assertEqual(box.state, 'emptied')
            self.assertEqual(box.theoretical, 0)
            weighing, = Weighing.search([('box', '=', box.id)])
            self.assertEqual((weighing.kind, weighing.net,
                    weighing.theoretical, weighing.gap), ('emptied', 0, 1, -1))
            self.assertIsNotNone(box.emptied_at)
            # an emptied box gives no more powder: the next box opens
            second, = Box.receive(company, powder, 1, capacity=5, tare=0.35)
            close_job(create_job(company, stages, powder), stages)
            self.assertEqual(Box(box.id).theoretical, 0)
            self.assertEqual(Box(second.id).state, 'opened')
            self.assertEqual(Box(second.id).theoretical, 4)

    @with_transaction()
    def test_daily_list(self):
        "The list of a day: the setting's size, reproducible, cron"
        pool = Pool()
        Box = pool.get('powder.box')
        WeighList = pool.get('powder.weigh_list')
        Company = pool.get('company.company')
        company, stages = self._shop()
        with set_company(company):
            powders = create_powders(company, [P7016, P9010])
            for powder in powders:
                Box.receive(company, powder, 3, capacity=20, tare=0.8)
            close_job(create_job(company, stages, powders[0], surface=20.0),
                stages)
            date = datetime.date(2025, 6, 2)
            list_ = WeighList.for_day(company, date)
            self.assertEqual(list_.size, 3)
            self.assertEqual(len(list_.lines), 3)
            chosen = [(l.box.id, l.reason) for l in list_.lines]
            # the opened box, 5 kg used, comes first
            opened, = Box.search([('state', '=', 'opened')])
            self.assertEqual(chosen[0], (opened.id, 'use'))
            self.assertEqual(WeighList.for_day(company, date), list_)
            # computed again from the same figures: the same boxes
            WeighList.delete([list_])
            again = WeighList.for_day(company, date)
            self.assertEqual([(l.box.id, l.reason) for l in again.lines],
                chosen)
            Company.write([company], {'powder_weigh_count': 5})
            self.assertEqual(len(WeighList.for_day(
                        company, date + datetime.timedelta(1)).lines), 5)
            self.assertFalse(any(l.weighed for l in again.lines))
        # the cron runs for each of its companies: a new shop is one of them
        Cron = pool.get('ir.cron')
        ModelData = pool.get('ir.model.data')
        cron = Cron(ModelData.get_id('powder_stock', 'cron_weigh_lists'))
        self.assertIn(company, cron.companies)
        other, _ = self._shop("Autre atelier")
        with set_company(other):
            powder, = create_powders(other, [P7016])
            Box.receive(other, powder, 1, capacity=20, tare=0.8)
        with Transaction().set_user(0), \
                Transaction().set_context(company=company.id):
            WeighList.generate_lists()
        lists = WeighList.search([('date', '=', datetime.date.today())])
        self.assertEqual([l.company for l in lists], [company])
        with Transaction().set_user(0):
            WeighList.generate_lists()
        self.assertEqual(WeighList.search_count([
                    ('date', '=', datetime.date.today())]), 2)

    @with_transaction()
    def test_count(self):
        "A counting session targets the most used, least reliable powders"
        pool = Pool()
        Box = pool.get('powder.box')
        Count = pool.get('powder.count')
        Weighing = pool.get('powder.weighing')
        Audit = pool.get('workshop.audit')
        company, stages = self._shop()
        with set_company(company):
            used, idle = create_powders(company, [P7016, P9010])
            used_boxes = Box.receive(company, used, 2, capacity=20, tare=0.8)
            Box.receive(company, idle, 3, capacity=25, tare=1)
            close_job(create_job(company, stages, used, surface=8.0),
                stages)
            count = Count(name="Septembre", size=2)
            count.save()
            with self.assertRaises(UserError):
                Count.start([count])
            Count.plan([count])
            count = Count(count.id)
            self.assertEqual(sorted(l.box.id for l in count.lines),
                sorted(b.id for b in used_boxes))
            self.assertEqual({l.reason for l in count.lines}, {'use'})
            Count.start([count])
            weighing = Weighing.record(Box(used_boxes[0].id), 18.3)
            count = Count(count.id)
            self.assertEqual(count.counted, 1)
            self.assertEqual(count.gap, weighing.gap)
            Count.done([count])
            audit, = Audit.search([('action', '=', 'powder_count')])
            self.assertIn(used_boxes[1].code, audit.description)

    @with_transaction()
    def test_reorder_for_safety_stock(self):
        """A suggestion triggered by the safety stock, long before running
        out, is to order now: its order date is today, not in months"""
        pool = Pool()
        Box = pool.get('powder.box')
        Reorder = pool.get('powder.reorder')
        Company = pool.get('company.company')
        company, stages = self._shop()
        with set_company(company):
            Company.write([company], {
                    'powder_reorder_window': 10, 'powder_lead_time': 10,
                    'powder_safety_days': 200, 'powder_cover_days': 30,
                    })
            used, = create_powders(company, [P7016])
            ten_days_ago = datetime.date.today() - datetime.timedelta(10)
            Box.receive(company, used, 1,
                format_=used.template.powder_formats[-1], date=ten_days_ago)
            # 1 kg used in 10 days: 0.1 kg/day, 19 kg left, safety 20 kg
            close_job(create_job(company, stages, used, surface=4.0),
                stages)
            suggestion, = Reorder.compute(company)
            self.assertEqual((suggestion.stock, suggestion.rate,
                    suggestion.safety), (19, 0.1, 20))
            self.assertEqual(suggestion.run_out_date,
                datetime.date.today() + datetime.timedelta(190))
            self.assertEqual(suggestion.order_date, datetime.date.today())

    @with_transaction()
    def test_reorder(self):
        """A suggestion when the projected stock runs out within the lead
        time, in whole boxes; none for an idle powder"""
        pool = Pool()
        Box = pool.get('powder.box')
        Reorder = pool.get('powder.reorder')
        Company = pool.get('company.company')
        company, stages = self._shop()
        with set_company(company):
            Company.write([company], {
                    'powder_reorder_window': 10, 'powder_lead_time': 10,
                    'powder_safety_days': 5, 'powder_cover_days': 30,
                    })
            used, idle = create_powders(company, [P7016, P9010])
            ten_days_ago = datetime.date.today() - datetime.timedelta(10)
            Box.receive(company, used, 1,
                format_=used.template.powder_formats[-1], date=ten_days_ago)
            Box.receive(company, idle, 1,
                format_=idle.template.powder_formats[0], date=ten_days_ago)
            # 10 kg used in 10 days: 1 kg/day, 10 kg left
            close_job(create_job(company, stages, used, surface=40.0),
                stages)
            suggestion, = Reorder.compute(company)
            self.assertEqual(suggestion.product, used)
            self.assertEqual((suggestion.stock, suggestion.rate,
                    suggestion.lead_time, suggestion.safety),
                (10, 1, 10, 5))
            self.assertEqual(suggestion.run_out_date,
                datetime.date.today() + datetime.timedelta(10))
            self.assertEqual(suggestion.order_date, datetime.date.today())
            # 1 × (10 + 30) + 5 − 10 = 35 kg: 2 boxes of 20 kg
            self.assertEqual((suggestion.quantity, suggestion.boxes),
                (40, 2))
            self.assertEqual(suggestion.format.weight, 20)
            # computed again: replaced, not added
            Reorder.compute(company)
            self.assertEqual(Reorder.search_count([]), 1)
            # the powder's own lead time: 2 days, no order yet
            template = used.template
            template.powder_lead_time = 2
            template.save()
            self.assertEqual(Reorder.compute(company), [])
        with Transaction().set_user(0):
            Reorder.compute_all()

    @with_transaction()
    def test_other_shop_invisible(self):
        "A user of one shop sees neither the boxes nor the lots of another"
        pool = Pool()
        Box = pool.get('powder.box')
        Lot = pool.get('stock.lot')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        company, _ = self._shop()
        other, _ = self._shop("Autre atelier")
        with set_company(other):
            foreign_powder, = create_powders(other, [P7016])
            foreign, = Box.receive(other, foreign_powder, 1, capacity=20,
                tare=0.8)
        with set_company(company):
            powder, = create_powders(company, [P9010])
            mine, = Box.receive(company, powder, 1, capacity=25, tare=1)
        user, = User.create([{
                    'name': "Opérateur", 'login': 'operateur',
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'groups': [('add', [ModelData.get_id(
                                    'workshop', 'group_technician')])],
                    }])
        with Transaction().set_user(user.id), \
                Transaction().set_context(_check_access=True,
                    company=company.id):
            self.assertEqual(Box.search([]), [mine])
            self.assertEqual(Lot.search([]), [mine.lot])
            # the technician reads the figures of the box and its moves
            box, = Box.read([mine.id], ['theoretical', 'use_since_weighing',
                    'reliability', 'moves', 'lot.rec_name'])
            self.assertEqual(box['theoretical'], 25)
            self.assertEqual(len(box['moves']), 1)
            template, = pool.get('product.template').read(
                [powder.template.id], ['powder_stock_kg', 'powder_box_count',
                    'powder_weighings', 'powder_mean_gap_pct'])
            self.assertEqual(template['powder_stock_kg'], 25)


class PowderStockExtrasTestCase(_Mixin, CompanyTestMixin, ModuleTestCase):
    "Test Powder Stock module with coating batches and purchase requests"
    module = 'powder_stock'
    extras = ['coating_batch', 'purchase_request']

    @with_transaction()
    def test_batch_close(self):
        """Closing a batch takes each job's share of the weighed powder out
        of stock; closing the jobs then moves nothing more"""
        pool = Pool()
        Box = pool.get('powder.box')
        Batch = pool.get('coating.batch')
        Order = pool.get('service.order')
        company, stages = self._shop()
        with set_company(company):
            powder, = create_powders(company, [P7016])
            box, = Box.receive(company, powder, 1, capacity=20, tare=0.8)
            jobs = [create_job(company, stages, powder, surface=s)
                for s in (3.0, 1.0)]
            batch = Batch.from_recommendation(company, [j.id for j in jobs])
            Batch.launch([batch])
            batch = Batch(batch.id)
            batch.powder_used = 2.0
            batch.save()
            Batch.close([batch])
            jobs = Order.browse(jobs)
            # split by surface: 1.5 and 0.5 kg
            self.assertEqual([j.powder_consumed for j in jobs], [1.5, 0.5])
            self.assertEqual(Box(box.id).theoretical, 18)
            for job in jobs:
                close_job(job, stages, ['qc', 'ready'])
            self.assertEqual(Box(box.id).theoretical, 18)

    @with_transaction()
    def test_purchase_requests(self):
        """Suggestions become draft purchase requests with the supplier's
        lead time; they count as on order"""
        pool = Pool()
        Box = pool.get('powder.box')
        Reorder = pool.get('powder.reorder')
        Party = pool.get('party.party')
        ProductSupplier = pool.get('purchase.product_supplier')
        Request = pool.get('purchase.request')
        company, stages = self._shop()
        with set_company(company):
            powder, = create_powders(company, [P7016])
            Box.receive(company, powder, 1, capacity=20, tare=0.8,
                date=datetime.date.today() - datetime.timedelta(9))
            close_job(create_job(company, stages, powder, surface=40.0),
                stages)
            suggestion, = Reorder.compute(company)
            with self.assertRaises(UserError) as cm:
                Reorder.create_purchase_requests([suggestion])
            self.assertIn('not purchasable', cm.exception.message)

            supplier = Party(name="Tiger Coatings France")
            supplier.save()
            template = powder.template
            template.purchasable = True
            template.purchase_uom = template.default_uom
            template.save()
            ProductSupplier(template=template, party=supplier,
                lead_time=datetime.timedelta(days=12)).save()
            suggestion, = Reorder.compute(company)
            self.assertEqual((suggestion.supplier, suggestion.lead_time),
                (supplier, 12))
            request, = Reorder.create_purchase_requests([suggestion])
            self.assertEqual((request.state, request.product,
                    request.quantity, request.party, request.origin),
                ('draft', powder, suggestion.quantity, supplier,
                    Reorder(suggestion.id)))
            self.assertEqual(Reorder(suggestion.id).state, 'requested')
            # the draft request is on order: nothing more to suggest
            self.assertEqual(Reorder.compute(company), [])
            self.assertEqual(Request.search_count([]), 1)
            self.assertEqual(Reorder.search_count([]), 1)


del ModuleTestCase
