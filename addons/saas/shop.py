"""A shop's subscription (`saas.shop`, one per company), its feature set,
its life cycle and the sign-up that creates it.

States (`STATES`):

- ``trial``: full trial plan (Pro) from `trial_start` to `trial_end`;
- ``active``: a plan was chosen (paying shop, counted in the MRR);
- ``read_only``: the trial ended without a plan: the shop's users still
  read everything but create, write and delete are refused until a plan
  is chosen;
- ``suspended``: set by the operator (or, later, the billing module's
  dunning) with a reason: read-only too, with that reason in the message;
- ``cancelled``: the shop left; read-only.

`suspend(reason)` and `reactivate()` are the entry points the subscription
billing (sale_subscription, dunning) is meant to call.
"""
import datetime as dt
import hashlib
import re
import secrets

import phonenumbers

from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from trytond.modules.workshop.company import BUSINESS_TYPES

from . import accounting
from .exceptions import QuotaError, SignUpError

STATES = [
    ('trial', "Trial"),
    ('active', "Active"),
    ('read_only', "Read-only"),
    ('suspended', "Suspended"),
    ('cancelled', "Cancelled"),
    ]
PERIODS = [('monthly', "Monthly"), ('yearly', "Yearly")]
#: Days of the trial (1 = the sign-up day) on which a reminder is emailed.
REMINDER_DAYS = (7, 15, 25)
#: Storage thresholds (percent of the quota) announced once each.
THRESHOLDS = (80, 90)
GB = 1024 ** 3
#: Countries offered at sign-up: ISO code → (French name, currency code).
COUNTRIES = {
    'FR': ("France", 'EUR'),
    'SN': ("Sénégal", 'XOF'),
    'CI': ("Côte d'Ivoire", 'XOF'),
    'BJ': ("Bénin", 'XOF'),
    'BF': ("Burkina Faso", 'XOF'),
    'ML': ("Mali", 'XOF'),
    'NE': ("Niger", 'XOF'),
    'TG': ("Togo", 'XOF'),
    }
CURRENCIES = {
    'EUR': ("Euro", '€', '978', '0.01', 2),
    'XOF': ("Franc CFA (BCEAO)", 'F CFA', '952', '1', 0),
    }
TIMEZONES = {'FR': 'Europe/Paris', 'SN': 'Africa/Dakar',
    'CI': 'Africa/Abidjan', 'BJ': 'Africa/Porto-Novo',
    'BF': 'Africa/Ouagadougou', 'ML': 'Africa/Bamako',
    'NE': 'Africa/Niamey', 'TG': 'Africa/Lome'}
_EMAIL = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')
#: Models a read-only shop's users may still change: their own session,
#: preferences and password, warnings, and the plan choice itself.
_ALWAYS_WRITABLE = ('res.user', 'ir.session', 'ir.ui.', 'ir.cache',
    'ir.message', 'ir.translation', 'saas.', 'web.user.session',
    'ir.model.', 'ir.export', 'ir.action', 'ir.queue', 'ir.lang')


def hash_token(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


class Shop(ModelSQL, ModelView):
    "SaaS Shop Subscription"
    __name__ = 'saas.shop'

    company = fields.Many2One('company.company', "Shop", required=True,
        ondelete='CASCADE', readonly=True)
    state = fields.Selection(STATES, "State", required=True, readonly=True)
    plan = fields.Many2One('saas.plan', "Plan",
        help="The chosen plan (empty during a trial without choice).")
    period = fields.Selection(PERIODS, "Billing Period", required=True)
    options = fields.Many2Many('saas.shop-saas.option', 'shop', 'option',
        "Paid Options")
    trial_start = fields.Date("Trial Start", readonly=True)
    trial_end = fields.Date("Trial End", readonly=True)
    reminders_sent = fields.Char("Reminders Sent", readonly=True,
        help="Trial days whose reminder was emailed, e.g. '7 15'.")
    activated_at = fields.DateTime("Plan Chosen At", readonly=True)
    read_only_at = fields.DateTime("Read-only Since", readonly=True)
    suspended_at = fields.DateTime("Suspended At", readonly=True)
    suspension_reason = fields.Char("Suspension Reason", readonly=True)
    cancelled_at = fields.DateTime("Cancelled At", readonly=True)
    owner = fields.Many2One('res.user', "Owner", readonly=True)
    owner_email = fields.Char("Owner Email", readonly=True)
    owner_phone = fields.Char("Owner Phone", readonly=True)
    terms_version = fields.Char("Terms Version", readonly=True)
    privacy_version = fields.Char("Privacy Version", readonly=True)
    terms_accepted_at = fields.DateTime("Terms Accepted At", readonly=True)
    terms_ip = fields.Char("Terms Accepted From", readonly=True)
    accounting_note = fields.Text("Accounting Setup", readonly=True)
    quota_gb = fields.Float("Storage Quota (GB)",
        help="Empty: the plan's quota (or the default one).")
    storage_used = fields.Float("Storage Used (bytes)", readonly=True,
        help="Bytes; a float as Integer columns stop at 2 GB.")
    storage_checked_at = fields.DateTime("Storage Checked At",
        readonly=True)
    storage_warned = fields.Integer("Storage Warning Sent (%)",
        readonly=True)
    storage_percent = fields.Function(fields.Float("Storage Used (%)",
            digits=(3, 1)), 'get_storage_percent')
    storage_used_gb = fields.Function(fields.Float("Storage Used (GB)",
            digits=(16, 2)), 'get_storage_percent')
    effective_quota_gb = fields.Function(fields.Float("Quota (GB)",
            digits=(16, 1)), 'get_storage_percent')
    mrr = fields.Function(fields.Numeric("MRR", digits=(16, 2)), 'get_mrr')

    _features_cache = Cache('saas.shop.features', context=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('company_uniq', Unique(t, t.company),
                'saas.msg_shop_company_unique'),
            ]
        cls.__rpc__.update({
                'sign_up': RPC(readonly=False),
                })
        cls._buttons.update({
                'reactivate_button': {
                    'invisible': ~Eval('state').in_(['suspended', 'read_only']),
                    'depends': ['state']},
                })

    @classmethod
    def default_state(cls):
        return 'trial'

    @classmethod
    def default_period(cls):
        return 'monthly'

    @classmethod
    def default_storage_used(cls):
        return 0

    @classmethod
    def default_storage_warned(cls):
        return 0

    def get_rec_name(self, name):
        return self.company.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('company.rec_name',) + tuple(clause[1:])]

    # Features ---------------------------------------------------------

    def current_plan(self):
        "The plan whose features apply: the trial plan during a trial."
        if self.state == 'trial':
            Configuration = Pool().get('saas.configuration')
            return Configuration(1).trial_plan or self.plan
        return self.plan

    def feature_codes(self):
        "Return the frozenset of the feature codes of the shop."
        plan = self.current_plan()
        codes = set()
        if plan:
            codes |= {f.code for f in plan.features if f.active}
        if self.state != 'trial':
            for option in self.options:
                codes |= {f.code for f in option.features if f.active}
        return frozenset(codes)

    @classmethod
    def status(cls, company_id):
        """Return the cached dict of company `company_id`'s subscription:
        state, features (frozenset), plan (name), shop (name), trial_end,
        reason; None when the company has no saas.shop (not hosted: no
        restriction)."""
        if not company_id:
            return None
        key = int(company_id)
        cached = cls._features_cache.get(key, -1)
        if cached != -1:
            return cached
        with without_check_access():
            shops = cls.search([('company', '=', key)], limit=1)
            if shops:
                shop, = shops
                plan = shop.current_plan()
                result = {
                    'state': shop.state,
                    'features': shop.feature_codes(),
                    'plan': plan.rec_name if plan else '',
                    'shop': shop.company.rec_name,
                    'trial_end': shop.trial_end,
                    'reason': shop.suspension_reason or '',
                    }
            else:
                result = None
        cls._features_cache.set(key, result)
        return result

    @classmethod
    def refusal(cls, model_name, mode, company_id=None):
        """Return the message (str) refusing `mode` ('create', 'write',
        'delete') on `model_name` to the current user in its current
        company, or None when allowed. Root and members of the operator
        group are never refused."""
        pool = Pool()
        transaction = Transaction()
        if mode == 'read' or transaction.user == 0:
            return None
        if company_id is None:
            company_id = transaction.context.get('company')
        status = cls.status(company_id)
        if status is None or cls.is_operator():
            return None
        if model_name.startswith(_ALWAYS_WRITABLE):
            writable = model_name not in {'ir.attachment', 'ir.note'}
        else:
            writable = False
        if not writable:
            state = status['state']
            if state == 'read_only':
                return gettext('saas.msg_shop_read_only',
                    shop=status['shop'], date=status['trial_end'] or '')
            if state == 'suspended':
                return gettext('saas.msg_shop_suspended',
                    shop=status['shop'], reason=status['reason'])
            if state == 'cancelled':
                return gettext('saas.msg_shop_cancelled',
                    shop=status['shop'])
        Feature = pool.get('saas.feature')
        models, _ = Feature.gated()
        code = models.get(model_name)
        if code and code not in status['features']:
            features = Feature.search([('code', '=', code)], limit=1)
            Model = pool.get(model_name)
            return gettext('saas.msg_feature_disabled',
                feature=features[0].rec_name if features else code,
                plan=status['plan'] or '-', shop=status['shop'],
                model=Model.__names__()['model'])
        return None

    @classmethod
    def hidden_menu_ids(cls, company_id=None):
        """Return the set of ir.ui.menu ids hidden in company
        `company_id` (default: the context's) for lack of a feature."""
        if Transaction().user == 0 or cls.is_operator():
            return set()
        if company_id is None:
            company_id = Transaction().context.get('company')
        status = cls.status(company_id)
        if status is None:
            return set()
        _, menus = Pool().get('saas.feature').gated()
        return {m for m, code in menus.items()
            if code not in status['features']}

    @classmethod
    def is_operator(cls):
        "Whether the current user is in the SaaS operator group."
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        try:
            group = ModelData.get_id('saas', 'group_operator')
        except KeyError:
            return False
        return group in User.get_groups()

    @classmethod
    def create(cls, vlist):
        shops = super().create(vlist)
        cls._features_cache.clear()
        return shops

    @classmethod
    def write(cls, *args):
        super().write(*args)
        cls._features_cache.clear()

    @classmethod
    def delete(cls, shops):
        super().delete(shops)
        cls._features_cache.clear()

    # Life cycle ---------------------------------------------------------

    @classmethod
    def _set(cls, shops, values):
        with without_check_access():
            cls.write(list(shops), values)

    @classmethod
    def choose_plan(cls, shops, plan, period='monthly', options=None):
        """Make `shops` active on `plan` (saas.plan) for `period`
        ('monthly'/'yearly') with `options` (saas.option list, default
        unchanged); audited and emailed to the owner."""
        Audit = Pool().get('workshop.audit')
        for shop in shops:
            values = {'state': 'active', 'plan': plan.id, 'period': period,
                'activated_at': dt.datetime.now(), 'read_only_at': None}
            if options is not None:
                values['options'] = [
                    ('remove', [o.id for o in shop.options]),
                    ('add', [o.id for o in options])]
            cls._set([shop], values)
        for shop in shops:
            Audit.log('plan', [shop], description=gettext(
                    'saas.msg_audit_plan_chosen', plan=plan.rec_name,
                    period=period), company=shop.company)
            cls.email_owner(shop, 'plan_chosen', plan=plan.rec_name)

    def suspend(self, reason):
        """Suspend the shop (read-only for its users) for `reason` (str,
        shown to them). Entry point of the operator and of later dunning."""
        Audit = Pool().get('workshop.audit')
        self._set([self], {'state': 'suspended', 'suspension_reason': reason,
                'suspended_at': dt.datetime.now()})
        Audit.log('plan', [self], description=gettext(
                'saas.msg_audit_suspended', reason=reason),
            company=self.company)
        self.email_owner(self, 'suspended', reason=reason)

    def reactivate(self):
        """Lift a suspension or a read-only fallback: active again when a
        plan is set, else back to read-only (a plan must be chosen)."""
        Audit = Pool().get('workshop.audit')
        state = 'active' if self.plan else 'read_only'
        self._set([self], {'state': state, 'suspension_reason': None,
                'suspended_at': None})
        Audit.log('plan', [self], description=gettext(
                'saas.msg_audit_reactivated', state=state),
            company=self.company)

    def cancel(self):
        "The shop leaves: read-only, counted as churn of this month."
        self._set([self], {'state': 'cancelled',
                'cancelled_at': dt.datetime.now()})

    @classmethod
    @ModelView.button
    def reactivate_button(cls, shops):
        for shop in shops:
            shop.reactivate()

    # Trial --------------------------------------------------------------

    @classmethod
    def run_trial(cls, today=None):
        """Cron: email the trial reminders of days 7, 15 and 25 (day 1 =
        trial_start; each once, recorded in `reminders_sent`; a missed
        day is sent late but never twice) and turn the trials ended
        before `today` without a plan into read-only shops (emailed).
        A trial with a chosen plan is already 'active'."""
        today = today or dt.date.today()
        with without_check_access():
            shops = cls.search([('state', '=', 'trial')])
        for shop in shops:
            if shop.trial_end and today > shop.trial_end:
                cls._set([shop], {'state': 'read_only',
                        'read_only_at': dt.datetime.now()})
                cls.email_owner(shop, 'trial_ended')
                continue
            if not shop.trial_start:
                continue
            day = (today - shop.trial_start).days + 1
            sent = set((shop.reminders_sent or '').split())
            due = [d for d in REMINDER_DAYS if d <= day and str(d) not in sent]
            if due:
                # Only the latest due reminder leaves: after an outage the
                # shop gets one email, not three.
                cls.email_owner(shop, 'trial_reminder', day=due[-1],
                    days_left=(shop.trial_end - today).days + 1
                    if shop.trial_end else 0)
                sent |= {str(d) for d in due}
                cls._set([shop], {'reminders_sent': ' '.join(
                            sorted(sent, key=int))})

    # Storage ------------------------------------------------------------

    def quota_bytes(self):
        "The storage quota in bytes (shop's, else plan's, else default)."
        Configuration = Pool().get('saas.configuration')
        plan = self.current_plan()
        gb = (self.quota_gb or (plan.storage_quota_gb if plan else None)
            or Configuration(1).storage_quota_gb or 20.)
        return int(gb * GB)

    @classmethod
    def get_storage_percent(cls, shops, names):
        result = {n: {} for n in names}
        for shop in shops:
            quota = shop.quota_bytes()
            used = shop.storage_used or 0
            if 'storage_percent' in names:
                result['storage_percent'][shop.id] = (
                    round(100. * used / quota, 1) if quota else 0.)
            if 'storage_used_gb' in names:
                result['storage_used_gb'][shop.id] = used / GB
            if 'effective_quota_gb' in names:
                result['effective_quota_gb'][shop.id] = quota / GB
        return result

    @classmethod
    def storage_by_company(cls):
        """Return {company id: bytes} of the files attached to each shop's
        records (ir.attachment whose resource has a `company`, or is the
        company itself)."""
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        cursor = Transaction().connection.cursor()
        table = Attachment.__table__()
        by_model = {}
        cursor.execute(*table.select(table.id, table.resource,
                where=table.type == 'data'))
        for attachment_id, resource in cursor:
            if not resource or ',' not in resource:
                continue
            model, rid = resource.split(',', 1)
            by_model.setdefault(model, []).append((attachment_id, int(rid)))
        usage = {}
        for model, pairs in by_model.items():
            try:
                Model = pool.get(model)
            except KeyError:
                continue
            if model == 'company.company':
                owner = {rid: rid for _, rid in pairs}
            elif 'company' in Model._fields and hasattr(Model, '__table__'):
                owner = {}
                mtable = Model.__table__()
                ids = list({rid for _, rid in pairs})
                for i in range(0, len(ids), 1000):
                    cursor.execute(*mtable.select(mtable.id, mtable.company,
                            where=mtable.id.in_(ids[i:i + 1000])))
                    owner.update(dict(cursor))
            else:
                continue
            with Transaction().set_context(_check_access=False):
                attachments = Attachment.browse([a for a, _ in pairs])
                sizes = {a.id: a.data_size or 0 for a in attachments}
            for attachment_id, rid in pairs:
                company = owner.get(rid)
                if company:
                    usage[company] = usage.get(company, 0) + sizes.get(
                        attachment_id, 0)
        return usage

    @classmethod
    def update_storage(cls):
        """Cron: store each shop's storage use and email the owner once
        when it passes 80 % and 90 % of its quota (a shop back under 80 %
        may be warned again later)."""
        usage = cls.storage_by_company()
        now = dt.datetime.now()
        with without_check_access():
            shops = cls.search([])
        for shop in shops:
            used = usage.get(shop.company.id, 0)
            values = {'storage_used': used, 'storage_checked_at': now}
            percent = 100. * used / shop.quota_bytes()
            reached = max([t for t in THRESHOLDS if percent >= t], default=0)
            if reached > (shop.storage_warned or 0):
                cls.email_owner(shop, 'storage_warning', percent=reached,
                    used='%.2f' % (used / GB),
                    quota='%.1f' % (shop.quota_bytes() / GB))
            values['storage_warned'] = reached
            cls._set([shop], values)

    @classmethod
    def check_upload(cls, company_id, size):
        """Raise QuotaError when adding `size` bytes to company
        `company_id`'s files passes its quota (the last measured use plus
        the files added since)."""
        if not company_id or not size:
            return
        with without_check_access():
            shops = cls.search([('company', '=', company_id)], limit=1)
        if not shops:
            return
        shop, = shops
        quota = shop.quota_bytes()
        if (shop.storage_used or 0) + size > quota:
            raise QuotaError(gettext('saas.msg_quota_exceeded',
                    shop=shop.company.rec_name,
                    used='%.2f' % ((shop.storage_used or 0) / GB),
                    quota='%.1f' % (quota / GB)))

    @classmethod
    def add_storage(cls, company_id, size):
        "Count `size` bytes just uploaded for company `company_id`."
        if not company_id or not size:
            return
        with without_check_access():
            shops = cls.search([('company', '=', company_id)], limit=1)
            for shop in shops:
                cls.write([shop], {
                        'storage_used': (shop.storage_used or 0) + size})

    # MRR ----------------------------------------------------------------

    @classmethod
    def get_mrr(cls, shops, name):
        return {s.id: s.monthly_revenue() for s in shops}

    def monthly_revenue(self):
        """Monthly recurring revenue of the shop (Decimal, plan currency):
        plan + options, yearly prices / 12; 0 unless active."""
        from decimal import Decimal
        if self.state != 'active' or not self.plan:
            return Decimal('0.00')
        total = self.plan.monthly_equivalent(self.period)
        for option in self.options:
            total += option.monthly_equivalent(self.period)
        return total.quantize(Decimal('0.01'))

    # Emails -------------------------------------------------------------

    @classmethod
    def email_owner(cls, shop, kind, link=None, expires_at=None, **values):
        "Queue the email `kind` (see email.TEXTS) to the shop's owner."
        Email = Pool().get('saas.email')
        email = Email.create_for_shop(shop, kind, link=link,
            expires_at=expires_at, **values)
        Email.queue([email])
        return email

    @classmethod
    def notify_plan_change(cls, record, diff):
        """Audit and email the change `diff` [(field, old, new)] of
        `record` (saas.plan, saas.option or saas.configuration) to each
        shop it affects: the plan's shops (and trials when it is the trial
        plan), the option's shops, or every shop for the configuration."""
        pool = Pool()
        Audit = pool.get('workshop.audit')
        Configuration = pool.get('saas.configuration')
        text = '; '.join('%s: %s → %s' % d for d in diff)
        with without_check_access():
            if record.__name__ == 'saas.plan':
                domain = [('plan', '=', record.id)]
                trial_plan = Configuration(1).trial_plan
                if trial_plan and trial_plan.id == record.id:
                    domain = ['OR', domain[0], ('state', '=', 'trial')]
            elif record.__name__ == 'saas.option':
                domain = [('options', '=', record.id)]
            else:
                domain = []
            shops = cls.search([domain, ('state', '!=', 'cancelled')])
        name = getattr(record, 'rec_name', '')
        description = gettext('saas.msg_audit_plan_changed',
            record=name, changes=text)
        if not shops:
            Audit.log('plan', [], description=description, company=None)
        for shop in shops:
            Audit.log('plan', [shop], description=description,
                company=shop.company)
            cls.email_owner(shop, 'plan_changed', record=name, changes=text)

    # Sign-up ------------------------------------------------------------

    @classmethod
    def validate_sign_up(cls, values):
        """Return the cleaned sign-up values or raise SignUpError naming
        the field. `values`: shop_name, email, phone, country (ISO code),
        trade (workshop business type), terms_accepted, privacy_accepted
        (booleans), optional language ('fr'/'en'), ip, owner_name."""
        pool = Pool()
        User = pool.get('res.user')
        cleaned = {}
        name = (values.get('shop_name') or '').strip()
        if not name or len(name) > 100:
            raise SignUpError(gettext('saas.msg_signup_shop_name'))
        cleaned['shop_name'] = name
        email = (values.get('email') or '').strip().lower()
        if not _EMAIL.match(email) or len(email) > 254:
            raise SignUpError(gettext('saas.msg_signup_email', email=email))
        with without_check_access():
            if User.search([('login', '=', email)], limit=1):
                raise SignUpError(gettext('saas.msg_signup_email_taken',
                        email=email))
        cleaned['email'] = email
        country = (values.get('country') or '').strip().upper()
        if country not in COUNTRIES:
            raise SignUpError(gettext('saas.msg_signup_country',
                    country=country))
        cleaned['country'] = country
        phone = (values.get('phone') or '').strip()
        try:
            number = phonenumbers.parse(phone, country)
            valid = phonenumbers.is_valid_number(number)
        except phonenumbers.NumberParseException:
            valid = False
        if not valid:
            raise SignUpError(gettext('saas.msg_signup_phone', phone=phone))
        cleaned['phone'] = phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.E164)
        trade = values.get('trade')
        if trade not in dict(BUSINESS_TYPES):
            raise SignUpError(gettext('saas.msg_signup_trade', trade=trade))
        cleaned['trade'] = trade
        if not values.get('terms_accepted'):
            raise SignUpError(gettext('saas.msg_signup_terms'))
        if not values.get('privacy_accepted'):
            raise SignUpError(gettext('saas.msg_signup_privacy'))
        cleaned['language'] = values.get('language') or 'fr'
        cleaned['ip'] = (values.get('ip') or '')[:64]
        cleaned['owner_name'] = (
            values.get('owner_name') or '').strip()[:100] or email
        return cleaned

    @classmethod
    def sign_up(cls, values, today=None):
        """Create a hosted shop from the sign-up `values` (see
        `validate_sign_up`) and return its saas.shop id.

        It creates the shop's party and company (currency and timezone of
        its country), the chart of accounts and taxes (accounting.py:
        account_fr in France, a minimal chart elsewhere), the fiscal year
        and invoice sequences, the cash payment term, the trade's default
        stages (repair and coating modules on company creation), the
        owner's res.user (role Owner, no password yet), the subscription in
        trial (Configuration.trial_days, trial plan) with the accepted
        terms and privacy versions, date and IP, and queues the activation
        email (link valid Configuration.activation_hours). Runs without
        access checks: callers are the operator (RPC, wizard) and the
        public sign-up page. Raises SignUpError for invalid values."""
        pool = Pool()
        Company = pool.get('company.company')
        Party = pool.get('party.party')
        User = pool.get('res.user')
        Configuration = pool.get('saas.configuration')
        ModelData = pool.get('ir.model.data')
        Audit = pool.get('workshop.audit')
        Activation = pool.get('saas.activation')
        cleaned = cls.validate_sign_up(values)
        # First, before any work: a restart for the locks costs nothing.
        accounting.lock()
        today = today or dt.date.today()
        config = Configuration(1)
        code = cleaned['country']
        with without_check_access(), Transaction().set_context(
                company=None, language='fr'):
            country = cls._country(code)
            currency = cls._currency(COUNTRIES[code][1])
            party, = Party.create([{
                        'name': cleaned['shop_name'],
                        'company': None,
                        'addresses': [('create', [{'country': country.id}])],
                        'contact_mechanisms': [('create', [
                                    {'type': 'email',
                                        'value': cleaned['email']},
                                    {'type': 'phone',
                                        'value': cleaned['phone']},
                                    ])],
                        }])
            company, = Company.create([{
                        'party': party.id,
                        'currency': currency.id,
                        'timezone': TIMEZONES.get(code),
                        'business_type': cleaned['trade'],
                        'phone_country': country.id,
                        }])
            with Transaction().set_context(company=company.id):
                kind = accounting.create_chart(company, code)
                accounting.create_fiscalyear(company, today)
                term = accounting.cash_payment_term()
                AccountConfiguration = pool.get('account.configuration')
                account_config = AccountConfiguration(1)
                account_config.default_customer_payment_term = term
                account_config.save()
            note = gettext('saas.msg_accounting_fr' if kind == 'fr'
                else 'saas.msg_accounting_minimal', country=country.rec_name)
            owner, = User.create([{
                        'login': cleaned['email'],
                        'name': cleaned['owner_name'],
                        'email': cleaned['email'],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'roles': [('create', [{'role': ModelData.get_id(
                                            'workshop', 'role_owner')}])],
                        }])
            cls._create_trade_defaults(company, cleaned['language'])
            trial_days = config.trial_days or 30
            shop, = cls.create([{
                        'company': company.id,
                        'state': 'trial',
                        'trial_start': today,
                        'trial_end': today + dt.timedelta(
                            days=trial_days - 1),
                        'owner': owner.id,
                        'owner_email': cleaned['email'],
                        'owner_phone': cleaned['phone'],
                        'terms_version': config.terms_version,
                        'privacy_version': config.privacy_version,
                        'terms_accepted_at': dt.datetime.now(),
                        'terms_ip': cleaned['ip'],
                        'accounting_note': note,
                        }])
            Audit.log('plan', [shop], description=gettext(
                    'saas.msg_audit_signup', terms=config.terms_version,
                    privacy=config.privacy_version, ip=cleaned['ip'] or '-'),
                company=company)
            raw, activation = Activation.issue(owner, company)
            cls.email_owner(shop, 'activation', link=Activation.url(raw),
                expires_at=activation.expires_at,
                hours=config.activation_hours)
        return shop.id

    @classmethod
    def _create_trade_defaults(cls, company, language):
        """Give the new shop `company` the lists its trade needs from the
        first job, named in `language` ('fr'/'en'): a coating shop gets its
        final QC checklist and defect types (coating module; its stages
        come with the company, as a repair shop's do)."""
        pool = Pool()
        if company.business_type != 'coating':
            return
        Control = pool.get('quality.control')
        if hasattr(Control, 'create_coating_defaults'):
            Control.create_coating_defaults(company, language=language)
            pool.get('coating.defect.type').create_defaults(
                company, language=language)

    @classmethod
    def _country(cls, code):
        Country = Pool().get('country.country')
        countries = Country.search([('code', '=', code)], limit=1)
        if countries:
            return countries[0]
        country, = Country.create([{'name': COUNTRIES[code][0],
                    'code': code}])
        return country

    @classmethod
    def _currency(cls, code):
        from decimal import Decimal
        Currency = Pool().get('currency.currency')
        currencies = Currency.search([('code', '=', code)], limit=1)
        if currencies:
            return currencies[0]
        name, symbol, numeric, rounding, digits = CURRENCIES[code]
        currency, = Currency.create([{'name': name, 'symbol': symbol,
                    'code': code, 'numeric_code': numeric,
                    'rounding': Decimal(rounding), 'digits': digits}])
        return currency


class ShopOption(ModelSQL):
    "SaaS Shop - Option"
    __name__ = 'saas.shop-saas.option'
    __access__ = {'shop'}
    shop = fields.Many2One('saas.shop', "Shop", required=True,
        ondelete='CASCADE')
    option = fields.Many2One('saas.option', "Option", required=True,
        ondelete='RESTRICT')


class Activation(ModelSQL):
    """SaaS Owner Activation Link: the SHA-256 of a 256-bit one-time token
    that lets a new owner choose the password of their staff account."""
    __name__ = 'saas.activation'

    company = fields.Many2One('company.company', "Shop", required=True,
        ondelete='CASCADE')
    user = fields.Many2One('res.user', "User", required=True,
        ondelete='CASCADE')
    token_hash = fields.Char("Token Hash", required=True)
    expires_at = fields.DateTime("Expires At", required=True)
    used_at = fields.DateTime("Used At")

    @classmethod
    def issue(cls, user, company):
        """Return (raw token, saas.activation) for `user`, valid
        Configuration.activation_hours (72 by default)."""
        Configuration = Pool().get('saas.configuration')
        raw = secrets.token_urlsafe(32)
        hours = Configuration(1).activation_hours or 72
        with without_check_access():
            activation, = cls.create([{'company': company.id,
                        'user': user.id, 'token_hash': hash_token(raw),
                        'expires_at': dt.datetime.now()
                        + dt.timedelta(hours=hours)}])
        return raw, activation

    @classmethod
    def url(cls, raw):
        from trytond.url import http_host
        return '%s/%s/signup/activate/%s' % (http_host().rstrip('/'),
            Transaction().database.name, raw)

    @classmethod
    def find(cls, raw):
        "Return the valid, unused activation of token `raw`, or None."
        if not raw or len(raw) > 100:
            return None
        with without_check_access():
            found = cls.search([('token_hash', '=', hash_token(raw)),
                    ('used_at', '=', None),
                    ('expires_at', '>', dt.datetime.now())], limit=1)
        return found[0] if found else None

    def activate(self, password):
        """Set the owner's password (Tryton's password rules apply: raises
        PasswordError) and use up the link."""
        User = Pool().get('res.user')
        with without_check_access():
            User.write([self.user], {'password': password})
            self.used_at = dt.datetime.now()
            self.save()


class Company(metaclass=PoolMeta):
    __name__ = 'company.company'

    saas_state = fields.Function(fields.Selection(
            [(None, "")] + STATES, "Subscription"), 'get_saas_state')

    def get_saas_state(self, name):
        status = Pool().get('saas.shop').status(self.id)
        return status['state'] if status else None

    def has_feature(self, code):
        """Whether the shop has the feature `code` (its plan, trial plan or
        options). A company without subscription (not hosted) has them
        all."""
        status = Pool().get('saas.shop').status(self.id)
        return status is None or code in status['features']

    def check_feature(self, code):
        "Raise AccessError (saas.msg_feature_missing) without `code`."
        if not self.has_feature(code):
            Feature = Pool().get('saas.feature')
            features = Feature.search([('code', '=', code)], limit=1)
            raise AccessError(gettext('saas.msg_feature_missing',
                    feature=features[0].rec_name if features else code,
                    shop=self.rec_name))


class SignUpStart(ModelView):
    "Sign Up a Shop"
    __name__ = 'saas.sign_up.start'
    shop_name = fields.Char("Shop Name", required=True)
    owner_name = fields.Char("Owner Name")
    email = fields.Char("Owner Email", required=True)
    phone = fields.Char("Owner Phone", required=True)
    country = fields.Selection([(k, v[0]) for k, v in COUNTRIES.items()],
        "Country", required=True)
    trade = fields.Selection(BUSINESS_TYPES, "Trade", required=True)
    terms_accepted = fields.Boolean("Terms of Service Accepted")
    privacy_accepted = fields.Boolean("Privacy Policy Accepted")

    @classmethod
    def default_country(cls):
        return 'FR'

    @classmethod
    def default_trade(cls):
        return 'repair'


class SignUp(Wizard):
    "Sign Up a Shop"
    __name__ = 'saas.sign_up'
    start = StateView('saas.sign_up.start', 'saas.sign_up_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Create", 'create_', 'tryton-ok', default=True),
            ])
    create_ = StateTransition()

    def transition_create_(self):
        values = {f: getattr(self.start, f) for f in [
                'shop_name', 'owner_name', 'email', 'phone', 'country',
                'trade', 'terms_accepted', 'privacy_accepted']}
        values['ip'] = 'back-office'
        Pool().get('saas.shop').sign_up(values)
        return 'end'


def shop_of_wizard():
    """Return the saas.shop a wizard acts on: the record it was opened
    from, else the subscription of the user's current shop. Raises
    AccessError (msg_no_subscription) when the shop has none."""
    Shop = Pool().get('saas.shop')
    context = Transaction().context
    if context.get('active_model') == 'saas.shop' and context.get(
            'active_id'):
        return Shop(context['active_id'])
    shops = Shop.search([('company', '=', context.get('company'))],
        limit=1)
    if not shops:
        raise AccessError(gettext('saas.msg_no_subscription'))
    return shops[0]


class ChoosePlanStart(ModelView):
    "Choose a Plan"
    __name__ = 'saas.choose_plan.start'
    shop = fields.Many2One('saas.shop', "Shop", readonly=True)
    plan = fields.Many2One('saas.plan', "Plan", required=True)
    period = fields.Selection(PERIODS, "Billing Period", required=True)
    options = fields.Many2Many('saas.option', None, None, "Options")


class ChoosePlan(Wizard):
    """Choose a Plan: the owner of the current shop (or the operator on a
    selected shop) picks a plan, period and options; the shop becomes
    active (a read-only shop is writable again)."""
    __name__ = 'saas.choose_plan'
    start = StateView('saas.choose_plan.start',
        'saas.choose_plan_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Choose", 'choose', 'tryton-ok', default=True),
            ])
    choose = StateTransition()

    def _shop(self):
        return shop_of_wizard()

    def default_start(self, fields):
        shop = self._shop()
        return {'shop': shop.id, 'plan': shop.plan.id if shop.plan else None,
            'period': shop.period or 'monthly',
            'options': [o.id for o in shop.options]}

    def transition_choose(self):
        Shop = Pool().get('saas.shop')
        shop = self._shop()
        Shop.choose_plan([shop], self.start.plan, self.start.period,
            list(self.start.options))
        return 'end'
