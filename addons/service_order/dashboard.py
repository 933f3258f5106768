"""Shop dashboard: read-only SQL models shown as graph and board views.

Every figure is computed in SQL by `table_query` for the company of the
context (`company` key) and is also guarded by a global company rule.

Definitions (shared by all models):

- an order is *received* at its first history row entering a stage of
  category ``intake``;
- an order is *completed* (ready for pick-up) at its first history row
  entering a stage of category ``ready``; both the weekly count and the
  repair time use this moment (stages of category ``done`` are internal
  steps and are not counted);
- dates are the stored (UTC) timestamps of the history; weeks are ISO weeks
  (starting on Monday), months are calendar months.

Default windows when the context has no ``from_date``: the last 12 ISO
weeks (the current one included) for the weekly model and the last 12
months (the current one included) for the monthly models.
"""
import datetime

from dateutil.relativedelta import relativedelta
from sql import Cast, Literal, Null, Union, Window, With
from sql.aggregate import Avg, Count, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import DateTrunc, Extract, Function, Round, RowNumber

from trytond import backend
from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from .stage import CATEGORIES

COMPLETED = 'ready'
RECEIVED = 'intake'
WEEKS = 12
MONTHS = 12


class JulianDay(Function):
    "SQLite JULIANDAY(timestamp): fractional days since 4714 BC."
    __slots__ = ()
    _function = 'JULIANDAY'


class SQLiteDateModifier(Function):
    "SQLite DATE(value, modifier, ...)."
    __slots__ = ()
    _function = 'DATE'


def hours_between(start, end):
    """Return the SQL expression of `end - start` in hours (a float) for
    two timestamp columns, on SQLite (timestamps stored as text) and on
    PostgreSQL.
    """
    if backend.name == 'sqlite':
        return (JulianDay(end) - JulianDay(start)) * 24.0
    return Extract('EPOCH', end - start) / 3600.0


def week_start(column):
    """Return the SQL expression of the Monday (a date) of the ISO week of
    the timestamp `column`.
    """
    if backend.name == 'sqlite':
        # Go back 6 days, then forward to the next Monday (or same day)
        return SQLiteDateModifier(column, '-6 days', 'weekday 1')
    return DateTrunc('week', column)


def month_start(column):
    """Return the SQL expression of the first day of the month of the date
    or timestamp `column` (a timestamp)."""
    if backend.name != 'sqlite':
        # DATE_TRUNC has no date variant on PostgreSQL
        column = Cast(column, 'TIMESTAMP')
    return DateTrunc('month', column)


def _today():
    return Pool().get('ir.date').today()


def _start(value):
    "Return the datetime of the start of the date `value`."
    return datetime.datetime.combine(value, datetime.time())


def date_window(default):
    """Return the (from_date, to_date) dates of the context, `from_date`
    defaulting to `default` (a date) and `to_date` to None (no limit)."""
    context = Transaction().context
    return context.get('from_date') or default, context.get('to_date')


def timestamp_where(column, default):
    """Return the SQL condition keeping the timestamps of `column` inside
    the context date window (both dates included)."""
    from_date, to_date = date_window(default)
    where = Literal(True)
    if from_date:
        where &= column >= _start(from_date)
    if to_date:
        where &= column < _start(to_date + datetime.timedelta(days=1))
    return where


def date_where(column, default):
    "Same as `timestamp_where` for a date `column`."
    from_date, to_date = date_window(default)
    where = Literal(True)
    if from_date:
        where &= column >= from_date
    if to_date:
        where &= column <= to_date
    return where


def default_weeks_from():
    "Return the Monday of the first of the last 12 ISO weeks (a date)."
    today = _today()
    monday = today - datetime.timedelta(days=today.weekday())
    return monday - datetime.timedelta(weeks=WEEKS - 1)


def default_months_from():
    "Return the first day of the first of the last 12 months (a date)."
    return _today().replace(day=1) - relativedelta(months=MONTHS - 1)


def first_entries(category):
    """Return a query of (order, company, date): the first time each order
    entered a stage of `category`, from the stage history."""
    pool = Pool()
    History = pool.get('service.order.stage.history')
    Stage = pool.get('service.order.stage')
    history = History.__table__()
    stage = Stage.__table__()
    return (history
        .join(stage, condition=history.to_stage == stage.id)
        .select(
            history.order.as_('order'),
            history.company.as_('company'),
            Min(history.date).as_('date'),
            where=stage.category == category,
            group_by=[history.order, history.company]))


class DashboardContext(ModelView):
    "Service Order Dashboard Context"
    __name__ = 'service.order.dashboard.context'

    company = fields.Many2One('company.company', "Shop", required=True)
    from_date = fields.Date("From Date",
        domain=[
            If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ],
        help="Leave empty for the last 12 weeks (weekly figures) "
        "or the last 12 months (monthly figures).")
    to_date = fields.Date("To Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')),
                ()),
            ])

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_from_date(cls):
        return Transaction().context.get('from_date')

    @classmethod
    def default_to_date(cls):
        return Transaction().context.get('to_date')


class DashboardStage(ModelSQL, ModelView):
    """Service Order Dashboard by Stage

    Number of open orders (not delivered nor cancelled) in each active
    stage of the shop; the id is the stage id."""
    __name__ = 'service.order.dashboard.stage'

    company = fields.Many2One('company.company', "Shop")
    stage = fields.Many2One('service.order.stage', "Stage")
    name = fields.Char("Name")
    category = fields.Selection(CATEGORIES, "Category")
    sequence = fields.Integer("Sequence")
    count = fields.Integer("Orders")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('sequence', 'ASC NULLS FIRST'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Stage = pool.get('service.order.stage')
        Order = pool.get('service.order')
        stage = Stage.__table__()
        order = Order.__table__()
        company = Transaction().context.get('company')
        return (stage
            .join(order, 'LEFT', condition=order.stage == stage.id)
            .select(
                stage.id.as_('id'),
                stage.company.as_('company'),
                stage.id.as_('stage'),
                stage.name.as_('name'),
                stage.category.as_('category'),
                stage.sequence.as_('sequence'),
                Count(order.id).as_('count'),
                where=(stage.company == company)
                & (stage.active == Literal(True))
                & ~stage.category.in_(['delivered', 'cancelled']),
                group_by=[stage.id, stage.company, stage.name,
                    stage.category, stage.sequence]))


class DashboardWeekly(ModelSQL, ModelView):
    """Service Order Dashboard per Week

    Number of orders completed (first entry into a stage of category
    'ready') per ISO week."""
    __name__ = 'service.order.dashboard.weekly'

    company = fields.Many2One('company.company', "Shop")
    week = fields.Date("Week", help="The Monday of the ISO week.")
    count = fields.Integer("Completed Orders")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('week', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        company = Transaction().context.get('company')
        done = first_entries(COMPLETED)
        # Compute the week in a sub-query: PostgreSQL can not match a
        # parameterized expression of the GROUP BY with the SELECT one
        weeks = done.select(
            done.order, done.company,
            cls.week.sql_cast(week_start(done.date)).as_('week'),
            where=(done.company == company)
            & timestamp_where(done.date, default_weeks_from()))
        return weeks.select(
            Min(weeks.order).as_('id'),
            weeks.company.as_('company'),
            weeks.week.as_('week'),
            Count(weeks.order).as_('count'),
            group_by=[weeks.company, weeks.week])


class MonthlyMixin:
    "Figures of a shop per calendar month (the first day of the month)."
    __slots__ = ()
    company = fields.Many2One('company.company', "Shop")
    month = fields.Date("Month")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('month', 'ASC'), ('id', 'ASC')]


class DashboardRepairTime(MonthlyMixin, ModelSQL, ModelView):
    """Service Order Dashboard Repair Time

    Per month of completion: number of orders, mean and median repair time
    in hours, from reception (first entry into an 'intake' stage) to
    completion (first entry into a 'ready' stage)."""
    __name__ = 'service.order.dashboard.repair_time'

    count = fields.Integer("Orders")
    mean_hours = fields.Float("Mean (hours)", digits=(16, 1))
    median_hours = fields.Float("Median (hours)", digits=(16, 1))

    @classmethod
    def table_query(cls):
        """Median: rows of a month are numbered by duration with
        ROW_NUMBER() and counted with COUNT() OVER the same partition; the
        median is the average of the rows numbered (n+1)/2 and (n+2)/2
        (integer division): one row if n is odd, the middle two if even."""
        company = Transaction().context.get('company')
        received = first_entries(RECEIVED)
        completed = first_entries(COMPLETED)
        month = cls.month.sql_cast(month_start(completed.date))
        durations = (received
            .join(completed, condition=received.order == completed.order)
            .select(
                completed.order.as_('order'),
                completed.company.as_('company'),
                month.as_('month'),
                hours_between(received.date, completed.date).as_('hours'),
                where=(completed.company == company)
                & (completed.date >= received.date)
                & timestamp_where(completed.date, default_months_from())))
        partition = [durations.company, durations.month]
        ranked = durations.select(
            durations.order, durations.company, durations.month,
            durations.hours,
            RowNumber(window=Window(partition,
                    order_by=[durations.hours.asc, durations.order.asc])
                ).as_('rank'),
            Count(Literal(1), window=Window(partition)).as_('total'))
        middle = ((ranked.rank == (ranked.total + 1) / 2)
            | (ranked.rank == (ranked.total + 2) / 2))
        return ranked.select(
            Min(ranked.order).as_('id'),
            ranked.company.as_('company'),
            ranked.month.as_('month'),
            Count(ranked.order).as_('count'),
            cls.mean_hours.sql_cast(Avg(ranked.hours)).as_('mean_hours'),
            cls.median_hours.sql_cast(
                Avg(Case((middle, ranked.hours), else_=Null))
                ).as_('median_hours'),
            group_by=[ranked.company, ranked.month])


class DashboardRevenue(MonthlyMixin, ModelSQL, ModelView):
    """Service Order Dashboard Revenue

    Per month, in the company currency: amounts invoiced (posted or paid
    customer invoices and credit notes, by invoice date, converted at the
    invoice date rate) and collected (payment lines of those invoices,
    credit minus debit, by move date)."""
    __name__ = 'service.order.dashboard.revenue'

    currency = fields.Many2One('currency.currency', "Currency")
    invoiced = Monetary(
        "Invoiced (excl. tax)", digits='currency', currency='currency')
    invoiced_total = Monetary(
        "Invoiced (incl. tax)", digits='currency', currency='currency')
    collected = Monetary("Collected", digits='currency', currency='currency')

    @classmethod
    def _invoiced(cls, company_id, withs):
        """Return the query of invoiced amounts (company currency) per
        invoice; the currency rate queries are added to `withs`."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Company = pool.get('company.company')
        Currency = pool.get('currency.currency')
        invoice = Invoice.__table__()
        company = Company.__table__()
        rate_invoice = With(query=Currency.currency_rate_sql())
        rate_company = With(query=Currency.currency_rate_sql())
        withs.extend([rate_invoice, rate_company])

        def rate_condition(rate, currency):
            return ((rate.currency == currency)
                & (rate.start_date <= invoice.invoice_date)
                & ((rate.end_date == Null)
                    | (rate.end_date > invoice.invoice_date)))

        def convert(amount):
            return Case(
                (invoice.currency == company.currency, amount),
                else_=amount * rate_company.rate / rate_invoice.rate)
        query = (invoice
            .join(company, condition=invoice.company == company.id)
            .join(rate_invoice, 'LEFT',
                condition=rate_condition(rate_invoice, invoice.currency))
            .join(rate_company, 'LEFT',
                condition=rate_condition(rate_company, company.currency))
            .select(
                (invoice.id * 2).as_('id'),
                invoice.company.as_('company'),
                month_start(invoice.invoice_date).as_('month'),
                convert(invoice.untaxed_amount_cache).as_('invoiced'),
                convert(invoice.total_amount_cache).as_('invoiced_total'),
                Literal(0).as_('collected'),
                where=(invoice.company == company_id)
                & (invoice.type == 'out')
                & invoice.state.in_(['posted', 'paid'])
                & date_where(invoice.invoice_date, default_months_from())))
        return query

    @classmethod
    def _collected(cls, company_id):
        "Return the query of collected amounts (company currency) per line."
        pool = Pool()
        Invoice = pool.get('account.invoice')
        PaymentLine = pool.get('account.invoice-account.move.line')
        Line = pool.get('account.move.line')
        Move = pool.get('account.move')
        invoice = Invoice.__table__()
        payment = PaymentLine.__table__()
        line = Line.__table__()
        move = Move.__table__()
        return (payment
            .join(invoice, condition=payment.invoice == invoice.id)
            .join(line, condition=payment.line == line.id)
            .join(move, condition=line.move == move.id)
            .select(
                (line.id * 2 + 1).as_('id'),
                invoice.company.as_('company'),
                month_start(move.date).as_('month'),
                Literal(0).as_('invoiced'),
                Literal(0).as_('invoiced_total'),
                (line.credit - line.debit).as_('collected'),
                where=(invoice.company == company_id)
                & (invoice.type == 'out')
                & (move.state == 'posted')
                & date_where(move.date, default_months_from())))

    @classmethod
    def table_query(cls):
        pool = Pool()
        Company = pool.get('company.company')
        Currency = pool.get('currency.currency')
        company_id = Transaction().context.get('company')
        company = Company.__table__()
        currency = Currency.__table__()
        withs = []
        amounts = Union(
            cls._invoiced(company_id, withs), cls._collected(company_id),
            all_=True)
        month = cls.month.sql_cast(amounts.month)

        def total(name):
            return Round(cls.invoiced.sql_cast(
                    Sum(Coalesce(getattr(amounts, name), 0))),
                currency.digits).as_(name)
        return (amounts
            .join(company, condition=amounts.company == company.id)
            .join(currency, condition=company.currency == currency.id)
            .select(
                Min(amounts.id).as_('id'),
                amounts.company.as_('company'),
                month.as_('month'),
                currency.id.as_('currency'),
                total('invoiced'),
                total('invoiced_total'),
                total('collected'),
                group_by=[amounts.company, month, currency.id,
                    currency.digits],
                with_=withs))


class DashboardRating(MonthlyMixin, ModelSQL, ModelView):
    """Service Order Dashboard Rating

    Per month of delivery (first entry into a 'delivered' stage, else the
    intake date): average customer rating (1 to 5) and number of rated
    orders."""
    __name__ = 'service.order.dashboard.rating'

    count = fields.Integer("Rated Orders")
    average = fields.Float("Average Rating", digits=(3, 2))

    @classmethod
    def table_query(cls):
        pool = Pool()
        Order = pool.get('service.order')
        order = Order.__table__()
        company = Transaction().context.get('company')
        delivered = first_entries('delivered')
        date = Coalesce(delivered.date, order.intake_date)
        rated = (order
            .join(delivered, 'LEFT', condition=delivered.order == order.id)
            .select(
                order.id, order.company,
                cls.month.sql_cast(month_start(date)).as_('month'),
                cls.average.sql_cast(order.rating).as_('rating'),
                where=(order.company == company)
                & (order.rating != Null) & (order.rating != '')
                & timestamp_where(date, default_months_from())))
        return rated.select(
            Min(rated.id).as_('id'),
            rated.company.as_('company'),
            rated.month.as_('month'),
            Count(rated.id).as_('count'),
            cls.average.sql_cast(Avg(rated.rating)).as_('average'),
            group_by=[rated.company, rated.month])
