"""Unit tests of payment_stripe: amounts in Stripe's minor units, the
Checkout Session parameters, the status mapping, the webhook signature
check, and the Stripe client against the local fake (tests/fakes)."""
import json
import sys
import time
import unittest
from decimal import Decimal
from pathlib import Path

import stripe

import trytond.config as config
from trytond.modules.payment_gateway.exceptions import (
    GatewayError, GatewayUnavailable)
from trytond.tests.test_tryton import ModuleTestCase

from .. import stripe_api
from ..routes import verify

_ROOT_TESTS = Path(__file__).resolve().parents[3] / 'tests'
if (_ROOT_TESTS / 'fakes' / 'stripe_fake.py').exists():
    sys.path.insert(0, str(_ROOT_TESTS))
    from fakes.stripe_fake import StripeFake, sign
else:  # installed outside the repository
    StripeFake = sign = None

URLS = {'return': 'https://shop.example/r', 'cancel': 'https://shop.example/c'}


class PaymentStripeTestCase(ModuleTestCase):
    "Test Payment Stripe module"
    module = 'payment_stripe'


class AmountTestCase(unittest.TestCase):
    "Amounts in Stripe's minor units"

    def test_two_decimals(self):
        self.assertEqual(stripe_api.to_minor(Decimal('12.34'), 'EUR'), 1234)
        self.assertEqual(stripe_api.from_minor(1234, 'eur'), Decimal('12.34'))

    def test_zero_decimal(self):
        "XOF, XAF, JPY have no minor unit: the amount goes as is"
        for code in ['XOF', 'XAF', 'JPY']:
            self.assertEqual(stripe_api.to_minor(Decimal('5000'), code), 5000)
            self.assertEqual(stripe_api.from_minor(5000, code), Decimal(5000))

    def test_three_decimals(self):
        self.assertEqual(stripe_api.to_minor(Decimal('1.25'), 'TND'), 1250)
        self.assertEqual(
            stripe_api.round_amount(Decimal('1.234'), 'TND'), Decimal('1.23'))
        self.assertEqual(
            stripe_api.round_amount(Decimal('1.234'), 'EUR'), Decimal('1.234'))

    def test_too_many_decimals(self):
        with self.assertRaises(ValueError):
            stripe_api.to_minor(Decimal('10.5'), 'XOF')

    def test_checkout_params(self):
        params = stripe_api.checkout_params('AT1', Decimal('5000'), 'XOF',
            "Facture F1", URLS, email='a@example.com',
            metadata={'shop': '1', 'transaction': 'AT1'})
        line, = params['line_items']
        self.assertEqual(line['price_data']['unit_amount'], 5000)
        self.assertEqual(line['price_data']['currency'], 'xof')
        self.assertEqual(params['mode'], 'payment')
        self.assertEqual(params['success_url'], URLS['return'])
        self.assertEqual(params['cancel_url'], URLS['cancel'])
        self.assertEqual(params['client_reference_id'], 'AT1')
        self.assertEqual(params['customer_email'], 'a@example.com')
        self.assertEqual(params['payment_intent_data']['metadata'],
            params['metadata'])


class StatusTestCase(unittest.TestCase):
    "Checkout Session → our state"

    def session(self, **values):
        session = {'id': 'cs_test_1', 'amount_total': 1234,
            'currency': 'eur', 'status': 'open', 'payment_status': 'unpaid',
            'payment_intent': None}
        session.update(values)
        return session

    def test_paid(self):
        self.assertEqual(stripe_api.session_status(self.session(
                    status='complete', payment_status='paid')),
            ('paid', Decimal('12.34'), 'EUR', None))

    def test_refunded(self):
        state, amount, _, _ = stripe_api.session_status(self.session(
                status='complete', payment_status='paid'), refunded=500)
        self.assertEqual((state, amount), ('refunded', Decimal('5.00')))

    def test_open(self):
        self.assertEqual(
            stripe_api.session_status(self.session())[0], 'pending')

    def test_expired(self):
        self.assertEqual(stripe_api.session_status(
                self.session(status='expired'))[0], 'cancelled')

    def test_async(self):
        session = self.session(status='complete')
        self.assertEqual(stripe_api.session_status(
                session, {'status': 'processing'})[0], 'pending')
        state, _, _, reason = stripe_api.session_status(session, {
                'status': 'requires_payment_method',
                'last_payment_error': {'message': "Insufficient funds"}})
        self.assertEqual(state, 'failed')
        self.assertIn("Insufficient funds", reason)

    def test_refund_state(self):
        self.assertEqual(
            stripe_api.refund_state({'status': 'succeeded'}), 'refunded')
        self.assertEqual(
            stripe_api.refund_state({'status': 'pending'}), 'pending')
        self.assertEqual(
            stripe_api.refund_state({'status': 'failed'}), 'failed')


class SignatureTestCase(unittest.TestCase):
    "Stripe-Signature verification"
    secret = 'whsec_test_secret'
    payload = json.dumps({'id': 'evt_1', 'object': 'event',
            'type': 'checkout.session.completed',
            'data': {'object': {'id': 'cs_test_1'}}})

    def header(self, secret=None, timestamp=None):
        return stripe.WebhookSignature.generate_signature_header(
            self.payload, secret or self.secret, timestamp=timestamp)

    def test_valid(self):
        event, outcome = verify(
            self.payload.encode(), self.header(), self.secret)
        self.assertEqual(outcome, 'accepted')
        self.assertEqual(event['type'], 'checkout.session.completed')

    def test_other_secret(self):
        self.assertEqual(verify(self.payload.encode(),
                self.header(secret='whsec_forged'), self.secret),
            (None, 'bad_signature'))

    def test_tampered_body(self):
        self.assertEqual(verify(self.payload.replace('cs_test_1',
                    'cs_test_2').encode(), self.header(), self.secret),
            (None, 'bad_signature'))

    def test_replayed(self):
        self.assertEqual(verify(self.payload.encode(),
                self.header(timestamp=int(time.time()) - 301), self.secret),
            (None, 'replayed'))

    def test_missing_header(self):
        self.assertEqual(verify(self.payload.encode(), None, self.secret),
            (None, 'missing_signature'))

    def test_garbage_header(self):
        self.assertEqual(verify(self.payload.encode(), 'nonsense',
                self.secret), (None, 'bad_signature'))

    def test_no_secret(self):
        "Without a signing secret every message is refused"
        self.assertEqual(verify(self.payload.encode(), self.header(), None),
            (None, 'no_secret'))


@unittest.skipIf(StripeFake is None, "fake Stripe server not found")
class ClientTestCase(unittest.TestCase):
    "The stripe library's client against the local fake Stripe API"

    @classmethod
    def setUpClass(cls):
        cls.fake = StripeFake()
        cls.base = cls.fake.start()

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def setUp(self):
        self.fake.mode = None
        self.client = stripe_api.client(self.fake.secret_key, self.base)

    def create(self, amount=Decimal('50.00'), code='EUR'):
        params = stripe_api.checkout_params('AT%s' % time.time_ns(), amount,
            code, "Facture", URLS, metadata={'shop': '1'})
        with stripe_api.errors('start'):
            return stripe_api.plain(
                self.client.v1.checkout.sessions.create(params))

    def test_create_and_pay(self):
        session = self.create(Decimal('5000'), 'XOF')
        self.assertTrue(session['id'].startswith('cs_test_'))
        method, path, params, headers = self.fake.requests[-1]
        self.assertEqual((method, path), ('POST', '/v1/checkout/sessions'))
        self.assertEqual(
            params['line_items'][0]['price_data']['unit_amount'], '5000')
        self.fake.pay(session['id'], 'paid')
        with stripe_api.errors('check'):
            session = stripe_api.plain(
                self.client.v1.checkout.sessions.retrieve(session['id']))
        self.assertEqual(stripe_api.session_status(session),
            ('paid', Decimal(5000), 'XOF', None))

    def test_missing_parameter(self):
        "The fake answers Stripe's 400 for a missing parameter"
        with self.assertRaises(GatewayError) as context:
            with stripe_api.errors('start'):
                self.client.v1.checkout.sessions.create({'mode': 'payment'})
        self.assertIn('success_url', str(context.exception))

    def test_wrong_key(self):
        client = stripe_api.client('sk_test_wrong_key_0000', self.base)
        with self.assertRaises(GatewayError) as context:
            with stripe_api.errors('check'):
                client.v1.checkout.sessions.retrieve('cs_test_x')
        self.assertNotIn('sk_test_wrong_key_0000', str(context.exception))

    def test_down(self):
        self.fake.mode = 'down'
        with self.assertRaises(GatewayUnavailable):
            self.create()

    def test_garbage(self):
        self.fake.mode = 'garbage'
        with self.assertRaises(GatewayUnavailable):
            self.create()

    def test_slow(self):
        "A slow Stripe times out fast: no retry"
        self.fake.mode = 'slow'
        self.fake.slow_seconds = 2
        if not config.has_section('payment_stripe'):
            config.add_section('payment_stripe')
        config.set('payment_stripe', 'timeout', '0.5')
        try:
            client = stripe_api.client(self.fake.secret_key, self.base)
            start = time.monotonic()
            with self.assertRaises(GatewayUnavailable):
                with stripe_api.errors('check'):
                    client.v1.checkout.sessions.retrieve('cs_test_x')
            self.assertLess(time.monotonic() - start, 1.9)
        finally:
            config.set('payment_stripe', 'timeout', '10')

    def test_refused_connection(self):
        fake = StripeFake()
        base = fake.start()
        fake.stop()
        client = stripe_api.client(fake.secret_key, base)
        with self.assertRaises(GatewayUnavailable):
            with stripe_api.errors('check'):
                client.v1.checkout.sessions.retrieve('cs_test_x')

    def test_refund(self):
        session = self.create()
        self.fake.pay(session['id'], 'paid')
        intent = self.fake.sessions[session['id']]['payment_intent']
        with stripe_api.errors('refund'):
            refund = stripe_api.plain(self.client.v1.refunds.create(
                    {'payment_intent': intent, 'amount': 2000}))
        self.assertTrue(refund['id'].startswith('re_'))
        self.assertEqual(stripe_api.refund_state(refund), 'refunded')
        with stripe_api.errors('check'):
            intent = stripe_api.plain(self.client.v1.payment_intents.retrieve(
                    intent, {'expand': ['latest_charge']}))
        self.assertEqual(intent['latest_charge']['amount_refunded'], 2000)

    def test_signature_helper(self):
        "The fake signs events as Stripe does"
        payload = self.fake.event('checkout.session.completed', {'id': 'x'})
        event, outcome = verify(payload.encode(), sign(payload, 'whsec_a'),
            'whsec_a')
        self.assertEqual(outcome, 'accepted')


del ModuleTestCase
