"""Counter payments: the cashier screen on a ticket (service order) or an
invoice.

The shop takes cash (with the amount tendered and the change given back),
card on its terminal, transfer or cheque. Each counter method is an upstream
`account.invoice.payment.method` (one cash-type journal each) flagged with
`counter_method`; paying books the payment with `Invoice.pay_invoice`, then
reconciles what can be, so the invoice becomes paid and the ticket's payment
state follows. The change is cash handed back: it is never booked.
"""
import datetime
from decimal import Decimal

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

COUNTER_METHODS = [
    (None, ""),
    ('cash', "Cash"),
    ('card', "Card"),
    ('transfer', "Transfer"),
    ('cheque', "Cheque"),
    ]

# For each counter method: journal code, journal name, payment method name
# and the keyword of create_counter_methods() giving its account.
COUNTER_DEFAULTS = [
    ('cash', 'CASH', "Cash", "Cash", 'cash_account'),
    ('card', 'CARD', "Card", "Card", 'bank_account'),
    ('transfer', 'TRSF', "Transfer", "Transfer", 'bank_account'),
    ('cheque', 'CHQ', "Cheque", "Cheque", 'cheque_account'),
    ]

# Accounts of the French chart (account_fr), the first open one wins:
# 531 "Caisse" and 512 "Banques" are closed parents there, so their
# children 5311 and 5121 are used.
FR_ACCOUNT_CODES = {
    'cash_account': ['5311', '531'],
    'bank_account': ['5121', '512'],
    'cheque_account': ['5112'],
    }


class PaymentMethod(metaclass=PoolMeta):
    __name__ = 'account.invoice.payment.method'

    counter_method = fields.Selection(
        COUNTER_METHODS, "Counter Method",
        help="How the cashier takes this payment at the counter; "
        "leave empty for methods not offered at the counter.")

    @classmethod
    def default_counter_method(cls):
        return None

    @classmethod
    def find_counter_accounts(cls, company):
        """Return a dict with the keys cash_account, bank_account and
        cheque_account: the open accounts of the company's chart with the
        French codes 5311/531 (cash), 5121/512 (bank: card and transfer)
        and 5112 (cheques to cash in); a value is None when not found.
        """
        Account = Pool().get('account.account')
        result = {}
        for key, codes in FR_ACCOUNT_CODES.items():
            result[key] = None
            for code in codes:
                accounts = Account.search([
                        ('company', '=', company.id),
                        ('code', '=', code),
                        ('type', '!=', None),
                        ('closed', '!=', True),
                        ], limit=1)
                if accounts:
                    result[key], = accounts
                    break
        return result

    @classmethod
    def create_counter_methods(
            cls, company, cash_account=None, bank_account=None,
            cheque_account=None):
        """Create, for the company, the missing counter payment methods
        (cash, card, transfer, cheque), each with its own cash-type
        `account.journal` (codes CASH, CARD, TRSF, CHQ, shared between
        companies as journals are) and return all four methods.

        cash_account is used for cash (French chart: 5311 Caisse),
        bank_account for card and transfer (5121 Banque) and
        cheque_account for cheques (5112 Chèques à encaisser, default:
        bank_account). Missing accounts are looked up by these French codes
        with find_counter_accounts(); raises UserError when an account is
        still missing.
        """
        pool = Pool()
        Journal = pool.get('account.journal')
        found = None
        accounts = {
            'cash_account': cash_account,
            'bank_account': bank_account,
            'cheque_account': cheque_account,
            }
        if not all(accounts.values()):
            found = cls.find_counter_accounts(company)
            for key, value in accounts.items():
                if not value:
                    accounts[key] = found[key]
        if not accounts['cheque_account']:
            accounts['cheque_account'] = accounts['bank_account']
        for key, value in accounts.items():
            if not value:
                raise UserError(gettext(
                        'cashier.msg_counter_account_missing',
                        company=company.rec_name))

        methods = []
        with Transaction().set_context(company=company.id):
            for method, code, journal_name, name, key in COUNTER_DEFAULTS:
                existing = cls.search([
                        ('company', '=', company.id),
                        ('counter_method', '=', method),
                        ], limit=1)
                if existing:
                    methods.extend(existing)
                    continue
                journals = Journal.search([
                        ('code', '=', code),
                        ('type', '=', 'cash'),
                        ], limit=1)
                if journals:
                    journal, = journals
                else:
                    journal = Journal(name=journal_name, code=code,
                        type='cash')
                    journal.save()
                account = accounts[key]
                payment_method = cls(
                    company=company, name=name, journal=journal,
                    credit_account=account, debit_account=account,
                    counter_method=method)
                payment_method.save()
                methods.append(payment_method)
        return methods


class Company(metaclass=PoolMeta):
    __name__ = 'company.company'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'create_counter_methods': {},
                })

    @classmethod
    @ModelView.button
    def create_counter_methods(cls, companies):
        """Create the missing counter payment methods (cash, card, transfer,
        cheque) of each company, with the accounts of its chart (see
        `account.invoice.payment.method`.create_counter_methods)."""
        for company in companies:
            create_counter_methods(company)


def create_counter_methods(
        company, cash_account=None, bank_account=None, cheque_account=None):
    """Create the missing counter payment methods of the company; see
    `account.invoice.payment.method`.create_counter_methods."""
    PaymentMethod = Pool().get('account.invoice.payment.method')
    return PaymentMethod.create_counter_methods(
        company, cash_account=cash_account, bank_account=bank_account,
        cheque_account=cheque_account)


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    @classmethod
    def counter_pay(cls, invoices, method, amount, date=None, tendered=None,
            reference=None, audit_record=None):
        """Book a counter payment of `amount` (Decimal, invoice currency)
        with the payment method `method` over `invoices`, oldest first, and
        reconcile each invoice it settles. Returns the change to hand back
        (tendered - amount, for cash; Decimal(0) otherwise).

        date: the payment date (default: today in the shop's timezone);
        tendered: cash handed by the customer; reference: cheque number or
        card slip. An audit row is written on `audit_record` (default: the
        invoices). The caller checks the amounts (see the cashier wizard);
        the change is cash handed back and is never booked.
        """
        pool = Pool()
        MoveLine = pool.get('account.move.line')
        Date = pool.get('ir.date')
        Audit = pool.get('workshop.audit')
        invoices = sorted(invoices, key=lambda i: (
                i.invoice_date or datetime.date.max, i.id))
        currency = invoices[0].currency
        company = invoices[0].company
        if date is None:
            with Transaction().set_context(company=company.id):
                date = Date.today()
        description = ' '.join(filter(None, [method.name, reference]))
        remaining = amount
        for invoice in invoices:
            if remaining <= 0:
                break
            part = min(remaining, invoice.amount_to_pay)
            remaining -= part
            reconcile_lines, remainder = (
                invoice.get_reconcile_lines_for_amount(part, currency))
            lines = invoice.pay_invoice(
                part, method, date, description or None)
            if remainder == 0:
                reconcile_lines += lines
                if reconcile_lines:
                    MoveLine.reconcile(reconcile_lines)
        cls.process(cls.browse([i.id for i in invoices]))

        change = compute_change(amount, tendered, currency)
        text = "%s %s %s" % (dict(COUNTER_METHODS)[method.counter_method],
            _fmt(amount, currency), currency.code)
        if method.counter_method == 'cash' and tendered is not None:
            text += ", tendered %s, change %s" % (
                _fmt(tendered, currency), _fmt(change, currency))
        if reference:
            text += ", ref. %s" % reference
        text += " (%s)" % ', '.join(i.number or str(i.id) for i in invoices)
        Audit.log('payment', [audit_record] if audit_record else invoices,
            description=text)
        return change

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'cashier_pay': {
                    'invisible': ((Eval('state') != 'posted')
                        | (Eval('type') != 'out')
                        | (Eval('amount_to_pay', 0) <= 0)),
                    'depends': ['state', 'type', 'amount_to_pay'],
                    },
                })

    @classmethod
    @ModelView.button_action('cashier.wizard_pay_invoice')
    def cashier_pay(cls, invoices):
        pass


class Order(metaclass=PoolMeta):
    __name__ = 'service.order'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'cashier_pay': {
                    'invisible': ~Eval('payment_state').in_(
                        ['not_paid', 'deposit_paid']),
                    'depends': ['payment_state'],
                    },
                })

    @classmethod
    @ModelView.button_action('cashier.wizard_pay_order')
    def cashier_pay(cls, orders):
        pass

    def get_counter_invoices(self):
        """Return the order's posted customer invoices with an amount to
        pay, oldest first (invoice date, then number)."""
        invoices = [i for i in self.invoices
            if i.state == 'posted' and i.type == 'out'
            and i.amount_to_pay > 0]
        return sorted(invoices, key=lambda i: (
                i.invoice_date or datetime.date.max, i.number or '', i.id))


class PayStart(ModelView):
    "Cashier"
    __name__ = 'cashier.pay.start'

    company = fields.Many2One('company.company', "Shop", readonly=True)
    currency = fields.Many2One('currency.currency', "Currency", readonly=True)
    party = fields.Many2One('party.party', "Customer", readonly=True,
        context={'company': Eval('company', -1)}, depends={'company'})
    invoice_numbers = fields.Char("Invoices", readonly=True)
    amount_due = fields.Numeric(
        "Amount Due", digits='currency', readonly=True)
    payment_method = fields.Many2One(
        'account.invoice.payment.method', "Method", required=True,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('counter_method', '!=', None),
            ])
    counter_method = fields.Function(
        fields.Selection(COUNTER_METHODS, "Counter Method"),
        'on_change_with_counter_method')
    amount = fields.Numeric(
        "Amount Paid", digits='currency', required=True,
        domain=[('amount', '>', 0)],
        help="Booked on the invoices, at most the amount due.")
    tendered = fields.Numeric(
        "Amount Tendered", digits='currency',
        states={'invisible': Eval('counter_method') != 'cash'},
        help="The cash handed over by the customer.")
    change = fields.Numeric(
        "Change", digits='currency', readonly=True,
        states={'invisible': Eval('counter_method') != 'cash'},
        help="The cash to give back: tendered minus paid.")
    reference = fields.Char(
        "Reference",
        states={'invisible': Eval('counter_method') == 'cash'},
        help="Cheque number, card slip or transfer reference.")

    @fields.depends('payment_method')
    def on_change_with_counter_method(self, name=None):
        if self.payment_method:
            return self.payment_method.counter_method

    @fields.depends('amount', 'tendered', 'currency')
    def on_change_with_change(self):
        return compute_change(self.amount, self.tendered, self.currency)


def _fmt(amount, currency):
    "Format the amount with the currency's digits (no symbol)."
    return '%.*f' % (currency.digits, amount)


def compute_change(amount, tendered, currency=None):
    """Return the change to give back (currency amount): tendered minus
    amount, never negative; 0 when either is missing."""
    if amount is None or tendered is None:
        return Decimal(0)
    change = max(tendered - amount, Decimal(0))
    return currency.round(change) if currency else change


class PayDone(ModelView):
    "Cashier"
    __name__ = 'cashier.pay.done'

    currency = fields.Many2One('currency.currency', "Currency", readonly=True)
    counter_method = fields.Selection(
        COUNTER_METHODS, "Counter Method", readonly=True)
    amount = fields.Numeric("Amount Paid", digits='currency', readonly=True)
    change = fields.Numeric(
        "Change to Give Back", digits='currency', readonly=True,
        states={'invisible': Eval('counter_method') != 'cash'})
    amount_due = fields.Numeric(
        "Still Due", digits='currency', readonly=True)


class Pay(Wizard):
    "Cashier"
    __name__ = 'cashier.pay'
    start = StateView('cashier.pay.start',
        'cashier.pay_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Pay", 'pay', 'tryton-ok', default=True),
            ])
    pay = StateTransition()
    done = StateView('cashier.pay.done',
        'cashier.pay_done_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__['create'].fresh_session = True

    def get_invoices(self):
        "Return the invoices to pay, oldest first."
        if self.model.__name__ == 'service.order':
            return self.record.get_counter_invoices()
        invoice = self.record
        if (invoice.state == 'posted' and invoice.type == 'out'
                and invoice.amount_to_pay > 0):
            return [invoice]
        return []

    def default_start(self, fields):
        record = self.record
        invoices = self.get_invoices()
        if not invoices:
            raise UserError(gettext('cashier.msg_nothing_to_pay',
                    record=record.rec_name))
        currencies = {i.currency for i in invoices}
        if len(currencies) > 1:
            raise UserError(gettext('cashier.msg_several_currencies',
                    record=record.rec_name))
        currency, = currencies
        due = currency.round(
            sum((i.amount_to_pay for i in invoices), Decimal(0)))
        defaults = {
            'company': record.company.id,
            'currency': currency.id,
            'party': record.party.id,
            'invoice_numbers': ', '.join(
                i.number or str(i.id) for i in invoices),
            'amount_due': due,
            'amount': due,
            'change': Decimal(0),
            }
        PaymentMethod = Pool().get('account.invoice.payment.method')
        methods = PaymentMethod.search([
                ('company', '=', record.company.id),
                ('counter_method', '=', 'cash'),
                ], limit=1)
        if methods:
            method, = methods
            defaults['payment_method'] = method.id
            defaults['counter_method'] = method.counter_method
        return defaults

    def check_start(self, invoices):
        """Check the cashier's input against the invoices to pay; raise
        ValidationError on a foreign or non-counter method, an amount not
        positive or above the amount due, or cash tendered below the amount
        paid."""
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        start = self.start
        record = self.record
        currency = invoices[0].currency
        method = start.payment_method
        if (not method or method.company != record.company
                or not method.counter_method):
            raise ValidationError(gettext('cashier.msg_method_company',
                    method=method.rec_name if method else '',
                    company=record.company.rec_name))
        due = currency.round(
            sum((i.amount_to_pay for i in invoices), Decimal(0)))
        amount = start.amount
        if amount is None or amount <= 0:
            raise ValidationError(gettext('cashier.msg_amount_positive'))
        if currency.round(amount) != amount:
            raise ValidationError(gettext('cashier.msg_amount_digits',
                    amount=amount, currency=currency.code))
        if amount > due:
            raise ValidationError(gettext('cashier.msg_overpayment',
                    amount=lang.currency(amount, currency),
                    due=lang.currency(due, currency),
                    record=record.rec_name))
        if (method.counter_method == 'cash' and start.tendered is not None
                and start.tendered < amount):
            raise ValidationError(gettext('cashier.msg_tendered_below',
                    tendered=lang.currency(start.tendered, currency),
                    amount=lang.currency(amount, currency)))

    def transition_pay(self):
        Invoice = Pool().get('account.invoice')
        invoices = self.get_invoices()
        if not invoices:
            raise UserError(gettext('cashier.msg_nothing_to_pay',
                    record=self.record.rec_name))
        self.check_start(invoices)
        start = self.start
        Invoice.counter_pay(invoices, start.payment_method, start.amount,
            tendered=start.tendered, reference=start.reference,
            audit_record=self.record)
        return 'done'

    def default_done(self, fields):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        if self.model.__name__ == 'service.order':
            invoices = self.record.invoices
        else:
            invoices = [self.record]
        invoices = Invoice.browse([i.id for i in invoices])
        currency = (invoices[0].currency if invoices
            else self.record.company.currency)
        due = sum((i.amount_to_pay for i in invoices
                if i.state == 'posted' and i.type == 'out'), Decimal(0))
        return {
            'currency': currency.id,
            'counter_method': self.start.payment_method.counter_method,
            'amount': self.start.amount,
            'change': compute_change(
                self.start.amount, self.start.tendered, currency),
            'amount_due': currency.round(due),
            }
