"""Subscription billing of the shops by the operator, on `sale_subscription`.

The operator is a company of its own (Hosting Configuration ▸ Operator
Company, never a hosted shop) that invoices each shop's party (the party of
the shop's company) through an upstream `sale.subscription`:

- **Services**: each plan and option gets one `sale.subscription.service`
  (a service product in the Configuration's account category) per billing
  period, created by its button "Create Subscription Services" or lazily
  when a shop first subscribes to it (`_ServiceMixin.service`).
- **Subscribing**: `Shop.choose_plan` (the Choose a Plan wizard, or the
  operator) runs a subscription of the operator company with one line per
  plan and option, billed in advance each month or year from its start:
  the day after the trial when the plan is chosen during the trial, else
  the day of the choice. The invoice and consumption recurrence are the
  rule sets of billing.xml (a start on the 29th-31st keeps its day, or the
  month's last day when the month is shorter; a yearly start on 29 February
  falls on 28 February in the other years).
- **Invoicing**: the daily cron "Subscription Billing and Dunning"
  (`Shop.run_billing`) calls upstream `sale.subscription.line
  .generate_consumption` then `sale.subscription.generate_invoice` for the
  operator company, posts the subscription invoices and emails each to the
  shop's owner with its pay link (payment_gateway's `pay_url` when the
  operator has a gateway) or how to pay it.
- **Plan change** (`Shop._change_billing`): a change of plan or options is
  prorated at once over the rest of the current period at that period's
  prices (see `prorate`): the removed items are credited, the added ones
  charged, on one invoice (a credit note when it is negative); the new
  lines are billed in full from the next period. A change of billing
  period takes effect at the end of the paid period: the subscription ends
  then and a new one, of the new period, starts.
- **Dunning** (same cron): a posted subscription invoice still due gets a
  reminder on each of the Configuration's reminder days after its due date
  (once each, recorded on the invoice; after an outage only the latest due
  one is emailed), and after `suspension_days` the shop is suspended
  (`shop.suspend(reason)`: read-only, no data deleted) with a reason naming
  the invoice, its amount, its due date and how to pay it, which every
  refused change shows to the shop's users. Paying the invoice (its
  'paid' transition, reached when its payment is reconciled, e.g. by the
  online payment) or cancelling it reactivates the shop.
- **Cancellation** (`Shop.request_cancellation`, wizard Cancel the
  Subscription): the subscription ends at the end of the paid period (its
  end date; upstream closes it when its consumption stops), and the shop
  is cancelled (read-only) on the next day by the cron, not before.
  Choosing a plan before then resumes the subscription.

Without an operator company nothing is billed (plans are then free).
Invoices of the operator belong to the operator company: the shops' users,
who are not in it, never see them (Tryton's company rule); they get the
invoice by email and pay it through its pay link.
"""
import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal

from sql import Cast, Literal, Null, operators
from sql.conditionals import Case
from sql.functions import Function
from sql.operators import Concat

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import BillingError
from .shop import shop_of_wizard

#: XML ids (billing.xml) of the recurrence rule sets: (period, anchor day)
#: → rule set. Anchor day None: a start on the 1st to the 28th.
RECURRENCES = {
    ('monthly', None): 'recurrence_monthly',
    ('monthly', 29): 'recurrence_monthly_29',
    ('monthly', 30): 'recurrence_monthly_30',
    ('monthly', 31): 'recurrence_monthly_31',
    ('yearly', None): 'recurrence_yearly',
    ('yearly', (2, 29)): 'recurrence_yearly_0229',
    }
MONTHS = {'monthly': 1, 'yearly': 12}


def recurrence_key(period, start=None):
    "Return the RECURRENCES key of `period` for a start on `start` (date)."
    if start is None:
        return (period, None)
    if period == 'monthly':
        return (period, start.day if start.day > 28 else None)
    if (start.month, start.day) == (2, 29):
        return (period, (2, 29))
    return (period, None)


def recurrence(period, start=None):
    """Return the `sale.subscription.recurrence.rule.set` billing `period`
    ('monthly'/'yearly') from `start` (see RECURRENCES)."""
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    RuleSet = pool.get('sale.subscription.recurrence.rule.set')
    return RuleSet(ModelData.get_id(
            'saas', RECURRENCES[recurrence_key(period, start)]))


def period_bounds(subscription, date):
    """Return (start, end) of the invoicing period of `subscription`
    containing `date`: start included, end excluded (the next invoice
    date); start is None before the subscription starts."""
    first = subscription.invoice_start_date or subscription.start_date
    rruleset = subscription.invoice_recurrence.rruleset(first)
    moment = dt.datetime.combine(date, dt.time())
    start = rruleset.before(moment, inc=True)
    end = rruleset.after(moment, inc=False)
    return (start.date() if start else None, end.date() if end else None)


def prorate(amount, period_start, period_end, date, currency=None):
    """Return (amount, remaining, days): the part of `amount` (Decimal, the
    price of the whole period) for the rest of the period from `date`
    (included) to `period_end` (excluded), as a change on `date` credits
    or charges it:

        remaining = (period_end - date) in days
        days      = (period_end - period_start) in days
        part      = amount × remaining / days

    rounded with `currency` (its `round`, i.e. its rounding unit: 0.01 for
    the euro, 1 for the CFA franc), else to the cent (half to even). E.g. a
    move from Lite (19.00) to Pro (49.00) on 10 March of the month from 1
    March to 1 April: 22 days of 31 remain, Lite is credited 19 × 22 / 31 =
    13.48 and Pro charged 49 × 22 / 31 = 34.77."""
    remaining = (period_end - date).days
    days = (period_end - period_start).days
    part = Decimal(amount) * remaining / days
    if currency is not None:
        part = currency.round(part)
    else:
        part = part.quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN)
    return part, remaining, days


class _OperatorContext:
    """Context manager: root (user 0) in the operator company, without
    access checks; the billing acts on the operator's subscriptions and
    invoices whoever triggers it (the shop's owner choosing a plan, the
    cron, a payment)."""

    def __init__(self, company):
        self.company = company

    def __enter__(self):
        transaction = Transaction()
        self._user = transaction.set_user(0)
        self._user.__enter__()
        self._context = transaction.set_context(company=self.company.id,
            companies=[self.company.id], _check_access=False,
            _skip_warnings=True)
        self._context.__enter__()
        return self.company

    def __exit__(self, *args):
        self._context.__exit__(*args)
        self._user.__exit__(*args)


def operator():
    "Return the operator company (company.company) or None: no billing."
    Configuration = Pool().get('saas.configuration')
    with without_check_access():
        company = Configuration(1).operator_company
    return company


def owner_language(shop):
    "The language of `shop`'s emails and messages ('fr' unless 'en')."
    owner = shop.owner
    if owner and owner.language and owner.language.code.startswith('en'):
        return 'en'
    return 'fr'


def capfirst(text):
    "`text` with its first letter in upper case (a sentence of its own)."
    return text[:1].upper() + text[1:]


def format_date(date, language=None):
    """`date` as written in `language` (default: the context's), e.g.
    '01/03/2026' in French."""
    if not date:
        return ''
    return Pool().get('ir.lang').get(language).strftime(date)


class Configuration(metaclass=PoolMeta):
    __name__ = 'saas.configuration'

    operator_company = fields.Many2One('company.company', "Operator Company",
        help="The company that invoices the shops their subscription. "
        "Empty: nothing is billed.")
    account_category = fields.Many2One('product.category',
        "Subscription Account Category",
        domain=[('accounting', '=', True)],
        states={'required': Bool(Eval('operator_company'))},
        context={'company': Eval('operator_company', -1)},
        depends={'operator_company'},
        help="Revenue account and customer taxes of the subscription "
        "services (in the operator company).")
    payment_term = fields.Many2One('account.invoice.payment_term',
        "Subscription Payment Term",
        help="Empty: the shop party's customer payment term.")
    suspension_days = fields.Integer("Days Before Suspension",
        required=True,
        help="Days after the due date of an unpaid subscription invoice "
        "when the shop is suspended (read-only).")
    reminder_days = fields.Char("Reminder Days",
        help="Days after the due date of an unpaid subscription invoice "
        "when a reminder is emailed, separated by spaces (e.g. '3 10').")

    @classmethod
    def default_suspension_days(cls):
        return 15

    @classmethod
    def default_reminder_days(cls):
        return '3 10'

    def get_reminder_days(self):
        "The sorted list of reminder days (ints)."
        return sorted({int(d) for d in (self.reminder_days or '').split()})

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        Shop = Pool().get('saas.shop')
        for record in records:
            try:
                days = record.get_reminder_days()
            except ValueError:
                days = [-1]
            if any(d <= 0 for d in days) or (record.suspension_days or 0) < 1:
                raise ValidationError(gettext(
                        'saas.msg_billing_days_invalid',
                        days=record.reminder_days or '',
                        suspension=record.suspension_days))
            if record.operator_company:
                with without_check_access():
                    if Shop.search([
                                ('company', '=', record.operator_company.id),
                                ], limit=1):
                        raise ValidationError(gettext(
                                'saas.msg_billing_operator_is_shop',
                                company=record.operator_company.rec_name))


class _ServiceMixin:
    "The subscription services of a plan or an option, one per period."
    __slots__ = ()
    monthly_service = fields.Many2One('sale.subscription.service',
        "Monthly Subscription Service", readonly=True, ondelete='RESTRICT')
    yearly_service = fields.Many2One('sale.subscription.service',
        "Yearly Subscription Service", readonly=True, ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'create_services': {
                    'invisible': (Bool(Eval('monthly_service'))
                        & Bool(Eval('yearly_service'))),
                    'depends': ['monthly_service', 'yearly_service'],
                    },
                })

    @classmethod
    def copy(cls, records, default=None):
        default = default.copy() if default else {}
        default.setdefault('monthly_service')
        default.setdefault('yearly_service')
        return super().copy(records, default=default)

    @classmethod
    def write(cls, *args):
        """Write; a new price applies to the running subscriptions from
        their next period (`Shop.reprice_subscriptions`)."""
        actions = iter(args)
        changed = set()
        for records, values in zip(actions, actions):
            if set(values) & {'monthly_price', 'yearly_price', 'currency'}:
                changed |= {r.id for r in records}
        super().write(*args)
        if changed and operator():
            Pool().get('saas.shop').reprice_subscriptions(
                cls.browse(list(changed)))

    def service(self, period):
        "Return the service of `period`, created if missing."
        name = '%s_service' % period
        if not getattr(self, name):
            self.create_services([self])
        return getattr(self.__class__(self.id), name)

    @classmethod
    @ModelView.button
    def create_services(cls, records):
        """Create the missing monthly and yearly services: a service
        product 'Atelier <name> (monthly|yearly)', code SAAS-<CODE>-M|Y,
        in the Configuration's account category, priced in the operator
        company (the subscription lines carry the price)."""
        pool = Pool()
        Configuration = pool.get('saas.configuration')
        Template = pool.get('product.template')
        Service = pool.get('sale.subscription.service')
        ModelData = pool.get('ir.model.data')
        Uom = pool.get('product.uom')
        company = operator()
        config = Configuration(1)
        if not company or not config.account_category:
            raise BillingError(gettext('saas.msg_billing_not_configured'))
        unit = Uom(ModelData.get_id('product', 'uom_unit'))
        labels = {'monthly': gettext('saas.msg_period_monthly'),
            'yearly': gettext('saas.msg_period_yearly')}
        with _OperatorContext(company):
            for record in cls.browse(records):
                values = {}
                for period in ['monthly', 'yearly']:
                    name = '%s_service' % period
                    if getattr(record, name):
                        continue
                    template, = Template.create([{
                                'name': 'Atelier %s (%s)' % (
                                    record.name, labels[period]),
                                'code': 'SAAS-%s-%s' % (
                                    record.code.upper(), period[0].upper()),
                                'type': 'service',
                                'default_uom': unit.id,
                                'list_price': record.price(period),
                                'account_category':
                                config.account_category.id,
                                'products': [('create', [{}])],
                                }])
                    service, = Service.create([{
                                'product': template.products[0].id,
                                'consumption_recurrence': recurrence(
                                    period).id,
                                }])
                    values[name] = service.id
                if values:
                    cls.write([record], values)


class Plan(_ServiceMixin, metaclass=PoolMeta):
    __name__ = 'saas.plan'


class Option(_ServiceMixin, metaclass=PoolMeta):
    __name__ = 'saas.option'


class Subscription(metaclass=PoolMeta):
    __name__ = 'sale.subscription'

    saas_shop = fields.Many2One('saas.shop', "Hosted Shop", readonly=True,
        ondelete='RESTRICT',
        help="The hosted shop this subscription of the operator bills.")
    saas_period = fields.Selection([
            (None, ""),
            ('monthly', "Monthly"),
            ('yearly', "Yearly"),
            ], "Hosting Billing Period", readonly=True)

    @classmethod
    def copy(cls, subscriptions, default=None):
        default = default.copy() if default else {}
        default.setdefault('saas_shop')
        default.setdefault('saas_period')
        return super().copy(subscriptions, default=default)


class SQLiteDate(Function):
    "SQLite's DATE(value, modifier)."
    __slots__ = ()
    _function = 'DATE'


class SubscriptionLine(metaclass=PoolMeta):
    __name__ = 'sale.subscription.line'

    @classmethod
    def domain_next_consumption_date_delayed(cls, domain, tables):
        """On SQLite, upstream's `next_consumption_date + delay` adds a
        number of seconds to a date string (a number): every line would be
        due whatever the date, and its next period consumed at once. Add
        the delay with DATE(date, '<seconds> seconds') instead. Other
        backends: upstream."""
        if backend.name != 'sqlite':
            return super().domain_next_consumption_date_delayed(
                domain, tables)
        field = cls.next_consumption_date_delayed._field
        table, _ = tables[None]
        name, operator, value = domain
        Operator = fields.SQL_OPERATORS[operator]
        column = Case(
            (table.consumption_delay == Null, table.next_consumption_date),
            else_=SQLiteDate(table.next_consumption_date,
                Concat(Cast(table.consumption_delay, 'TEXT'), ' seconds')))
        expression = Operator(column, field._domain_value(operator, value))
        if isinstance(expression, operators.In) and not expression.right:
            expression = Literal(False)
        elif isinstance(expression, operators.NotIn) and not expression.right:
            expression = Literal(True)
        return field._domain_add_null(column, operator, value, expression)


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    saas_shop = fields.Many2One('saas.shop', "Hosted Shop", readonly=True,
        ondelete='RESTRICT',
        help="The hosted shop this invoice of the operator bills.")
    saas_reminders = fields.Char("Payment Reminders Sent", readonly=True,
        help="Days after the due date whose reminder was emailed.")
    saas_suspended = fields.Boolean("Suspended the Shop", readonly=True,
        help="The shop was suspended for this unpaid invoice (once: a "
        "shop the operator reactivated is not suspended again for it).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._check_modify_exclude |= {
            'saas_shop', 'saas_reminders', 'saas_suspended'}

    @classmethod
    def copy(cls, invoices, default=None):
        default = default.copy() if default else {}
        default.setdefault('saas_shop')
        default.setdefault('saas_reminders')
        default.setdefault('saas_suspended')
        return super().copy(invoices, default=default)

    @property
    def saas_due_date(self):
        "The earliest due date of what remains to pay (else invoice date)."
        dates = [l.maturity_date for l in self.lines_to_pay
            if l.maturity_date and not l.reconciliation]
        return min(dates) if dates else self.invoice_date

    @property
    def saas_pay_url(self):
        """The invoice's online pay link (payment_gateway activated and a
        gateway for the operator) or None."""
        url = getattr(self, 'pay_url', None)
        if url and getattr(self, 'has_gateway', False):
            return url
        return None

    def saas_amount_text(self, language='fr'):
        "The amount to pay, formatted in `language` (e.g. '58,80 €')."
        Lang = Pool().get('ir.lang')
        amount = self.amount_to_pay
        if amount is None or self.state not in {'posted', 'paid'}:
            amount = self.total_amount
        return Lang.get(language).currency(amount, self.currency)

    def saas_how_to_pay(self, language='fr'):
        "The sentence telling how to pay the invoice, in `language`."
        with Transaction().set_context(language=language):
            url = self.saas_pay_url
            if url:
                return gettext('saas.msg_pay_online', url=url)
            return gettext('saas.msg_pay_transfer',
                operator=self.company.rec_name, number=self.number or '')

    @classmethod
    def paid(cls, invoices):
        super().paid(invoices)
        Pool().get('saas.shop').invoices_settled(invoices)

    @classmethod
    def cancel(cls, invoices):
        super().cancel(invoices)
        Pool().get('saas.shop').invoices_settled(invoices)


class Shop(metaclass=PoolMeta):
    __name__ = 'saas.shop'

    subscription = fields.Many2One('sale.subscription', "Subscription",
        readonly=True, ondelete='SET NULL',
        help="The operator's current subscription of the shop.")
    cancel_at = fields.Date("Cancelled From", readonly=True,
        help="The cancellation was asked: the shop becomes read-only on "
        "this day, once the paid period is over.")
    dunning_invoice = fields.Many2One('account.invoice', "Unpaid Invoice",
        readonly=True, ondelete='SET NULL',
        help="The operator's invoice whose non-payment suspended the shop.")
    billing_notice = fields.Function(fields.Text("Billing"),
        'get_billing_notice')

    # Choosing a plan ---------------------------------------------------

    @classmethod
    def choose_plan(cls, shops, plan, period='monthly', options=None,
            date=None):
        """Choose the plan (see shop.py), then run or change the shop's
        subscription of the operator company from `date` (default today);
        nothing is billed without an operator company."""
        with without_check_access():
            for shop in cls.browse([s.id for s in shops]):
                if shop.state == 'suspended' and shop.dunning_invoice:
                    # Choosing a plan would lift the suspension unpaid.
                    raise BillingError(gettext(
                            'saas.msg_billing_suspended_choose',
                            shop=shop.company.rec_name,
                            reason=shop.suspension_reason))
        before = {s.id: (s.state, [o.id for o in s.options]) for s in shops}
        super().choose_plan(shops, plan, period, options)
        company = operator()
        if not company:
            return
        with _OperatorContext(company):
            date = date or cls._today()
            for shop in cls.browse([s.id for s in shops]):
                state, _ = before[shop.id]
                shop._bill_plan(state, date)

    @classmethod
    def _today(cls):
        "Today in the operator company (context) timezone."
        return Pool().get('ir.date').today()

    def _billing_items(self, period):
        """Return [(key, service, amount, name)] of the shop's plan and
        options billed `period`: key 'saas.plan,<id>' or 'saas.option,<id>',
        amount the price converted to the operator's currency."""
        pool = Pool()
        Currency = pool.get('currency.currency')
        currency = operator().currency
        items = []
        for record in [self.plan] + list(self.options):
            if not record:
                continue
            amount = record.price(period) or Decimal(0)
            if record.currency and record.currency != currency:
                amount = Currency.compute(record.currency, amount, currency)
            items.append((str(record), record.service(period), amount,
                    record.rec_name))
        return items

    def _bill_plan(self, state_before, date):
        "Run or change the subscription after a plan choice on `date`."
        pool = Pool()
        Subscription = pool.get('sale.subscription')
        Audit = pool.get('workshop.audit')
        subscription = self.subscription
        if self.cancel_at:
            self._set([self], {'cancel_at': None})
            if state_before != 'cancelled':
                if (subscription and subscription.state == 'running'
                        and subscription.end_date):
                    # Resume: the subscription does not end after all.
                    Subscription.draft([subscription])
                    Subscription.write([subscription], {'end_date': None})
                    Subscription.quote([subscription])
                    Subscription.run([subscription])
                Audit.log('plan', [self], description=gettext(
                        'saas.msg_audit_cancel_withdrawn'),
                    company=self.company)
        if not subscription or subscription.state in {'closed', 'cancelled'}:
            # The trial is free to its end, whenever the plan is chosen.
            start = date
            if self.trial_end and self.trial_end >= date:
                start = self.trial_end + dt.timedelta(days=1)
            self._subscribe(start)
        else:
            self._change_billing(subscription, date)

    def _subscribe(self, start):
        """Create and run the operator's subscription of the shop from
        `start`: one line per plan and option, billed in advance every
        period of the shop."""
        pool = Pool()
        Subscription = pool.get('sale.subscription')
        Line = pool.get('sale.subscription.line')
        Configuration = pool.get('saas.configuration')
        Audit = pool.get('workshop.audit')
        config = Configuration(1)
        company = operator()
        party = self.company.party
        rule_set = recurrence(self.period, start)
        lines = []
        for _, service, amount, name in self._billing_items(self.period):
            lines.append(Line(service=service, quantity=1,
                    unit=service.product.default_uom, unit_price=amount,
                    start_date=start, consumption_recurrence=rule_set,
                    description=name))
        subscription = Subscription(company=company, party=party,
            invoice_address=party.address_get(type='invoice'),
            currency=company.currency,
            payment_term=config.payment_term
            or party.customer_payment_term,
            start_date=start, invoice_recurrence=rule_set,
            description=self._subscription_description(),
            saas_shop=self, saas_period=self.period, lines=lines)
        subscription.save()
        Subscription.quote([subscription])
        Subscription.run([subscription])
        self._set([self], {'subscription': subscription.id})
        Audit.log('plan', [self], description=gettext(
                'saas.msg_audit_subscribed', subscription=subscription.number,
                start=format_date(start)), company=self.company)
        return subscription

    def _subscription_description(self):
        with Transaction().set_context(language=owner_language(self)):
            return gettext('saas.msg_subscription_description',
                shop=self.company.rec_name,
                period=gettext('saas.msg_period_%s' % self.period))

    def _change_billing(self, subscription, date):
        """Bill the new plan, options or period of the shop on `date`.

        Before the subscription starts (a plan chosen in the trial) it is
        replaced. Otherwise the current period is first invoiced as it was
        (upstream generation up to `date`), then the plan or options that
        differ from those billed for the next period (the items of the
        recurring lines running on the next invoice date) are prorated
        over the rest of the period (`prorate`, at the prices of the
        subscription's period): a credit of each removed item's line price,
        a charge of each added item's price, both as non-recurring lines
        of the subscription consumed on `date` and invoiced and posted at
        once. The removed items' lines end at the end of the period and the
        added items' lines start on the next invoice date. A change of
        period ends the subscription at the end of the period and starts a
        subscription of the new period the next day."""
        pool = Pool()
        Subscription = pool.get('sale.subscription')
        Line = pool.get('sale.subscription.line')
        Audit = pool.get('workshop.audit')
        if subscription.start_date > date:
            start = subscription.start_date
            self._drop_subscription(subscription)
            previous = Subscription.search([
                    ('saas_shop', '=', self.id),
                    ('state', '=', 'running'),
                    ('start_date', '<=', date),
                    ], order=[('start_date', 'DESC')], limit=1)
            if not previous:
                return self._subscribe(start)
            # A change of period was pending: decide again on the
            # subscription of the current period.
            subscription, = previous
            self._set([self], {'subscription': subscription.id})
        self.generate_subscription_invoices(date)
        subscription = Subscription(subscription.id)
        period_start, period_end = period_bounds(subscription, date)
        old_period = subscription.saas_period or self.period
        keys = self._service_keys()
        current = {}
        for line in subscription.lines:
            if (line.consumption_recurrence
                    and line.start_date <= period_end
                    and (line.end_date is None
                        or line.end_date >= period_end)):
                current[keys.get(line.service.id, str(line.service))] = line
        wanted = {k: (s, a, n) for k, s, a, n in self._billing_items(
                old_period)}
        currency = subscription.currency
        prorations, texts = [], []
        for key, line in current.items():
            if key in wanted:
                continue
            amount, remaining, days = prorate(
                line.unit_price * Decimal(str(line.quantity)), period_start,
                period_end, date, currency)
            if amount:
                prorations.append(Line(subscription=subscription,
                        service=line.service, quantity=1, unit=line.unit,
                        unit_price=-amount, start_date=date, end_date=date,
                        description=self._proration_text(
                            'saas.msg_proration_credit',
                            line.description or line.service.rec_name,
                            date, period_end, remaining, days)))
                texts.append('-%s %s' % (amount, line.description or ''))
        for key, (service, price, name) in wanted.items():
            if key in current:
                continue
            amount, remaining, days = prorate(
                price, period_start, period_end, date, currency)
            if amount:
                prorations.append(Line(subscription=subscription,
                        service=service, quantity=1,
                        unit=service.product.default_uom,
                        unit_price=amount, start_date=date, end_date=date,
                        description=self._proration_text(
                            'saas.msg_proration_charge', name, date,
                            period_end, remaining, days)))
                texts.append('+%s %s' % (amount, name))
        period_changed = old_period != self.period
        if (not prorations and not period_changed
                and set(current) == set(wanted)
                and not subscription.end_date):
            return subscription
        Subscription.draft([subscription])
        to_delete = []
        last_day = period_end - dt.timedelta(days=1)
        if period_changed:
            to_delete = [l for l in subscription.lines
                if l.consumption_recurrence and l.start_date > last_day]
        else:
            for key, line in current.items():
                if key not in wanted:
                    if line.start_date > last_day:
                        to_delete.append(line)
                    else:
                        line.end_date = last_day
                        line.save()
            rule_set = subscription.invoice_recurrence
            for key, (service, price, name) in wanted.items():
                if key not in current:
                    Line(subscription=subscription, service=service,
                        quantity=1, unit=service.product.default_uom,
                        unit_price=price, start_date=period_end,
                        consumption_recurrence=rule_set,
                        description=name).save()
        if to_delete:
            Line.delete(to_delete)
        Line.save(prorations)
        # A change of period ends the subscription with the paid period; a
        # change back to its period keeps it running.
        Subscription.write([subscription], {
                'end_date': last_day if period_changed else None})
        Subscription.quote([subscription])
        Subscription.run([subscription])
        if prorations:
            invoice = self._invoice_now(subscription, prorations, date)
            Audit.log('plan', [self], description=gettext(
                    'saas.msg_audit_prorated', invoice=invoice.number,
                    changes=', '.join(texts)), company=self.company)
        if period_changed:
            self._subscribe(period_end)
        return subscription

    def _proration_text(self, message, item, date, period_end, remaining,
            days):
        "The description of a proration line, in the owner's language."
        language = owner_language(self)
        with Transaction().set_context(language=language):
            return gettext(message, item=item,
                start=format_date(date, language),
                end=format_date(period_end - dt.timedelta(days=1), language),
                remaining=remaining, days=days)

    @classmethod
    def reprice_subscriptions(cls, records, date=None):
        """Bill the current prices of `records` (saas.plan or saas.option)
        from the next period of each running subscription: a recurring
        line of theirs at another price ends with the current period and
        a line at the new price starts on the next invoice date (a line
        not started yet takes the new price). The period already invoiced
        keeps its price; the change was announced to the shops
        (Shop.notify_plan_change)."""
        pool = Pool()
        Subscription = pool.get('sale.subscription')
        Line = pool.get('sale.subscription.line')
        Currency = pool.get('currency.currency')
        company = operator()
        if not company:
            return
        with _OperatorContext(company):
            date = date or cls._today()
            cls.generate_subscription_invoices(date)
            by_subscription = {}
            for record in records:
                record = record.__class__(record.id)
                for period in ['monthly', 'yearly']:
                    service = getattr(record, '%s_service' % period)
                    if not service:
                        continue
                    price = record.price(period) or Decimal(0)
                    if record.currency and record.currency != (
                            company.currency):
                        price = Currency.compute(
                            record.currency, price, company.currency)
                    lines = Line.search([
                            ('service', '=', service.id),
                            ('consumption_recurrence', '!=', None),
                            ('subscription.state', '=', 'running'),
                            ('subscription.saas_shop', '!=', None),
                            ['OR', ('end_date', '=', None),
                                ('end_date', '>=', date)],
                            ])
                    for line in lines:
                        if line.unit_price != price:
                            by_subscription.setdefault(
                                line.subscription, []).append((line, price))
            for subscription, changes in by_subscription.items():
                _, period_end = period_bounds(subscription, date)
                Subscription.draft([subscription])
                for line, price in changes:
                    if line.start_date > date or not period_end:
                        line.unit_price = price
                        line.save()
                        continue
                    if line.end_date and line.end_date < period_end:
                        continue  # ends with the period anyway
                    end_date = line.end_date
                    line.end_date = period_end - dt.timedelta(days=1)
                    line.save()
                    Line.copy([line], default={
                            'unit_price': price,
                            'start_date': period_end,
                            'end_date': end_date,
                            'next_consumption_date': None,
                            'consumed_until': None,
                            })
                Subscription.quote([subscription])
                Subscription.run([subscription])

    def _drop_subscription(self, subscription):
        "Cancel a subscription that has not started (nothing billed)."
        Subscription = Pool().get('sale.subscription')
        Subscription.draft([subscription])
        Subscription.cancel([subscription])
        self._set([self], {'subscription': None})

    @classmethod
    def _service_keys(cls):
        "Return {service id: 'saas.plan,<id>' or 'saas.option,<id>'}."
        pool = Pool()
        keys = {}
        for name in ['saas.plan', 'saas.option']:
            Model = pool.get(name)
            with Transaction().set_context(active_test=False):
                records = Model.search([], order=[('id', 'ASC')])
            for record in records:
                for service in [record.monthly_service,
                        record.yearly_service]:
                    if service:
                        keys.setdefault(service.id, str(record))
        return keys

    def _invoice_now(self, subscription, lines, date):
        """Invoice the non-recurring `lines` (sale.subscription.line) of
        `subscription` on `date` with upstream's consumption and invoice
        line building (one consumption each), and post it."""
        pool = Pool()
        Consumption = pool.get('sale.subscription.line.consumption')
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        consumptions = [Consumption(line=l, quantity=l.quantity, date=date)
            for l in lines]
        Consumption.save(consumptions)
        invoice = subscription._get_invoice()
        invoice.invoice_date = date
        invoice.saas_shop = self
        invoice.description = subscription.description
        invoice_lines, grouped = Consumption.get_invoice_lines(
            consumptions, invoice)
        invoice.save()
        for line in invoice_lines:
            line.invoice = invoice
        InvoiceLine.save(invoice_lines)
        for line, group in zip(invoice_lines, grouped):
            for consumption in group:
                consumption.invoice_line = line
        Consumption.save([c for g in grouped for c in g])
        Invoice.update_taxes([invoice])
        self._post_invoices([invoice])
        return Invoice(invoice.id)

    # Invoicing ---------------------------------------------------------

    @classmethod
    def generate_subscription_invoices(cls, date):
        """Generate (upstream: consumptions, then invoices) the operator's
        subscription invoices due on `date` and post those of the shops'
        subscriptions, each emailed to its shop's owner. Idempotent."""
        pool = Pool()
        Line = pool.get('sale.subscription.line')
        Subscription = pool.get('sale.subscription')
        Consumption = pool.get('sale.subscription.line.consumption')
        Invoice = pool.get('account.invoice')
        company = operator()
        if not company:
            return []
        with _OperatorContext(company):
            Line.generate_consumption(date=date)
            Subscription.generate_invoice(date=date)
            consumptions = Consumption.search([
                    ('invoice_line.invoice.state', '=', 'draft'),
                    ('line.subscription.saas_shop', '!=', None),
                    ('line.subscription.company', '=', company.id),
                    ])
            invoices = {}
            for consumption in consumptions:
                invoice = consumption.invoice_line.invoice
                invoices[invoice.id] = (invoice,
                    consumption.line.subscription)
            to_post = []
            for invoice, subscription in invoices.values():
                invoice.saas_shop = subscription.saas_shop
                if not invoice.description:
                    invoice.description = subscription.description
                invoice.save()
                to_post.append(invoice)
            cls._post_invoices(to_post)
        return Invoice.browse(to_post)

    @classmethod
    def _post_invoices(cls, invoices):
        "Post the operator's draft `invoices` and email them to the shops."
        Invoice = Pool().get('account.invoice')
        invoices = [i for i in invoices if i.state == 'draft']
        if not invoices:
            return
        Invoice.post(invoices)
        for invoice in Invoice.browse(invoices):
            shop = invoice.saas_shop
            if not shop or invoice.total_amount <= 0:
                continue
            language = owner_language(shop)
            cls.email_owner(shop, 'invoice', number=invoice.number,
                amount=invoice.saas_amount_text(language),
                due=format_date(invoice.saas_due_date, language),
                description=', '.join(
                    l.description for l in invoice.lines if l.description),
                how_to_pay=capfirst(invoice.saas_how_to_pay(language)))

    # Dunning -----------------------------------------------------------

    @classmethod
    def run_billing(cls, date=None):
        """Cron (daily): generate and post the subscription invoices, send
        the payment reminders, suspend the shops whose invoice is unpaid
        `suspension_days` after its due date, and cancel the shops whose
        paid period ended after a cancellation. Does nothing without an
        operator company, nor when run for another company (ir.cron runs
        a method once per company of its list)."""
        company = operator()
        if not company:
            return
        context_company = Transaction().context.get('company')
        if context_company and context_company != company.id:
            return
        with _OperatorContext(company):
            date = date or cls._today()
            cls.generate_subscription_invoices(date)
            cls.remind_and_suspend(date)
            cls.end_cancelled(date)

    @classmethod
    def _overdue(cls, date, shop=None):
        """Return [(invoice, days overdue)] of the operator's posted
        subscription invoices still due whose due date is before `date`
        (of `shop` only when given), oldest due first."""
        Invoice = Pool().get('account.invoice')
        domain = [
            ('company', '=', operator().id),
            ('type', '=', 'out'),
            ('state', '=', 'posted'),
            ('saas_shop', '!=', None),
            ]
        if shop:
            domain.append(('saas_shop', '=', shop.id))
        result = []
        for invoice in Invoice.search(domain, order=[('id', 'ASC')]):
            if (invoice.amount_to_pay or 0) <= 0:
                continue
            due = invoice.saas_due_date
            if due and due < date:
                result.append((invoice, (date - due).days))
        result.sort(key=lambda x: (-x[1], x[0].id))
        return result

    @classmethod
    def remind_and_suspend(cls, date):
        """Email each overdue subscription invoice's reminders of the
        Configuration's reminder days (each once, recorded in
        `saas_reminders`; only the latest due after an outage) and
        suspend the active shops with an invoice unpaid `suspension_days`
        after its due date (reason: `suspension_reason`)."""
        pool = Pool()
        Configuration = pool.get('saas.configuration')
        config = Configuration(1)
        limit = config.suspension_days or 15
        reminder_days = [d for d in config.get_reminder_days() if d < limit]
        for invoice, days in cls._overdue(date):
            shop = cls(invoice.saas_shop.id)
            sent = set((invoice.saas_reminders or '').split())
            if days >= limit:
                if shop.state == 'active' and not invoice.saas_suspended:
                    shop.suspend(shop.suspension_reason_for(invoice))
                    cls._set([shop], {'dunning_invoice': invoice.id})
                    invoice.saas_suspended = True
                    invoice.save()
                continue
            due = [d for d in reminder_days
                if d <= days and str(d) not in sent]
            if not due or shop.state == 'cancelled':
                continue
            language = owner_language(shop)
            cls.email_owner(shop, 'payment_reminder', number=invoice.number,
                amount=invoice.saas_amount_text(language),
                due=format_date(invoice.saas_due_date, language), days=days,
                suspension_date=format_date(invoice.saas_due_date
                    + dt.timedelta(days=limit), language),
                how_to_pay=capfirst(invoice.saas_how_to_pay(language)))
            sent |= {str(d) for d in due}
            invoice.saas_reminders = ' '.join(sorted(sent, key=int))
            invoice.save()

    def suspension_reason_for(self, invoice):
        """The suspension reason of the unpaid `invoice`, in the owner's
        language: its number, amount, due date and how to pay it."""
        language = owner_language(self)
        with Transaction().set_context(language=language):
            return gettext('saas.msg_suspension_unpaid',
                number=invoice.number,
                amount=invoice.saas_amount_text(language),
                due=format_date(invoice.saas_due_date, language),
                how_to_pay=invoice.saas_how_to_pay(language))

    @classmethod
    def invoices_settled(cls, invoices):
        """Reactivate the shops suspended for an unpaid invoice among the
        paid or cancelled `invoices`, unless another of their invoices is
        overdue beyond the suspension delay (the reason then names it)."""
        pool = Pool()
        Configuration = pool.get('saas.configuration')
        shop_ids = {i.saas_shop.id for i in invoices if i.saas_shop}
        company = operator()
        if not shop_ids or not company:
            return
        with _OperatorContext(company):
            limit = Configuration(1).suspension_days or 15
            date = cls._today()
            for shop in cls.browse(list(shop_ids)):
                if shop.state != 'suspended' or not shop.dunning_invoice:
                    continue
                still = [(i, d) for i, d in cls._overdue(date, shop)
                    if d >= limit]
                if still:
                    invoice = still[0][0]
                    cls._set([shop], {'dunning_invoice': invoice.id,
                            'suspension_reason':
                            shop.suspension_reason_for(invoice)})
                    continue
                number = shop.dunning_invoice.number
                shop.reactivate()
                cls.email_owner(shop, 'reactivated', number=number)

    def reactivate(self):
        "Reactivate (see shop.py), forgetting the unpaid invoice."
        super().reactivate()
        with without_check_access():
            if self.__class__(self.id).dunning_invoice:
                self._set([self], {'dunning_invoice': None})

    # Cancellation ------------------------------------------------------

    @classmethod
    def request_cancellation(cls, shops, date=None):
        """The shops leave at the end of their paid period: their
        subscription ends on the day before its next invoice date (the end
        of the period containing `date`, invoiced first) and the shop is
        cancelled the next day (`cancel_at`, by the cron). A subscription
        not started yet (plan chosen in the trial) is dropped and the shop
        cancelled when it would have started; without a subscription the
        shop is cancelled at once. Audited and emailed."""
        pool = Pool()
        Subscription = pool.get('sale.subscription')
        Audit = pool.get('workshop.audit')
        company = operator()
        for shop in cls.browse(shops):
            with without_check_access():
                shop = cls(shop.id)
                if shop.state == 'cancelled' or shop.cancel_at:
                    continue
                subscription = shop.subscription
                if (not company or not subscription
                        or subscription.state != 'running'):
                    shop.cancel()
                    continue
            with _OperatorContext(company):
                shop = cls(shop.id)
                subscription = Subscription(subscription.id)
                today = date or cls._today()
                if subscription.start_date > today:
                    cancel_at = subscription.start_date
                    # A pending change of period: its subscription ends
                    # with the paid one.
                    shop._drop_subscription(subscription)
                    previous = Subscription.search([
                            ('saas_shop', '=', shop.id),
                            ('state', '=', 'running'),
                            ], limit=1)
                    if previous:
                        cls._set([shop], {'subscription': previous[0].id})
                else:
                    cls.generate_subscription_invoices(today)
                    subscription = Subscription(subscription.id)
                    _, period_end = period_bounds(subscription, today)
                    last_day = period_end - dt.timedelta(days=1)
                    if subscription.end_date and subscription.end_date < (
                            last_day):
                        last_day = subscription.end_date
                    Subscription.draft([subscription])
                    Subscription.write([subscription], {'end_date': last_day})
                    Subscription.quote([subscription])
                    Subscription.run([subscription])
                    cancel_at = last_day + dt.timedelta(days=1)
                cls._set([shop], {'cancel_at': cancel_at})
                Audit.log('plan', [shop], description=gettext(
                        'saas.msg_audit_cancel_requested',
                        date=format_date(cancel_at)), company=shop.company)
                cls.email_owner(shop, 'cancellation', end=format_date(
                        cancel_at - dt.timedelta(days=1),
                        owner_language(shop)))

    @classmethod
    def end_cancelled(cls, date):
        """Cancel (read-only) the shops whose `cancel_at` has come."""
        Audit = Pool().get('workshop.audit')
        shops = cls.search([('cancel_at', '<=', date),
                ('state', '!=', 'cancelled')])
        for shop in shops:
            shop.cancel()
            Audit.log('plan', [shop], description=gettext(
                    'saas.msg_audit_cancelled',
                    date=format_date(shop.cancel_at)), company=shop.company)
            cls.email_owner(shop, 'subscription_ended',
                date=format_date(shop.cancel_at, owner_language(shop)))

    # Display -----------------------------------------------------------

    @classmethod
    def get_billing_notice(cls, shops, name):
        "What the shop's users need to know of their billing (text)."
        result = {}
        with without_check_access():
            for shop in cls.browse(shops):
                lines = []
                if shop.state == 'suspended' and shop.suspension_reason:
                    lines.append(gettext('saas.msg_notice_suspended',
                            reason=shop.suspension_reason))
                if shop.cancel_at and shop.state != 'cancelled':
                    lines.append(gettext('saas.msg_notice_cancel_at',
                            last=format_date(
                                shop.cancel_at - dt.timedelta(days=1)),
                            date=format_date(shop.cancel_at)))
                subscription = shop.subscription
                if (subscription and subscription.state == 'running'
                        and subscription.next_invoice_date
                        and not shop.cancel_at):
                    lines.append(gettext('saas.msg_notice_next_invoice',
                            date=format_date(subscription.next_invoice_date),
                            number=subscription.number or ''))
                result[shop.id] = '\n'.join(lines)
        return result

    def monthly_revenue(self):
        """MRR of an active shop from its running subscription when it has
        one: the recurring lines in force today (or from the subscription's
        start when it has not started), yearly ones / 12; else as shop.py
        (plan prices)."""
        if self.state != 'active':
            return super().monthly_revenue()
        with without_check_access():
            # Records read with the context they were made in.
            subscription = self.__class__(self.id).subscription
            if not subscription or subscription.state != 'running':
                return super().monthly_revenue()
            today = dt.date.today()
            months = MONTHS.get(subscription.saas_period or self.period, 1)
            total = Decimal(0)
            for line in subscription.lines:
                if not line.consumption_recurrence:
                    continue
                if not (line.start_date <= today
                        or line.start_date == subscription.start_date):
                    continue
                if line.end_date and line.end_date < today:
                    continue
                total += (line.unit_price or 0) * Decimal(
                    str(line.quantity or 0)) / months
        return total.quantize(Decimal('0.01'))


class CancelStart(ModelView):
    "Cancel the Subscription"
    __name__ = 'saas.cancel_subscription.start'
    shop = fields.Many2One('saas.shop', "Shop", readonly=True)
    last_day = fields.Date("Paid Until", readonly=True,
        help="The shop stays usable until this day included, then it "
        "becomes read-only. No data is deleted.")


class CancelSubscription(Wizard):
    """Cancel the Subscription: the owner of the current shop (or the
    operator on a selected shop) asks to leave at the end of the paid
    period."""
    __name__ = 'saas.cancel_subscription'
    start = StateView('saas.cancel_subscription.start',
        'saas.cancel_subscription_start_view_form', [
            Button("Keep the Subscription", 'end', 'tryton-cancel',
                default=True),
            Button("Cancel the Subscription", 'cancel_', 'tryton-ok'),
            ])
    cancel_ = StateTransition()

    def _shop(self):
        return shop_of_wizard()

    def default_start(self, fields):
        shop = self._shop()
        last_day = None
        company = operator()
        with without_check_access():
            subscription = shop.__class__(shop.id).subscription
            if company and subscription and subscription.state == 'running':
                with _OperatorContext(company):
                    today = Pool().get('saas.shop')._today()
                    if subscription.start_date > today:
                        last_day = subscription.start_date - dt.timedelta(
                            days=1)
                    else:
                        _, end = period_bounds(subscription, today)
                        last_day = end - dt.timedelta(days=1)
                        if subscription.end_date:
                            last_day = min(last_day, subscription.end_date)
        return {'shop': shop.id, 'last_day': last_day}

    def transition_cancel_(self):
        Pool().get('saas.shop').request_cancellation([self._shop()])
        return 'end'
