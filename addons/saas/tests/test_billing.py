"""Tests of the subscription billing (billing.py): the operator company
invoices the shops through sale_subscription; proration, dunning,
suspension and reactivation on payment, cancellation at the end of the paid
period, and the operator's invoices kept from the shops' users.

The same database as test_module (saas with repair and coating), without
running ModuleTestCase's generic tests a second time."""
import datetime as dt
import itertools
from decimal import Decimal
from types import SimpleNamespace

from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.saas import accounting
from trytond.modules.saas.billing import prorate
from trytond.modules.saas.exceptions import BillingError
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

from .test_module import as_user, sign_up as _sign_up

_EMAILS = itertools.count(1)


def sign_up(**kwargs):
    """test_module's sign_up with an owner email of its own: on SQLite some
    run of these tests has kept a previous test's shop (its transaction
    ended by a commit not found yet, see the stop note of 2026-12-01), and
    the sign-up then refused the same email."""
    local, domain = kwargs.get(
        'email', 'marie@reparphone.example').split('@')
    kwargs['email'] = '%s%d@%s' % (local, next(_EMAILS), domain)
    return _sign_up(**kwargs)

D = dt.date


def setup_operator(**config_values):
    """Create the operator company (EUR, French chart, fiscal years 2026
    and 2027, cash payment term), the subscription category (706, VAT on
    services 20 %) and set them on the configuration; return the company."""
    pool = Pool()
    Party = pool.get('party.party')
    Company = pool.get('company.company')
    Shop = pool.get('saas.shop')
    Account = pool.get('account.account')
    Tax = pool.get('account.tax')
    Category = pool.get('product.category')
    ModelData = pool.get('ir.model.data')
    Configuration = pool.get('saas.configuration')
    country = Shop._country('FR')
    party, = Party.create([{'name': "Atelier Hébergement SAS",
                'company': None,
                'addresses': [('create', [{'country': country.id}])]}])
    company, = Company.create([{'party': party.id,
                'currency': Shop._currency('EUR').id,
                'timezone': 'Europe/Paris'}])
    today = dt.date.today()
    with Transaction().set_context(company=company.id):
        accounting.create_chart(company, 'FR')
        for year in sorted({2026, 2027, today.year, today.year + 1}):
            accounting.create_fiscalyear(company, D(year, 1, 1))
        term = accounting.cash_payment_term()
        revenue, = Account.search([('company', '=', company.id),
                ('code', '=', '706')])
        tax, = Tax.search([('company', '=', company.id),
                ('template', '=', ModelData.get_id(
                        'account_fr', 'tva_vente_services_taux_normal'))])
        category, = Category.create([{'name': "Hosting", 'accounting': True,
                    'account_revenue': revenue.id,
                    'customer_taxes': [('add', [tax.id])]}])
    config = Configuration(1)
    config.operator_company = company
    config.account_category = category
    config.payment_term = term
    for name, value in config_values.items():
        setattr(config, name, value)
    config.save()
    return company


def plans():
    "Return (lite, pro, option online_payment)."
    pool = Pool()
    Plan = pool.get('saas.plan')
    Option = pool.get('saas.option')
    lite, = Plan.search([('code', '=', 'lite')])
    pro, = Plan.search([('code', '=', 'pro')])
    option, = Option.search([('code', '=', 'online_payment')])
    return lite, pro, option


def invoices(shop):
    "The operator's invoices of `shop`, oldest first."
    Invoice = Pool().get('account.invoice')
    return Invoice.search([('saas_shop', '=', shop.id)],
        order=[('invoice_date', 'ASC'), ('id', 'ASC')])


def emails(shop, kind):
    Email = Pool().get('saas.email')
    return Email.search([('company', '=', shop.company.id),
            ('kind', '=', kind)], order=[('id', 'ASC')])


def pay(invoice, date):
    """Pay `invoice` in full on `date` by bank transfer and reconcile it,
    as a payment recorded by the operator's accountant (or the online
    payment's settlement) does."""
    pool = Pool()
    Invoice = pool.get('account.invoice')
    Account = pool.get('account.account')
    Journal = pool.get('account.journal')
    Method = pool.get('account.invoice.payment.method')
    MoveLine = pool.get('account.move.line')
    company = invoice.company
    with Transaction().set_context(company=company.id):
        bank, = Account.search([('company', '=', company.id),
                ('code', '=', '5121')])
        journal, = Journal.search([('type', '=', 'cash')], limit=1)
        methods = Method.search([('company', '=', company.id)], limit=1)
        method = methods[0] if methods else Method.create([{
                    'name': "Virement", 'company': company.id,
                    'journal': journal.id, 'debit_account': bank.id,
                    'credit_account': bank.id}])[0]
        invoice = Invoice(invoice.id)
        amount = invoice.amount_to_pay
        reconcile_lines, _ = invoice.get_reconcile_lines_for_amount(
            amount, invoice.currency)
        lines = invoice.pay_invoice(amount, method, date, "Virement")
        paid_lines = [l for l in Invoice(invoice.id).payment_lines
            if l in lines]
        MoveLine.reconcile(reconcile_lines + paid_lines)
        Invoice.process([Invoice(invoice.id)])
    return Invoice(invoice.id)


def run_days(first, last, twice=True):
    "Run the billing cron every day from `first` to `last` (included)."
    Shop = Pool().get('saas.shop')
    day = first
    while day <= last:
        Shop.run_billing(date=day)
        if twice:
            Shop.run_billing(date=day)
        day += dt.timedelta(days=1)


def shop_after_trial(**kwargs):
    """A shop signed up on 2 March 2026 whose trial (to 31 March) ended
    without a plan (read-only)."""
    Shop = Pool().get('saas.shop')
    shop = sign_up(**kwargs)
    Shop.run_trial(today=D(2026, 4, 1))
    shop = Shop(shop.id)
    assert shop.state == 'read_only'
    return shop


class SaasBillingTestCase(_DBTestCase):
    "Test the saas subscription billing"
    module = 'saas'
    extras = ['repair', 'coating']

    def test_prorate(self):
        "Proration: amount × remaining days / days of the period, rounded"
        euro = SimpleNamespace(round=lambda a: a.quantize(Decimal('0.01')))
        cfa = SimpleNamespace(round=lambda a: a.quantize(Decimal('1')))
        may, june = D(2026, 5, 1), D(2026, 6, 1)
        self.assertEqual(prorate(Decimal('19'), may, june, D(2026, 5, 10),
                euro), (Decimal('13.48'), 22, 31))
        self.assertEqual(prorate(Decimal('49'), may, june, D(2026, 5, 10),
                euro), (Decimal('34.77'), 22, 31))
        # The first day of the period: all of it; the last day: 1 day.
        self.assertEqual(prorate(Decimal('49'), may, june, may, euro),
            (Decimal('49.00'), 31, 31))
        self.assertEqual(prorate(Decimal('49'), may, june, D(2026, 5, 31),
                euro), (Decimal('1.58'), 1, 31))
        # A year (365 days) in CFA francs, rounded to the franc.
        self.assertEqual(prorate(Decimal('100000'), D(2026, 1, 1),
                D(2027, 1, 1), D(2026, 7, 1), cfa), (Decimal('50411'), 184,
                365))

    @with_transaction()
    def test_no_operator_no_billing(self):
        "Without an operator company choosing a plan bills nothing"
        pool = Pool()
        Shop = pool.get('saas.shop')
        Subscription = pool.get('sale.subscription')
        lite, _, _ = plans()
        shop = sign_up()
        Shop.choose_plan([shop], lite, 'monthly', [])
        self.assertEqual(Shop(shop.id).state, 'active')
        self.assertFalse(Subscription.search([]))
        Shop.run_billing(date=D(2026, 4, 1))
        self.assertFalse(invoices(shop))

    @with_transaction()
    def test_configuration_checked(self):
        "Reminder days must be days; a shop cannot be the operator"
        pool = Pool()
        Configuration = pool.get('saas.configuration')
        config = Configuration(1)
        self.assertEqual(config.suspension_days, 15)
        self.assertEqual(config.get_reminder_days(), [3, 10])
        config.reminder_days = '3 ten'
        with self.assertRaises(ValidationError):
            config.save()
        shop = sign_up()
        category, = pool.get('product.category').create([{
                    'name': "Hosting", 'accounting': True}])
        config = Configuration(1)
        config.reminder_days = '3 10'
        config.operator_company = shop.company
        config.account_category = category
        with self.assertRaises(ValidationError) as cm:
            config.save()
        self.assertIn('hosted shop', cm.exception.message)

    @with_transaction()
    def test_monthly_subscription_from_trial_end(self):
        """A plan chosen during the trial runs a subscription from the day
        after the trial, invoiced each month in advance with the plan's
        price, posted and emailed; the cron is idempotent"""
        pool = Pool()
        Shop = pool.get('saas.shop')
        Plan = pool.get('saas.plan')
        operator = setup_operator()
        lite, _, _ = plans()
        shop = sign_up()
        Shop.choose_plan([shop], lite, 'monthly', [], date=D(2026, 3, 10))
        shop = Shop(shop.id)
        subscription = shop.subscription
        self.assertEqual(subscription.state, 'running')
        self.assertEqual(subscription.company, operator)
        self.assertEqual(subscription.party, shop.company.party)
        self.assertEqual(subscription.start_date, D(2026, 4, 1))
        self.assertEqual(subscription.saas_shop, shop)
        line, = subscription.lines
        self.assertEqual(line.unit_price, Decimal('19.00'))
        self.assertEqual(line.service, Plan(lite.id).monthly_service)
        self.assertEqual(line.service.product.type, 'service')
        # Nothing is billed during the trial.
        run_days(D(2026, 3, 10), D(2026, 3, 31), twice=False)
        self.assertFalse(invoices(shop))

        Shop.run_billing(date=D(2026, 4, 1))
        Shop.run_billing(date=D(2026, 4, 1))
        invoice, = invoices(shop)
        self.assertEqual(invoice.state, 'posted')
        self.assertEqual(invoice.company, operator)
        self.assertEqual(invoice.party, shop.company.party)
        self.assertEqual(invoice.invoice_date, D(2026, 4, 1))
        self.assertEqual(invoice.untaxed_amount, Decimal('19.00'))
        self.assertEqual(invoice.total_amount, Decimal('22.80'))  # VAT 20 %
        self.assertTrue(invoice.number)
        email, = emails(shop, 'invoice')
        self.assertIn(invoice.number, email.subject)
        self.assertIn('22', email.body)
        # No pay link without payment_gateway: how to pay by transfer.
        self.assertIn(operator.rec_name, email.body)

        run_days(D(2026, 4, 2), D(2026, 5, 1), twice=False)
        first, second = invoices(shop)
        self.assertEqual(second.invoice_date, D(2026, 5, 1))
        self.assertEqual(second.untaxed_amount, Decimal('19.00'))
        self.assertEqual(Shop(shop.id).subscription.next_invoice_date,
            D(2026, 6, 1))
        self.assertIn('2026', Shop(shop.id).billing_notice)

    @with_transaction()
    def test_yearly_with_option_and_mrr(self):
        """Yearly: one invoice of the yearly prices of the plan and option,
        the next a year later; the MRR comes from the subscription"""
        pool = Pool()
        Shop = pool.get('saas.shop')
        setup_operator(suspension_days=90)  # unpaid here
        _, pro, option = plans()
        shop = shop_after_trial()
        Shop.choose_plan([shop], pro, 'yearly', [option],
            date=D(2026, 5, 1))
        shop = Shop(shop.id)
        self.assertEqual(shop.subscription.start_date, D(2026, 5, 1))
        self.assertEqual(shop.subscription.saas_period, 'yearly')
        self.assertEqual(len(shop.subscription.lines), 2)
        run_days(D(2026, 5, 1), D(2026, 6, 2), twice=False)
        invoice, = invoices(shop)
        self.assertEqual(invoice.untaxed_amount, Decimal('580.00'))
        self.assertEqual(len(invoice.lines), 2)
        self.assertEqual(Shop(shop.id).subscription.next_invoice_date,
            D(2027, 5, 1))
        self.assertEqual(Shop(shop.id).mrr, Decimal('48.33'))  # 580 / 12
        Shop.run_billing(date=D(2027, 5, 1))
        self.assertEqual(len(invoices(shop)), 2)

    @with_transaction()
    def test_month_end_anchor(self):
        "A subscription from 31 January is billed on the months' last days"
        pool = Pool()
        Shop = pool.get('saas.shop')
        setup_operator()
        lite, _, _ = plans()
        shop = sign_up(today=D(2025, 12, 1))  # trial to 30 December
        Shop.choose_plan([shop], lite, 'monthly', [], date=D(2026, 1, 31))
        run_days(D(2026, 1, 31), D(2026, 5, 1), twice=False)
        self.assertEqual([i.invoice_date for i in invoices(shop)], [
                D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31),
                D(2026, 4, 30)])

    @with_transaction()
    def test_proration_on_plan_change(self):
        """An upgrade mid-period credits the unused old plan and charges
        the new one for the days left, on one posted invoice; the next
        period is billed at the new price; a downgrade is a credit note"""
        pool = Pool()
        Shop = pool.get('saas.shop')
        Audit = pool.get('workshop.audit')
        setup_operator(suspension_days=90)  # unpaid here
        lite, pro, _ = plans()
        shop = shop_after_trial()
        Shop.choose_plan([shop], lite, 'monthly', [], date=D(2026, 5, 1))
        Shop.run_billing(date=D(2026, 5, 1))

        # Lite → Pro on 10 May: 22 days of 31 remain.
        Shop.choose_plan([shop], pro, 'monthly', [], date=D(2026, 5, 10))
        first, proration = invoices(shop)
        self.assertEqual(first.untaxed_amount, Decimal('19.00'))
        self.assertEqual(proration.state, 'posted')
        self.assertEqual(proration.invoice_date, D(2026, 5, 10))
        amounts = sorted(l.amount for l in proration.lines)
        self.assertEqual(amounts, [Decimal('-13.48'), Decimal('34.77')])
        self.assertEqual(proration.untaxed_amount, Decimal('21.29'))
        # VAT rounded per line: -2.70 + 6.95.
        self.assertEqual(proration.total_amount, Decimal('25.54'))
        credit = [l for l in proration.lines if l.amount < 0][0]
        self.assertIn('22', credit.description)
        self.assertIn('31', credit.description)
        self.assertTrue(Audit.search([('company', '=', shop.company.id),
                    ('description', 'like', '%' + proration.number + '%')]))
        # Changing again to the same plan changes nothing.
        Shop.choose_plan([shop], pro, 'monthly', [], date=D(2026, 5, 12))
        self.assertEqual(len(invoices(shop)), 2)

        run_days(D(2026, 5, 11), D(2026, 6, 1), twice=False)
        june = invoices(shop)[-1]
        self.assertEqual(june.invoice_date, D(2026, 6, 1))
        self.assertEqual(june.untaxed_amount, Decimal('49.00'))
        line, = june.lines
        self.assertEqual(line.product, Pool().get('saas.plan')(
                pro.id).monthly_service.product)

        # Pro → Lite on 21 June: 10 days of 30 remain: a credit note.
        Shop.choose_plan([shop], lite, 'monthly', [], date=D(2026, 6, 21))
        credit_note = invoices(shop)[-1]
        self.assertEqual(sorted(l.amount for l in credit_note.lines),
            [Decimal('-16.33'), Decimal('6.33')])
        self.assertEqual(credit_note.untaxed_amount, Decimal('-10.00'))
        self.assertEqual(credit_note.state, 'posted')
        run_days(D(2026, 6, 22), D(2026, 7, 1), twice=False)
        july = invoices(shop)[-1]
        self.assertEqual(july.invoice_date, D(2026, 7, 1))
        self.assertEqual(july.untaxed_amount, Decimal('19.00'))
        self.assertEqual(Shop(shop.id).mrr, Decimal('19.00'))

    @with_transaction()
    def test_period_change_at_period_end(self):
        """Monthly → yearly mid-month: no proration for the same plan; the
        monthly subscription ends with the paid month and a yearly one
        starts the next day"""
        pool = Pool()
        Shop = pool.get('saas.shop')
        setup_operator()
        lite, _, _ = plans()
        shop = shop_after_trial()
        Shop.choose_plan([shop], lite, 'monthly', [], date=D(2026, 5, 1))
        Shop.run_billing(date=D(2026, 5, 1))
        monthly = Shop(shop.id).subscription
        Shop.choose_plan([shop], lite, 'yearly', [], date=D(2026, 5, 10))
        self.assertEqual(len(invoices(shop)), 1)
        yearly = Shop(shop.id).subscription
        self.assertNotEqual(yearly, monthly)
        self.assertEqual(yearly.start_date, D(2026, 6, 1))
        self.assertEqual(monthly.__class__(monthly.id).end_date,
            D(2026, 5, 31))
        run_days(D(2026, 5, 11), D(2026, 6, 1), twice=False)
        self.assertEqual(monthly.__class__(monthly.id).state, 'closed')
        june = invoices(shop)[-1]
        self.assertEqual(june.invoice_date, D(2026, 6, 1))
        self.assertEqual(june.untaxed_amount, Decimal('190.00'))
        self.assertEqual(len(invoices(shop)), 2)

    @with_transaction()
    def test_reminders_suspension_and_reactivation(self):
        """An unpaid invoice gets reminders 3 and 10 days after its due
        date, once each; the shop is suspended 15 days after it, its users
        told which invoice, how much and how to pay, no data deleted; the
        payment reactivates it"""
        pool = Pool()
        Shop = pool.get('saas.shop')
        Party = pool.get('party.party')
        setup_operator()
        lite, _, _ = plans()
        shop = shop_after_trial()
        Shop.choose_plan([shop], lite, 'monthly', [], date=D(2026, 5, 1))
        with as_user(shop):
            Party.create([{'name': "Client du samedi"}])
        reminded, state = [], {}
        day = D(2026, 5, 1)
        while day <= D(2026, 5, 20):
            before = len(emails(shop, 'payment_reminder'))
            Shop.run_billing(date=day)
            Shop.run_billing(date=day)
            if len(emails(shop, 'payment_reminder')) > before:
                reminded.append(day.day)
            state[day.day] = Shop(shop.id).state
            day += dt.timedelta(days=1)
        self.assertEqual(reminded, [4, 11])  # due on 1 May: days 3 and 10
        self.assertEqual(state[15], 'active')
        self.assertEqual(state[16], 'suspended')  # 15 days after
        invoice, = invoices(shop)
        self.assertEqual(invoice.saas_reminders, '3 10')
        self.assertTrue(invoice.saas_suspended)
        shop = Shop(shop.id)
        self.assertEqual(shop.dunning_invoice, invoice)
        self.assertIn(invoice.number, shop.suspension_reason)
        self.assertIn('22', shop.suspension_reason)  # 22,80 €
        self.assertIn(invoice.number, shop.billing_notice)
        email, = emails(shop, 'suspended')
        self.assertIn(invoice.number, email.body)
        # Choosing a plan does not lift the suspension.
        with self.assertRaises(BillingError) as cm:
            Shop.choose_plan([shop], lite, 'monthly', [], date=D(2026, 5, 20))
        self.assertIn(invoice.number, cm.exception.message)
        with as_user(shop):
            # Reading works, every change is refused with why and how.
            self.assertEqual(len(Party.search(
                        [('name', '=', "Client du samedi")])), 1)
            with self.assertRaises(AccessError) as cm:
                Party.create([{'name': "Client 2"}])
            self.assertIn(invoice.number, cm.exception.message)
            self.assertIn(shop.company.rec_name, cm.exception.message)

        pay(invoice, D(2026, 5, 21))
        shop = Shop(shop.id)
        self.assertEqual(shop.state, 'active')
        self.assertIsNone(shop.dunning_invoice)
        self.assertEqual(len(emails(shop, 'reactivated')), 1)
        with as_user(shop):
            Party.create([{'name': "Client 2"}])
        # Paid: no more reminder nor suspension.
        run_days(D(2026, 5, 21), D(2026, 5, 31), twice=False)
        self.assertEqual(Shop(shop.id).state, 'active')
        self.assertEqual(len(emails(shop, 'payment_reminder')), 2)

    @with_transaction()
    def test_paid_in_time_not_suspended(self):
        "An invoice paid 5 days late stops the reminders; no suspension"
        pool = Pool()
        Shop = pool.get('saas.shop')
        setup_operator(reminder_days='3 10', suspension_days=15)
        lite, _, _ = plans()
        shop = shop_after_trial()
        Shop.choose_plan([shop], lite, 'monthly', [], date=D(2026, 5, 1))
        run_days(D(2026, 5, 1), D(2026, 5, 5))
        invoice, = invoices(shop)
        self.assertEqual(len(emails(shop, 'payment_reminder')), 1)
        invoice = pay(invoice, D(2026, 5, 6))
        self.assertEqual(invoice.state, 'paid')
        run_days(D(2026, 5, 6), D(2026, 5, 31))
        self.assertEqual(Shop(shop.id).state, 'active')
        self.assertEqual(len(emails(shop, 'payment_reminder')), 1)
        self.assertFalse(emails(shop, 'suspended'))
        self.assertFalse(emails(shop, 'reactivated'))

    @with_transaction()
    def test_operator_reactivation_sticks(self):
        """A shop the operator reactivates by hand is not suspended again
        for the same unpaid invoice"""
        pool = Pool()
        Shop = pool.get('saas.shop')
        setup_operator(suspension_days=5, reminder_days='2')
        lite, _, _ = plans()
        shop = shop_after_trial()
        Shop.choose_plan([shop], lite, 'monthly', [], date=D(2026, 5, 1))
        run_days(D(2026, 5, 1), D(2026, 5, 6), twice=False)
        self.assertEqual(Shop(shop.id).state, 'suspended')
        Shop.reactivate_button([Shop(shop.id)])
        self.assertIsNone(Shop(shop.id).dunning_invoice)
        run_days(D(2026, 5, 7), D(2026, 5, 10), twice=False)
        self.assertEqual(Shop(shop.id).state, 'active')
        self.assertEqual(len(emails(shop, 'suspended')), 1)

    @with_transaction()
    def test_cancellation_at_period_end(self):
        """A cancellation ends the subscription with the paid period: the
        shop stays active until then, is cancelled (read-only) the next
        day and is not invoiced again; choosing a plan before resumes"""
        pool = Pool()
        Shop = pool.get('saas.shop')
        Party = pool.get('party.party')
        setup_operator(suspension_days=90)  # unpaid here
        lite, _, _ = plans()
        shop = shop_after_trial()
        Shop.choose_plan([shop], lite, 'monthly', [], date=D(2026, 5, 1))
        Shop.run_billing(date=D(2026, 5, 1))
        Shop.request_cancellation([shop], date=D(2026, 5, 10))
        shop = Shop(shop.id)
        self.assertEqual(shop.cancel_at, D(2026, 6, 1))
        self.assertEqual(shop.subscription.end_date, D(2026, 5, 31))
        self.assertEqual(shop.state, 'active')
        self.assertIn('2026', shop.billing_notice)
        self.assertEqual(len(emails(shop, 'cancellation')), 1)
        run_days(D(2026, 5, 10), D(2026, 5, 31), twice=False)
        shop = Shop(shop.id)
        self.assertEqual(shop.state, 'active')
        with as_user(shop):
            Party.create([{'name': "Encore client"}])
        Shop.run_billing(date=D(2026, 6, 1))
        shop = Shop(shop.id)
        self.assertEqual(shop.state, 'cancelled')
        self.assertEqual(shop.subscription.state, 'closed')
        self.assertEqual(len(invoices(shop)), 1)
        self.assertEqual(len(emails(shop, 'subscription_ended')), 1)
        with as_user(shop):
            self.assertTrue(Party.search([('name', '=', "Encore client")]))
            with self.assertRaises(AccessError):
                Party.create([{'name': "Trop tard"}])
        run_days(D(2026, 6, 2), D(2026, 7, 2), twice=False)
        self.assertEqual(len(invoices(shop)), 1)

        # Another shop cancels, then chooses a plan again before the end.
        other = shop_after_trial(shop_name="B", email='b@shop.example')
        Shop.choose_plan([other], lite, 'monthly', [], date=D(2026, 5, 1))
        Shop.run_billing(date=D(2026, 5, 1))
        Shop.request_cancellation([other], date=D(2026, 5, 10))
        Shop.choose_plan([other], lite, 'monthly', [], date=D(2026, 5, 20))
        other = Shop(other.id)
        self.assertIsNone(other.cancel_at)
        self.assertIsNone(other.subscription.end_date)
        Shop.run_billing(date=D(2026, 6, 1))
        self.assertEqual(Shop(other.id).state, 'active')
        self.assertEqual(len(invoices(other)), 2)

    @with_transaction()
    def test_cancellation_during_trial(self):
        """A plan chosen in the trial then cancelled: nothing is billed and
        the shop is cancelled when the subscription would have started"""
        pool = Pool()
        Shop = pool.get('saas.shop')
        setup_operator()
        lite, _, _ = plans()
        shop = sign_up()
        Shop.choose_plan([shop], lite, 'monthly', [], date=D(2026, 3, 10))
        subscription = Shop(shop.id).subscription
        Shop.request_cancellation([shop], date=D(2026, 3, 20))
        shop = Shop(shop.id)
        self.assertEqual(subscription.__class__(subscription.id).state,
            'cancelled')
        self.assertEqual(shop.cancel_at, D(2026, 4, 1))
        run_days(D(2026, 3, 20), D(2026, 3, 31), twice=False)
        self.assertEqual(Shop(shop.id).state, 'active')
        Shop.run_billing(date=D(2026, 4, 1))
        self.assertEqual(Shop(shop.id).state, 'cancelled')
        self.assertFalse(invoices(shop))

    @with_transaction()
    def test_operator_invoices_hidden_from_shops(self):
        """The operator's subscriptions and invoices of a shop are not
        visible to its users nor to another shop's (not in the operator
        company); the shop's billing fields are the operator's"""
        pool = Pool()
        Shop = pool.get('saas.shop')
        Invoice = pool.get('account.invoice')
        Subscription = pool.get('sale.subscription')
        setup_operator()
        lite, _, _ = plans()
        a = shop_after_trial()
        b = shop_after_trial(shop_name="B", email='b@shop.example')
        Shop.choose_plan([a, b], lite, 'monthly', [], date=D(2026, 5, 1))
        Shop.run_billing(date=D(2026, 5, 1))
        invoice_a, = invoices(a)
        invoice_b, = invoices(b)
        for shop in [a, b]:
            with as_user(shop):
                found = Invoice.search([])
                self.assertNotIn(invoice_a, found)
                self.assertNotIn(invoice_b, found)
                self.assertFalse(Subscription.search([]))
                for invoice in [invoice_a, invoice_b]:
                    with self.assertRaises(AccessError):
                        Invoice.read([invoice.id], ['number'])
                with self.assertRaises(AccessError):
                    Shop.read([shop.id], ['subscription'])
                notice, = Shop.read([shop.id], ['billing_notice'])
                self.assertTrue(notice['billing_notice'])
        # The operator's staff (here admin, in the operator company) sees
        # them all.
        User = pool.get('res.user')
        operator = invoice_a.company
        User.write([User(1)], {'companies': [('add', [operator.id])],
                'company': operator.id})
        with Transaction().set_context(_check_access=True,
                company=operator.id):
            self.assertEqual(set(Invoice.search([('saas_shop', '!=', None)])),
                {invoice_a, invoice_b})


class SaasBillingWizardTestCase(_DBTestCase):
    "Test the owner's billing wizards (today's date, access checks on)"
    module = 'saas'
    extras = ['repair', 'coating']

    @with_transaction()
    def test_owner_chooses_then_cancels(self):
        """The owner chooses a plan and cancels with the wizards; they see
        their billing notice but not the operator's records"""
        pool = Pool()
        Shop = pool.get('saas.shop')
        ChoosePlan = pool.get('saas.choose_plan', type='wizard')
        Cancel = pool.get('saas.cancel_subscription', type='wizard')
        setup_operator()
        lite, _, _ = plans()
        today = dt.date.today()
        shop = sign_up(today=today - dt.timedelta(days=40))
        Shop.run_trial(today=today)
        self.assertEqual(Shop(shop.id).state, 'read_only')
        with as_user(shop):
            session_id, _, _ = ChoosePlan.create()
            wizard = ChoosePlan(session_id)
            wizard.start.shop = Shop(shop.id)
            wizard.start.plan = lite
            wizard.start.period = 'monthly'
            wizard.start.options = []
            wizard.transition_choose()
        shop = Shop(shop.id)
        self.assertEqual(shop.state, 'active')
        self.assertEqual(shop.subscription.start_date, today)
        Shop.run_billing()
        invoice, = invoices(shop)
        self.assertEqual(invoice.invoice_date, today)
        with as_user(shop):
            session_id, _, _ = Cancel.create()
            wizard = Cancel(session_id)
            defaults = wizard.default_start(['shop', 'last_day'])
            last_day = defaults['last_day']
            self.assertGreater(last_day, today)
            self.assertLess(last_day, today + dt.timedelta(days=31))
            wizard.transition_cancel_()
            shop_form = Shop.fields_view_get(view_type='form')
            self.assertIn('billing_notice', shop_form['fields'])
            self.assertNotIn('subscription', shop_form['fields'])
            values, = Shop.read([shop.id], ['billing_notice', 'cancel_at',
                    'mrr'])
        self.assertEqual(values['cancel_at'],
            last_day + dt.timedelta(days=1))
        self.assertIn(str(last_day.year), values['billing_notice'])
        self.assertEqual(values['mrr'], Decimal('19.00'))
        self.assertEqual(Shop(shop.id).subscription.end_date, last_day)


    @with_transaction()
    def test_price_change_from_next_period(self):
        """A new price of the operator applies from each running
        subscription's next period; the invoiced one keeps its price"""
        pool = Pool()
        Shop = pool.get('saas.shop')
        Plan = pool.get('saas.plan')
        setup_operator(suspension_days=90)
        lite, _, _ = plans()
        today = dt.date.today()
        shop = sign_up(today=today - dt.timedelta(days=40))
        Shop.choose_plan([shop], lite, 'monthly', [], date=today)
        Shop.run_billing(date=today)
        Plan.write([lite], {'monthly_price': Decimal('25.00')})
        subscription = Shop(shop.id).subscription
        next_date = subscription.next_invoice_date
        self.assertEqual(sorted((l.unit_price, l.start_date)
                for l in subscription.lines), [
                (Decimal('19.00'), today), (Decimal('25.00'), next_date)])
        first, = invoices(shop)
        self.assertEqual(first.untaxed_amount, Decimal('19.00'))
        Shop.run_billing(date=next_date)
        _, second = invoices(shop)
        self.assertEqual(second.untaxed_amount, Decimal('25.00'))
        email, = emails(shop, 'plan_changed')
        self.assertIn('25.00', email.body)


class SaasBillingPayLinkTestCase(_DBTestCase):
    "Test the saas subscription billing with the online payment links"
    module = 'saas'
    extras = ['payment_gateway']

    @with_transaction()
    def test_pay_link_and_online_payment(self):
        """With a gateway of the operator, the invoice, reminder and
        suspension name the invoice's pay link; paying it online
        reactivates the shop"""
        from trytond.modules.payment_gateway.gateway import ProviderStatus
        pool = Pool()
        Shop = pool.get('saas.shop')
        Account = pool.get('account.account')
        Journal = pool.get('account.journal')
        Method = pool.get('account.invoice.payment.method')
        Gateway = pool.get('payment.gateway')
        PaymentTransaction = pool.get('payment.gateway.transaction')
        if ('dummy', "Dummy") not in Gateway.provider.selection:
            Gateway.provider.selection.append(('dummy', "Dummy"))
        operator = setup_operator(reminder_days='3', suspension_days=10)
        bank, = Account.search([('company', '=', operator.id),
                ('code', '=', '5121')])
        journal, = Journal.search([('type', '=', 'cash')], limit=1)
        method, = Method.create([{'name': "En ligne",
                    'company': operator.id, 'journal': journal.id,
                    'debit_account': bank.id, 'credit_account': bank.id}])
        gateway, = Gateway.create([{'company': operator.id,
                    'name': "Carte", 'provider': 'dummy',
                    'payment_method': method.id}])
        lite, _, _ = plans()
        shop = shop_after_trial()
        Shop.choose_plan([shop], lite, 'monthly', [], date=D(2026, 5, 1))
        run_days(D(2026, 5, 1), D(2026, 5, 11), twice=False)
        invoice, = invoices(shop)
        self.assertTrue(invoice.pay_url)
        self.assertIn('/pay/', invoice.pay_url)
        for kind in ['invoice', 'payment_reminder', 'suspended']:
            email, = emails(shop, kind)
            self.assertIn(invoice.pay_url, email.body)
        shop = Shop(shop.id)
        self.assertEqual(shop.state, 'suspended')
        self.assertIn(invoice.pay_url, shop.suspension_reason)

        with Transaction().set_context(company=operator.id):
            transaction = PaymentTransaction.create_for_invoice(
                invoice, gateway)
            transaction.apply_status(ProviderStatus('paid',
                    transaction.amount, 'EUR', raw='{}'))
        self.assertEqual(invoice.__class__(invoice.id).state, 'paid')
        self.assertEqual(Shop(shop.id).state, 'active')
        self.assertEqual(len(emails(shop, 'reactivated')), 1)
