import unittest
from decimal import Decimal

from trytond.model.exceptions import ValidationError
from trytond.modules.coating import calculation
from trytond.modules.coating.exceptions import (
    CoatingQuoteError, QualityControlError)
from trytond.modules.company.model import CompanyMultiValueMixin
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.pool import Pool, isregisteredby
from trytond.tests.test_tryton import ModuleTestCase, with_transaction


class CalculationTestCase(unittest.TestCase):
    "Formulas of calculation.py, checked against hand calculations"

    def test_part_surface(self):
        "Bounding box surface: both faces of a sheet, six faces of a box"
        # 1000 × 500 mm sheet: 2 × 0.5 m² = 1 m²
        self.assertAlmostEqual(calculation.part_surface(1000, 500), 1.0)
        # 100 × 200 × 300 mm box: 2 × (0.02 + 0.03 + 0.06) = 0.22 m²
        self.assertAlmostEqual(
            calculation.part_surface(100, 200, 300), 0.22)
        with self.assertRaises(calculation.CalculationError) as cm:
            calculation.part_surface(-1, 100)
        self.assertEqual(cm.exception.code, 'dimension')

    def test_consumption(self):
        "Consumption: entered, else 1/coverage, else thickness × density"
        self.assertEqual(calculation.consumption(0.12, 8), 0.12)
        self.assertAlmostEqual(calculation.consumption(None, 8), 0.125)
        # 60 µm at 1.5 g/cm³: 60 × 1.5 / 1000 = 0.09 kg/m²
        self.assertAlmostEqual(
            calculation.consumption(None, None, 60, 1.5), 0.09)
        self.assertIsNone(calculation.consumption())
        with self.assertRaises(calculation.CalculationError):
            calculation.consumption(None, 0)

    def test_powder_kg(self):
        "kg = m² × coats × kg/m² ÷ (TE ÷ 100)"
        # 3 m² × 2 coats × 0.1 kg/m² ÷ 0.6 = 1 kg
        self.assertAlmostEqual(calculation.powder_kg(3, 2, 0.1, 60), 1.0)
        for coats in (0, 4, 1.5, None):
            with self.assertRaises(calculation.CalculationError) as cm:
                calculation.powder_kg(3, coats, 0.1, 60)
            self.assertEqual(cm.exception.code, 'coats')
        with self.assertRaises(calculation.CalculationError) as cm:
            calculation.powder_kg(-1, 1, 0.1, 60)
        self.assertEqual(cm.exception.code, 'surface')
        for efficiency in (0, 101, None):
            with self.assertRaises(calculation.CalculationError) as cm:
                calculation.powder_kg(1, 1, 0.1, efficiency)
            self.assertEqual(cm.exception.code, 'efficiency')

    def test_labour_minutes(self):
        "Minutes × sandblasting and masking multipliers"
        # 2 m² × 10 min/m² × 2 layers = 40 min; × 1.5 × 1.2 = 72 min
        self.assertAlmostEqual(calculation.labour_minutes(
                2, 2, 10, True, 1.5, True, 1.2), 72)
        self.assertAlmostEqual(calculation.labour_minutes(
                2, 2, 10, False, 1.5, True, 1.2, base_minutes=50), 60)
        with self.assertRaises(calculation.CalculationError) as cm:
            calculation.labour_minutes(2, 1, 10, True, 0.5)
        self.assertEqual(cm.exception.code, 'factor')

    def test_quote_hand_calculation(self):
        "A full quote, line by line, against a hand calculation"
        lines = calculation.quote(calculation.QuoteInput(
                surface=2.4, coats=2, consumption=0.125, efficiency=60,
                price_per_kg=Decimal('18.50'), hourly_rate=Decimal('42'),
                minutes_per_m2=10, primer=True,
                primer_price_per_kg=Decimal('12'),
                sandblasting=True, sandblasting_factor=1.5,
                masking=True, masking_factor=1.2,
                energy=True, energy_rate=Decimal('0.60'),
                consumables=True, consumables_rate=Decimal('1.10'),
                powder_margin=20, labour_margin=10,
                fixed_fee=Decimal('15')))
        by_kind = {l.kind: l for l in lines if l.kind != 'info'}
        # powder: 2.4 × 2 × 0.125 ÷ 0.6 = 1.000 kg at 18.50 × 1.2 = 22.20
        self.assertEqual(by_kind['powder'].quantity, Decimal('1.000'))
        self.assertEqual(by_kind['powder'].unit_price, Decimal('22.2000'))
        self.assertEqual(by_kind['powder'].amount, Decimal('22.20'))
        # primer: 2.4 × 1 × 0.125 ÷ 0.6 = 0.500 kg at 12 × 1.2 = 14.40
        self.assertEqual(by_kind['primer'].quantity, Decimal('0.500'))
        self.assertEqual(by_kind['primer'].amount, Decimal('7.20'))
        # labour: 2.4 m² × 10 min × 3 layers = 72 min × 1.5 × 1.2
        # = 129.6 min = 2.16 h at 42 × 1.1 = 46.20 → 99.79 (99.792)
        self.assertEqual(by_kind['labour'].quantity, Decimal('2.16'))
        self.assertEqual(by_kind['labour'].unit_price, Decimal('46.2000'))
        self.assertEqual(by_kind['labour'].amount, Decimal('99.79'))
        # energy: 2.4 × 3 layers = 7.2 m² × 0.60 = 4.32
        self.assertEqual(by_kind['energy'].amount, Decimal('4.32'))
        # consumables: 2.4 × 1.10 = 2.64; fee 15
        self.assertEqual(by_kind['consumables'].amount, Decimal('2.64'))
        self.assertEqual(by_kind['fee'].amount, Decimal('15.00'))
        total = lines[-1]
        self.assertEqual(total.amount, Decimal('151.15'))
        self.assertEqual(calculation.total(lines), Decimal('151.15'))
        self.assertIn('× 1.5 (sandblasting)', by_kind['labour'].formula)

    def test_quote_xof(self):
        "Amounts are rounded to the currency digits (XOF: none)"
        lines = calculation.quote(calculation.QuoteInput(
                surface=1, coats=1, consumption=0.1, efficiency=50,
                price_per_kg=Decimal('6555'), digits=0))
        self.assertEqual(lines[2].amount, Decimal('1311'))
        self.assertEqual(lines[2].amount.as_tuple().exponent, 0)

    def test_cost_and_net_powder(self):
        "Cost at cost price; net powder of a weighed box"
        # 1.5 kg × 18 + 90 min ÷ 60 × 40 = 27 + 60 = 87
        self.assertEqual(calculation.cost(1.5, Decimal(18), 90, Decimal(40)),
            Decimal('87.00'))
        self.assertEqual(calculation.net_powder(12.5, 0.5), 12.0)
        self.assertEqual(calculation.net_powder(0.3, 0.5), 0)


class CoatingTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Coating module"
    module = 'coating'

    @property
    def _skip_company_rule(self):
        # A powder's shop is `powder_company`; its rule also lets everyone
        # see products of no shop (not powders): see catalogue.xml.
        return super()._skip_company_rule | {
            ('product.template', 'powder_company')}

    @with_transaction()
    def test_company_multivalue_context(self):
        "Test context of company multivalue target of the coating models"
        # product.template gains `powder_company` (the shop of a powder):
        # the mixin would then require a company context on upstream
        # multivalue fields of product.template/product and of
        # quality.control (accounts, prices, categories), which this module
        # must not change. Same check as CompanyTestMixin on our models.
        pool = Pool()
        Company = pool.get('company.company')
        for mname, model in pool.iterobject():
            if (not isregisteredby(model, self.module)
                    or not mname.startswith('coating.')):
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

    def _shop(self, name="Thermolaquage Diop"):
        pool = Pool()
        Party = pool.get('party.party')
        Company = pool.get('company.company')
        Currency = pool.get('currency.currency')
        currencies = Currency.search([('code', '=', 'EUR')])
        if currencies:
            currency, = currencies
        else:
            currency = Currency(name='Euro', code='EUR', symbol='€',
                rounding=Decimal('0.01'), digits=2)
            currency.save()
        party = Party(name=name)
        party.save()
        company = Company(party=party, currency=currency,
            business_type='coating', coating_hourly_rate=Decimal(40),
            coating_minutes_per_m2=10)
        company.save()
        return company

    def _powder(self, company, reference='P7016', **values):
        pool = Pool()
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        RAL = pool.get('coating.ral')
        kg, = Uom.search([('symbol', '=', 'kg')])
        ral, = RAL.search([('code', '=', '7016')])
        template = Template(name="Polyester %s" % reference,
            type='goods', default_uom=kg, list_price=Decimal('18'),
            powder=True, powder_company=company, powder_brand="Tiger",
            powder_reference=reference, ral=ral, powder_finish='matt',
            powder_type='polyester', powder_coverage=8,
            powder_transfer_efficiency=50, cure_temperature=180,
            cure_minutes=10, **values)
        template.save()
        product = pool.get('product.product')(template=template)
        product.save()
        return product

    def _job(self, company, powder=None):
        pool = Pool()
        Order = pool.get('service.order')
        Party = pool.get('party.party')
        Stage = pool.get('service.order.stage')
        party = Party(name="Atelier Métal", company=company)
        party.save()
        received, = Stage.search([
                ('company', '=', company.id), ('kind', '=', 'coating'),
                ('code', '=', 'received')])
        order = Order(kind='coating', party=party, stage=received,
            powder=powder, coats=2)
        if powder:
            order.on_change_powder()
        order.save()
        return order

    @with_transaction()
    def test_stages_catalogue_job_quote(self):
        "Coating shop stages, a powder, a job with parts and its quote lines"
        pool = Pool()
        Stage = pool.get('service.order.stage')
        Part = pool.get('coating.part')
        company = self._shop()
        with set_company(company):
            stages = {s.code: s for s in Stage.search([
                        ('company', '=', company.id),
                        ('kind', '=', 'coating')])}
            self.assertEqual(set(stages), {'received', 'sandblasting',
                    'masking', 'primer', 'coating', 'curing', 'qc', 'rework',
                    'ready', 'delivered', 'cancelled'})
            self.assertIn(stages['rework'], stages['qc'].next_stages)
            self.assertEqual({s.code for s in stages['rework'].next_stages},
                {'sandblasting', 'masking', 'coating'})
            powder = self._powder(company)
            # Only the coverage is given: consumption = 1 / 8
            self.assertEqual(powder.template.powder_consumption, 0.125)
            order = self._job(company, powder)
            self.assertEqual(order.cure_temperature, 180)
            self.assertEqual(order.cure_minutes, 10)
            parts = Part.create([{
                        'order': order.id, 'description': "Portail",
                        'length': 2000, 'width': 1000, 'quantity': 1,
                        'substrate': 'galvanised',
                        }, {
                        'order': order.id, 'description': "Plaque",
                        'surface': 0.5, 'quantity': 2,
                        'substrate': 'steel',
                        }])
            self.assertEqual([p.number for p in parts],
                ['%s-01' % order.number, '%s-02' % order.number])
            self.assertEqual(parts[0].surface, 4.0)
            self.assertEqual(parts[0].pretreatment_group, 'zinc')
            self.assertEqual(parts[1].pretreatment_group, 'ferrous')
            order = order.__class__(order.id)
            self.assertEqual(order.coating_surface, 5.0)
            # 5 m² × 2 coats × 0.125 ÷ 0.5 = 2.5 kg
            self.assertEqual(order.powder_estimate, 2.5)
            lines = order.create_coating_quote_lines()
            self.assertEqual([l.coating_kind for l in lines],
                ['powder', 'labour'])
            # 2.5 kg × 18 = 45; 5 × 10 × 2 = 100 min = 1.67 h × 40 = 66.80
            self.assertEqual([l.amount for l in lines],
                [Decimal('45.00'), Decimal('66.80')])
            # Computed again: replaced, not added
            order.create_coating_quote_lines()
            order = order.__class__(order.id)
            self.assertEqual(len(order.lines), 2)
            self.assertEqual(order.total_amount, Decimal('111.80'))

    @with_transaction()
    def test_unhappy_paths(self):
        "Coats out of 1..3, negative surface, another shop's powder/defect"
        pool = Pool()
        Part = pool.get('coating.part')
        Order = pool.get('service.order')
        DefectType = pool.get('coating.defect.type')
        NC = pool.get('coating.nonconformity')
        company = self._shop()
        other = self._shop("Autre atelier")
        with set_company(other):
            other_powder = self._powder(other, 'OTHER')
            other_defect = DefectType(name="Coulure", company=other)
            other_defect.save()
        with set_company(company):
            order = self._job(company)
            with self.assertRaises(CoatingQuoteError):
                order.compute_coating_quote()
            for coats in (0, 4):
                with self.assertRaises(ValidationError):
                    Order.write([order], {'coats': coats})
            with self.assertRaises(ValidationError):
                Part.create([{'order': order.id, 'description': "X",
                            'surface': -1, 'quantity': 1,
                            'substrate': 'steel'}])
            with self.assertRaises(ValidationError):
                Part.create([{'order': order.id, 'description': "X",
                            'surface': 1, 'quantity': 0,
                            'substrate': 'steel'}])
            with self.assertRaises(ValidationError):
                Order.write([order], {'powder': other_powder.id})
            with self.assertRaises(ValidationError):
                NC.create([{'order': order.id,
                            'defect_type': other_defect.id}])

    @with_transaction()
    def test_qc_blocks_ready(self):
        "A failed QC refuses the move to ready; an NC sends the job back"
        pool = Pool()
        Stage = pool.get('service.order.stage')
        Control = pool.get('quality.control')
        Inspection = pool.get('quality.inspection')
        DefectType = pool.get('coating.defect.type')
        NC = pool.get('coating.nonconformity')
        Audit = pool.get('workshop.audit')
        company = self._shop()
        with set_company(company):
            stages = {s.code: s for s in Stage.search([
                        ('company', '=', company.id),
                        ('kind', '=', 'coating')])}
            control = Control(name="Contrôle final", company=company,
                operations=['service.order:coating_ready'],
                points=[{'name': 'thickness', 'string': "Épaisseur (µm)",
                        'type_': 'float', 'tolerance_lower': 60,
                        'tolerance_upper': 120}])
            control.save()
            order = self._job(company, self._powder(company))
            for code in ['coating', 'curing', 'qc']:
                order.set_stage(stages[code])
            with self.assertRaises(QualityControlError):
                order.set_stage(stages['ready'])
            inspection = Inspection(control=control, origin=order,
                points={'thickness': 45.})
            inspection.save()
            Inspection.process([inspection])
            self.assertEqual(inspection.state, 'failed')
            with self.assertRaises(QualityControlError):
                order.set_stage(stages['ready'])
            defect = DefectType(name="Épaisseur insuffisante")
            defect.save()
            cost_before = order.__class__(order.id).coating_cost
            nc, = NC.create([{'order': order.id, 'defect_type': defect.id,
                        'return_stage': stages['rework'].id,
                        'rework_minutes': 30, 'rework_powder': 0.4}])
            self.assertTrue(Audit.search(
                    [('action', '=', 'nonconformity')]))
            NC.send_back([nc])
            self.assertEqual(order.stage, stages['rework'])
            # Rework → coating via NC "send back" to an earlier step too
            order.set_stage(stages['coating'])
            order.set_stage(stages['curing'])
            order.set_stage(stages['qc'])
            inspection = Inspection(control=control, origin=order,
                points={'thickness': 80.})
            inspection.save()
            Inspection.process([inspection])
            order.set_stage(stages['ready'])
            order = order.__class__(order.id)
            self.assertEqual(order.rework_minutes, 30)
            # 0.4 kg × 18 + 30 min × 40 / 60 = 7.20 + 20 = 27.20 more
            self.assertEqual(order.coating_cost - cost_before,
                Decimal('27.20'))

    @with_transaction()
    def test_import_bad_rows(self):
        "Bad CSV rows are refused with their line and reason"
        from trytond.modules.coating import powder_import
        for data, kind in [(b'', 'empty'), (b'\x00\x01', 'binary'),
                (b'nom;prix\nX;1\n', 'no_reference_column')]:
            with self.assertRaises(powder_import.ImportFileError) as cm:
                powder_import.read_rows(data)
            self.assertEqual(cm.exception.kind, kind)
        company = self._shop()
        with set_company(company):
            data = ("brand,reference,finish,transfer efficiency,price,"
                "thickness,formats\n"
                "Tiger,A1,matt,65,12.5,60,20:0.8\n"
                "Tiger,A2,shiny,65,12,60,\n"
                "Tiger,A3,matt,150,12,60,\n"
                ",A4,matt,65,12,60,\n"
                "Tiger,A5,matt,65,abc,60.5,\n"
                "Tiger,A6,matt,65,12,60,20:-1\n"
                "tiger,a1,matt,65,12,60,\n").encode('utf-8')
            parsed, result = powder_import.import_file(company, data)
            self.assertEqual(result.imported, 1)
            self.assertEqual([r[0] for r in result.rejects],
                [3, 4, 5, 6, 7, 8])
            reasons = [r[1] for r in result.rejects]
            self.assertIn('shiny', reasons[0])
            self.assertIn('150', reasons[1])
            self.assertIn('brand', reasons[2])
            self.assertIn('abc', reasons[3])
            self.assertIn('60.5', reasons[3])
            self.assertIn('20:-1', reasons[4])
            self.assertIn('already', reasons[5])
            rejects = powder_import.rejects_csv(parsed, result.rejects)
            self.assertTrue(rejects.startswith(b'\xef\xbb\xbf'))


del ModuleTestCase
