"Unit tests of the invoice_fr module (server side)."
from decimal import Decimal
from types import SimpleNamespace

from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.invoice_fr.document import (
    RECOVERY_INDEMNITY, is_business)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction


class InvoiceFrTestCase(CompanyTestMixin, ModuleTestCase):
    "Test invoice_fr module"
    module = 'invoice_fr'

    @with_transaction()
    def test_reports_replaced(self):
        "The invoice and sale reports are the French HTML → PDF ones"
        ActionReport = Pool().get('ir.action.report')
        for name, template in [
                ('account.invoice', 'invoice_fr/invoice.html'),
                ('sale.sale', 'invoice_fr/quote.html')]:
            report, = ActionReport.search([('report_name', '=', name)])
            self.assertEqual(report.report, template)
            self.assertEqual(report.template_extension, 'html')
            self.assertEqual(report.extension, 'pdf')
            self.assertTrue(report.report_content)

    def test_is_business(self):
        "Customers with a SIREN, SIRET or VAT number are businesses"
        def party(*types):
            return SimpleNamespace(identifiers=[
                    SimpleNamespace(type=t, code='x') for t in types])
        self.assertFalse(is_business(None))
        self.assertFalse(is_business(party()))
        self.assertFalse(is_business(party('ch_vat')))
        for type_ in ['fr_siren', 'fr_siret', 'eu_vat']:
            self.assertTrue(is_business(party(type_)))
        self.assertEqual(RECOVERY_INDEMNITY, Decimal(40))


del ModuleTestCase
