"""Stripe pay links end to end, through the WSGI app, against the local
fake Stripe API (tests/fakes/stripe_fake.py): pay link → Checkout →
signed webhook → re-check → invoice paid once; forged, missing, replayed
or unsigned-gateway webhooks, wrong amount or currency, another shop's
transaction, Stripe down or slow, asynchronous payments, expiry, refunds
and disputes.

Runs on the database named by DB_NAME (PostgreSQL in scripts/test).
"""
import datetime
import sys
import time
import unittest
from unittest import mock
from decimal import Decimal
from pathlib import Path

import trytond.config as config
from trytond.modules.account.tests import create_chart, get_fiscalyear
from trytond.modules.account_invoice.tests.test_module import (
    set_invoice_sequences)
from trytond.modules.company.tests import create_company
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, activate_module
from trytond.transaction import Transaction, TransactionError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fakes.stripe_fake import StripeFake, sign  # noqa: E402
import payment_fixtures  # noqa: E402
from payment_fixtures import client, invoice_state, transactions  # noqa: E402

WHSEC = 'whsec_test_atelier_0123456789'


def retrying(func, *args, **kwargs):
    """Call `func` (which starts and commits its own transaction) again
    with the locks it asked for when it raises TransactionError, as
    trytond's dispatcher and cron do (payment_fixtures does not)."""
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


def create_shop(currency_code, country_code, gateways):
    """Create and commit a shop with its chart, an online payment method,
    a customer and one Stripe gateway per dict of `gateways` (its field
    values); return a dict of ids: company, party, method, revenue,
    receivable, journal and gateways (list).

    Like payment_fixtures.create_payment_shop (601f69f) without what
    fails on PostgreSQL there (phone_country given a code, invoice without
    journal), and without the invoice: see create_invoice."""
    with Transaction().start(DB_NAME, 0, context={}) as transaction:
        pool = Pool()
        Party = pool.get('party.party')
        Account = pool.get('account.account')
        Journal = pool.get('account.journal')
        PaymentMethod = pool.get('account.invoice.payment.method')
        FiscalYear = pool.get('account.fiscalyear')
        Gateway = pool.get('payment.gateway')
        currency = payment_fixtures._currency(currency_code)
        country = payment_fixtures._country(country_code)
        name = "Stripe shop %s" % time.time_ns()
        company = create_company(name=name, currency=currency)
        company.phone_country = country
        company.save()
        with transaction.set_context(company=company.id):
            create_chart(company)
            fiscalyear = set_invoice_sequences(get_fiscalyear(company))
            fiscalyear.save()
            FiscalYear.create_period([fiscalyear])
            receivable, = Account.search([
                    ('company', '=', company.id),
                    ('type.receivable', '=', True),
                    ('closed', '!=', True)], limit=1)
            revenue, = Account.search([
                    ('company', '=', company.id),
                    ('type.revenue', '=', True),
                    ('closed', '!=', True)], limit=1)
            cash, = Account.search([
                    ('company', '=', company.id),
                    ('code', '=', '1.1.1')], limit=1)
            journal, = Journal.create([{
                        'name': "Stripe", 'type': 'cash', 'code': 'WEB'}])
            method, = PaymentMethod.create([{
                        'name': "Stripe", 'company': company.id,
                        'journal': journal.id, 'debit_account': cash.id,
                        'credit_account': cash.id}])
            party, = Party.create([{
                        'name': "Awa Koné",
                        'addresses': [('create', [{
                                        'street': "Rue 12", 'city': "Abidjan",
                                        'country': country.id}])],
                        'contact_mechanisms': [('create', [
                                    {'type': 'email',
                                        'value': 'awa@example.com'}])],
                        }])
            records = Gateway.create([{
                        'company': company.id, 'name': "Stripe %s" % i,
                        'provider': 'stripe', 'mode': 'sandbox',
                        'payment_method': method.id, **values}
                    for i, values in enumerate(gateways)])
            result = {
                'company': company.id, 'party': party.id,
                'revenue': revenue.id, 'receivable': receivable.id,
                'revenue_journal': Journal.find({'type': 'revenue'}).id,
                'currency': currency.id, 'digits': currency.digits,
                'gateways': [g.id for g in records],
                }
        transaction.commit()
    return result


def create_invoice(shop, gateway=0, amount=None):
    """Create, post and commit an invoice of `amount` (default 100.00, or
    10 000 for a currency without decimals) in `shop`; return the dict
    the tests use: company, gateway (id of shop's gateway number
    `gateway`), invoice, pay_token, amount."""
    if amount is None:
        amount = Decimal(10000) if shop['digits'] == 0 else Decimal('100.00')
    with Transaction().start(DB_NAME, 0,
            context={'company': shop['company']}) as transaction:
        Invoice = Pool().get('account.invoice')
        invoice, = Invoice.create([{
                    'type': 'out', 'company': shop['company'],
                    'party': shop['party'],
                    'invoice_address': Pool().get('party.party')(
                        shop['party']).addresses[0].id,
                    'currency': shop['currency'],
                    'journal': shop['revenue_journal'],
                    'account': shop['receivable'],
                    'invoice_date': datetime.date.today(),
                    'lines': [('create', [{
                                    'company': shop['company'],
                                    'account': shop['revenue'],
                                    'description': "Réparation",
                                    'quantity': 1, 'unit_price': amount}])],
                    }])
        Invoice.post([invoice])
        result = {
            'company': shop['company'],
            'gateway': shop['gateways'][gateway],
            'invoice': invoice.id,
            'pay_token': Invoice(invoice.id).pay_token,
            'amount': amount,
            }
        transaction.commit()
    return result


def messages(gateway_id, after=0):
    """Return the (kind, verified, outcome) of the gateway's messages
    whose id is above `after`, oldest first."""
    with Transaction().start(DB_NAME, 0, readonly=True):
        Message = Pool().get('payment.gateway.message')
        return [(m.kind, m.verified, m.outcome) for m in Message.search([
                    ('gateway', '=', gateway_id), ('id', '>', after)],
                order=[('id', 'ASC')])]


def dump_messages(gateway_id, after=0):
    "The gateway's messages with their payload, for failure reports."
    with Transaction().start(DB_NAME, 0, readonly=True):
        Message = Pool().get('payment.gateway.message')
        return '\n'.join('%s %s %s %s' % (
                m.kind, m.verified, m.outcome, (m.payload or '')[:300])
            for m in Message.search([
                    ('gateway', '=', gateway_id), ('id', '>', after)],
                order=[('id', 'ASC')]))


def last_message_id():
    with Transaction().start(DB_NAME, 0, readonly=True):
        Message = Pool().get('payment.gateway.message')
        found = Message.search([], order=[('id', 'DESC')], limit=1)
        return found[0].id if found else 0


def check_pending():
    "Run the core's re-check cron once, committed."
    retrying(payment_fixtures.check_pending, DB_NAME)


class StripePaymentTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        activate_module(['payment_stripe'])
        cls.fake = StripeFake()
        cls.fake.start()
        if not config.has_section('payment_stripe'):
            config.add_section('payment_stripe')
        config.set('payment_stripe', 'timeout', '1')
        values = {
            'stripe_secret_key': cls.fake.secret_key,
            'stripe_webhook_secret': WHSEC,
            'stripe_base_url': cls.fake.base_url,
            }
        no_secret = dict(values)
        del no_secret['stripe_webhook_secret']
        cls.shops = {
            'EUR': retrying(create_shop, 'EUR', 'FR', [values, no_secret]),
            'XOF': retrying(create_shop, 'XOF', 'CI', [values]),
            'B': retrying(create_shop, 'EUR', 'FR', [values]),
            }

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        config.set('payment_stripe', 'timeout', '10')

    def setUp(self):
        self.fake.mode = None
        self.fake.refund_status = 'succeeded'
        self.client = client()
        self.mark = last_message_id()

    # Helpers ---------------------------------------------------------------
    def shop(self, name='EUR', gateway=0):
        "A new posted invoice of shop `name`, paid through gateway n°."
        return retrying(create_invoice, self.shops[name], gateway)

    def start(self, shop, expect=303):
        "Press the gateway's button on the pay page; return the response."
        response = self.client.get('/%s/pay/%s' % (DB_NAME, shop['pay_token']))
        self.assertEqual(response.status_code, 200)
        response = self.client.post('/%s/pay/%s/%s' % (
                DB_NAME, shop['pay_token'], shop['gateway']))
        self.assertEqual(response.status_code, expect, response.text)
        return response

    def last_tx(self, shop):
        return transactions(shop['invoice'])[-1]

    def webhook(self, gateway_id, type_, obj, secret=WHSEC, timestamp=None,
            signed=True):
        payload = self.fake.event(type_, obj)
        headers = {'Content-Type': 'application/json'}
        if signed:
            headers['Stripe-Signature'] = sign(payload, secret, timestamp)
        return self.client.post('/%s/payment/stripe/%s' % (
                DB_NAME, gateway_id), data=payload, headers=headers)

    def session_event(self, shop, type_, session_id, **kwargs):
        session = self.fake._public(self.fake.sessions[session_id])
        return self.webhook(shop['gateway'], type_, session, **kwargs)

    def pay(self, shop, outcome='paid', event='checkout.session.completed'):
        "Start, pay on the fake Checkout, send the webhook; return the tx."
        self.start(shop)
        tx = self.last_tx(shop)
        self.fake.pay(tx['provider_reference'], outcome)
        response = self.session_event(shop, event, tx['provider_reference'])
        self.assertEqual(response.status_code, 200, response.text)
        return self.last_tx(shop)

    def outcomes(self, shop, kind='webhook'):
        return [m[2] for m in messages(shop['gateway'], self.mark)
            if m[0] == kind]

    def assert_unpaid(self, shop):
        state, to_pay, lines, _ = invoice_state(shop['invoice'])
        self.assertEqual((state, lines), ('posted', 0))
        self.assertEqual(to_pay, shop['amount'])

    # Happy paths -----------------------------------------------------------
    def test_pay_link_to_reconciled_invoice(self):
        "Pay link → Stripe Checkout → webhook → re-check → paid once"
        shop = self.shop()
        response = self.start(shop)
        tx = self.last_tx(shop)
        session = self.fake.sessions[tx['provider_reference']]
        self.assertEqual(response.headers['Location'], session['url'])
        # What the client sent, as Stripe documents it
        _, path, params, headers = [r for r in self.fake.requests
            if r[0] == 'POST' and r[1] == '/v1/checkout/sessions'][-1]
        line, = params['line_items']
        self.assertEqual(line['price_data']['unit_amount'], '10000')
        self.assertEqual(line['price_data']['currency'], 'eur')
        self.assertEqual(params['client_reference_id'], tx['reference'])
        self.assertEqual(params['customer_email'], 'awa@example.com')
        self.assertTrue(params['success_url'].endswith(
                '/%s/pay/return/%s' % (DB_NAME, tx['reference'])))
        self.assertIn('cancel=1', params['cancel_url'])
        self.assertEqual(params['metadata'], {
                'shop': str(shop['company']), 'transaction': tx['reference'],
                'invoice': params['metadata']['invoice'],
                'database': DB_NAME})
        self.assertTrue(params['metadata']['invoice'])
        self.assertEqual(params['payment_intent_data']['metadata'],
            params['metadata'])
        self.assertEqual(headers['Idempotency-Key'],
            'atelier-session-%s' % tx['reference'])

        self.fake.pay(session['id'], 'paid')
        response = self.session_event(
            shop, 'checkout.session.completed', session['id'])
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.last_tx(shop)['state'], 'paid')
        self.assertEqual(invoice_state(shop['invoice']),
            ('paid', Decimal(0), 1, True))
        # Stripe retries the same event: still one payment
        self.session_event(shop, 'checkout.session.completed', session['id'])
        self.assertEqual(invoice_state(shop['invoice']),
            ('paid', Decimal(0), 1, True))
        self.assertEqual(self.outcomes(shop), ['accepted', 'accepted'])

    def test_return_page(self):
        "The customer's return re-checks with Stripe and says it is paid"
        shop = self.shop()
        tx = self.paid_on_stripe(shop)
        response = self.client.get(
            '/%s/pay/return/%s' % (DB_NAME, tx['reference']))
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIn('Paiement reçu', response.text)
        self.assertEqual(invoice_state(shop['invoice']),
            ('paid', Decimal(0), 1, True))

    def test_xof_zero_decimal(self):
        "XOF has no minor unit: 10 000 F CFA is unit_amount 10000"
        shop = self.shop('XOF')
        tx = self.pay(shop)
        session = self.fake.sessions[tx['provider_reference']]
        self.assertEqual((session['amount_total'], session['currency']),
            (10000, 'xof'))
        self.assertEqual(tx['state'], 'paid')
        self.assertEqual(invoice_state(shop['invoice']),
            ('paid', Decimal(0), 1, True))

    def test_async_payment(self):
        "A delayed method: processing, then async_payment_succeeded"
        shop = self.shop()
        tx = self.pay(shop, 'async')
        self.assertEqual(tx['state'], 'pending')
        self.assert_unpaid(shop)
        self.fake.pay(tx['provider_reference'], 'paid')
        self.session_event(shop, 'checkout.session.async_payment_succeeded',
            tx['provider_reference'])
        self.assertEqual(self.last_tx(shop)['state'], 'paid')
        self.assertEqual(invoice_state(shop['invoice'])[0], 'paid')

    def test_async_payment_failed(self):
        shop = self.shop()
        tx = self.pay(shop, 'async_failed',
            'checkout.session.async_payment_failed')
        self.assertEqual(tx['state'], 'failed')
        self.assertIn('payment failed', tx['failure_reason'])
        self.assert_unpaid(shop)

    def test_expired(self):
        shop = self.shop()
        tx = self.pay(shop, 'expired', 'checkout.session.expired')
        self.assertEqual(tx['state'], 'cancelled')
        self.assert_unpaid(shop)

    # Refused webhooks ------------------------------------------------------
    def paid_on_stripe(self, shop):
        "A session paid on the fake whose webhook was not sent yet."
        self.start(shop)
        tx = self.last_tx(shop)
        self.fake.pay(tx['provider_reference'], 'paid')
        return tx

    def test_forged_signature(self):
        shop = self.shop()
        tx = self.paid_on_stripe(shop)
        response = self.session_event(shop, 'checkout.session.completed',
            tx['provider_reference'], secret='whsec_forged_by_someone')
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.outcomes(shop), ['bad_signature'])
        self.assertEqual(self.last_tx(shop)['state'], 'pending')
        self.assert_unpaid(shop)

    def test_missing_signature(self):
        shop = self.shop()
        tx = self.paid_on_stripe(shop)
        response = self.session_event(shop, 'checkout.session.completed',
            tx['provider_reference'], signed=False)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.outcomes(shop), ['missing_signature'])
        self.assert_unpaid(shop)

    def test_replayed(self):
        "A genuine signature older than 5 minutes is a replay"
        shop = self.shop()
        tx = self.paid_on_stripe(shop)
        response = self.session_event(shop, 'checkout.session.completed',
            tx['provider_reference'], timestamp=int(time.time()) - 301)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.outcomes(shop), ['replayed'])
        self.assert_unpaid(shop)

    def test_no_signing_secret(self):
        "A gateway without signing secret refuses every webhook"
        shop = self.shop(gateway=1)
        tx = self.paid_on_stripe(shop)
        response = self.session_event(shop, 'checkout.session.completed',
            tx['provider_reference'])
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.outcomes(shop), ['no_secret'])
        self.assert_unpaid(shop)

    def test_unknown_gateway(self):
        response = self.webhook(987654, 'checkout.session.completed', {})
        self.assertEqual(response.status_code, 404)

    def test_ignored_event(self):
        shop = self.shop()
        response = self.webhook(
            shop['gateway'], 'customer.created', {'id': 'cus_1'})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.outcomes(shop), ['ignored'])

    # Amount, currency, tenancy ---------------------------------------------
    def test_amount_mismatch(self):
        shop = self.shop()
        tx = self.pay(shop, 'paid_other_amount')
        self.assertEqual(tx['state'], 'failed')
        self.assert_unpaid(shop)
        self.assertIn('amount_mismatch', self.outcomes(shop, 'check'))

    def test_currency_mismatch(self):
        shop = self.shop()
        tx = self.pay(shop, 'paid_other_currency')
        self.assertEqual(tx['state'], 'failed')
        self.assert_unpaid(shop)
        self.assertIn('currency_mismatch', self.outcomes(shop, 'check'))

    def test_other_shop_transaction(self):
        "Shop B's paid session sent to shop A's endpoint pays nothing"
        shop_a, shop_b = self.shop(), self.shop('B')
        tx_b = self.paid_on_stripe(shop_b)
        session = self.fake._public(
            self.fake.sessions[tx_b['provider_reference']])
        # Signed with A's secret (same secret value as B here): the
        # signature is right, the transaction is not A's
        response = self.webhook(
            shop_a['gateway'], 'checkout.session.completed', session)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.outcomes(shop_a), ['unknown_transaction'])
        # Same with A's shop id in the metadata: B's reference is not A's
        session['metadata']['shop'] = str(shop_a['company'])
        self.webhook(shop_a['gateway'], 'checkout.session.completed', session)
        self.assertEqual(self.outcomes(shop_a),
            ['unknown_transaction', 'unknown_transaction'])
        self.assertEqual(self.last_tx(shop_b)['state'], 'pending')
        self.assert_unpaid(shop_b)
        self.assertEqual(self.outcomes(shop_b), [])

    # Stripe down or slow ---------------------------------------------------
    def test_down_at_start_then_cron(self):
        "Connection refused: 'try again' page, then the cron closes it"
        shop = self.shop()
        self.fake.stop()
        try:
            response = self.start(shop, expect=503)
        finally:
            self.fake.start()
        self.assertIn('Réessayez', response.text)
        tx = self.last_tx(shop)
        self.assertEqual((tx['state'], tx['provider_reference']),
            ('pending', None))
        check_pending()
        # The idempotent creation found (or made) the session, expired it
        tx = self.last_tx(shop)
        self.assertEqual(tx['state'], 'cancelled',
            dump_messages(shop['gateway'], self.mark))
        self.assertEqual(
            self.fake.sessions[tx['provider_reference']]['status'], 'expired')
        # The customer tries again and pays
        tx = self.pay(shop)
        self.assertEqual(tx['state'], 'paid')
        self.assertEqual(invoice_state(shop['invoice'])[0], 'paid')

    def test_slow_at_start_then_cron(self):
        "Stripe answers after our timeout: the session exists, unseen"
        shop = self.shop()
        self.fake.mode, self.fake.slow_seconds = 'slow', 2
        response = self.start(shop, expect=503)
        self.assertIn('Réessayez', response.text)
        self.fake.mode = None
        time.sleep(1.5)  # the fake finishes creating the session
        tx = self.last_tx(shop)
        self.assertEqual((tx['state'], tx['provider_reference']),
            ('pending', None))
        created = self.fake.session_of(tx['reference'])
        self.assertIsNotNone(created)
        check_pending()
        tx = self.last_tx(shop)
        self.assertEqual(tx['provider_reference'], created['id'])
        self.assertEqual(tx['state'], 'cancelled',
            dump_messages(shop['gateway'], self.mark))
        self.assertEqual(created['status'], 'expired')
        self.assert_unpaid(shop)

    def test_down_at_check_then_cron(self):
        "Paid on Stripe, Stripe down at the re-check: the cron settles it"
        shop = self.shop()
        tx = self.paid_on_stripe(shop)
        self.fake.mode = 'down'
        response = self.session_event(shop, 'checkout.session.completed',
            tx['provider_reference'])
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.last_tx(shop)['state'], 'pending')
        self.assertIn('unavailable', self.outcomes(shop, 'check'))
        self.assert_unpaid(shop)
        self.fake.mode = None
        check_pending()
        self.assertEqual(self.last_tx(shop)['state'], 'paid')
        self.assertEqual(invoice_state(shop['invoice']),
            ('paid', Decimal(0), 1, True))

    def test_return_page_while_down(self):
        "Back from Stripe while Stripe is down: 'not confirmed yet'"
        shop = self.shop()
        tx = self.paid_on_stripe(shop)
        self.fake.mode = 'down'
        response = self.client.get(
            '/%s/pay/return/%s' % (DB_NAME, tx['reference']))
        self.fake.mode = None
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIn('pas encore confirmé', response.text)
        self.assertEqual(self.last_tx(shop)['state'], 'pending')
        self.assert_unpaid(shop)

    def test_garbage_at_check(self):
        shop = self.shop()
        tx = self.paid_on_stripe(shop)
        self.fake.mode = 'garbage'
        self.session_event(shop, 'checkout.session.completed',
            tx['provider_reference'])
        self.assertEqual(self.last_tx(shop)['state'], 'pending')
        self.assertIn('unavailable', self.outcomes(shop, 'check'))
        self.fake.mode = None
        check_pending()
        self.assertEqual(self.last_tx(shop)['state'], 'paid')

    # Refunds and disputes --------------------------------------------------
    def test_refund(self):
        "Refund through the core: Stripe records it, charge.refunded known"
        shop = self.shop()
        tx = self.pay(shop)
        self.assertEqual(tx['state'], 'paid')
        def refund():
            with Transaction().start(DB_NAME, 0,
                    context={'company': shop['company']}) as transaction:
                Tx = Pool().get('payment.gateway.transaction')
                Tx.refund([Tx(tx['id'])])
                transaction.commit()
        retrying(refund)
        refunds = [r for r in self.fake.refunds.values()
            if r['metadata'].get('transaction') == tx['reference']]
        self.assertEqual(len(refunds), 1)
        refund, = refunds
        session = self.fake.sessions[tx['provider_reference']]
        self.assertEqual(refund['payment_intent'], session['payment_intent'])
        self.assertEqual(refund['amount'], 10000)
        self.assertEqual(self.last_tx(shop)['state'], 'refunded')
        charge = self.fake.charges[self.fake.payment_intents[
                session['payment_intent']]['latest_charge']]
        self.assertEqual(charge['amount_refunded'], 10000)
        response = self.webhook(shop['gateway'], 'charge.refunded', charge)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.outcomes(shop)[-1], 'accepted')
        self.assertEqual(self.last_tx(shop)['state'], 'refunded')

    def test_refund_from_dashboard(self):
        "A refund made in Stripe's dashboard is found by the re-check"
        shop = self.shop()
        tx = self.pay(shop)
        session = self.fake.sessions[tx['provider_reference']]
        self.fake._create_refund({'payment_intent': session['payment_intent']})
        charge = self.fake.charges[self.fake.payment_intents[
                session['payment_intent']]['latest_charge']]
        response = self.webhook(shop['gateway'], 'charge.refunded', charge)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.last_tx(shop)['state'], 'refunded')

    def test_dispute(self):
        "A dispute flags and audits the payment, which stays booked"
        shop = self.shop()
        tx = self.pay(shop)
        session = self.fake.sessions[tx['provider_reference']]
        charge_id = self.fake.payment_intents[
            session['payment_intent']]['latest_charge']
        dispute = self.fake.dispute(charge_id)
        response = self.webhook(
            shop['gateway'], 'charge.dispute.created', dispute)
        self.assertEqual(response.status_code, 200)
        with Transaction().start(DB_NAME, 0, readonly=True):
            pool = Pool()
            record = pool.get('payment.gateway.transaction')(tx['id'])
            self.assertTrue(record.disputed)
            self.assertEqual(record.dispute_reason, 'fraudulent')
            audits = pool.get('workshop.audit').search([
                    ('action', '=', 'payment_dispute'),
                    ('company', '=', shop['company'])])
            self.assertEqual(len(audits), 1)
            self.assertIn(dispute['id'], audits[0].description)
        self.assertEqual(self.last_tx(shop)['state'], 'paid')
        self.assertEqual(invoice_state(shop['invoice'])[0], 'paid')


if __name__ == '__main__':
    unittest.main()
