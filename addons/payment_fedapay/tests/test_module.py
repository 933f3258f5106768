"""payment_fedapay: module test and unit tests of the pure parts (client
against a stub session, webhook signature maths, status mapping, event
parsing)."""
import json
import unittest
from decimal import Decimal

import requests

from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.payment_fedapay import client, signature, status
from trytond.modules.payment_fedapay.routes import event_transaction_id
from trytond.modules.payment_gateway.exceptions import GatewayUnavailable
from trytond.tests.test_tryton import ModuleTestCase

SECRET = 'wh_sandbox_0123456789abcdef'


class StubResponse:

    def __init__(self, status_code, body):
        self.status_code = status_code
        self._body = body

    def json(self):
        if isinstance(self._body, (bytes, str)):
            return json.loads(self._body)
        return self._body


class StubSession:
    "Answers each request with the next of `answers` (or raises it)."

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def request(self, method, url, json=None, headers=None, timeout=None):
        self.calls.append((method, url, json, headers, timeout))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class UnwrapTestCase(unittest.TestCase):

    def test_wrapped(self):
        self.assertEqual(
            client.unwrap({'v1/transaction': {'id': 7}}), {'id': 7})

    def test_bare(self):
        self.assertEqual(client.unwrap({'id': 7, 'status': 'pending'}),
            {'id': 7, 'status': 'pending'})

    def test_other_key(self):
        self.assertEqual(client.unwrap(
                {'v1/token': {'url': 'https://x'}}, key='v1/token'),
            {'url': 'https://x'})

    def test_not_an_object(self):
        for data in [[], 'garbage', None, 3]:
            with self.assertRaises(GatewayUnavailable):
                client.unwrap(data)


class ClientTestCase(unittest.TestCase):

    def test_base_url(self):
        self.assertEqual(client.base_url('sandbox'),
            'https://sandbox-api.fedapay.com')
        self.assertEqual(client.base_url('live'), 'https://api.fedapay.com')
        self.assertEqual(client.base_url('live', 'http://127.0.0.1:9/'),
            'http://127.0.0.1:9')

    def test_payload(self):
        payload = client.transaction_payload("Facture F1", Decimal('15000'),
            'XOF', 'https://shop/pay/return/AT1', customer={
                'first_name': "Koffi", 'last_name': "Agbo", 'email': '',
                'phone': '+22997808080', 'phone_country': 'BJ',
                }, reference='AT1')
        self.assertEqual(payload, {
                'description': "Facture F1",
                'amount': 15000,
                'currency': {'iso': 'XOF'},
                'callback_url': 'https://shop/pay/return/AT1',
                'custom_metadata': {'reference': 'AT1'},
                'customer': {
                    'firstname': "Koffi", 'lastname': "Agbo",
                    'phone_number': {
                        'number': '+22997808080', 'country': 'bj'},
                    },
                })
        self.assertIs(type(payload['amount']), int)

    def test_amount_whole(self):
        self.assertEqual(client.to_integer_amount(Decimal('100.00')), 100)
        with self.assertRaises(ValueError):
            client.to_integer_amount(Decimal('100.5'))

    def test_create_sends_bearer_and_timeout(self):
        session = StubSession(StubResponse(200, {'v1/transaction': {
                        'id': 42, 'status': 'pending'}}))
        api = client.Client('sk_sandbox_x', url='http://fake', session=session)
        self.assertEqual(api.create_transaction({'a': 1})['id'], 42)
        method, url, body, headers, timeout = session.calls[0]
        self.assertEqual((method, url), ('POST', 'http://fake/v1/transactions'))
        self.assertEqual(headers['Authorization'], 'Bearer sk_sandbox_x')
        self.assertEqual(timeout, client.TIMEOUT)

    def test_token(self):
        session = StubSession(StubResponse(200, {
                    'token': 'tok', 'url': 'https://checkout/pay/tok'}))
        api = client.Client('k', url='http://fake', session=session)
        self.assertEqual(api.create_token(42)['url'],
            'https://checkout/pay/tok')
        self.assertEqual(session.calls[0][1],
            'http://fake/v1/transactions/42/token')

    def test_refused(self):
        session = StubSession(StubResponse(400, {
                    'message': "Invalid data",
                    'errors': {'amount': ["must be an integer"]}}))
        api = client.Client('k', url='http://fake', session=session)
        with self.assertRaises(client.FedaPayRefused) as cm:
            api.create_transaction({})
        self.assertEqual(cm.exception.status, 400)
        self.assertEqual(cm.exception.describe(),
            "Invalid data (amount: must be an integer)")

    def test_unavailable(self):
        for answer in [
                requests.Timeout(), requests.ConnectionError(),
                StubResponse(503, {'message': 'down'}),
                StubResponse(200, b'<html>oops</html>'),
                StubResponse(200, ['not', 'an', 'object']),
                StubResponse(200, {'status': 'pending'}),  # no id
                ]:
            api = client.Client('sk_secret_value', url='http://fake',
                session=StubSession(answer))
            with self.assertRaises(GatewayUnavailable) as cm:
                api.create_transaction({})
            self.assertNotIn('sk_secret_value', str(cm.exception))

    def test_token_without_url(self):
        api = client.Client('k', url='http://fake',
            session=StubSession(StubResponse(200, {'token': 't'})))
        with self.assertRaises(GatewayUnavailable):
            api.create_token(1)

    def test_id_in_path(self):
        api = client.Client('k', url='http://fake', session=StubSession())
        with self.assertRaises(ValueError):
            api.get_transaction('1/../../v1/accounts')


class SignatureTestCase(unittest.TestCase):
    body = b'{"name":"transaction.approved","entity":{"id":1}}'

    def test_valid(self):
        header = signature.sign(SECRET, self.body, timestamp=1000)
        self.assertEqual(signature.verify(SECRET, header, self.body,
                now=1000), signature.VALID)

    def test_known_vector(self):
        import hashlib
        import hmac
        expected = hmac.new(SECRET.encode(), b'1000.' + self.body,
            hashlib.sha256).hexdigest()
        self.assertEqual(signature.compute(SECRET, 1000, self.body),
            expected)

    def test_several_signatures_one_valid(self):
        header = signature.sign(SECRET, self.body, timestamp=1000,
            extra=['0' * 64, 'deadbeef'])
        self.assertEqual(header.count('s='), 3)
        self.assertEqual(signature.verify(SECRET, header, self.body,
                now=1000), signature.VALID)

    def test_forged(self):
        header = signature.sign('other secret', self.body, timestamp=1000)
        self.assertEqual(signature.verify(SECRET, header, self.body,
                now=1000), signature.BAD)

    def test_tampered_body(self):
        header = signature.sign(SECRET, self.body, timestamp=1000)
        self.assertEqual(signature.verify(SECRET, header,
                self.body.replace(b'1', b'2'), now=1000), signature.BAD)

    def test_missing(self):
        for header in [None, '']:
            self.assertEqual(signature.verify(SECRET, header, self.body),
                signature.MISSING)

    def test_malformed(self):
        for header in ['garbage', 't=abc,s=00', 't=1000', 's=00',
                't=1000,s=\u00e9\u00e9']:
            self.assertEqual(signature.verify(SECRET, header, self.body,
                    now=1000), signature.BAD, msg=header)

    def test_no_secret_configured(self):
        header = signature.sign(SECRET, self.body, timestamp=1000)
        self.assertEqual(signature.verify(None, header, self.body,
                now=1000), signature.BAD)

    def test_replayed_and_future(self):
        header = signature.sign(SECRET, self.body, timestamp=1000)
        self.assertEqual(signature.verify(SECRET, header, self.body,
                now=1300), signature.VALID)
        self.assertEqual(signature.verify(SECRET, header, self.body,
                now=1301), signature.REPLAYED)
        self.assertEqual(signature.verify(SECRET, header, self.body,
                now=699), signature.REPLAYED)

    def test_parse(self):
        self.assertEqual(signature.parse(' t=5 , s=ab,s=cd,v1=ef'),
            (5, ['ab', 'cd']))


class StatusTestCase(unittest.TestCase):

    def test_states(self):
        for fedapay, state in [
                ('approved', 'paid'), ('transferred', 'paid'),
                ('approved_partially_refunded', 'paid'),
                ('refunded', 'refunded'), ('declined', 'failed'),
                ('expired', 'failed'), ('canceled', 'cancelled'),
                ('pending', 'pending'), ('created', 'pending'),
                ('', 'pending'), (None, 'pending'), ('APPROVED', 'paid'),
                ('something new', 'pending')]:
            self.assertEqual(status.state(fedapay), state, msg=fedapay)

    def test_amount(self):
        self.assertEqual(status.amount({'amount': 15000}), Decimal(15000))
        self.assertEqual(status.amount({'amount': '15000'}), Decimal(15000))
        for value in [None, True, 'abc', 'NaN']:
            self.assertIsNone(status.amount({'amount': value}), msg=value)

    def test_currency_iso(self):
        self.assertEqual(status.currency(
                {'currency_id': 1, 'currency': {'id': 1, 'iso': 'xof'}},
                'XOF', None), 'XOF')
        self.assertEqual(status.currency(
                {'currency': {'iso': 'EUR'}}, 'XOF', '1'), 'EUR')

    def test_currency_id(self):
        self.assertEqual(status.currency({'currency_id': 1}, 'XOF', '1'),
            'XOF')
        self.assertEqual(status.currency({'currency_id': 2}, 'XOF', '1'),
            'FEDAPAY:2')
        with self.assertRaises(status.UnknownCurrency):
            status.currency({'currency_id': 1}, 'XOF', None)
        with self.assertRaises(status.UnknownCurrency):
            status.currency({}, 'XOF', '1')

    def test_currency_id_of(self):
        self.assertEqual(status.currency_id({'currency_id': 1}), '1')
        self.assertEqual(status.currency_id({'currency': {'id': 3}}), '3')
        self.assertIsNone(status.currency_id({}))


class EventTestCase(unittest.TestCase):

    def test_transaction_event(self):
        body = json.dumps({'name': 'transaction.approved',
                'object': 'transaction',
                'entity': {'klass': 'v1/transaction', 'id': 250828,
                    'status': 'approved'}}).encode()
        self.assertEqual(event_transaction_id(body), '250828')

    def test_not_a_transaction(self):
        for body in [
                b'garbage', b'[]', b'{}', b'{"entity": 3}',
                json.dumps({'name': 'customer.updated', 'object': 'customer',
                        'entity': {'id': 5}}).encode(),
                json.dumps({'name': 'transaction.approved',
                        'entity': {'id': '5 OR 1=1'}}).encode(),
                b'\xff\xfe']:
            self.assertIsNone(event_transaction_id(body), msg=body)


class PaymentFedapayTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Payment FedaPay module"
    module = 'payment_fedapay'


del ModuleTestCase
