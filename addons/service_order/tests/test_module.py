import datetime
import socket

from aiosmtpd.controller import Controller

import trytond.config as config

from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.service_order.exceptions import StageTransitionError
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

from .tools import create_stages


class ServiceOrderTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Service Order module"
    module = 'service_order'

    def _order(self, company, stages):
        pool = Pool()
        Order = pool.get('service.order')
        Party = pool.get('party.party')
        party = Party(name="Awa Diop")
        party.save()
        order = Order(kind='service', party=party, stage=stages['intake'])
        order.save()
        return order

    @with_transaction()
    def test_number_token_history(self):
        "A new order gets a per-shop number, a token and a history row"
        company = create_company()
        with set_company(company):
            stages = create_stages(company)
            order = self._order(company, stages)
            year = datetime.date.today().year
            self.assertEqual(order.number, '%s-00001' % year)
            self.assertGreaterEqual(len(order.tracking_token), 32)
            history, = order.history
            self.assertEqual(history.to_stage, stages['intake'])
            self.assertIsNone(history.from_stage)
            token = order.tracking_token
            order.revoke_token([order])
            self.assertNotEqual(order.tracking_token, token)

    @with_transaction()
    def test_allowed_transitions(self):
        "Only allowed moves pass; each writes history and audit"
        pool = Pool()
        Audit = pool.get('workshop.audit')
        company = create_company()
        with set_company(company):
            stages = create_stages(company)
            order = self._order(company, stages)
            with self.assertRaises(StageTransitionError) as cm:
                order.set_stage(stages['delivered'])
            self.assertIn("In progress", str(cm.exception))
            order.set_stage(stages['open'])
            order.set_stage(stages['ready'])
            self.assertEqual(
                [h.to_stage.code for h in order.history],
                ['intake', 'open', 'ready'])
            self.assertEqual(order.stage_category, 'ready')
            self.assertEqual(
                len(Audit.search([('action', '=', 'stage')])), 2)
            # Nothing is billed: delivery needs no override
            order.set_stage(stages['delivered'])
            self.assertFalse(order.delivered_unpaid)

    @with_transaction()
    def test_document_sent_and_deleted_audited(self):
        "Emailing a quote and deleting one leave audit rows"
        pool = Pool()
        Audit = pool.get('workshop.audit')
        Email = pool.get('ir.email')
        Party = pool.get('party.party')
        Sale = pool.get('sale.sale')
        company = create_company()
        with set_company(company):
            party, = Party.create([{'name': "Awa Diop",
                        'addresses': [('create', [{}])]}])
            sent, deleted = Sale.create([{
                        'party': party.id, 'company': company.id,
                        'currency': company.currency.id,
                        'invoice_address': party.addresses[0].id,
                        } for _ in range(2)])
            received = []

            class Handler:
                async def handle_DATA(self, server, session, envelope):
                    received.append(envelope.rcpt_tos)
                    return '250 OK'
            with socket.socket() as sock:
                sock.bind(('127.0.0.1', 0))
                port = sock.getsockname()[1]
            smtp = Controller(Handler(), hostname='127.0.0.1', port=port)
            smtp.start()
            self.addCleanup(smtp.stop)
            uri = config.get('email', 'uri')
            config.set('email', 'uri', 'smtp://127.0.0.1:%s' % port)
            self.addCleanup(config.set, 'email', 'uri', uri)
            Email.send(to='awa@example.com', subject="Votre devis",
                record=('sale.sale', sent.id))
            deleted_name = deleted.rec_name
            Sale.delete([deleted])
            row, = Audit.search([('action', '=', 'quote_sent')])
            self.assertEqual(row.resource, sent)
            self.assertIn('awa@example.com', row.description)
            row, = Audit.search([('action', '=', 'deletion')])
            self.assertEqual(row.resource_name, deleted_name)


del ModuleTestCase
