"The repair intake receipt PDF and the device on the tracking page."
import io
import unittest

from pdfminer.high_level import extract_text

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.repair.intake_receipt import qr_svg
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction


class IntakeReceiptTestCase(unittest.TestCase):
    "Test the intake receipt"

    @classmethod
    def setUpClass(cls):
        activate_module('repair')

    def _order(self, company):
        pool = Pool()
        Stage = pool.get('service.order.stage')
        Order = pool.get('service.order')
        Party = pool.get('party.party')
        Device = pool.get('repair.device')
        stages = {s.code: s for s in Stage.create_defaults(company, 'repair')}
        party = Party(name="Awa Diop")
        party.save()
        device = Device(party=party, brand="Apple", model="iPhone 12",
            imei='352099001761481')
        device.save()
        order = Order(kind='repair', party=party, device=device,
            stage=stages['received'], fault="Écran cassé, tactile HS",
            accessories="Chargeur", device_condition="Rayure au dos")
        order.save()
        return order

    def test_qr_svg(self):
        "The QR code is an inline SVG element"
        svg = str(qr_svg('https://example.com/db/t/abc'))
        self.assertTrue(svg.startswith('<svg'), svg[:40])

    @with_transaction()
    def test_receipt_pdf(self):
        "The receipt is a PDF with the number, IMEI, fault and terms"
        Receipt = Pool().get('repair.intake_receipt', type='report')
        company = create_company()
        company.terms = "Appareil non réclamé sous 90 jours : abandonné."
        company.save()
        Identifier = Pool().get('party.identifier')
        Identifier.create([{
                    'party': company.party.id, 'type': 'fr_siret',
                    'code': '73282932000074',
                    'address': company.party.addresses[0].id}])
        with set_company(company):
            order = self._order(company)
            ext, content, _, name = Receipt.execute([order.id], {})
        self.assertEqual(ext, 'pdf')
        self.assertTrue(bytes(content).startswith(b'%PDF'))
        text = extract_text(io.BytesIO(bytes(content)))
        self.assertIn(order.number, text)
        self.assertIn('352099001761481', text)
        self.assertIn('Écran cassé', text)
        self.assertIn('Chargeur', text)
        self.assertIn('90 jours', text)
        self.assertIn('Signature du client', text)
        self.assertIn('SIRET : 732 829 320 00074', text)
        # The QR code is drawn, not printed as escaped SVG source
        self.assertNotIn('<svg', text)
        self.assertNotIn('viewBox', text)

    @with_transaction()
    def test_tracking_details(self):
        "The tracking page shows the device's brand and model, not its IMEI"
        company = create_company()
        with set_company(company):
            order = self._order(company)
            details = order.get_tracking_details()
        self.assertIn(("Appareil", "Apple iPhone 12"), details)
        self.assertNotIn('352099001761481', repr(details))
