"""Online payments across providers and modules, on PostgreSQL:

- the same verified confirmation delivered 20 times at once posts one
  payment (row lock + state check in `settle`, Tryton's retries);
- the pay link is printed as a QR code on the French invoice PDF and shown
  on the cashier screen while something is due, and disappears once paid;
- the pay page: 404 for wrong tokens, "nothing to pay" once paid.

The provider is FedaPay against its local fake (tests/fakes/fedapay_fake.py).
"""
import io
import os
import sys
import threading
import unittest
from decimal import Decimal

from pdfminer.high_level import extract_text

from trytond.exceptions import UserError
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, activate_module
from trytond.transaction import Transaction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import payment_fixtures as fx  # noqa: E402
from fakes.fedapay_fake import FedaPayFake  # noqa: E402


class PaymentGatewayTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        activate_module(['payment_fedapay', 'invoice_fr', 'cashier'])
        cls.fake = FedaPayFake().start()

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def setUp(self):
        self.fake.reset()
        self.client = fx.client()

    def shop(self):
        return fx.create_payment_shop(DB_NAME, 'XOF', 'BJ', 'fedapay', {
                'fedapay_secret_key': self.fake.secret_key,
                'fedapay_webhook_secret': self.fake.webhook_secret,
                'fedapay_base_url': self.fake.url,
                }, customer_phone='+2290197808080')

    def start(self, shop):
        "Click Pay; return FedaPay's transaction id."
        response = self.client.post('/%s/pay/%s/%s' % (
                DB_NAME, shop['pay_token'], shop['gateway']))
        self.assertEqual(response.status_code, 303)
        transaction, = fx.transactions(shop['invoice'])
        return transaction['provider_reference']

    def test_twenty_concurrent_confirmations(self):
        "The same confirmation 20 times at once: one payment posted"
        shop = self.shop()
        fedapay_id = self.start(shop)
        self.fake.set_outcome(fedapay_id, 'approved')
        body = self.fake.event(fedapay_id)
        header = self.fake.sign(body)
        barrier = threading.Barrier(20)
        statuses = []

        def deliver():
            client = fx.client()
            barrier.wait()
            response = client.post(
                '/%s/payment/fedapay/%s' % (DB_NAME, shop['gateway']),
                data=body, headers={
                    'Content-Type': 'application/json',
                    'X-FEDAPAY-SIGNATURE': header})
            statuses.append(response.status_code)

        threads = [threading.Thread(target=deliver) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual(sorted(statuses), [200] * 20)
        state, due, lines, reconciled = fx.invoice_state(shop['invoice'])
        self.assertEqual((state, due, lines, reconciled),
            ('paid', Decimal(0), 1, True))
        transaction, = fx.transactions(shop['invoice'])
        self.assertEqual(transaction['state'], 'paid')
        webhooks = [m for m in fx.messages(shop['gateway'])
            if m[0] == 'webhook']
        self.assertEqual(len(webhooks), 20)
        self.assertTrue(all(v for _, v, _ in webhooks))
        with Transaction().start(DB_NAME, 0, readonly=True):
            Audit = Pool().get('workshop.audit')
            self.assertEqual(len(Audit.search([
                            ('action', '=', 'online_payment'),
                            ('company', '=', shop['company'])])), 1)
            Move = Pool().get('account.move')
            self.assertEqual(len(Move.search([
                            ('journal', '=', shop['journal'])])), 1)

    def _invoice_pdf_text(self, invoice_id):
        # Not read-only: the first print of a posted invoice is cached.
        with Transaction().start(DB_NAME, 0) as transaction:
            Report = Pool().get('account.invoice', type='report')
            ext, content, _, _ = Report.execute([invoice_id], {})
            transaction.commit()
        self.assertEqual(ext, 'pdf')
        return extract_text(io.BytesIO(content))

    def _cashier_defaults(self, invoice_id):
        with Transaction().start(DB_NAME, 0):
            Pay = Pool().get('cashier.pay', type='wizard')
            session_id, _, _ = Pay.create()
            with Transaction().set_context(active_model='account.invoice',
                    active_id=invoice_id, active_ids=[invoice_id]):
                return Pay(session_id).default_start(None)

    def test_pay_link_on_invoice_and_cashier(self):
        "QR pay link on the invoice PDF and the cashier while due"
        shop = self.shop()
        text = self._invoice_pdf_text(shop['invoice'])
        self.assertIn('Payez en ligne', text)
        self.assertIn(shop['pay_token'][:12], text.replace('\n', ''))
        defaults = self._cashier_defaults(shop['invoice'])
        self.assertIn(shop['pay_token'], defaults['pay_url'])
        self.assertTrue(defaults['pay_qr'].startswith(b'\x89PNG'))

        page = self.client.get('/%s/pay/%s' % (DB_NAME, shop['pay_token']))
        html = page.get_data(as_text=True)
        self.assertEqual(page.status_code, 200)
        self.assertIn('10\u202f000\xa0F\u202fCFA', html)
        self.assertIn('Payer', html)

        fedapay_id = self.start(shop)
        self.fake.set_outcome(fedapay_id, 'approved')
        fx.check_pending()
        self.assertEqual(fx.invoice_state(shop['invoice'])[0], 'paid')
        # The printed invoice is kept as first printed (Tryton caches the
        # PDF of a posted invoice); its QR code now leads to "nothing to
        # pay" below, and the cashier has nothing left to take.
        with self.assertRaisesRegex(UserError, 'no posted customer invoice'):
            self._cashier_defaults(shop['invoice'])
        page = self.client.get('/%s/pay/%s' % (DB_NAME, shop['pay_token']))
        self.assertIn('Rien à payer', page.get_data(as_text=True))
        # Clicking Pay on a paid invoice starts nothing.
        response = self.client.post('/%s/pay/%s/%s' % (
                DB_NAME, shop['pay_token'], shop['gateway']))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(fx.transactions(shop['invoice'])), 1)

    def test_wrong_links(self):
        "Wrong tokens, references and other shops' gateways answer 404"
        shop = self.shop()
        other = self.shop()
        for path in [
                '/%s/pay/%s' % (DB_NAME, 'x' * 32),
                '/%s/pay/short' % DB_NAME,
                '/%s/pay/return/AT%s' % (DB_NAME, '0' * 24),
                '/%s/pay/return/nonsense' % DB_NAME,
                '/no_such_database_x/pay/%s' % shop['pay_token'],
                ]:
            with self.subTest(path=path):
                self.assertEqual(self.client.get(path).status_code, 404)
        response = self.client.post('/%s/pay/%s/%s' % (
                DB_NAME, shop['pay_token'], other['gateway']))
        self.assertEqual(response.status_code, 404)
        self.assertEqual(fx.transactions(shop['invoice']), [])


if __name__ == '__main__':
    unittest.main()
