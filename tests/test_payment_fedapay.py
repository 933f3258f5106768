"""FedaPay end to end, through the WSGI app, against a local fake of
FedaPay's API (tests/fakes/fedapay_fake.py): an XOF shop in Benin.

A payment is booked only when FedaPay's answer to GET /v1/transactions/{id}
says approved with the invoice's amount and currency; webhooks (signed) and
the customer's return only trigger that re-check.

Runs on the database named by DB_NAME (PostgreSQL in scripts/test).
"""
import os
import sys
import time
import unittest
from decimal import Decimal
from unittest import mock

from trytond.tests.test_tryton import DB_NAME, activate_module
from trytond.transaction import Transaction, TransactionError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import payment_fixtures as fx  # noqa: E402
from fakes.fedapay_fake import FedaPayFake, sign  # noqa: E402

HEADER = 'X-FEDAPAY-SIGNATURE'
TIMEOUT = 'trytond.modules.payment_fedapay.client.TIMEOUT'


def retrying(func, *args, **kwargs):
    """Call `func` (which starts and commits its own transaction) again
    with the locks it asked for when it raises TransactionError, as
    trytond's dispatcher and cron do."""
    extras = {}
    start = Transaction.start

    def start_with_extras(self, *a, **kw):
        for key, value in extras.items():
            kw.setdefault(key, value)
        return start(self, *a, **kw)
    while True:
        with mock.patch.object(Transaction, 'start', start_with_extras):
            try:
                return func(*args, **kwargs)
            except TransactionError as exception:
                exception.fix(extras)


def check_pending():
    "Run the core's re-check cron once, committed."
    retrying(fx.check_pending, DB_NAME)


class FedaPayTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        activate_module(['payment_fedapay'])
        cls.fake = FedaPayFake().start()

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def setUp(self):
        self.fake.reset()
        self.client = fx.client()

    # Helpers -----------------------------------------------------------
    def shop(self, webhook_secret=None, secret_key=None, **kwargs):
        """Commit an XOF shop in Benin with a FedaPay gateway on the fake;
        return payment_fixtures' dict of ids."""
        values = {
            'fedapay_secret_key': secret_key or self.fake.secret_key,
            'fedapay_webhook_secret': (
                webhook_secret or self.fake.webhook_secret),
            'fedapay_base_url': self.fake.url,
            }
        return retrying(fx.create_payment_shop, DB_NAME, 'XOF', 'BJ',
            'fedapay', values, customer_phone='+2290197808080', **kwargs)

    def start(self, shop, expect=303):
        "Click Pay on the pay link; return the response."
        page = self.client.get('/%s/pay/%s' % (DB_NAME, shop['pay_token']))
        self.assertEqual(page.status_code, 200)
        response = self.client.post('/%s/pay/%s/%s' % (
                DB_NAME, shop['pay_token'], shop['gateway']))
        self.assertEqual(response.status_code, expect,
            msg=response.get_data(as_text=True)[:2000])
        return response

    def started(self, shop):
        """Start a payment; return our new transaction (dict) and FedaPay's
        id."""
        response = self.start(shop)
        self.assertTrue(response.headers['Location'].startswith(
                'https://sandbox-process.fedapay.com/'))
        transaction = self.latest(shop)
        self.assertEqual(transaction['state'], 'pending')
        self.assertTrue(transaction['provider_reference'])
        return transaction, transaction['provider_reference']

    def latest(self, shop):
        "The invoice's last payment attempt (dict)."
        return fx.transactions(shop['invoice'])[-1]

    def webhook(self, shop, body, header=None, gateway=None):
        headers = {'Content-Type': 'application/json'}
        if header is not None:
            headers[HEADER] = header
        return self.client.post('/%s/payment/fedapay/%s' % (
                DB_NAME, gateway or shop['gateway']),
            data=body, headers=headers)

    def notify(self, shop, fedapay_id):
        "FedaPay posts a genuine event about `fedapay_id`: 200 expected."
        body = self.fake.event(fedapay_id)
        response = self.webhook(shop, body, self.fake.sign(body))
        self.assertEqual(response.status_code, 200)
        return response

    def assert_paid(self, shop):
        state, due, lines, reconciled = fx.invoice_state(shop['invoice'])
        self.assertEqual((state, due, lines, reconciled),
            ('paid', Decimal(0), 1, True))

    def assert_not_paid(self, shop):
        state, due, lines, _ = fx.invoice_state(shop['invoice'])
        self.assertEqual((state, due, lines),
            ('posted', shop['amount'], 0))

    def outcomes(self, shop, kind='webhook', gateway=None):
        return [(verified, outcome) for k, verified, outcome
            in fx.messages(gateway or shop['gateway']) if k == kind]

    # Tests ---------------------------------------------------------------
    def test_happy_path_wrapped(self):
        "Pay link → FedaPay → signed webhook → re-check → invoice paid once"
        shop = self.shop()
        transaction, fedapay_id = self.started(shop)

        created, = self.fake.requests_to('POST', '/v1/transactions')
        self.assertEqual(created['amount'], 10000)
        self.assertIs(type(created['amount']), int)
        self.assertEqual(created['currency'], {'iso': 'XOF'})
        self.assertTrue(created['callback_url'].endswith(
                '/%s/pay/return/%s' % (DB_NAME, transaction['reference'])))
        self.assertEqual(created['customer']['phone_number'],
            {'number': '+2290197808080', 'country': 'bj'})
        self.assertEqual(created['customer']['email'], 'awa@example.com')
        self.assertEqual(created['custom_metadata'],
            {'reference': transaction['reference']})
        self.assertEqual(len(self.fake.requests_to('POST',
                    '/v1/transactions/%s/token' % fedapay_id)), 1)

        self.fake.set_outcome(fedapay_id, 'approved')
        self.notify(shop, fedapay_id)
        self.assert_paid(shop)
        self.assertEqual(self.latest(shop)['state'], 'paid')
        self.assertEqual(self.outcomes(shop), [(True, 'accepted')])
        self.assertIn((True, 'paid'), self.outcomes(shop, 'check'))
        self.assertTrue(self.fake.requests_to(
                'GET', '/v1/transactions/%s' % fedapay_id))

        # FedaPay retries: still one payment.
        for _ in range(2):
            self.notify(shop, fedapay_id)
        self.assert_paid(shop)

    def test_bare_answers_embedded_currency(self):
        "Answers not wrapped in 'v1/transaction', currency as {'iso'}"
        self.fake.wrap = False
        self.fake.embed_currency = True
        shop = self.shop()
        _, fedapay_id = self.started(shop)
        self.fake.set_outcome(fedapay_id, 'approved')
        self.notify(shop, fedapay_id)
        self.assert_paid(shop)

    def test_return_page(self):
        """The customer's return (?id=&status=) only triggers a re-check:
        status=approved while FedaPay says pending pays nothing"""
        shop = self.shop()
        transaction, fedapay_id = self.started(shop)
        url = '/%s/pay/return/%s?id=%s&status=approved' % (
            DB_NAME, transaction['reference'], fedapay_id)
        page = self.client.get(url)
        self.assertEqual(page.status_code, 200)
        self.assertIn("pas encore confirmé", page.get_data(as_text=True))
        self.assert_not_paid(shop)
        self.assertEqual(self.latest(shop)['state'], 'pending')

        self.fake.set_outcome(fedapay_id, 'approved')
        page = self.client.get(url)
        self.assertEqual(page.status_code, 200)
        self.assertIn('Paiement reçu', page.get_data(as_text=True))
        self.assert_paid(shop)

    def test_refused_webhooks(self):
        """Forged, foreign-body, missing, old or future signatures: 400,
        recorded, nothing checked nor paid; several s= with one valid is
        accepted"""
        shop = self.shop()
        _, fedapay_id = self.started(shop)
        self.fake.set_outcome(fedapay_id, 'approved')
        body = self.fake.event(fedapay_id)
        other = self.fake.event(fedapay_id, amount=1)
        for header in [
                self.fake.forge(body),
                self.fake.sign(other),  # genuine, but of another body
                None,
                self.fake.sign(body, timestamp=time.time() - 301),
                self.fake.sign(body, timestamp=time.time() + 600),
                ]:
            response = self.webhook(shop, body, header)
            self.assertEqual(response.status_code, 400)
        self.assertEqual(self.outcomes(shop), [
                (False, 'bad_signature'), (False, 'bad_signature'),
                (False, 'missing_signature'),
                (False, 'replayed'), (False, 'replayed')])
        self.assertFalse(self.fake.requests_to(
                'GET', '/v1/transactions/%s' % fedapay_id))
        self.assert_not_paid(shop)
        self.assertEqual(self.latest(shop)['state'], 'pending')

        header = self.fake.sign(body, extra=['0' * 64, 'f' * 64])
        self.assertEqual(header.count('s='), 3)
        self.assertEqual(self.webhook(shop, body, header).status_code, 200)
        self.assertEqual(self.outcomes(shop)[-1], (True, 'accepted'))
        self.assert_paid(shop)

    def test_mismatches(self):
        """FedaPay approved another amount or currency (by id or by iso):
        nothing paid, the attempt failed and is audited"""
        shop = self.shop()
        for embed, override, outcome in [
                (False, {'amount': 100}, 'amount_mismatch'),
                (False, {'currency_id': 2}, 'currency_mismatch'),
                (True, {'currency': {'id': 2, 'iso': 'GNF'}},
                    'currency_mismatch'),
                ]:
            with self.subTest(override=override):
                self.fake.embed_currency = embed
                _, fedapay_id = self.started(shop)
                self.fake.set_outcome(fedapay_id, 'approved')
                self.fake.override[int(fedapay_id)] = override
                self.notify(shop, fedapay_id)  # the event's values are right
                self.assert_not_paid(shop)
                self.assertEqual(self.outcomes(shop, 'check')[-1],
                    (True, outcome))
                self.assertEqual(self.latest(shop)['state'], 'failed')

    def test_declined_canceled_expired(self):
        "Declined, canceled or expired at FedaPay: the attempt fails"
        shop = self.shop()
        for outcome, state in [('declined', 'failed'),
                ('canceled', 'cancelled'), ('expired', 'failed')]:
            with self.subTest(outcome=outcome):
                _, fedapay_id = self.started(shop)
                self.fake.set_outcome(fedapay_id, outcome)
                self.notify(shop, fedapay_id)
                transaction = self.latest(shop)
                self.assertEqual(transaction['state'], state)
                self.assertTrue(transaction['failure_reason'])
                self.assert_not_paid(shop)
        self.assertIn('INSUFFICIENT_FUNDS',
            fx.transactions(shop['invoice'])[0]['failure_reason'])

    def test_other_shop_transaction(self):
        "A genuine message to shop B about shop A's payment: ignored"
        shop_a = self.shop()
        shop_b = self.shop(webhook_secret='wh_sandbox_shop_b_secret_0000')
        _, fedapay_id = self.started(shop_a)
        self.fake.set_outcome(fedapay_id, 'approved')
        body = self.fake.event(fedapay_id)
        response = self.webhook(shop_b, body,
            sign(body, 'wh_sandbox_shop_b_secret_0000'))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.outcomes(shop_b),
            [(True, 'unknown_transaction')])
        self.assertEqual(self.outcomes(shop_a), [])
        self.assert_not_paid(shop_a)
        self.assertEqual(self.latest(shop_a)['state'], 'pending')

        # Shop A's secret on shop B's URL does not verify either.
        response = self.webhook(shop_b, body, self.fake.sign(body))
        self.assertEqual(response.status_code, 400)
        self.assert_not_paid(shop_a)

    def test_unknown_gateway(self):
        "No such FedaPay gateway: 404"
        body = self.fake.event(1)
        response = self.webhook(None, body, self.fake.sign(body),
            gateway=987654321)
        self.assertEqual(response.status_code, 404)

    def test_provider_down_at_start(self):
        """FedaPay down, slow or garbled when the customer clicks Pay: a
        "try again" page, the attempt pending; the cron closes an attempt
        FedaPay never created; one created without a payment link stays
        pending for the cron"""
        shop = self.shop()
        self.fake.slow_seconds = 2
        with mock.patch(TIMEOUT, 1):
            for mode in ['down', 'slow', 'garbage']:
                with self.subTest(mode=mode):
                    self.fake.create_mode = mode
                    response = self.start(shop, expect=503)
                    text = response.get_data(as_text=True)
                    self.assertIn("Réessayez", text)
                    self.assertIn("Rien n'a été débité", text)
                    transaction = self.latest(shop)
                    self.assertEqual(transaction['state'], 'pending')
                    self.assertFalse(transaction['provider_reference'])
                    self.assert_not_paid(shop)
                    check_pending()
                    transaction = self.latest(shop)
                    self.assertEqual(transaction['state'], 'failed')
                    self.assertTrue(transaction['failure_reason'])
            self.fake.create_mode = 'ok'
            self.fake.token_mode = 'down'
            self.start(shop, expect=503)
            transaction = self.latest(shop)
            self.assertEqual(transaction['state'], 'pending')
            self.assertTrue(transaction['provider_reference'])
        self.fake.token_mode = 'ok'
        _, fedapay_id = self.started(shop)  # trying again works
        self.fake.set_outcome(fedapay_id, 'approved')
        self.notify(shop, fedapay_id)
        self.assert_paid(shop)

    def test_slow_recheck_then_cron(self):
        "FedaPay slow at the re-check: pending; the cron settles it later"
        shop = self.shop()
        _, fedapay_id = self.started(shop)
        self.fake.set_outcome(fedapay_id, 'approved')
        self.fake.set_outcome(fedapay_id, 'slow')
        self.fake.slow_seconds = 2
        with mock.patch(TIMEOUT, 1):
            self.notify(shop, fedapay_id)
            self.assert_not_paid(shop)
            self.assertEqual(self.latest(shop)['state'], 'pending')
            self.assertIn((False, 'unavailable'),
                self.outcomes(shop, 'check'))
            for fault in ['down', 'garbage']:
                self.fake.set_outcome(fedapay_id, fault)
                check_pending()
                self.assert_not_paid(shop)
                self.assertEqual(self.latest(shop)['state'], 'pending')

        self.fake.set_outcome(fedapay_id, 'approved')  # answers again
        check_pending()
        self.assert_paid(shop)
        check_pending()
        self.assert_paid(shop)

    def test_bad_api_key(self):
        "FedaPay refuses the key (401): a clear page, the attempt failed"
        shop = self.shop(secret_key='sk_sandbox_wrong_key_000000')
        response = self.start(shop, expect=502)
        text = response.get_data(as_text=True)
        self.assertIn("FedaPay", text)
        self.assertNotIn('sk_sandbox_wrong_key_000000', text)
        transaction = self.latest(shop)
        self.assertEqual(transaction['state'], 'failed')
        self.assertIn('secret API key', transaction['failure_reason'])


if __name__ == '__main__':
    unittest.main()
