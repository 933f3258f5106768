"""Payment attempts and the provider messages received about them.

A transaction is one attempt to pay an invoice online. It becomes paid
only through `check`: a server-to-server request to the provider whose
answer is 'paid' with the transaction's exact amount and currency. The
payment is then booked on the invoice once: the row is locked and its
state checked again, so the same confirmation arriving many times at once
posts one payment (idempotent on the transaction and thus on the
provider's reference, which is unique per gateway).
"""
import datetime
import json
import logging
import secrets

import phonenumbers

from sql import For

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.url import http_host

from .exceptions import GatewayError, GatewayUnavailable, PayLinkError

logger = logging.getLogger(__name__)

STATES = [
    ('pending', "Pending"),
    ('authorised', "Authorised"),
    ('paid', "Paid"),
    ('failed', "Failed"),
    ('cancelled', "Cancelled"),
    ('expired', "Expired"),
    ('refunded', "Refunded"),
    ]
OPEN_STATES = {'pending', 'authorised'}


def new_reference():
    """Return a merchant reference for a new attempt: 'AT' and 24
    upper-case hex characters (96 random bits), alphanumeric as CinetPay's
    transaction_id requires."""
    return 'AT' + secrets.token_hex(12).upper()


class PaymentTransaction(ModelSQL, ModelView):
    "Online Payment Transaction"
    __name__ = 'payment.gateway.transaction'
    _rec_name = 'reference'

    company = fields.Many2One(
        'company.company', "Shop", required=True, readonly=True)
    gateway = fields.Many2One(
        'payment.gateway', "Gateway", required=True, readonly=True,
        ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))])
    provider = fields.Function(
        fields.Char("Provider"), 'on_change_with_provider')
    invoice = fields.Many2One(
        'account.invoice', "Invoice", required=True, readonly=True,
        ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))])
    reference = fields.Char("Reference", required=True, readonly=True)
    provider_reference = fields.Char("Provider Reference", readonly=True)
    description = fields.Char("Description", readonly=True)
    amount = fields.Numeric(
        "Amount", digits='currency', required=True, readonly=True)
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, readonly=True)
    state = fields.Selection(STATES, "State", required=True, readonly=True,
        sort=False)
    failure_reason = fields.Char("Reason", readonly=True)
    payment_url = fields.Char("Payment Page", readonly=True)
    paid_at = fields.DateTime("Paid At", readonly=True)
    payment_move = fields.Many2One(
        'account.move', "Payment Move", readonly=True)
    refunded_amount = fields.Numeric(
        "Refunded Amount", digits='currency', readonly=True)
    refund_invoice = fields.Many2One(
        'account.invoice', "Credit Note", readonly=True)
    last_check = fields.DateTime("Last Check", readonly=True)
    check_count = fields.Integer("Checks", readonly=True)
    messages = fields.One2Many(
        'payment.gateway.message', 'transaction', "Messages", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('company')
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_constraints += [
            ('reference_unique', Unique(t, t.reference),
                'payment_gateway.msg_transaction_reference_unique'),
            ('provider_reference_unique',
                Unique(t, t.gateway, t.provider_reference),
                'payment_gateway.msg_transaction_provider_reference_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality(cardinality='low')),
                    where=t.state.in_(list(OPEN_STATES))),
                })
        cls._buttons.update({
                'check': {
                    'invisible': ~Eval('state').in_(list(OPEN_STATES)),
                    'depends': ['state'],
                    },
                'refund': {
                    'invisible': Eval('state') != 'paid',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_check_count(cls):
        return 0

    @fields.depends('gateway')
    def on_change_with_provider(self, name=None):
        return self.gateway.provider if self.gateway else None

    # Creation and start ------------------------------------------------
    @classmethod
    def create_for_invoice(cls, invoice, gateway):
        """Create and return a pending transaction for what is still due
        on `invoice` (account.invoice, posted, customer) through `gateway`.

        Raises PayLinkError when nothing is due or the gateway is not one
        of the invoice's shop.
        """
        if gateway.company != invoice.company:
            raise PayLinkError(gettext(
                    'payment_gateway.msg_gateway_other_shop',
                    gateway=gateway.rec_name))
        if invoice.state != 'posted' or invoice.amount_to_pay <= 0:
            raise PayLinkError(gettext(
                    'payment_gateway.msg_nothing_to_pay',
                    invoice=invoice.rec_name))
        amount = gateway.round_amount(invoice.amount_to_pay, invoice.currency)
        transaction, = cls.create([{
                    'company': invoice.company.id,
                    'gateway': gateway.id,
                    'invoice': invoice.id,
                    'reference': new_reference(),
                    'amount': amount,
                    'currency': invoice.currency.id,
                    'description': gettext(
                        'payment_gateway.msg_transaction_description',
                        invoice=invoice.number or '',
                        shop=invoice.company.rec_name)[:100],
                    }])
        return transaction

    def get_urls(self):
        "Return the return, cancel and notify URLs of this attempt (dict)."
        base = '%s/%s' % (
            http_host().rstrip('/'), Transaction().database.name)
        return {
            'return': '%s/pay/return/%s' % (base, self.reference),
            'cancel': '%s/pay/return/%s?cancel=1' % (base, self.reference),
            'notify': self.gateway.webhook_url,
            }

    @property
    def customer(self):
        """The payer as providers want it: dict of name, first_name,
        last_name, email, phone (E.164 or ''), phone_national, phone_country
        (ISO 3166 alpha-2), country (alpha-2), city, street, zip."""
        party = self.invoice.party
        address = self.invoice.invoice_address
        names = (party.name or '').split(None, 1)
        country = (address.country.code if address and address.country
            else None) or self.company.phone_region or ''
        phone = party.contact_mechanism_get({'mobile', 'phone'})
        e164, national, phone_country = '', '', country
        if phone:
            try:
                number = phonenumbers.parse(phone.value, country or None)
                e164 = phonenumbers.format_number(
                    number, phonenumbers.PhoneNumberFormat.E164)
                national = str(number.national_number)
                phone_country = (
                    phonenumbers.region_code_for_number(number) or country)
            except phonenumbers.NumberParseException:
                pass
        email = party.contact_mechanism_get('email')
        return {
            'name': party.name or '',
            'first_name': names[0] if names else '',
            'last_name': names[1] if len(names) > 1 else (
                names[0] if names else ''),
            'email': email.value if email else '',
            'phone': e164,
            'phone_national': national,
            'phone_country': phone_country,
            'country': country,
            'city': (address.city or '') if address else '',
            'street': (address.street or '').replace('\n', ' ')
            if address else '',
            'zip': (address.postal_code or '') if address else '',
            }

    def start(self):
        """Ask the provider for the payment page; return its URL.

        Raises GatewayUnavailable (the transaction stays pending and is
        recorded so the cron can settle it) or GatewayError."""
        Message = Pool().get('payment.gateway.message')
        try:
            url = self.gateway.start(self, self.get_urls())
        except GatewayUnavailable as exception:
            Message.record(self.gateway, kind='start', transaction=self,
                outcome='unavailable', payload=str(exception)[:1000])
            self.save()
            raise
        except GatewayError as exception:
            Message.record(self.gateway, kind='start', transaction=self,
                outcome='refused', payload=str(exception)[:1000])
            self.state = 'failed'
            self.failure_reason = str(exception)[:250]
            self.save()
            raise
        self.payment_url = url
        self.save()
        Message.record(self.gateway, kind='start', transaction=self,
            outcome='started', payload=url)
        return url

    @classmethod
    def find(cls, gateway, reference=None, provider_reference=None):
        """Return the transaction of `gateway` with this merchant
        `reference` or `provider_reference`, or None: transactions of
        other gateways (other shops) are never found."""
        domain = [('gateway', '=', gateway.id)]
        if reference:
            domain.append(('reference', '=', str(reference)))
        elif provider_reference:
            domain.append(('provider_reference', '=', str(provider_reference)))
        else:
            return None
        records = cls.search(domain, limit=1)
        return records[0] if records else None

    # Checks --------------------------------------------------------------
    @classmethod
    def queue_check(cls, transactions):
        "Re-check `transactions` with their provider in the background."
        if transactions:
            cls.__queue__.check(transactions)

    @classmethod
    @ModelView.button
    def check(cls, transactions):
        """Ask each open transaction's provider for its status and apply
        it (see `apply_status`). A provider that does not answer leaves
        the transaction as it is; the cron tries again."""
        now = datetime.datetime.now()
        for transaction in cls.browse(transactions):
            if transaction.state not in OPEN_STATES | {'paid'}:
                continue
            # Queued checks and routes run without a shop in the context;
            # posting and reconciling need the transaction's.
            with Transaction().set_context(company=transaction.company.id):
                cls(transaction.id)._check(now)

    def _check(self, now):
        """Ask the provider for this transaction's status and apply it; a
        provider that does not answer is recorded and changes nothing."""
        Message = Pool().get('payment.gateway.message')
        self.last_check = now
        self.check_count = (self.check_count or 0) + 1
        try:
            status = self.gateway.check(self)
        except (GatewayUnavailable, GatewayError) as exception:
            self.save()
            Message.record(self.gateway, kind='check', transaction=self,
                outcome='unavailable', payload=str(exception)[:1000])
            return
        self.save()
        self.apply_status(status)

    def apply_status(self, status):
        """Apply `status` (ProviderStatus from a server-to-server check):
        'paid' with the same amount and currency books the payment once;
        a different amount or currency pays nothing and is audited;
        'failed'/'cancelled' close an open attempt; 'refunded' of a paid
        one records the refund."""
        pool = Pool()
        Message = pool.get('payment.gateway.message')
        Audit = pool.get('workshop.audit')
        outcome = status.state
        if status.state == 'paid':
            if status.currency != self.currency.code:
                outcome = 'currency_mismatch'
            elif status.amount is None or status.amount != self.amount:
                outcome = 'amount_mismatch'
        Message.record(self.gateway, kind='check', transaction=self,
            outcome=outcome, payload=status.raw, verified=True)
        if outcome in {'amount_mismatch', 'currency_mismatch'}:
            reason = gettext('payment_gateway.msg_amount_mismatch',
                amount=status.amount, currency=status.currency,
                expected=self.amount, expected_currency=self.currency.code)
            if self.state in OPEN_STATES:
                self.state = 'failed'
                self.failure_reason = reason[:250]
                self.save()
            Audit.log('payment_mismatch', [self.invoice],
                description='%s: %s' % (self.reference, reason))
        elif status.state == 'paid':
            self.settle(status)
        elif status.state == 'authorised' and self.state == 'pending':
            self.state = 'authorised'
            self.save()
        elif status.state in {'failed', 'cancelled'} and (
                self.state in OPEN_STATES):
            self.state = status.state
            self.failure_reason = (status.reason or '')[:250] or None
            self.save()
        elif status.state == 'refunded' and self.state == 'paid':
            self.record_refund(self.amount, status)

    def _lock_row(self):
        """Lock this transaction's row until commit (SELECT ... FOR UPDATE,
        waiting for a concurrent settlement). Under PostgreSQL's repeatable
        read, a row changed by a transaction that committed meanwhile
        raises a serialization error, which Tryton's request, queue and
        cron runners retry: the retry then sees the row as settled.
        SQLite serialises writers by itself."""
        database = Transaction().database
        if not database.has_select_for():
            return
        table = self.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.id,
                where=table.id == self.id, for_=For('UPDATE')))

    def settle(self, status):
        """Book the payment of this transaction on its invoice once and
        reconcile the invoice when it is fully paid.

        The row is locked first (`_lock_row`); a concurrent settlement
        that committed before makes this one see 'paid' (after Tryton's
        retry) and do nothing."""
        pool = Pool()
        MoveLine = pool.get('account.move.line')
        Invoice = pool.get('account.invoice')
        Date = pool.get('ir.date')
        Audit = pool.get('workshop.audit')
        self._lock_row()
        transaction = self.__class__(self.id)
        if transaction.state == 'paid' or transaction.payment_move:
            return
        invoice = Invoice(transaction.invoice.id)
        with Transaction().set_context(company=transaction.company.id):
            date = Date.today()
        method = transaction.gateway.payment_method
        amount = transaction.amount
        description = '%s %s' % (transaction.gateway.name,
            status.provider_reference or transaction.provider_reference
            or transaction.reference)
        # The whole amount received is booked. What exceeds the amount due
        # (the invoice was paid meanwhile at the counter or by another
        # attempt, or CinetPay's multiple of 5 rounded it up) stays as a
        # credit on the customer's receivable account for the shop to
        # refund or use (Tryton's `overpayment`).
        to_pay = max(min(amount, invoice.amount_to_pay), 0)
        if to_pay > 0:
            reconcile_lines, remainder = (
                invoice.get_reconcile_lines_for_amount(
                    to_pay, transaction.currency))
            lines = invoice.pay_invoice(amount, method, date,
                description[:100], overpayment=amount - to_pay)
            paid_lines = [l for l in Invoice(invoice.id).payment_lines
                if l in lines]
            if remainder == 0:
                MoveLine.reconcile(reconcile_lines + paid_lines)
            Invoice.process([invoice])
            move = lines[0].move
        else:
            move = transaction._book_unapplied(method, date, description)
        transaction.state = 'paid'
        transaction.paid_at = datetime.datetime.now()
        transaction.payment_move = move
        if status.provider_reference and not transaction.provider_reference:
            transaction.provider_reference = status.provider_reference
        transaction.failure_reason = None
        transaction.save()
        Audit.log('online_payment', [invoice], description='%s %s %s (%s)' % (
                transaction.gateway.name, amount, transaction.currency.code,
                transaction.reference))
        if to_pay < amount:
            Audit.log('payment_overpaid', [invoice],
                description='%s: %s %s' % (transaction.reference,
                    amount - to_pay, transaction.currency.code))

    def _book_unapplied(self, method, date, description):
        """Book the amount of this transaction, received for an invoice
        that has nothing left to pay, as a posted move: the payment
        method's debit account against the customer's receivable account
        (a credit the shop refunds or uses later). Returns the move."""
        pool = Pool()
        Move = pool.get('account.move')
        Line = pool.get('account.move.line')
        Period = pool.get('account.period')
        Currency = pool.get('currency.currency')
        invoice = self.invoice
        amount = self.amount
        if self.currency != invoice.company.currency:
            with Transaction().set_context(date=date):
                amount = Currency.compute(
                    self.currency, amount, invoice.company.currency)
        receivable = Line(account=invoice.account, debit=0, credit=amount)
        if invoice.account.party_required:
            receivable.party = invoice.party
        cash = Line(account=method.debit_account.current(date=date),
            debit=amount, credit=0)
        if cash.account.party_required:
            cash.party = invoice.party
        move = Move(journal=method.journal,
            period=Period.find(invoice.company, date=date), date=date,
            origin=invoice, description=description[:100],
            company=invoice.company, lines=[receivable, cash])
        move.save()
        Move.post([move])
        return move

    @classmethod
    def check_pending(cls):
        """Cron: re-check open transactions; expire those older than their
        gateway's delay that the provider still does not confirm."""
        now = datetime.datetime.now()
        transactions = cls.search([
                ('state', 'in', list(OPEN_STATES)),
                ])
        to_check = [t for t in transactions
            if not t.last_check
            or now - t.last_check >= datetime.timedelta(minutes=5)
            or now - t.create_date < datetime.timedelta(minutes=30)]
        for transaction in to_check:
            with Transaction().set_context(company=transaction.company.id):
                cls.check([transaction])
        expired = []
        for transaction in cls.browse(to_check):
            age = now - transaction.create_date
            if (transaction.state in OPEN_STATES and age
                    > datetime.timedelta(hours=transaction.gateway.expire_hours)):
                expired.append(transaction)
        if expired:
            cls.write(expired, {
                    'state': 'expired',
                    'failure_reason': gettext(
                        'payment_gateway.msg_transaction_expired'),
                    })

    # Refunds -------------------------------------------------------------
    @classmethod
    @ModelView.button
    def refund(cls, transactions, amount=None):
        """Refund paid transactions through their provider's API (the whole
        amount by default) and record it: a credit note of the refunded
        amount, posted and paid out on the gateway's payment method.

        Raises GatewayError when the provider has no refund API or refuses;
        GatewayUnavailable when it does not answer (nothing recorded)."""
        pool = Pool()
        Message = pool.get('payment.gateway.message')
        for transaction in cls.browse(transactions):
            if transaction.state != 'paid':
                continue
            to_refund = amount if amount is not None else transaction.amount
            status = transaction.gateway.refund(transaction, to_refund)
            Message.record(transaction.gateway, kind='refund',
                transaction=transaction, outcome=status.state,
                payload=status.raw, verified=True)
            if status.state == 'refunded':
                transaction.record_refund(to_refund, status)
            elif status.state == 'failed':
                raise GatewayError(gettext(
                        'payment_gateway.msg_refund_failed',
                        reference=transaction.reference,
                        reason=status.reason or ''))

    def record_refund(self, amount, status=None):
        """Record a refund of `amount` (Decimal) of this paid transaction:
        a credit note posted and paid out on the gateway's method, the
        transaction marked refunded. Does nothing if already recorded."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        MoveLine = pool.get('account.move.line')
        Date = pool.get('ir.date')
        Audit = pool.get('workshop.audit')
        self._lock_row()
        transaction = self.__class__(self.id)
        if transaction.state == 'refunded' or transaction.refund_invoice:
            return
        invoice = transaction.invoice
        with Transaction().set_context(company=transaction.company.id):
            date = Date.today()
            credit_note, = Invoice.credit([invoice])
            if amount != invoice.total_amount:
                # Partial refund: one line of the refunded amount.
                line = credit_note.lines[0]
                for other in credit_note.lines[1:]:
                    other.delete([other])
                line.quantity = -1
                line.unit_price = (amount / (1 + sum(
                            t.rate for t in line.taxes if t.rate) or 1))
                line.save()
                credit_note = Invoice(credit_note.id)
            credit_note.invoice_date = date
            credit_note.save()
            Invoice.post([credit_note])
            credit_note = Invoice(credit_note.id)
            to_pay = -credit_note.amount_to_pay
            if to_pay:
                reconcile_lines, remainder = (
                    credit_note.get_reconcile_lines_for_amount(
                        credit_note.amount_to_pay, transaction.currency))
                lines = credit_note.pay_invoice(
                    credit_note.amount_to_pay, transaction.gateway.payment_method,
                    date, ('%s refund %s' % (
                            transaction.gateway.name, transaction.reference))[:100])
                if remainder == 0:
                    MoveLine.reconcile(reconcile_lines + lines)
                Invoice.process([credit_note])
        transaction.state = 'refunded'
        transaction.refunded_amount = amount
        transaction.refund_invoice = credit_note
        transaction.save()
        Audit.log('online_refund', [invoice], description='%s %s %s (%s)' % (
                transaction.gateway.name, amount, transaction.currency.code,
                transaction.reference))


class Message(ModelSQL, ModelView):
    "Online Payment Message"
    __name__ = 'payment.gateway.message'

    company = fields.Many2One(
        'company.company', "Shop", required=True, readonly=True)
    gateway = fields.Many2One(
        'payment.gateway', "Gateway", required=True, readonly=True,
        ondelete='CASCADE')
    transaction = fields.Many2One(
        'payment.gateway.transaction', "Transaction", readonly=True,
        ondelete='CASCADE')
    kind = fields.Selection([
            ('start', "Start"),
            ('webhook', "Webhook"),
            ('return', "Customer Return"),
            ('check', "Check"),
            ('refund', "Refund"),
            ], "Kind", required=True, readonly=True)
    verified = fields.Boolean("Verified", readonly=True)
    outcome = fields.Char("Outcome", readonly=True)
    headers = fields.Text("Headers", readonly=True)
    payload = fields.Text("Payload", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('company')
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def record(cls, gateway, kind, payload=None, headers=None,
            verified=False, outcome=None, transaction=None):
        """Keep a provider message (or our request's outcome) for audit.

        payload: text (bytes are decoded as UTF-8 with replacement);
        headers: dict of the relevant headers, never secrets. Returns the
        message. Callers must not pass secrets."""
        if isinstance(payload, bytes):
            payload = payload.decode('utf-8', 'replace')
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload, sort_keys=True, default=str)
        message, = cls.create([{
                    'company': gateway.company.id,
                    'gateway': gateway.id,
                    'transaction': transaction.id if transaction else None,
                    'kind': kind,
                    'verified': bool(verified),
                    'outcome': (outcome or '')[:100] or None,
                    'headers': json.dumps(headers, sort_keys=True)
                    if headers else None,
                    'payload': payload,
                    }])
        if not verified and kind == 'webhook':
            logger.warning('payment webhook refused (%s) on gateway %s',
                outcome, gateway.id)
        return message


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('payment.gateway.transaction|check_pending',
                "Re-check Pending Online Payments"))
