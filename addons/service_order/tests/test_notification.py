"""Customer emails on stage change, through a real SMTP server (aiosmtpd).

Tests run inside one transaction that is never committed, so the queue
tasks pushed by the stage change are run by hand (`_run_queue`) as the
dispatcher would after commit.
"""
import datetime
import email
import email.policy
import socket
import unittest

from aiosmtpd.controller import Controller

import trytond.config as config
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.service_order.notification import (
    MAX_ATTEMPTS, render_template, retry_delay, text_colour)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .tools import create_stages


def free_port():
    "Return a TCP port of 127.0.0.1 that nothing listens on (yet)."
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class _Inbox:
    "aiosmtpd handler keeping the received messages."
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(
                envelope.content, policy=email.policy.default))
        return '250 OK'


class NotificationTestCase(unittest.TestCase):
    "Test customer notifications"

    @classmethod
    def setUpClass(cls):
        activate_module('service_order')

    def setUp(self):
        self.port = free_port()
        self.inbox = _Inbox()
        self.controller = None
        self._config = {k: config.get('email', k) for k in ['uri', 'from']}
        config.set('email', 'uri', 'smtp://127.0.0.1:%s' % self.port)
        config.set('email', 'from', 'atelier@example.com')

    def tearDown(self):
        self.stop_smtp()
        for key, value in self._config.items():
            config.set('email', key, value)

    def start_smtp(self):
        self.controller = Controller(
            self.inbox, hostname='127.0.0.1', port=self.port)
        self.controller.start()

    def stop_smtp(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    def _run_queue(self):
        "Run the queued tasks of the transaction as after a commit."
        Queue = Pool().get('ir.queue')
        transaction = Transaction()
        while transaction.tasks:
            Queue(transaction.tasks.pop()).run()

    def _order(self, company, email_address='awa.diop@example.com'):
        pool = Pool()
        Order = pool.get('service.order')
        Party = pool.get('party.party')
        stages = create_stages(company)
        party = Party(name="Awa Diop")
        if email_address:
            party.contact_mechanisms = [
                {'type': 'email', 'value': email_address}]
        party.save()
        order = Order(kind='service', party=party, stage=stages['intake'])
        order.save()
        return order, stages

    def test_render_template(self):
        "Placeholders are replaced; unknown and broken ones do not fail"
        values = {'number': 'A-1', 'customer': 'Awa'}
        self.assertEqual(
            render_template("{number} {customer} {unknown}", values),
            "A-1 Awa {unknown}")
        self.assertEqual(
            render_template("{number:d} {customer}", values),
            "{number:d} Awa")
        self.assertEqual(
            render_template("{customer} }", values), "Awa }")
        self.assertEqual(render_template(None, values), '')

    def test_retry_delay_and_colour(self):
        "Back-off doubles and is capped; text colour keeps contrast"
        self.assertEqual(retry_delay(1), datetime.timedelta(minutes=5))
        self.assertEqual(retry_delay(3), datetime.timedelta(minutes=20))
        self.assertEqual(retry_delay(20), datetime.timedelta(hours=12))
        self.assertEqual(text_colour('#1f4e79'), '#ffffff')
        self.assertEqual(text_colour('#ffe600'), '#000000')

    @with_transaction()
    def test_email_sent_on_notify_stage(self):
        "Entering a notify stage emails the customer after commit"
        Notification = Pool().get('service.order.notification')
        self.start_smtp()
        company = create_company()
        with set_company(company):
            order, stages = self._order(company)
            order.set_stage(stages['open'])
            self.assertEqual(Notification.search([]), [])

            order.set_stage(stages['ready'])
            notification, = Notification.search([])
            self.assertEqual(notification.state, 'pending')
            self.assertEqual(self.inbox.messages, [])  # not before commit
            self._run_queue()

        notification = Notification(notification.id)
        self.assertEqual(notification.state, 'sent')
        self.assertEqual(notification.attempts, 1)
        self.assertTrue(notification.sent_at)
        msg, = self.inbox.messages
        self.assertEqual(msg['Subject'], '%s: Ready' % order.number)
        self.assertEqual(msg['To'], 'awa.diop@example.com')
        self.assertIn('atelier@example.com', msg['From'])
        self.assertEqual(msg['Message-ID'], notification.message_id)
        text = msg.get_body(('plain',)).get_content()
        self.assertIn("Bonjour Awa,", text)
        self.assertNotIn("Diop", text)
        self.assertIn(order.tracking_url, text)
        self.assertIn('/t/%s' % order.tracking_token, text)
        html = msg.get_body(('html',)).get_content()
        self.assertIn(company.primary_colour, html)
        self.assertIn(order.tracking_url, html)

    @with_transaction()
    def test_failed_send_is_retried(self):
        "A failed send is recorded, backed off, then sent by the cron"
        Notification = Pool().get('service.order.notification')
        company = create_company()
        with set_company(company):
            order, stages = self._order(company)
            order.set_stage(stages['open'])
            order.set_stage(stages['ready'])
            self._run_queue()  # nothing listens on the port

        notification, = Notification.search([])
        self.assertEqual(notification.state, 'failed')
        self.assertEqual(notification.attempts, 1)
        self.assertTrue(notification.last_error)
        self.assertGreater(
            notification.next_attempt_at, datetime.datetime.now())

        self.start_smtp()
        Notification.retry_failed()  # not due yet
        self.assertEqual(Notification(notification.id).state, 'failed')
        self.assertEqual(self.inbox.messages, [])

        Notification.write([notification], {
                'next_attempt_at': datetime.datetime.now()
                - datetime.timedelta(seconds=1)})
        Notification.retry_failed()
        notification = Notification(notification.id)
        self.assertEqual(notification.state, 'sent')
        self.assertEqual(notification.attempts, 2)
        self.assertIsNone(notification.next_attempt_at)
        self.assertEqual(len(self.inbox.messages), 1)

    @with_transaction()
    def test_max_attempts(self):
        "After MAX_ATTEMPTS failures the cron leaves the message failed"
        Notification = Pool().get('service.order.notification')
        company = create_company()
        with set_company(company):
            order, stages = self._order(company)
            order.set_stage(stages['open'])
            order.set_stage(stages['ready'])
            self._run_queue()
        notification, = Notification.search([])
        past = datetime.datetime.now() - datetime.timedelta(seconds=1)
        for _ in range(MAX_ATTEMPTS - 1):
            Notification.write([notification], {'next_attempt_at': past})
            Notification.retry_failed()
        notification = Notification(notification.id)
        self.assertEqual(notification.state, 'failed')
        self.assertEqual(notification.attempts, MAX_ATTEMPTS)
        self.assertIsNone(notification.next_attempt_at)
        Notification.write([notification], {'next_attempt_at': past})
        Notification.retry_failed()
        self.assertEqual(Notification(notification.id).attempts, MAX_ATTEMPTS)

        # Staff retry by hand once the server is back
        self.start_smtp()
        Notification.retry([notification])
        self._run_queue()
        self.assertEqual(Notification(notification.id).state, 'sent')

    @with_transaction()
    def test_no_email_recorded_not_sent(self):
        "A customer without email gets a cancelled notification with reason"
        Notification = Pool().get('service.order.notification')
        self.start_smtp()
        company = create_company()
        with set_company(company):
            order, stages = self._order(company, email_address=None)
            order.set_stage(stages['open'])
            order.set_stage(stages['ready'])
            self._run_queue()
        notification, = Notification.search([])
        self.assertEqual(notification.state, 'cancelled')
        self.assertIn("email", notification.last_error)
        self.assertEqual(notification.attempts, 0)
        self.assertEqual(self.inbox.messages, [])

    @with_transaction()
    def test_stage_without_notify(self):
        "A stage without notify records nothing and queues nothing"
        Notification = Pool().get('service.order.notification')
        company = create_company()
        with set_company(company):
            order, stages = self._order(company)
            order.set_stage(stages['open'])
            self.assertEqual(Transaction().tasks, [])
        self.assertEqual(Notification.search([]), [])
