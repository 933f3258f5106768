import datetime

from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.repair.device import normalize_imei
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction


class RepairTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Repair module"
    module = 'repair'

    def test_normalize_imei(self):
        "IMEIs are checked with their Luhn digit"
        self.assertEqual(normalize_imei('35-209900-176148-1'),
            '352099001761481')
        with self.assertRaises(ValueError):
            normalize_imei('352099001761482')
        with self.assertRaises(ValueError):
            normalize_imei('12345')

    @with_transaction()
    def test_default_stages_and_warranty(self):
        "Default repair stages; a warranty repair keeps the first warranty"
        pool = Pool()
        Stage = pool.get('service.order.stage')
        Order = pool.get('service.order')
        Party = pool.get('party.party')
        Device = pool.get('repair.device')
        company = create_company()
        with set_company(company):
            stages = {s.code: s for s in Stage.create_defaults(
                        company, 'repair')}
            self.assertEqual(
                {s.code for s in stages['received'].next_stages},
                {'diagnosed', 'cancelled'})
            party = Party(name="Dupont")
            party.save()
            device = Device(party=party, brand="Apple", model="iPhone 12",
                imei='352099001761481')
            device.save()
            with self.assertRaises(ValidationError):
                Device.create([{'party': party.id, 'imei': '352099001761482'}])
            first = Order(kind='repair', party=party, device=device,
                stage=stages['received'], fault="Écran cassé")
            first.save()
            for code in ['diagnosed', 'in_progress', 'done', 'ready',
                    'delivered']:
                first.set_stage(stages[code])
            today = datetime.date.today()
            self.assertEqual(first.delivered_at.date(), today)
            self.assertGreater(first.warranty_until, today)
            second = Order(kind='repair', party=party, device=device,
                stage=stages['received'], warranty_of=first,
                warranty_months=6)
            second.save()
            self.assertEqual(second.warranty_until, first.warranty_until)
            self.assertEqual(device.orders, (second, first))


del ModuleTestCase
