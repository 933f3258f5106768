"""Dashboard figures compared with values computed in Python from the data.

History rows are written directly with controlled dates.
"""
import datetime
import statistics
import unittest
from collections import defaultdict
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.currency.tests import add_currency_rate, create_currency
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .tools import create_stages

DAY0 = datetime.datetime(2024, 3, 4, 10, 0)  # a Monday


class DashboardTestCase(unittest.TestCase):
    "Test the shop dashboard"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('service_order')

    def _currency(self):
        currency = create_currency('EUR')
        add_currency_rate(currency, 1)
        return currency

    def _orders(self, company, stages, specs):
        """Create orders from specs: (intake datetime, ready datetime or
        None, delivered datetime or None, rating or None, final stage code).
        History rows are written with exactly these dates."""
        pool = Pool()
        Order = pool.get('service.order')
        Party = pool.get('party.party')
        History = pool.get('service.order.stage.history')
        party = Party(name="Awa Diop")
        party.save()
        orders = []
        for intake, ready, delivered, rating, code in specs:
            order = Order(kind='service', party=party,
                stage=stages['intake'], intake_date=intake)
            order.save()
            rows = []
            previous = stages['intake']
            for stage, date in [
                    (stages['open'], intake + datetime.timedelta(hours=1)
                        if ready else None),
                    (stages['ready'], ready),
                    (stages['delivered'], delivered)]:
                if date:
                    rows.append({
                            'order': order.id, 'company': company.id,
                            'from_stage': previous.id, 'to_stage': stage.id,
                            'date': date})
                    previous = stage
            if rows:
                History.create(rows)
            # Move the stage without going through the checked write
            with Transaction().set_context(_check_access=False):
                table = Order.__table__()
                cursor = Transaction().connection.cursor()
                cursor.execute(*table.update(
                        [table.stage, table.rating],
                        [stages[code].id, rating],
                        where=table.id == order.id))
            orders.append(order)
        return orders

    @with_transaction()
    def test_stage_weekly_repair_rating(self):
        "Stage counts, weekly completions, repair times and ratings"
        pool = Pool()
        Stage = pool.get('service.order.dashboard.stage')
        Weekly = pool.get('service.order.dashboard.weekly')
        RepairTime = pool.get('service.order.dashboard.repair_time')
        Rating = pool.get('service.order.dashboard.rating')
        h = datetime.timedelta(hours=1)
        d = datetime.timedelta(days=1)
        currency = self._currency()
        company = create_company(currency=currency)
        other = create_company(name="Other Shop", currency=currency)

        # March: 3 repairs of 5h, 9h, 30h (odd count) -> mean 14.67 median 9
        # April: 4 repairs of 2h, 4h, 10h, 100h -> mean 29, median 7
        specs = [
            (DAY0, DAY0 + 5 * h, DAY0 + 2 * d, '5', 'delivered'),
            (DAY0, DAY0 + 9 * h, DAY0 + 3 * d, '3', 'delivered'),
            (DAY0 + d, DAY0 + d + 30 * h, None, None, 'ready'),
            ]
        april = datetime.datetime(2024, 4, 8, 8, 30)  # a Monday
        specs += [
            (april, april + 2 * h, april + 2 * d, '4', 'delivered'),
            (april, april + 4 * h, None, None, 'ready'),
            (april + 1 * d, april + d + 10 * h, None, None, 'ready'),
            (april - 2 * d, april - 2 * d + 100 * h, april + 20 * d, '1',
                'delivered'),
            ]
        # Open orders, never ready
        specs += [
            (april, None, None, None, 'intake'),
            (april, None, None, None, 'intake'),
            (april, None, None, None, 'open'),
            ]
        with set_company(other):
            other_stages = create_stages(other)
            # Data that must not leak into the first shop's figures
            self._orders(other, other_stages, [
                    (DAY0, DAY0 + 1 * h, DAY0 + d, '1', 'delivered'),
                    (april, april + 500 * h, None, None, 'ready'),
                    (april, None, None, None, 'intake'),
                    ])
        with set_company(company):
            stages = create_stages(company)
            self._orders(company, stages, specs)

            # Independent Python figures
            by_stage = defaultdict(int)
            weekly = defaultdict(int)
            repair = defaultdict(list)
            ratings = defaultdict(list)
            for intake, ready, delivered, rating, code in specs:
                if code not in {'delivered', 'cancelled'}:
                    by_stage[code] += 1
                if ready:
                    monday = (ready.date()
                        - datetime.timedelta(days=ready.weekday()))
                    weekly[monday] += 1
                    repair[ready.date().replace(day=1)].append(
                        (ready - intake).total_seconds() / 3600)
                if rating:
                    ratings[(delivered or intake).date().replace(day=1)
                        ].append(int(rating))

            window = {
                'from_date': datetime.date(2024, 1, 1),
                'to_date': datetime.date(2024, 12, 31)}
            with Transaction().set_context(**window):
                rows = Stage.search([])
                self.assertEqual(
                    {r.stage.code: r.count for r in rows},
                    {'intake': by_stage['intake'], 'open': by_stage['open'],
                        'ready': by_stage['ready']})
                self.assertEqual({r.id for r in rows},
                    {stages[c].id for c in ['intake', 'open', 'ready']})
                self.assertTrue(all(r.company == company for r in rows))

                rows = Weekly.search([])
                self.assertEqual(
                    {r.week: r.count for r in rows}, dict(weekly))
                self.assertTrue(all(r.week.weekday() == 0 for r in rows))

                rows = RepairTime.search([])
                self.assertEqual(len(rows), 2)
                for row in rows:
                    hours = repair[row.month]
                    self.assertEqual(row.count, len(hours))
                    self.assertAlmostEqual(
                        row.mean_hours, statistics.mean(hours), places=3)
                    self.assertAlmostEqual(
                        row.median_hours, statistics.median(hours), places=3)
                march, april_row = rows
                self.assertAlmostEqual(march.mean_hours, 44 / 3, places=3)
                self.assertAlmostEqual(march.median_hours, 9, places=3)
                self.assertAlmostEqual(april_row.median_hours, 7, places=3)
                self.assertAlmostEqual(april_row.mean_hours, 29, places=3)

                rows = Rating.search([])
                self.assertEqual(
                    {r.month: (r.count, r.average) for r in rows},
                    {m: (len(v), statistics.mean(v))
                        for m, v in ratings.items()})

            # The date window filters on the completion date
            with Transaction().set_context(
                    from_date=datetime.date(2024, 4, 1),
                    to_date=datetime.date(2024, 4, 30)):
                rows = RepairTime.search([])
                self.assertEqual([r.count for r in rows], [4])
                self.assertEqual(
                    sum(r.count for r in Weekly.search([])), 4)

            # Another shop in the context sees only its own figures
            with Transaction().set_context(company=other.id, **window):
                self.assertEqual(
                    [r.count for r in RepairTime.search([])], [1, 1])

    @with_transaction()
    def test_repair_time_single(self):
        "Repair time of a single order (median equals mean)"
        pool = Pool()
        RepairTime = pool.get('service.order.dashboard.repair_time')
        company = create_company(currency=self._currency())
        with set_company(company):
            stages = create_stages(company)
            self._orders(company, stages, [
                    (DAY0, DAY0 + datetime.timedelta(hours=2, minutes=30),
                        None, None, 'ready')])
            with Transaction().set_context(
                    from_date=datetime.date(2024, 1, 1)):
                row, = RepairTime.search([])
                self.assertAlmostEqual(row.mean_hours, 2.5, places=3)
                self.assertAlmostEqual(row.median_hours, 2.5, places=3)

    @with_transaction()
    def test_weekly_default_window(self):
        "Weekly completions default to the last 12 ISO weeks"
        pool = Pool()
        Weekly = pool.get('service.order.dashboard.weekly')
        company = create_company(currency=self._currency())
        now = datetime.datetime.now().replace(microsecond=0)
        with set_company(company):
            stages = create_stages(company)
            self._orders(company, stages, [
                    (now - datetime.timedelta(days=1), now, None, None,
                        'ready'),
                    (now - datetime.timedelta(weeks=20),
                        now - datetime.timedelta(weeks=19), None, None,
                        'ready'),
                    ])
            rows = Weekly.search([])
            self.assertEqual([r.count for r in rows], [1])

    @with_transaction()
    def test_revenue(self):
        "Invoiced and collected amounts per month, per shop"
        pool = Pool()
        Revenue = pool.get('service.order.dashboard.revenue')
        currency = self._currency()
        company = create_company(currency=currency)
        other = create_company(name="Other Shop", currency=currency)
        with set_company(other):
            self._invoices(other, [
                    (datetime.date(2024, 3, 5), Decimal('999'), None)])
        with set_company(company):
            specs = [
                (datetime.date(2024, 3, 5), Decimal('100'),
                    (datetime.date(2024, 3, 20), Decimal('120'))),
                (datetime.date(2024, 3, 25), Decimal('50'),
                    (datetime.date(2024, 4, 2), Decimal('30'))),
                (datetime.date(2024, 4, 10), Decimal('80'), None),
                (datetime.date(2024, 4, 11), Decimal('-20'), None),
                ]
            self._invoices(company, specs)
            invoiced = defaultdict(Decimal)
            collected = defaultdict(Decimal)
            for date, amount, payment in specs:
                invoiced[date.replace(day=1)] += amount
                if payment:
                    collected[payment[0].replace(day=1)] += payment[1]
            with Transaction().set_context(
                    from_date=datetime.date(2024, 1, 1),
                    to_date=datetime.date(2024, 12, 31)):
                rows = Revenue.search([])
                self.assertEqual(
                    {r.month: r.invoiced for r in rows}, dict(invoiced))
                # 20% tax
                self.assertEqual(
                    {r.month: r.invoiced_total for r in rows},
                    {m: a * Decimal('1.2') for m, a in invoiced.items()})
                self.assertEqual(
                    {r.month: r.collected for r in rows},
                    {m: collected.get(m, Decimal(0)) for m in invoiced})
                self.assertTrue(all(r.currency == currency for r in rows))

    def _invoices(self, company, specs):
        """Post a customer invoice per spec (date, untaxed amount, payment)
        with a 20% tax; payment is None or (date, amount paid)."""
        pool = Pool()
        Account = pool.get('account.account')
        FiscalYear = pool.get('account.fiscalyear')
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        Journal = pool.get('account.journal')
        Party = pool.get('party.party')
        PaymentMethod = pool.get('account.invoice.payment.method')
        Tax = pool.get('account.tax')
        from trytond.modules.account.tests import (
            create_chart, get_fiscalyear)
        from trytond.modules.account_invoice.tests import (
            set_invoice_sequences)

        create_chart(company, tax=True)
        fiscalyear = set_invoice_sequences(get_fiscalyear(
                company, today=datetime.date(2024, 1, 1)))
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
        tax, = Tax.search([('company', '=', company.id)], limit=1)
        journal_cash, = Journal.search([('code', '=', 'CASH')], limit=1)
        method = PaymentMethod(name="Cash", company=company,
            journal=journal_cash, credit_account=cash, debit_account=cash)
        method.save()
        party = Party(name="Customer", addresses=[{}])
        party.save()
        for date, amount, payment in specs:
            invoice = Invoice(type='out', company=company, party=party,
                invoice_date=date, currency=company.currency)
            invoice.on_change_type()
            invoice.on_change_party()
            invoice.account = receivable
            invoice.lines = [InvoiceLine(
                    company=company, type='line', quantity=1,
                    unit_price=amount, account=revenue,
                    description="Labour", currency=company.currency,
                    taxes=[tax])]
            invoice.save()
            Invoice.post([invoice])
            if payment:
                invoice.pay_invoice(
                    payment[1], method, payment[0], "Payment")
