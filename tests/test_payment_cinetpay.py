"""CinetPay pay links end to end, against a local fake of CinetPay's API
(tests/fakes/cinetpay_fake.py) that follows its documentation.

A shop in Côte d'Ivoire (XOF, no cents) sends a pay link; the customer is
sent to CinetPay's payment page; CinetPay's notification (x-token HMAC)
only triggers a server-to-server check, and only an ACCEPTED check of the
right amount and currency pays the invoice, once. Forged, missing,
replayed, mismatched and other-shop notifications pay nothing and are
recorded; a provider that is down or slow leaves the attempt pending and
the re-check cron settles it.

Runs on the database named by the environment (PostgreSQL in scripts/test).
"""
import datetime
import os
import re
import sys
import threading
import unittest
from decimal import Decimal
from unittest import mock

import requests

from trytond.modules.payment_cinetpay import cinetpay
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, activate_module
from trytond.transaction import Transaction, TransactionError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import payment_fixtures as fixtures  # noqa: E402
from fakes.cinetpay_fake import CinetPayFake  # noqa: E402
from payment_fixtures import (  # noqa: E402
    check_pending as _check_pending, client, invoice_state, messages,
    transactions)


def retrying(func, *args, **kwargs):
    """Call `func`, which starts its own transaction, again with the
    table or record locks it asked for, as trytond's dispatcher, cron and
    test decorator do on TransactionError (payment_fixtures does not)."""
    extras = {}
    start = Transaction.start
    while True:
        def start_with_locks(self, *a, **kw):
            for key, value in extras.items():
                kw.setdefault(key, value)
            return start(self, *a, **kw)
        with mock.patch.object(Transaction, 'start', start_with_locks):
            try:
                return func(*args, **kwargs)
            except TransactionError as exception:
                exception.fix(extras)


def write_gateway(gateway_id, values):
    "Write `values` on the gateway, committed."
    with Transaction().start(DB_NAME, 0) as transaction:
        Gateway = Pool().get('payment.gateway')
        Gateway.write([Gateway(gateway_id)], values)
        transaction.commit()


def check_pending():
    "Run the re-check cron once (committed)."
    return retrying(_check_pending, DB_NAME)


class CinetPayTestCase(unittest.TestCase):
    "CinetPay: pay link, notification, check, cron"

    @classmethod
    def setUpClass(cls):
        activate_module(['payment_cinetpay'])
        cls.fake = CinetPayFake().start()
        cls.addClassCleanup(cls.fake.stop)

    def setUp(self):
        self.fake.default_mode = 'approve'
        self.fake.init_mode = 'ok'
        self.fake.override.clear()
        # The client gives up after 1 s in these tests; 'slow' sleeps 2 s.
        patcher = mock.patch.object(cinetpay, 'TIMEOUT', 1)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.fake.slow_seconds = 2.0
        self.client = client()

    def gateway_values(self, **values):
        result = {
            'name': "CinetPay",
            'cinetpay_site_id': self.fake.site_id,
            'cinetpay_apikey': self.fake.apikey,
            'cinetpay_secret_key': self.fake.secret_key,
            'cinetpay_channels': 'ALL',
            'cinetpay_base_url': self.fake.url,
            }
        result.update(values)
        return result

    def shop(self, amount=None, **values):
        return fixtures.create_payment_shop(currency_code='XOF',
            country_code='CI', provider='cinetpay',
            gateway_values=self.gateway_values(**values), amount=amount,
            name="Atelier Abidjan %s" % datetime.datetime.now().strftime(
                '%H%M%S%f'))

    _unpaid = None

    def unpaid_shop(self):
        """The shop whose invoice no test pays: the tests where nothing is
        paid make their attempts on it (a shop's chart takes long to
        create). Its attempts are left 'pending' at CinetPay after each
        test so that no later cron run pays them."""
        cls = type(self)
        if cls._unpaid is None:
            cls._unpaid = self.shop()
        self.addCleanup(self._keep_unpaid, cls._unpaid)
        return cls._unpaid

    def _keep_unpaid(self, shop):
        for tx in transactions(shop['invoice']):
            self.fake.set_mode(tx['reference'], 'pending')
        self.assertNotPaid(shop)

    def pay(self, shop):
        "POST the pay button; return (response, last transaction dict)."
        response = self.client.post('/%s/pay/%s/%s' % (
                DB_NAME, shop['pay_token'], shop['gateway']))
        return response, transactions(shop['invoice'])[-1]

    def notify(self, gateway_id, form, headers):
        return self.client.post(
            '/%s/payment/cinetpay/%s' % (DB_NAME, gateway_id),
            data=form, headers=headers)

    def mark(self, shop):
        "Return the number of messages of the shop's gateway so far."
        return len(messages(shop['gateway']))

    def outcomes(self, shop, kind='webhook', since=0):
        "Return the outcomes of the gateway's `kind` messages from `since`."
        return [o for k, v, o in messages(shop['gateway'])[since:]
            if k == kind]

    def assertNotPaid(self, shop):
        state, to_pay, lines, _ = invoice_state(shop['invoice'])
        self.assertEqual(state, 'posted')
        self.assertEqual(to_pay, shop['amount'])
        self.assertEqual(lines, 0)

    # Happy path ------------------------------------------------------
    def test_happy_path(self):
        "Pay link → CinetPay page → notification → check → paid, reconciled"
        shop = self.shop()
        page = self.client.get('/%s/pay/%s' % (DB_NAME, shop['pay_token']))
        self.assertEqual(page.status_code, 200)
        self.assertIn('CinetPay', page.get_data(as_text=True))

        response, tx = self.pay(shop)
        self.assertEqual(response.status_code, 303)
        location = response.headers['Location']
        self.assertTrue(location.startswith(self.fake.url + '/payment/'))
        self.assertEqual(tx['state'], 'pending')
        self.assertEqual(tx['amount'], Decimal(10000))
        # What CinetPay received follows its documentation.
        sent = self.fake.payments[tx['reference']]
        self.assertEqual(sent['amount'], 10000)
        self.assertIsInstance(sent['amount'], int)
        self.assertEqual(sent['currency'], 'XOF')
        self.assertEqual(sent['transaction_id'], tx['reference'])
        self.assertEqual(sent['channels'], 'ALL')
        self.assertTrue(sent['notify_url'].endswith(
                '/%s/payment/cinetpay/%s' % (DB_NAME, shop['gateway'])))
        self.assertIn('/pay/return/%s' % tx['reference'], sent['return_url'])
        self.assertEqual(sent['customer_country'], 'CI')
        self.assertEqual(sent['customer_phone_number'], '+2250707070707')
        self.assertFalse(re.search(r'[#/$_&]', sent['description']))
        headers = self.fake.requests_to('/v2/payment')[-1][1]
        self.assertTrue(headers.get('User-Agent'))
        self.assertEqual(tx['provider_reference'], sent['payment_token'])
        self.assertEqual(requests.get(location, timeout=5).status_code, 200)

        form, headers = self.fake.notification(tx['reference'])
        response = self.notify(shop['gateway'], form, headers)
        self.assertEqual(response.status_code, 200)

        state, to_pay, lines, reconciled = invoice_state(shop['invoice'])
        self.assertEqual((state, to_pay, lines, reconciled),
            ('paid', Decimal(0), 1, True))
        tx, = transactions(shop['invoice'])
        self.assertEqual(tx['state'], 'paid')
        self.assertEqual(tx['amount'], Decimal(10000))
        self.assertIn('accepted', self.outcomes(shop))
        self.assertIn('paid', self.outcomes(shop, 'check'))

    def test_return_page(self):
        "The customer's return page re-checks and says it is paid"
        shop = self.shop()
        _, tx = self.pay(shop)
        page = self.client.get('/%s/pay/return/%s' % (
                DB_NAME, tx['reference']))
        self.assertEqual(page.status_code, 200)
        self.assertIn('Paiement reçu', page.get_data(as_text=True))
        self.assertEqual(transactions(shop['invoice'])[-1]['state'], 'paid')

    def test_amount_rounded_to_5(self):
        "An amount due that is not a multiple of 5 goes up to the next one"
        shop = self.shop(amount=Decimal(12348))
        response, tx = self.pay(shop)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(tx['amount'], Decimal(12350))
        self.assertEqual(self.fake.payments[tx['reference']]['amount'], 12350)
        # Paid: the invoice is settled, the 2 francs more are the
        # customer's credit and the cash account got all 12 350.
        form, headers = self.fake.notification(tx['reference'])
        self.assertEqual(
            self.notify(shop['gateway'], form, headers).status_code, 200)
        self.assertEqual(invoice_state(shop['invoice'])[:2],
            ('paid', Decimal(0)))
        with Transaction().start(DB_NAME, 0, readonly=True):
            Account = Pool().get('account.account')
            self.assertEqual(Account(shop['account_cash']).balance,
                Decimal(12350))

    def test_delivered_twice(self):
        "A genuine notification delivered twice pays once"
        shop = self.shop()
        _, tx = self.pay(shop)
        form, headers = self.fake.notification(tx['reference'])
        for _ in range(2):
            response = self.notify(shop['gateway'], form, headers)
            self.assertEqual(response.status_code, 200)
        check_pending()
        state, to_pay, lines, _ = invoice_state(shop['invoice'])
        self.assertEqual((state, to_pay, lines), ('paid', Decimal(0), 1))
        self.assertEqual(self.outcomes(shop), ['accepted', 'replayed'])

    def test_delivered_twice_at_once(self):
        "The same notification delivered twice at the same time pays once"
        shop = self.shop()
        _, tx = self.pay(shop)
        form, headers = self.fake.notification(tx['reference'])
        barrier = threading.Barrier(2)
        statuses = []

        def deliver():
            own_client = client()
            barrier.wait()
            statuses.append(
                own_client.post('/%s/payment/cinetpay/%s' % (
                        DB_NAME, shop['gateway']),
                    data=form, headers=headers).status_code)
        threads = [threading.Thread(target=deliver) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertEqual(statuses, [200, 200])
        check_pending()
        state, to_pay, lines, _ = invoice_state(shop['invoice'])
        self.assertEqual((state, to_pay, lines), ('paid', Decimal(0), 1))
        self.assertEqual(transactions(shop['invoice'])[-1]['state'], 'paid')

    # Refused notifications ---------------------------------------------
    def test_forged_and_missing_token(self):
        "Forged or missing x-token: 400, logged, nothing checked nor paid"
        shop = self.unpaid_shop()
        _, tx = self.pay(shop)
        since = self.mark(shop)
        checks = len(self.fake.requests_to('/v2/payment/check'))
        form, headers = self.fake.forged_notification(tx['reference'])
        response = self.notify(shop['gateway'], form, headers)
        self.assertEqual(response.status_code, 400)
        form, _ = self.fake.notification(tx['reference'])
        response = self.notify(shop['gateway'], form, {})
        self.assertEqual(response.status_code, 400)
        # A genuine token over other values (amount changed) is forged too.
        form, headers = self.fake.notification(tx['reference'])
        form['cpm_amount'] = '100'
        response = self.notify(shop['gateway'], form, headers)
        self.assertEqual(response.status_code, 400)

        self.assertEqual(self.outcomes(shop, since=since),
            ['bad_signature', 'missing_signature', 'bad_signature'])
        self.assertFalse(any(v for k, v, o in messages(shop['gateway'])
                [since:] if k == 'webhook'))
        self.assertEqual(
            len(self.fake.requests_to('/v2/payment/check')), checks)
        self.assertEqual(transactions(shop['invoice'])[-1]['state'],
            'pending')
        self.assertNotPaid(shop)

    def test_amount_mismatch(self):
        "CinetPay's check states another amount: nothing paid, audited"
        shop = self.unpaid_shop()
        _, tx = self.pay(shop)
        since = self.mark(shop)
        self.fake.override[tx['reference']] = {'amount': '5000'}
        form, headers = self.fake.notification(tx['reference'], amount=5000)
        self.assertEqual(
            self.notify(shop['gateway'], form, headers).status_code, 200)
        self.assertNotPaid(shop)
        self.assertIn('amount_mismatch', self.outcomes(shop, 'check', since))
        self.assertEqual(transactions(shop['invoice'])[-1]['state'],
            'failed')

    def test_currency_mismatch(self):
        "CinetPay's check states another currency: nothing paid, audited"
        shop = self.unpaid_shop()
        _, tx = self.pay(shop)
        since = self.mark(shop)
        self.fake.override[tx['reference']] = {'currency': 'XAF'}
        form, headers = self.fake.notification(tx['reference'])
        self.assertEqual(
            self.notify(shop['gateway'], form, headers).status_code, 200)
        self.assertNotPaid(shop)
        self.assertIn('currency_mismatch',
            self.outcomes(shop, 'check', since))

    def test_notification_status_not_trusted(self):
        "A genuine SUCCES notification pays nothing if the check refuses"
        shop = self.unpaid_shop()
        _, tx = self.pay(shop)
        since = self.mark(shop)
        self.fake.set_mode(tx['reference'], 'refuse')
        form, headers = self.fake.notification(tx['reference'])
        self.assertEqual(
            self.notify(shop['gateway'], form, headers).status_code, 200)
        self.assertNotPaid(shop)
        tx = transactions(shop['invoice'])[-1]
        self.assertEqual(tx['state'], 'failed')
        self.assertIn('PAYMENT_FAILED', tx['failure_reason'])
        self.assertEqual(self.outcomes(shop, 'webhook', since), ['accepted'])

    def test_other_shop(self):
        "A notification about shop A's transaction sent to shop B pays nothing"
        shop_a = self.unpaid_shop()
        since = self.mark(shop_a)
        shop_b = self.shop(cinetpay_site_id='990001',
            cinetpay_secret_key='secret-of-shop-b-0001')
        _, tx = self.pay(shop_a)
        # Valid for B (B's secret) but about A's site and transaction.
        form, headers = self.fake.notification(tx['reference'],
            secret='secret-of-shop-b-0001')
        self.assertEqual(
            self.notify(shop_b['gateway'], form, headers).status_code, 200)
        # Valid for B, B's site id, A's transaction.
        form, headers = self.fake.notification(tx['reference'],
            secret='secret-of-shop-b-0001', site_id='990001')
        self.assertEqual(
            self.notify(shop_b['gateway'], form, headers).status_code, 200)
        self.assertEqual(self.outcomes(shop_b),
            ['unknown_transaction', 'unknown_transaction'])
        self.assertEqual(self.outcomes(shop_a, since=since), [])
        self.assertNotPaid(shop_a)
        self.assertEqual(transactions(shop_a['invoice'])[-1]['state'],
            'pending')

    def test_unknown_gateway_and_ping(self):
        "GET ping answers 200; an unknown gateway answers 404"
        shop = self.unpaid_shop()
        url = '/%s/payment/cinetpay/%s' % (DB_NAME, shop['gateway'])
        self.assertEqual(self.client.get(url).status_code, 200)
        self.assertEqual(self.client.get(
                '/%s/payment/cinetpay/%s' % (DB_NAME, 10 ** 9)
                ).status_code, 404)
        form, headers = self.fake.notification('AT' + '0' * 24)
        self.assertEqual(self.client.post(
                '/%s/payment/cinetpay/%s' % (DB_NAME, 10 ** 9),
                data=form, headers=headers).status_code, 404)
        self.assertEqual(self.client.get(
                '/%s/payment/cinetpay/%s' % (
                    DB_NAME + '_nodb', shop['gateway'])).status_code, 404)

    # Provider trouble ----------------------------------------------------
    def test_down_at_initialisation(self):
        "CinetPay down, answering garbage or 429: 'try again', pending"
        shop = self.unpaid_shop()
        for mode in ['down', 'garbage', 'too_many', 'slow']:
            with self.subTest(mode=mode):
                self.fake.init_mode = mode
                response, tx = self.pay(shop)
                self.assertEqual(response.status_code, 503)
                self.assertIn('Réessayez', response.get_data(as_text=True))
                self.assertEqual(tx['state'], 'pending')
        self.assertNotPaid(shop)

    def test_connection_refused(self):
        "Nobody listening at CinetPay's address: 'try again', pending"
        other = CinetPayFake().start()
        url = other.url
        other.stop()
        shop = self.unpaid_shop()
        retrying(write_gateway, shop['gateway'], {'cinetpay_base_url': url})
        self.addCleanup(retrying, write_gateway, shop['gateway'],
            {'cinetpay_base_url': self.fake.url})
        response, tx = self.pay(shop)
        self.assertEqual(response.status_code, 503)
        self.assertEqual(tx['state'], 'pending')

    def test_slow_check_then_cron(self):
        "A check that times out leaves it pending; the cron settles it"
        shop = self.shop()
        _, tx = self.pay(shop)
        self.fake.set_mode(tx['reference'], 'slow')
        form, headers = self.fake.notification(tx['reference'])
        self.assertEqual(
            self.notify(shop['gateway'], form, headers).status_code, 200)
        self.assertEqual(transactions(shop['invoice'])[-1]['state'],
            'pending')
        self.assertIn('unavailable', self.outcomes(shop, 'check'))
        self.assertNotPaid(shop)

        self.fake.set_mode(tx['reference'], 'approve')
        check_pending()
        self.assertEqual(transactions(shop['invoice'])[-1]['state'], 'paid')
        state, to_pay, lines, _ = invoice_state(shop['invoice'])
        self.assertEqual((state, lines), ('paid', 1))

    def test_waiting_and_cancelled(self):
        "Waiting codes stay pending; a cancellation closes the attempt"
        shop = self.unpaid_shop()
        _, tx = self.pay(shop)
        for mode in ['pending', 'validate']:
            self.fake.set_mode(tx['reference'], mode)
            check_pending()
            self.assertEqual(
                transactions(shop['invoice'])[-1]['state'], 'pending')
        self.fake.set_mode(tx['reference'], 'cancel')
        check_pending()
        tx = transactions(shop['invoice'])[-1]
        self.assertEqual(tx['state'], 'cancelled')
        self.assertIn('TRANSACTION_CANCEL', tx['failure_reason'])
        self.assertNotPaid(shop)

    # Refusals ----------------------------------------------------------
    def test_amount_under_minimum(self):
        "Under 100 XOF: refused with a clear message, CinetPay not called"
        shop = self.shop(amount=Decimal(95))
        calls = len(self.fake.requests_to('/v2/payment'))
        response, tx = self.pay(shop)
        self.assertEqual(response.status_code, 502)
        self.assertIn('100 XOF', response.get_data(as_text=True))
        self.assertEqual(tx['state'], 'failed')
        self.assertIn('100 XOF', tx['failure_reason'])
        self.assertEqual(len(self.fake.requests_to('/v2/payment')), calls)

    def test_wrong_credentials(self):
        "A wrong API key or site ID is explained to the shop"
        shop = self.unpaid_shop()
        for attribute, code in [('apikey', '609'), ('site_id', '613')]:
            with self.subTest(code=code):
                right = getattr(self.fake, attribute)
                # CinetPay knows another key or site than the shop's.
                setattr(self.fake, attribute, right + '0')
                try:
                    response, tx = self.pay(shop)
                finally:
                    setattr(self.fake, attribute, right)
                self.assertEqual(response.status_code, 502)
                self.assertEqual(tx['state'], 'failed')
                # "CinetPay does not know the API Key / Site ID of the
                # gateway ... (CinetPay 609 AUTH_NOT_FOUND)..."
                self.assertIn('CinetPay %s' % code, tx['failure_reason'])
                self.assertIn('CinetPay %s' % code,
                    response.get_data(as_text=True))

if __name__ == '__main__':
    unittest.main()
