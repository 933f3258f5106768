"""Unit tests of the online payment core with a stand-in provider whose
answers each test sets: settlement once, mismatches, deposits, refunds,
expiry and secrets. Providers' own tests (tests/test_payment_*.py) drive
the real clients against fake provider servers."""
import datetime
from decimal import Decimal

from trytond.model.exceptions import AccessError
from trytond.modules.account.tests import create_chart, get_fiscalyear
from trytond.modules.account_invoice.tests.test_module import (
    set_invoice_sequences)
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.payment_gateway.gateway import ProviderStatus
from trytond.modules.payment_gateway.exceptions import (
    GatewayUnavailable, PayLinkError)
from trytond.modules.service_order.tests.tools import (
    create_service_product, create_stages)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction


class StandIn:
    "The answers of the stand-in provider 'dummy', set by each test."
    status = None
    refund = None
    calls = 0


def _check_dummy(self, transaction):
    StandIn.calls += 1
    if StandIn.status is None:
        raise GatewayUnavailable("down")
    return StandIn.status(transaction) if callable(StandIn.status) \
        else StandIn.status


def _refund_dummy(self, transaction, amount):
    return ProviderStatus('refunded', amount, transaction.currency.code,
        raw='{"refund": "re_1"}')


def _start_dummy(self, transaction, urls):
    transaction.provider_reference = 'D-' + transaction.reference
    return 'https://pay.example/' + transaction.reference


def paid(transaction, amount=None, currency=None):
    return ProviderStatus('paid',
        transaction.amount if amount is None else amount,
        currency or transaction.currency.code, raw='{"status": "paid"}')


class PaymentGatewayTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Payment Gateway module"
    module = 'payment_gateway'
    extras = ['cashier']

    @staticmethod
    def _register_dummy():
        Gateway = Pool().get('payment.gateway')
        if ('dummy', "Dummy") not in Gateway.provider.selection:
            Gateway.provider.selection.append(('dummy', "Dummy"))
        Gateway._check_dummy = _check_dummy
        Gateway._refund_dummy = _refund_dummy
        Gateway._start_dummy = _start_dummy

    def setUp(self):
        super().setUp()
        StandIn.status = None
        StandIn.calls = 0

    def _setup(self, company):
        "Chart, fiscal year, a payment method and a gateway; return both."
        self._register_dummy()
        pool = Pool()
        Account = pool.get('account.account')
        Journal = pool.get('account.journal')
        FiscalYear = pool.get('account.fiscalyear')
        Method = pool.get('account.invoice.payment.method')
        Gateway = pool.get('payment.gateway')
        create_chart(company)
        fiscalyear = set_invoice_sequences(get_fiscalyear(company))
        fiscalyear.save()
        FiscalYear.create_period([fiscalyear])
        cash, = Account.search([
                ('company', '=', company.id), ('code', '=', '1.1.1')])
        journal, = Journal.create([{
                    'name': "Online", 'type': 'cash', 'code': 'WEB'}])
        method, = Method.create([{
                    'name': "Online", 'company': company.id,
                    'journal': journal.id, 'debit_account': cash.id,
                    'credit_account': cash.id}])
        gateway, = Gateway.create([{
                    'company': company.id, 'name': "Dummy Pay",
                    'provider': 'dummy', 'payment_method': method.id}])
        return gateway

    def _order(self, company, price=Decimal('100'), deposit=None):
        """A service order quoted at `price` (no tax), approved, its
        invoice (or deposit invoice) posted. Returns the order."""
        pool = Pool()
        Order = pool.get('service.order')
        Line = pool.get('service.order.line')
        Party = pool.get('party.party')
        Category = pool.get('product.category')
        Account = pool.get('account.account')
        revenue, = Account.search([
                ('company', '=', company.id), ('type.revenue', '=', True),
                ('closed', '!=', True)], limit=1)
        stages = create_stages(company)
        category = Category(name="Labour", accounting=True,
            account_revenue=revenue)
        category.save()
        product = create_service_product(price=price)
        product.template.account_category = category
        product.template.save()
        party, = Party.create([{
                    'name': "Awa Diop", 'addresses': [('create', [{}])],
                    'contact_mechanisms': [('create', [{
                                    'type': 'email',
                                    'value': 'awa@example.com'}])],
                    }])
        order = Order(kind='service', party=party, stage=stages['intake'],
            deposit_term=deposit)
        line = Line(product=product, quantity=1)
        line.on_change_product()
        order.lines = [line]
        order.save()
        Order.quote([order])
        Order.approve_quote([order])
        Order.invoice([order])
        return Order(order.id)

    def _deposit_term(self, company, rate='0.3'):
        pool = Pool()
        Term = pool.get('sale.advance_payment_term')
        Account = pool.get('account.account')
        account, = Account.search([
                ('company', '=', company.id), ('code', '=', '2.2.2')])
        term, = Term.create([{
                    'name': "Acompte 30 %",
                    'lines': [('create', [{
                                    'description': "Acompte",
                                    'account': account.id,
                                    'formula': 'total_amount * %s' % rate,
                                    }])],
                    }])
        return term

    def _start(self, invoice, gateway):
        Tx = Pool().get('payment.gateway.transaction')
        transaction = Tx.create_for_invoice(invoice, gateway)
        url = transaction.start()
        self.assertTrue(url.startswith('https://pay.example/AT'))
        return transaction

    @with_transaction()
    def test_overpaid_booked_whole(self):
        """Money received beyond what is due is booked as the customer's
        credit, also when the invoice was paid meanwhile: the cash account
        always receives the provider's amount"""
        pool = Pool()
        Tx = pool.get('payment.gateway.transaction')
        Invoice = pool.get('account.invoice')
        Audit = pool.get('workshop.audit')
        company = create_company()
        with set_company(company):
            gateway = self._setup(company)
            cash = gateway.payment_method.debit_account
            order = self._order(company)
            invoice, = order.invoices
            first = self._start(invoice, gateway)
            second = self._start(invoice, gateway)
            StandIn.status = paid
            Tx.check([first])
            # The second attempt also went through (two tabs): 100 more.
            Tx.check([second])
            self.assertEqual(Tx(second.id).state, 'paid')
            self.assertTrue(Tx(second.id).payment_move)
            invoice = Invoice(invoice.id)
            self.assertEqual(invoice.state, 'paid')
            self.assertEqual(pool.get('account.account')(cash.id).balance,
                Decimal('200'))
            receivable = invoice.account
            self.assertEqual(
                pool.get('account.account')(receivable.id).balance,
                Decimal('-100'))
            self.assertEqual(
                len(Audit.search([('action', '=', 'payment_overpaid')])), 1)

            # Part of a payment above the amount due (rounded up).
            order = self._order(company, price=Decimal('50'))
            invoice, = order.invoices
            third = self._start(invoice, gateway)
            StandIn.status = lambda t: paid(t, amount=t.amount)
            Tx.write([third], {'amount': Decimal('55')})
            Tx.check([third])
            invoice = Invoice(invoice.id)
            self.assertEqual(invoice.state, 'paid')
            self.assertEqual(pool.get('account.account')(cash.id).balance,
                Decimal('255'))
            self.assertEqual(
                pool.get('account.account')(receivable.id).balance,
                Decimal('-105'))

    @with_transaction()
    def test_paid_once(self):
        "A confirmed payment is booked once, however often it is checked"
        pool = Pool()
        Tx = pool.get('payment.gateway.transaction')
        Audit = pool.get('workshop.audit')
        company = create_company()
        with set_company(company):
            gateway = self._setup(company)
            order = self._order(company)
            invoice, = order.invoices
            self.assertTrue(invoice.pay_token)
            self.assertIn('/pay/%s' % invoice.pay_token, invoice.pay_url)
            transaction = self._start(invoice, gateway)
            self.assertEqual(transaction.amount, Decimal('100'))
            self.assertEqual(transaction.state, 'pending')

            StandIn.status = None  # provider down: still pending
            Tx.check([transaction])
            self.assertEqual(transaction.state, 'pending')

            StandIn.status = paid
            for _ in range(3):
                Tx.check([transaction])
            transaction = Tx(transaction.id)
            self.assertEqual(transaction.state, 'paid')
            invoice = pool.get('account.invoice')(invoice.id)
            self.assertEqual(invoice.state, 'paid')
            self.assertEqual(len(invoice.payment_lines), 1)
            self.assertEqual(
                invoice.payment_lines[0].move.journal,
                gateway.payment_method.journal)
            self.assertEqual(
                pool.get('service.order')(order.id).payment_state, 'paid')
            self.assertEqual(
                len(Audit.search([('action', '=', 'online_payment')])), 1)
            outcomes = [m.outcome for m in transaction.messages]
            self.assertIn('started', outcomes)
            self.assertIn('unavailable', outcomes)
            self.assertIn('paid', outcomes)

    @with_transaction()
    def test_amount_and_currency_mismatch(self):
        "A confirmation of another amount or currency pays nothing"
        pool = Pool()
        Tx = pool.get('payment.gateway.transaction')
        Audit = pool.get('workshop.audit')
        company = create_company()
        with set_company(company):
            gateway = self._setup(company)
            invoice, = self._order(company).invoices
            for status in [
                    lambda t: paid(t, amount=Decimal('1')),
                    lambda t: paid(t, currency='XOF')]:
                transaction = self._start(invoice, gateway)
                StandIn.status = status
                Tx.check([transaction])
                transaction = Tx(transaction.id)
                self.assertEqual(transaction.state, 'failed')
                self.assertIn("nothing was booked",
                    transaction.failure_reason)
            invoice = pool.get('account.invoice')(invoice.id)
            self.assertEqual(invoice.state, 'posted')
            self.assertEqual(invoice.payment_lines, ())
            self.assertEqual(
                [m.outcome for m in Pool().get('payment.gateway.message')
                    .search([('kind', '=', 'check')], order=[('id', 'ASC')])],
                ['amount_mismatch', 'currency_mismatch'])
            self.assertEqual(
                len(Audit.search([('action', '=', 'payment_mismatch')])), 2)

    @with_transaction()
    def test_failed_and_expired(self):
        "Refused attempts fail; old pending ones expire with the cron"
        pool = Pool()
        Tx = pool.get('payment.gateway.transaction')
        company = create_company()
        with set_company(company):
            gateway = self._setup(company)
            invoice, = self._order(company).invoices
            refused = self._start(invoice, gateway)
            StandIn.status = ProviderStatus(
                'failed', None, None, raw='{}', reason="Solde insuffisant")
            Tx.check([refused])
            self.assertEqual(refused.state, 'failed')
            self.assertEqual(refused.failure_reason, "Solde insuffisant")

            old = self._start(invoice, gateway)
            StandIn.status = ProviderStatus('pending', None, None, raw='{}')
            table = Tx.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update([table.create_date],
                    [datetime.datetime.now() - datetime.timedelta(days=3)],
                    where=table.id == old.id))
            Tx.check_pending()
            self.assertEqual(Tx(old.id).state, 'expired')
            # A failed attempt is never re-opened by a later check
            StandIn.status = paid
            Tx.check([refused])
            self.assertEqual(Tx(refused.id).state, 'failed')

    @with_transaction()
    def test_nothing_to_pay(self):
        "No attempt for a paid invoice; no gateway of another shop"
        pool = Pool()
        Tx = pool.get('payment.gateway.transaction')
        company = create_company()
        other = create_company(name="Other", currency=company.currency)
        with set_company(other):
            other_gateway = self._setup(other)
        with set_company(company):
            gateway = self._setup(company)
            invoice, = self._order(company).invoices
            with self.assertRaises(PayLinkError):
                Tx.create_for_invoice(invoice, other_gateway)
            transaction = self._start(invoice, gateway)
            StandIn.status = paid
            Tx.check([transaction])
            with self.assertRaises(PayLinkError):
                Tx.create_for_invoice(
                    pool.get('account.invoice')(invoice.id), gateway)

    @with_transaction()
    def test_email_pay_link(self):
        "The pay link is emailed through the order's notification queue"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Notification = pool.get('service.order.notification')
        company = create_company()
        with set_company(company):
            self._setup(company)
            order = self._order(company)
            invoice, = order.invoices
            before = Notification.search([('order', '=', order.id)])
            Invoice.email_pay_link([invoice])
            Invoice.email_pay_link([invoice])  # staff may send it again
            sent = [n for n in Notification.search(
                    [('order', '=', order.id)]) if n not in before]
            self.assertEqual(len(sent), 2)
            notification = sent[0]
            self.assertEqual(notification.recipient, 'awa@example.com')
            self.assertEqual(notification.state, 'pending')
            self.assertIn(invoice.number, notification.subject)
            self.assertIn(invoice.pay_url, notification.body)
            self.assertIn(invoice.pay_url, notification.body_html)
            self.assertIn('100,00', notification.body)  # French format

            # An invoice that bills no job: a clear refusal.
            credit, = Invoice.credit([invoice])
            with self.assertRaisesRegex(PayLinkError, 'bills no job'):
                Invoice.email_pay_link([credit])

    @with_transaction()
    def test_deposit_then_balance(self):
        "30 % deposit by link, then the balance: not paid → deposit → paid"
        pool = Pool()
        Tx = pool.get('payment.gateway.transaction')
        Order = pool.get('service.order')
        company = create_company()
        with set_company(company):
            gateway = self._setup(company)
            term = self._deposit_term(company)
            order = self._order(company, deposit=term)
            deposit, = order.invoices
            self.assertEqual(deposit.total_amount, Decimal('30'))
            self.assertEqual(order.payment_state, 'not_paid')
            self.assertEqual(order.amount_due, Decimal('30'))

            StandIn.status = paid
            Tx.check([self._start(deposit, gateway)])
            order = Order(order.id)
            self.assertEqual(order.payment_state, 'deposit_paid')
            self.assertEqual(order.amount_paid, Decimal('30'))

            Order.invoice([order])
            order = Order(order.id)
            balance, = [i for i in order.invoices if i != deposit]
            self.assertEqual(balance.state, 'posted')
            self.assertEqual(balance.total_amount, Decimal('70'))
            self.assertEqual(order.amount_due, Decimal('70'))
            self.assertEqual(order.payment_state, 'deposit_paid')

            Tx.check([self._start(balance, gateway)])
            order = Order(order.id)
            self.assertEqual(order.payment_state, 'paid')
            self.assertEqual(order.amount_paid, Decimal('100'))

    @with_transaction()
    def test_refund(self):
        "A refund is recorded as a credit note paid out; order refunded"
        pool = Pool()
        Tx = pool.get('payment.gateway.transaction')
        Order = pool.get('service.order')
        company = create_company()
        with set_company(company):
            gateway = self._setup(company)
            order = self._order(company)
            invoice, = order.invoices
            transaction = self._start(invoice, gateway)
            StandIn.status = paid
            Tx.check([transaction])
            Tx.refund([transaction])
            transaction = Tx(transaction.id)
            self.assertEqual(transaction.state, 'refunded')
            self.assertEqual(transaction.refunded_amount, Decimal('100'))
            credit = transaction.refund_invoice
            self.assertEqual(credit.total_amount, Decimal('-100'))
            self.assertEqual(credit.state, 'paid')
            self.assertEqual(Order(order.id).payment_state, 'refunded')
            # Refunding twice records nothing more
            Tx.refund([transaction])
            self.assertEqual(
                len(pool.get('account.invoice').search(
                        [('total_amount', '<', 0)])), 1)

    @with_transaction()
    def test_secrets(self):
        "Secrets are stored apart, shown masked, unreadable through RPC"
        pool = Pool()
        Gateway = pool.get('payment.gateway')
        Secret = pool.get('payment.gateway.secret')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            gateway = self._setup(company)
            Gateway.set_secret([gateway], 'api_key', 'sk_test_1234567890abcd')
            self.assertEqual(gateway.get_secret('api_key'),
                'sk_test_1234567890abcd')
            masked = Gateway.get_secret_masked([gateway], ['api_key'])
            self.assertEqual(masked['api_key'][gateway.id], '••••abcd')
            # The masked value coming back from the form changes nothing
            Gateway.set_secret([gateway], 'api_key', '••••abcd')
            self.assertEqual(gateway.get_secret('api_key'),
                'sk_test_1234567890abcd')
            user, = User.create([{'login': 'owner', 'name': "Owner",
                        'companies': [('add', [company.id])],
                        'company': company.id}])
            with Transaction().set_user(user.id), \
                    Transaction().set_context(_check_access=True):
                with self.assertRaises(AccessError):
                    Secret.search([])


del ModuleTestCase
