"""The service order: the unit of work of every trade (repair ticket,
coating job, garment order...).

Stage changes go through `write`, which refuses moves that the current
stage does not allow, writes a history row and calls `_stage_changed`: the
single hook that notifications, audit and other modules extend.
"""
import datetime
import secrets
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import (
    ChatMixin, Index, ModelSQL, ModelView, fields, sequence_ordered)
from trytond.modules.company.model import set_employee
from trytond.modules.product import price_digits
from trytond.pool import Pool
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction
from trytond.url import http_host

from trytond.modules.workshop.sequence import next_number

from .exceptions import DeliveryError, StageTransitionError

PRIORITIES = [
    ('low', "Low"),
    ('normal', "Normal"),
    ('high', "High"),
    ('urgent', "Urgent"),
    ]
PAYMENT_STATES = [
    ('none', "Nothing to Pay"),
    ('not_paid', "Not Paid"),
    ('deposit_paid', "Deposit Paid"),
    ('paid', "Paid"),
    ('refunded', "Refunded"),
    ]
RATINGS = [
    (None, ''),
    ('1', "1"), ('2', "2"), ('3', "3"), ('4', "4"), ('5', "5"),
    ]


def new_token():
    "Return a tracking token of 192 random bits, URL-safe (32 characters)."
    return secrets.token_urlsafe(24)


class Order(ChatMixin, ModelSQL, ModelView):
    "Service Order"
    __name__ = 'service.order'
    _rec_name = 'number'

    company = fields.Many2One(
        'company.company', "Shop", required=True,
        states={'readonly': Eval('id', -1) >= 0})
    number = fields.Char("Number", readonly=True)
    kind = fields.Selection([("service", "Service")], "Kind", required=True,
        states={'readonly': Eval('id', -1) >= 0})
    party = fields.Many2One(
        'party.party', "Customer", required=True,
        domain=[('company', '=', Eval('company', -1))],
        context={'company': Eval('company', -1)}, depends={'company'})
    contact_email = fields.Function(
        fields.Char("Email"), 'on_change_with_contact_email')
    description = fields.Text("Description")
    priority = fields.Selection(PRIORITIES, "Priority", required=True)
    intake_date = fields.DateTime("Intake Date", required=True)
    promised_date = fields.Date("Promised Date")
    assigned_to = fields.Many2One(
        'company.employee', "Assigned To",
        domain=[('company', '=', Eval('company', -1))])
    stage = fields.Many2One(
        'service.order.stage', "Stage", required=True,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('kind', '=', Eval('kind')),
            ],
        states={'readonly': Eval('id', -1) >= 0})
    stage_category = fields.Function(
        fields.Selection('get_stage_categories', "Stage Category"),
        'on_change_with_stage_category', searcher='search_stage_category')
    history = fields.One2Many(
        'service.order.stage.history', 'order', "Stage History",
        readonly=True)
    lines = fields.One2Many(
        'service.order.line', 'order', "Lines",
        states={'readonly': Bool(Eval('sale'))})
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    total_amount = fields.Function(
        fields.Numeric("Total (excl. tax)", digits='currency'),
        'get_total_amount')

    sale = fields.Many2One('sale.sale', "Quote", readonly=True,
        domain=[('company', '=', Eval('company', -1))])
    quote_approved_at = fields.DateTime("Quote Approved At", readonly=True)
    quote_approved_by = fields.Many2One(
        'company.employee', "Quote Approved By", readonly=True)
    quote_approval_note = fields.Char(
        "Approval Note", readonly=True,
        help="How the customer approved: at the counter, by phone...")
    invoices = fields.Function(
        fields.Many2Many('account.invoice', None, None, "Invoices"),
        'get_invoices')
    amount_due = fields.Function(
        fields.Numeric("Amount Due", digits='currency'), 'get_amounts')
    amount_paid = fields.Function(
        fields.Numeric("Amount Paid", digits='currency'), 'get_amounts')
    payment_state = fields.Function(
        fields.Selection(PAYMENT_STATES, "Payment State"), 'get_amounts')
    delivered_unpaid = fields.Boolean(
        "Delivered Unpaid", readonly=True,
        help="Delivered before being paid, by an audited override.")

    tracking_token = fields.Char("Tracking Token", readonly=True)
    tracking_url = fields.Function(
        fields.Char("Tracking Link"), 'get_tracking_url')

    rating = fields.Selection(
        RATINGS, "Rating", sort=False,
        states={'readonly': Eval('stage_category') != 'delivered'},
        help="The customer's rating, from 1 (poor) to 5 (excellent).")
    rating_comment = fields.Text("Rating Comment",
        states={'readonly': Eval('stage_category') != 'delivered'})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('intake_date', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.tracking_token, Index.Equality(cardinality='high'))),
                Index(t, (t.company, Index.Equality()),
                    (t.intake_date, Index.Range())),
                })
        cls._buttons.update({
                'change_stage': {
                    'readonly': Eval('id', -1) < 0,
                    'depends': ['id'],
                    },
                'quote': {
                    'invisible': Bool(Eval('sale')),
                    'readonly': ~Eval('lines', []),
                    'depends': ['sale', 'lines'],
                    },
                'approve_quote': {
                    'invisible': (~Bool(Eval('sale'))
                        | Bool(Eval('quote_approved_at'))),
                    'depends': ['sale', 'quote_approved_at'],
                    },
                'invoice': {
                    'invisible': ~Bool(Eval('quote_approved_at')),
                    'depends': ['quote_approved_at'],
                    },
                'revoke_token': {
                    'depends': [],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_priority(cls):
        return 'normal'

    @classmethod
    def default_intake_date(cls):
        return datetime.datetime.now()

    @classmethod
    def default_delivered_unpaid(cls):
        return False

    @classmethod
    def get_stage_categories(cls):
        Stage = Pool().get('service.order.stage')
        return Stage.fields_get(['category'])['category']['selection']

    @fields.depends('stage')
    def on_change_with_stage_category(self, name=None):
        return self.stage.category if self.stage else None

    @classmethod
    def search_stage_category(cls, name, clause):
        return [('stage.category',) + tuple(clause[1:])]

    @fields.depends('party')
    def on_change_with_contact_email(self, name=None):
        if self.party:
            return self.party.email

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    def get_total_amount(self, name):
        amount = sum((l.amount or Decimal(0) for l in self.lines),
            Decimal(0))
        return self.currency.round(amount) if self.currency else amount

    def get_invoices(self, name):
        return [i.id for i in self._get_invoices_for_payment()]

    @classmethod
    def get_amounts(cls, orders, names):
        """Amounts due and paid (currency of the shop, tax included) and
        the payment state, from the posted invoices of the order's quote
        (`_get_invoices_for_payment`: deposit invoices included where a
        module adds them). Paid in part, or a deposit paid while the quote
        is not fully invoiced yet, is 'deposit_paid'.
        """
        result = {n: {} for n in names}
        for order in orders:
            invoices = [i for i in order._get_invoices_for_payment()
                if i.state in {'posted', 'paid'}]
            total = sum((i.total_amount for i in invoices), Decimal(0))
            due = sum((i.amount_to_pay for i in invoices), Decimal(0))
            paid = total - due
            quoted = order.sale.total_amount if order.sale else Decimal(0)
            if not invoices:
                state = 'not_paid' if order.sale else 'none'
            elif total <= 0 and any(i.total_amount < 0 for i in invoices):
                state = 'refunded'
            elif due <= 0 and paid >= quoted:
                state = 'paid'
            elif paid > 0:
                state = 'deposit_paid'
            else:
                state = 'not_paid'
            values = {
                'amount_due': due, 'amount_paid': paid,
                'payment_state': state,
                }
            for name in names:
                result[name][order.id] = values[name]
        return result

    def _get_invoices_for_payment(self):
        """Return the invoices of this order's money (list): those that
        bill it (`_get_billed_invoices`) and the credit notes made from
        them (refunds), which the payment state nets off."""
        pool = Pool()
        InvoiceLine = pool.get('account.invoice.line')
        invoices = self._get_billed_invoices()
        origins = [str(l) for i in invoices for l in i.lines]
        if not origins:
            return invoices
        credit_lines = InvoiceLine.search([
                ('origin', 'in', origins),
                ('invoice.type', '=', 'out'),
                ])
        credits = {l.invoice for l in credit_lines} - set(invoices)
        return invoices + sorted(credits, key=lambda i: i.id)

    def _get_billed_invoices(self):
        """Return the invoices that bill this order (list of
        account.invoice): its quote's; modules add theirs (deposits)."""
        return list(self.sale.invoices) if self.sale else []

    def get_tracking_url(self, name):
        if not self.tracking_token:
            return None
        return '%s/%s/t/%s' % (
            http_host().rstrip('/'), Transaction().database.name,
            self.tracking_token)

    def chat_language(self, audience='internal'):
        if audience == 'public' and self.party.lang:
            return self.party.lang.code

    @classmethod
    def _new_number(cls, company):
        "Return the next number of shop `company` (id)'s order sequence."
        return next_number('service_order.sequence_type_order', company,
            "Service Orders", '${date_Y}-', 5)

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        History = pool.get('service.order.stage.history')
        vlist = [v.copy() for v in vlist]
        for values in vlist:
            values.setdefault('company', cls.default_company())
            if not values.get('number'):
                values['number'] = cls._new_number(values['company'])
            values.setdefault('tracking_token', new_token())
        orders = super().create(vlist)
        now = datetime.datetime.now()
        History.create([{
                    'order': o.id, 'company': o.company.id,
                    'to_stage': o.stage.id,
                    'user': Transaction().user or None,
                    'date': o.intake_date or now,
                    } for o in orders])
        # Creating an order enters its first stage: the same event as a move
        # (from None), so entering a notified intake stage tells the customer.
        cls._stage_changed([(o, None, o.stage) for o in orders])
        return orders

    @classmethod
    def copy(cls, orders, default=None):
        default = default.copy() if default else {}
        for name in ['number', 'sale', 'quote_approved_at',
                'quote_approved_by', 'quote_approval_note', 'rating',
                'rating_comment', 'history', 'tracking_token']:
            default.setdefault(name, None)
        default.setdefault('delivered_unpaid', False)
        default.setdefault('intake_date', None)
        return super().copy(orders, default=default)

    @classmethod
    def write(cls, *args):
        changes = []
        actions = iter(args)
        for orders, values in zip(actions, actions):
            if 'stage' in values:
                changes.extend(cls._check_stage_change(orders, values['stage']))
        super().write(*args)
        if changes:
            cls._record_stage_changes(changes)

    @classmethod
    def _check_stage_change(cls, orders, stage_id):
        """Refuse moves the current stage does not allow, and delivery of
        unpaid orders without the audited override.

        Returns the list of (order, from_stage, to_stage) that change.
        Raises StageTransitionError or DeliveryError.
        """
        Stage = Pool().get('service.order.stage')
        to = Stage(stage_id)
        changes = []
        for order in orders:
            from_ = order.stage
            if from_ == to:
                continue
            if to not in from_.next_stages:
                allowed = ', '.join(s.name for s in from_.next_stages)
                raise StageTransitionError(gettext(
                        'service_order.msg_stage_not_allowed',
                        order=order.rec_name, from_=from_.name,
                        to=to.name, allowed=allowed or '-'))
            if (to.category == 'delivered'
                    and order.payment_state in {'not_paid', 'deposit_paid'}
                    and not Transaction().context.get('deliver_unpaid')):
                raise DeliveryError(gettext(
                        'service_order.msg_deliver_unpaid',
                        order=order.rec_name,
                        amount=order.amount_due,
                        currency=order.currency.symbol))
            changes.append((order, from_, to))
        return changes

    @classmethod
    def _record_stage_changes(cls, changes):
        pool = Pool()
        History = pool.get('service.order.stage.history')
        Audit = pool.get('workshop.audit')
        user = Transaction().user or None
        now = datetime.datetime.now()
        with Transaction().set_context(_check_access=False):
            History.create([{
                        'order': o.id, 'company': o.company.id,
                        'from_stage': f.id, 'to_stage': t.id,
                        'user': user, 'date': now,
                        } for o, f, t in changes])
        Audit.log_entries('stage', [
                (o, "%s → %s" % (f.name, t.name)) for o, f, t in changes])
        overrides = [o for o, _, t in changes
            if t.category == 'delivered'
            and o.payment_state in {'not_paid', 'deposit_paid'}]
        reason = Transaction().context.get('override_reason') or ''
        Audit.log_entries('override', [
                (o, "Delivered unpaid, %s %s due: %s" % (
                        o.amount_due, o.currency.code, reason))
                for o in overrides])
        if overrides:
            super().write(overrides, {'delivered_unpaid': True})
        cls._stage_changed(changes)

    @classmethod
    def _stage_changed(cls, changes):
        """Hook called with the (order, from, to) stage changes of a write,
        after history and audit rows are written, and on creation with
        from = None. Extend it to react to stage changes (notifications,
        webhooks, KPIs).
        """
        pass

    def set_stage(self, stage, deliver_unpaid=False, reason=None):
        """Move the order to `stage` (a service.order.stage) if allowed.

        deliver_unpaid: allow entering a delivered stage while money is
        due; the override is audited with `reason`.
        Raises StageTransitionError or DeliveryError.
        """
        with Transaction().set_context(
                deliver_unpaid=deliver_unpaid, override_reason=reason):
            self.__class__.write([self], {'stage': stage.id})

    @classmethod
    @ModelView.button_action('service_order.wizard_change_stage')
    def change_stage(cls, orders):
        "Open the wizard that offers the stages allowed from the current one."
        pass

    @classmethod
    @ModelView.button
    def revoke_token(cls, orders):
        "Replace the tracking token: the old link stops working."
        for order in orders:
            order.tracking_token = new_token()
        cls.save(orders)

    def _get_sale(self):
        "Return an unsaved sale.sale quote built from the order's lines."
        pool = Pool()
        Sale = pool.get('sale.sale')
        Address = pool.get('party.address')
        if not self.party.addresses:
            # A walk-in customer may have given no address; Tryton's party
            # form creates an empty one too, and the sale needs one.
            Address(party=self.party).save()
            self.party = self.party.__class__(self.party.id)
        sale = Sale(
            company=self.company, party=self.party,
            currency=self.company.currency,
            description=self.rec_name,
            reference=self.number,
            invoice_method='order', shipment_method='manual')
        sale.on_change_party()
        sale.lines = [l._get_sale_line(sale) for l in self.lines]
        return sale

    @classmethod
    @ModelView.button
    def quote(cls, orders):
        """Create the `sale.sale` quote of each order from its lines and
        put it in quotation state.
        """
        pool = Pool()
        Sale = pool.get('sale.sale')
        Audit = pool.get('workshop.audit')
        to_save = []
        for order in orders:
            if order.sale or not order.lines:
                continue
            order.sale = order._get_sale()
            to_save.append(order)
        Sale.save([o.sale for o in to_save])
        Sale.quote([o.sale for o in to_save])
        cls.save(to_save)
        for order in to_save:
            Audit.log('quote', [order], description=order.sale.rec_name)

    @classmethod
    @ModelView.button
    @set_employee('quote_approved_by')
    def approve_quote(cls, orders, note=None):
        """Record the customer's approval of the quote and confirm the
        sale (which creates its draft invoice).
        """
        pool = Pool()
        Sale = pool.get('sale.sale')
        Audit = pool.get('workshop.audit')
        orders = [o for o in orders if o.sale and not o.quote_approved_at]
        sales = [o.sale for o in orders]
        Sale.confirm(sales)
        Sale.process(sales)
        now = datetime.datetime.now()
        for order in orders:
            order.quote_approved_at = now
            order.quote_approval_note = note
        cls.save(orders)
        Audit.log('quote_approved', orders, description=note or '')

    @classmethod
    @ModelView.button
    def invoice(cls, orders):
        """Post the draft invoices of the orders' confirmed quotes, dated
        today. Returns the posted invoices.
        """
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Sale = pool.get('sale.sale')
        Audit = pool.get('workshop.audit')
        Date = pool.get('ir.date')
        sales = [o.sale for o in orders if o.sale]
        Sale.process(sales)
        invoices = [i for o in orders if o.sale
            for i in o._get_billed_invoices()
            if i.state in {'draft', 'validated'}]
        for invoice in invoices:
            if not invoice.invoice_date:
                invoice.invoice_date = Date.today()
        Invoice.save(invoices)
        Invoice.post(invoices)
        for order in orders:
            posted = [i for i in invoices
                if i in order._get_billed_invoices()]
            if posted:
                Audit.log('invoice', [order],
                    description=', '.join(i.number for i in posted))
        return invoices

    @classmethod
    def delete(cls, orders):
        Pool().get('workshop.audit').log_deletion(orders)
        super().delete(orders)


class Line(sequence_ordered(), ModelSQL, ModelView):
    "Service Order Line"
    __name__ = 'service.order.line'

    order = fields.Many2One(
        'service.order', "Order", required=True, ondelete='CASCADE')
    product = fields.Many2One(
        'product.product', "Product",
        domain=[('salable', '=', True)],
        context={'company': Eval('company', -1)}, depends={'company'},
        help="A part (goods) or labour (service).")
    line_type = fields.Function(
        fields.Selection([
                (None, ''), ('part', "Part"), ('labour', "Labour")],
            "Type"), 'on_change_with_line_type')
    description = fields.Text("Description", required=True)
    quantity = fields.Float("Quantity", digits='unit', required=True)
    unit = fields.Many2One('product.uom', "Unit", required=True)
    unit_price = fields.Numeric(
        "Unit Price (excl. tax)", digits=price_digits, required=True)
    amount = fields.Function(
        fields.Numeric("Amount", digits='currency'),
        'on_change_with_amount')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    company = fields.Function(
        fields.Many2One('company.company', "Shop"),
        'on_change_with_company')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('order')

    @classmethod
    def default_quantity(cls):
        return 1.

    @fields.depends('order', '_parent_order.company')
    def on_change_with_company(self, name=None):
        return self.order.company if self.order else None

    @fields.depends('order', '_parent_order.company')
    def on_change_with_currency(self, name=None):
        return self.order.company.currency if self.order else None

    @fields.depends('product')
    def on_change_with_line_type(self, name=None):
        if self.product:
            return 'labour' if self.product.type == 'service' else 'part'

    @fields.depends('product', 'unit', 'description')
    def on_change_product(self):
        if self.product:
            self.unit = self.product.sale_uom
            self.unit_price = self.product.list_price_used
            if not self.description:
                self.description = self.product.rec_name

    @fields.depends('quantity', 'unit_price', 'currency')
    def on_change_with_amount(self, name=None):
        amount = Decimal(str(self.quantity or 0)) * (
            self.unit_price or Decimal(0))
        return self.currency.round(amount) if self.currency else amount

    def _get_sale_line(self, sale):
        "Return an unsaved sale.line of `sale` for this line."
        SaleLine = Pool().get('sale.line')
        line = SaleLine(
            sale=sale, type='line', product=self.product,
            quantity=self.quantity, unit=self.unit)
        line.on_change_product()
        line.unit_price = self.unit_price
        line.description = self.description
        return line
