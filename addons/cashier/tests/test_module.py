from decimal import Decimal

from trytond.model.exceptions import ValidationError
from trytond.modules.account.tests import create_chart, get_fiscalyear
from trytond.modules.account_invoice.tests.test_module import (
    set_invoice_sequences)
from trytond.modules.cashier.cashier import compute_change
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.service_order.tests.tools import (
    create_service_product, create_stages)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction


def setup_accounting(company):
    """Create the chart, the fiscal year with periods and the counter
    methods of the company; return (accounts, methods by counter_method)."""
    pool = Pool()
    Account = pool.get('account.account')
    FiscalYear = pool.get('account.fiscalyear')
    PaymentMethod = pool.get('account.invoice.payment.method')
    create_chart(company)
    fiscalyear = set_invoice_sequences(get_fiscalyear(company))
    fiscalyear.save()
    FiscalYear.create_period([fiscalyear])
    accounts = {}
    for kind in ['receivable', 'revenue']:
        accounts[kind], = Account.search([
                ('company', '=', company.id),
                ('type.%s' % kind, '=', True),
                ('closed', '!=', True),
                ], limit=1)
    accounts['cash'], = Account.search([
            ('company', '=', company.id), ('code', '=', '1.1.1')])
    # Another open asset account standing for the bank
    accounts['bank'], = Account.search([
            ('company', '=', company.id),
            ('type', '!=', None),
            ('closed', '!=', True),
            ('id', 'not in', [a.id for a in accounts.values()]),
            ('type.receivable', '=', False),
            ('type.payable', '=', False),
            ('reconcile', '=', False),
            ], limit=1)
    methods = PaymentMethod.create_counter_methods(
        company, cash_account=accounts['cash'],
        bank_account=accounts['bank'])
    return accounts, {m.counter_method: m for m in methods}


class CashierTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Cashier module"
    module = 'cashier'

    def _order(self, company, accounts, price=Decimal('50')):
        """Return a service order of the company with a posted invoice of
        `price` (no tax)."""
        pool = Pool()
        Order = pool.get('service.order')
        Line = pool.get('service.order.line')
        Party = pool.get('party.party')
        Category = pool.get('product.category')
        stages = create_stages(company)
        category = Category(name="Labour", accounting=True,
            account_revenue=accounts['revenue'])
        category.save()
        product = create_service_product(price=price)
        template = product.template
        template.account_category = category
        template.save()
        party, = Party.create([{
                    'name': "Awa Diop",
                    'addresses': [('create', [{}])],
                    }])
        order = Order(kind='service', party=party, stage=stages['intake'])
        line = Line(product=product, quantity=1)
        line.on_change_product()
        order.lines = [line]
        order.save()
        Order.quote([order])
        Order.approve_quote([order])
        invoices = Order.invoice([order])
        self.assertEqual([i.state for i in invoices], ['posted'])
        return Order(order.id)

    def _pay(self, record, method, amount, tendered=None, reference=None):
        """Run the cashier wizard on record (service.order or
        account.invoice); return (start defaults, done values)."""
        Pay = Pool().get('cashier.pay', type='wizard')
        session_id, _, _ = Pay.create()
        with Transaction().set_context(
                active_model=record.__name__, active_id=record.id,
                active_ids=[record.id]):
            wizard = Pay(session_id)
            defaults = wizard.default_start(None)
            for name in ['company', 'currency', 'party']:
                setattr(wizard.start, name, defaults[name])
            wizard.start.amount_due = defaults['amount_due']
            wizard.start.payment_method = method
            wizard.start.amount = amount
            wizard.start.tendered = tendered
            wizard.start.reference = reference
            self.assertEqual(wizard.transition_pay(), 'done')
            done = wizard.default_done(None)
        return defaults, done

    @with_transaction()
    def test_compute_change(self):
        "Change is tendered minus paid, never negative"
        self.assertEqual(
            compute_change(Decimal('50'), Decimal('60')), Decimal('10'))
        self.assertEqual(
            compute_change(Decimal('50'), Decimal('40')), Decimal('0'))
        self.assertEqual(compute_change(Decimal('50'), None), Decimal('0'))

    @with_transaction()
    def test_create_counter_methods(self):
        "One journal and payment method per counter method, idempotent"
        company = create_company()
        with set_company(company):
            accounts, methods = setup_accounting(company)
            self.assertEqual(
                sorted(methods), ['card', 'cash', 'cheque', 'transfer'])
            self.assertEqual(
                len({m.journal.id for m in methods.values()}), 4)
            self.assertTrue(
                all(m.journal.type == 'cash' for m in methods.values()))
            self.assertEqual(methods['cash'].debit_account, accounts['cash'])
            self.assertEqual(methods['card'].debit_account, accounts['bank'])
            # No cheque account: the bank account is used
            self.assertEqual(
                methods['cheque'].credit_account, accounts['bank'])
            PaymentMethod = Pool().get('account.invoice.payment.method')
            again = PaymentMethod.create_counter_methods(
                company, accounts['cash'], accounts['bank'])
            self.assertEqual(
                sorted(m.id for m in again),
                sorted(m.id for m in methods.values()))

    @with_transaction()
    def test_cash_payment_with_change(self):
        "Cash 50 tendered 60: change 10, invoice paid and reconciled, audit"
        pool = Pool()
        Audit = pool.get('workshop.audit')
        company = create_company()
        with set_company(company):
            accounts, methods = setup_accounting(company)
            order = self._order(company, accounts)
            self.assertEqual(order.amount_due, Decimal('50'))
            self.assertEqual(order.payment_state, 'not_paid')

            defaults, done = self._pay(
                order, methods['cash'], Decimal('50'),
                tendered=Decimal('60'))
            self.assertEqual(defaults['amount_due'], Decimal('50'))
            self.assertEqual(defaults['amount'], Decimal('50'))
            self.assertEqual(defaults['payment_method'], methods['cash'].id)
            self.assertEqual(done['change'], Decimal('10'))
            self.assertEqual(done['amount_due'], Decimal('0'))

            invoice, = order.invoices
            self.assertEqual(invoice.state, 'paid')
            self.assertTrue(invoice.reconciled)
            self.assertEqual(invoice.amount_to_pay, Decimal('0'))
            # Only the amount paid is booked, on the cash journal
            line, = invoice.payment_lines
            self.assertEqual(line.credit, Decimal('50'))
            self.assertEqual(line.move.journal, methods['cash'].journal)
            order = pool.get('service.order')(order.id)
            self.assertEqual(order.payment_state, 'paid')
            self.assertEqual(order.amount_due, Decimal('0'))

            audit, = Audit.search([('action', '=', 'payment')])
            self.assertEqual(audit.resource, order)
            self.assertIn(
                "Cash 50.00 usd, tendered 60.00, change 10.00",
                audit.description)

    @with_transaction()
    def test_partial_card_payment(self):
        "A partial card payment leaves the rest due: deposit paid"
        pool = Pool()
        Order = pool.get('service.order')
        company = create_company()
        with set_company(company):
            accounts, methods = setup_accounting(company)
            order = self._order(company, accounts)

            _, done = self._pay(order, methods['card'], Decimal('20'),
                reference="SLIP-42")
            self.assertEqual(done['amount_due'], Decimal('30'))
            order = Order(order.id)
            self.assertEqual(order.payment_state, 'deposit_paid')
            self.assertEqual(order.amount_due, Decimal('30'))
            self.assertEqual(order.amount_paid, Decimal('20'))
            invoice, = order.invoices
            self.assertEqual(invoice.state, 'posted')
            self.assertFalse(invoice.reconciled)
            self.assertEqual(invoice.payment_lines[0].move.description,
                "Card SLIP-42")

            # The rest by transfer: paid and reconciled
            defaults, _ = self._pay(
                order, methods['transfer'], Decimal('30'))
            self.assertEqual(defaults['amount_due'], Decimal('30'))
            order = Order(order.id)
            self.assertEqual(order.payment_state, 'paid')
            invoice, = order.invoices
            self.assertEqual(invoice.state, 'paid')
            self.assertTrue(invoice.reconciled)

    @with_transaction()
    def test_overpayment_refused(self):
        "Paying more than due is refused and books nothing"
        company = create_company()
        with set_company(company):
            accounts, methods = setup_accounting(company)
            order = self._order(company, accounts)
            with self.assertRaises(ValidationError) as cm:
                self._pay(order, methods['card'], Decimal('60'))
            self.assertIn("change to give back", str(cm.exception))
            invoice, = order.invoices
            self.assertEqual(invoice.payment_lines, ())
            self.assertEqual(invoice.amount_to_pay, Decimal('50'))

    @with_transaction()
    def test_tendered_below_refused(self):
        "Cash tendered below the amount paid is refused"
        company = create_company()
        with set_company(company):
            accounts, methods = setup_accounting(company)
            order = self._order(company, accounts)
            with self.assertRaises(ValidationError) as cm:
                self._pay(order, methods['cash'], Decimal('50'),
                    tendered=Decimal('40'))
            self.assertIn("less than the amount paid", str(cm.exception))
            invoice, = order.invoices
            self.assertEqual(invoice.payment_lines, ())

    @with_transaction()
    def test_zero_amount_refused(self):
        "A zero amount is refused"
        company = create_company()
        with set_company(company):
            accounts, methods = setup_accounting(company)
            order = self._order(company, accounts)
            with self.assertRaises(ValidationError):
                self._pay(order, methods['card'], Decimal('0'))

    @with_transaction()
    def test_other_company_method_refused(self):
        "Another shop's payment method cannot be used"
        pool = Pool()
        PayStart = pool.get('cashier.pay.start')
        company = create_company()
        other = create_company(name="Other Shop", currency=company.currency)
        with set_company(other):
            _, other_methods = setup_accounting(other)
        with set_company(company):
            accounts, methods = setup_accounting(company)
            order = self._order(company, accounts)
            with self.assertRaises(ValidationError) as cm:
                self._pay(order, other_methods['cash'], Decimal('50'))
            self.assertIn(
                'is not a counter payment method of shop "Dunder Mifflin"',
                str(cm.exception))
            invoice, = order.invoices
            self.assertEqual(invoice.payment_lines, ())
            # The form's domain offers only the shop's counter methods
            domain = PayStart.fields_get(
                ['payment_method'])['payment_method']['domain']
            self.assertIn('company', domain)
            self.assertIn('counter_method', domain)

    @with_transaction()
    def test_invoice_path(self):
        "The cashier runs on an invoice too; cheque with its number"
        pool = Pool()
        Audit = pool.get('workshop.audit')
        company = create_company()
        with set_company(company):
            accounts, methods = setup_accounting(company)
            order = self._order(company, accounts, price=Decimal('80'))
            invoice, = order.invoices
            defaults, done = self._pay(
                invoice, methods['cheque'], Decimal('80'),
                reference="CHQ 0012345")
            self.assertEqual(defaults['amount_due'], Decimal('80'))
            self.assertEqual(done['amount_due'], Decimal('0'))
            invoice = pool.get('account.invoice')(invoice.id)
            self.assertEqual(invoice.state, 'paid')
            self.assertTrue(invoice.reconciled)
            audit, = Audit.search([('action', '=', 'payment')])
            self.assertEqual(audit.resource, invoice)
            self.assertIn("CHQ 0012345", audit.description)
            order = pool.get('service.order')(order.id)
            self.assertEqual(order.payment_state, 'paid')


del ModuleTestCase
