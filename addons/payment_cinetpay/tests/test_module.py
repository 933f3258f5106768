"""payment_cinetpay: module registration and the pure parts (amount rules,
x-token HMAC, check answers, code table, request body)."""
import hashlib
import hmac
import unittest
from decimal import Decimal
from unittest import mock

import requests

from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.payment_cinetpay import cinetpay
from trytond.modules.payment_cinetpay.routes import parse_form
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

# A notification as documented (https://docs.cinetpay.com/api/1.0-fr/checkout/hmac).
FORM = {
    'cpm_site_id': '445160',
    'cpm_trans_id': 'AT0123456789ABCDEF01234567',
    'cpm_trans_date': '2024-05-02 10:11:12',
    'cpm_amount': '12345',
    'cpm_currency': 'XOF',
    'signature': 'd0b4a3b5c6',
    'payment_method': 'OM',
    'cel_phone_num': '0707070707',
    'cpm_phone_prefixe': '225',
    'cpm_language': 'fr',
    'cpm_version': 'V4',
    'cpm_payment_config': 'Single',
    'cpm_page_action': 'Payment',
    'cpm_custom': 'AT0123456789ABCDEF01234567',
    'cpm_designation': 'Facture FA0001',
    'cpm_error_message': 'SUCCES',
    }
SECRET = 'secret-key-of-the-shop'


class CinetPayPureTestCase(unittest.TestCase):
    "The HTTP-free parts of the CinetPay client"

    def test_round_amount(self):
        "Franc amounts go up to the next multiple of 5"
        for amount, expected in [
                ('12345', '12345'), ('12346', '12350'), ('12348', '12350'),
                ('12341', '12345'), ('12342.5', '12345'), ('100', '100'),
                ('101', '105'), ('103', '105')]:
            self.assertEqual(
                cinetpay.round_amount(Decimal(amount), 'XOF'),
                Decimal(expected), amount)
        self.assertEqual(
            cinetpay.round_amount(Decimal('12.34'), 'USD'), Decimal('12.34'))

    def test_amount_problem(self):
        "Minimum 100 XOF, multiples of 5, CinetPay's currencies only"
        self.assertIsNone(cinetpay.amount_problem(Decimal(100), 'XOF'))
        self.assertEqual(
            cinetpay.amount_problem(Decimal(95), 'XOF'), 'minimum')
        self.assertEqual(
            cinetpay.amount_problem(Decimal(101), 'XAF'), 'multiple')
        self.assertEqual(
            cinetpay.amount_problem(Decimal(100), 'EUR'), 'currency')
        self.assertIsNone(cinetpay.amount_problem(Decimal('10.5'), 'USD'))

    def test_token_documented_concatenation(self):
        "x-token: HMAC-SHA256 hex of the fields in the documented order"
        data = ''.join(FORM[f] for f in cinetpay.NOTIFICATION_TOKEN_FIELDS)
        expected = hmac.new(SECRET.encode(), data.encode(),
            hashlib.sha256).hexdigest()
        self.assertEqual(cinetpay.notification_token(FORM, SECRET), expected)
        self.assertEqual(cinetpay.NOTIFICATION_TOKEN_FIELDS[0], 'cpm_site_id')
        self.assertEqual(
            cinetpay.NOTIFICATION_TOKEN_FIELDS[-1], 'cpm_error_message')

    def test_verify(self):
        "A genuine token passes, forged, missing or altered ones do not"
        token = cinetpay.notification_token(FORM, SECRET)
        self.assertTrue(cinetpay.verify_notification(FORM, token, SECRET))
        self.assertTrue(
            cinetpay.verify_notification(FORM, token.upper(), SECRET))
        self.assertFalse(cinetpay.verify_notification(FORM, None, SECRET))
        self.assertFalse(cinetpay.verify_notification(FORM, '', SECRET))
        self.assertFalse(cinetpay.verify_notification(FORM, token, None))
        self.assertFalse(cinetpay.verify_notification(
                FORM, cinetpay.notification_token(FORM, 'other'), SECRET))
        altered = dict(FORM, cpm_amount='5')
        self.assertFalse(cinetpay.verify_notification(altered, token, SECRET))
        self.assertFalse(
            cinetpay.verify_notification(FORM, 'é' * 64, SECRET))

    def test_absent_fields_empty(self):
        "Absent fields count as empty strings"
        form = dict(FORM)
        del form['cpm_error_message']
        self.assertEqual(
            cinetpay.notification_token(form, SECRET),
            cinetpay.notification_token(
                dict(form, cpm_error_message=''), SECRET))

    def test_parse_form(self):
        "The raw form body is decoded once, first value wins"
        self.assertEqual(
            parse_form(b'cpm_trans_id=A&cpm_amount=100&cpm_amount=5&x='),
            {'cpm_trans_id': 'A', 'cpm_amount': '100', 'x': ''})

    def test_parse_check_accepted(self):
        "Only 00 + ACCEPTED is paid, with CinetPay's amount and currency"
        status = cinetpay.parse_check({
                'code': '00', 'message': 'SUCCES',
                'data': {'amount': '100', 'currency': 'XOF',
                    'status': 'ACCEPTED', 'operator_id': 'MP1'}})
        self.assertEqual(status['state'], 'paid')
        self.assertEqual(status['amount'], Decimal(100))
        self.assertEqual(status['currency'], 'XOF')
        self.assertEqual(status['operator_id'], 'MP1')

    def test_parse_check_others(self):
        "Waiting codes stay pending; refused fail; 627 cancels"
        for code, status, state in [
                ('662', 'WAITING_FOR_CUSTOMER', 'pending'),
                ('623', 'WAITING_FOR_CUSTOMER', 'pending'),
                ('663', '', 'pending'),
                ('600', 'REFUSED', 'failed'),
                ('602', 'REFUSED', 'failed'),
                ('627', 'REFUSED', 'cancelled'),
                ('00', 'REFUSED', 'failed'),
                ]:
            parsed = cinetpay.parse_check({'code': code, 'data': {
                        'amount': '100', 'currency': 'XOF',
                        'status': status}})
            self.assertEqual(parsed['state'], state, code)
        with self.assertRaises(cinetpay.CinetPayRefused) as cm:
            cinetpay.parse_check({'code': '609', 'message': 'AUTH_NOT_FOUND',
                    'data': []})
        self.assertEqual(cm.exception.code, '609')
        with self.assertRaises(cinetpay.CinetPayUnavailable):
            cinetpay.parse_check({'code': '429'})
        with self.assertRaises(cinetpay.CinetPayUnavailable):
            cinetpay.parse_check({'code': '00', 'data': {'status': ''}})

    def test_code_table(self):
        "Every code has an outcome; errors have a message for the shop"
        for code, (name, outcome, message_id) in cinetpay.CODES.items():
            self.assertIn(outcome, {
                    'ok', 'pending', 'failed', 'cancelled', 'error',
                    'unavailable'})
            if outcome != 'ok':
                self.assertTrue(message_id, code)
        self.assertEqual(cinetpay.code_info('999')[1], 'error')

    def test_payment_request(self):
        "The initialisation body has CinetPay's required fields"
        payload = cinetpay.payment_request('key', '445160', 'AT1',
            Decimal('12345'), 'XOF', 'Facture FA/2024/01 #1 & co_',
            'https://n', 'https://r', customer={
                'first_name': 'Awa', 'last_name': 'Koné',
                'email': 'awa@example.ci', 'phone': '+2250707070707',
                'country': 'CI', 'city': 'Abidjan', 'street': 'Rue 12',
                'zip': ''})
        self.assertEqual(payload['amount'], 12345)
        self.assertIsInstance(payload['amount'], int)
        self.assertEqual(payload['description'], 'Facture FA 2024 01 1 co')
        for name in ['apikey', 'site_id', 'transaction_id', 'currency',
                'notify_url', 'return_url', 'channels']:
            self.assertTrue(payload[name], name)
        self.assertEqual(payload['customer_surname'], 'Awa')
        self.assertEqual(payload['customer_name'], 'Koné')
        self.assertEqual(payload['customer_country'], 'CI')

    def test_post_errors(self):
        "Timeouts, connection errors, 5xx and non-JSON are 'unavailable'"
        def answer(status, text):
            response = mock.Mock(status_code=status, text=text)
            return mock.patch.object(
                cinetpay.requests, 'post', return_value=response)
        with mock.patch.object(cinetpay.requests, 'post',
                side_effect=requests.Timeout()):
            with self.assertRaises(cinetpay.CinetPayUnavailable):
                cinetpay.check('https://x', 'k', 's', 't')
        with mock.patch.object(cinetpay.requests, 'post',
                side_effect=requests.ConnectionError('key=secret')):
            with self.assertRaises(cinetpay.CinetPayUnavailable) as cm:
                cinetpay.check('https://x', 'k', 's', 't')
            self.assertNotIn('secret', str(cm.exception))
        with answer(502, '{}'):
            with self.assertRaises(cinetpay.CinetPayUnavailable):
                cinetpay.check('https://x', 'k', 's', 't')
        with answer(200, '<html>'):
            with self.assertRaises(cinetpay.CinetPayUnavailable):
                cinetpay.check('https://x', 'k', 's', 't')
        with answer(200, '{"code": "201", "data": {}}'):
            with self.assertRaises(cinetpay.CinetPayUnavailable):
                cinetpay.initialise('https://x', {})
        with answer(200, '{"code": "609", "message": "AUTH_NOT_FOUND"}'):
            with self.assertRaises(cinetpay.CinetPayRefused):
                cinetpay.initialise('https://x', {})

    def test_post_sends_user_agent_and_timeout(self):
        "Every request has a User-Agent and a timeout"
        response = mock.Mock(status_code=200, text='{"code": "201", '
            '"data": {"payment_url": "https://pay", "payment_token": "t"}}')
        with mock.patch.object(cinetpay.requests, 'post',
                return_value=response) as post:
            self.assertEqual(cinetpay.initialise('https://x/', {'a': 1}),
                ('https://pay', 't', response.text))
        args, kwargs = post.call_args
        self.assertEqual(args[0], 'https://x/v2/payment')
        self.assertTrue(kwargs['headers']['User-Agent'])
        self.assertTrue(kwargs['timeout'])


class PaymentCinetpayTestCase(CompanyTestMixin, ModuleTestCase):
    "Test payment_cinetpay module"
    module = 'payment_cinetpay'

    @with_transaction()
    def test_provider_and_round(self):
        "CinetPay is a provider; its amounts are rounded to 5 francs"
        pool = Pool()
        Gateway = pool.get('payment.gateway')
        Currency = pool.get('currency.currency')
        self.assertIn('cinetpay',
            dict(Gateway.fields_get(['provider'])['provider']['selection']))
        xof, = Currency.create([{
                    'name': 'Franc CFA', 'code': 'XOF', 'symbol': 'F',
                    'digits': 0, 'rounding': Decimal(1)}])
        gateway = Gateway(provider='cinetpay')
        self.assertEqual(
            gateway.round_amount(Decimal('12345.4'), xof), Decimal(12345))
        self.assertEqual(
            gateway.round_amount(Decimal('12347.4'), xof), Decimal(12350))
        self.assertEqual(
            gateway.round_amount(Decimal('12348'), xof), Decimal(12350))

    @with_transaction()
    def test_error_messages(self):
        "CinetPay's error codes become messages naming the gateway and code"
        pool = Pool()
        Gateway = pool.get('payment.gateway')
        gateway = Gateway(provider='cinetpay', name="CinetPay Abidjan")
        gateway.rec_name = gateway.name  # an unsaved record has none
        for code in ['609', '613', '608', '999', '00']:
            error = gateway._cinetpay_error(
                cinetpay.CinetPayRefused(code, 'SOME_CODE', 'details'))
            self.assertIn('CinetPay %s' % code, error.message)
        error = gateway._cinetpay_error(
            cinetpay.CinetPayRefused('609', 'AUTH_NOT_FOUND'))
        self.assertIn('CinetPay Abidjan', error.message)
        self.assertIn('API Key', error.message)


del ModuleTestCase
