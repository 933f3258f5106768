"""Plans, paid options and the feature flags they carry (operator data).

A feature gates whole modules: the models a module creates and the menus
it declares (`saas.feature.modules`, module names separated by spaces).
Plans and options are operator-level records: they hold no shop data and
have no `company`. Every change of a plan's or an option's price, features,
trial or quota is written to the audit trail of each shop it affects and
emailed to its owner (see `Shop.notify_plan_change`).
"""
from decimal import Decimal

from trytond.cache import Cache
from trytond.model import (
    DeactivableMixin, ModelSingleton, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool


#: Fields whose change is announced to the shops of a plan or option.
ANNOUNCED = {'monthly_price', 'yearly_price', 'currency', 'features',
    'storage_quota_gb', 'name'}


class Feature(DeactivableMixin, ModelSQL, ModelView):
    "SaaS Feature"
    __name__ = 'saas.feature'

    code = fields.Char("Code", required=True,
        help="Stable key checked by the modules (company.has_feature).")
    name = fields.Char("Name", required=True, translate=True)
    modules = fields.Char("Modules",
        help="Names of the modules this feature gates, separated by "
        "spaces: their menus are hidden and their models refuse changes "
        "in shops without the feature.")
    description = fields.Text("Description", translate=True)

    _gated_cache = Cache('saas.feature.gated', context=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_uniq', Unique(t, t.code), 'saas.msg_feature_code_unique'),
            ]
        cls._order = [('name', 'ASC'), ('id', 'ASC')]

    def get_module_names(self):
        return (self.modules or '').split()

    @classmethod
    def gated(cls):
        """Return (models, menus): dicts model name → feature code and menu
        id → feature code, over the active features (cached)."""
        cached = cls._gated_cache.get(None)
        if cached is not None:
            return cached
        pool = Pool()
        Model = pool.get('ir.model')
        ModelData = pool.get('ir.model.data')
        models, menus = {}, {}
        from trytond.transaction import without_check_access
        with without_check_access():
            for feature in cls.search([]):
                names = feature.get_module_names()
                if not names:
                    continue
                for model in Model.search([('module', 'in', names)]):
                    models.setdefault(model.name, feature.code)
                for data in ModelData.search([
                            ('module', 'in', names),
                            ('model', '=', 'ir.ui.menu'),
                            ]):
                    menus.setdefault(data.db_id, feature.code)
        result = (models, menus)
        cls._gated_cache.set(None, result)
        return result

    @classmethod
    def create(cls, vlist):
        records = super().create(vlist)
        cls._gated_cache.clear()
        return records

    @classmethod
    def write(cls, *args):
        super().write(*args)
        cls._gated_cache.clear()
        Pool().get('saas.shop')._features_cache.clear()

    @classmethod
    def delete(cls, records):
        super().delete(records)
        cls._gated_cache.clear()
        Pool().get('saas.shop')._features_cache.clear()


class _Priced(ModelSQL, ModelView):
    "Common to plans and options: prices and features, announced changes"
    code = fields.Char("Code", required=True)
    name = fields.Char("Name", required=True, translate=True)
    monthly_price = fields.Numeric("Monthly Price", digits=(16, 2),
        required=True, help="Price per month, excluding tax.")
    yearly_price = fields.Numeric("Yearly Price", digits=(16, 2),
        required=True, help="Price per year, excluding tax.")
    currency = fields.Many2One('currency.currency', "Currency",
        help="Empty: euro.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_uniq', Unique(t, t.code), 'saas.msg_plan_code_unique'),
            ]

    @classmethod
    def default_monthly_price(cls):
        return Decimal(0)

    @classmethod
    def default_yearly_price(cls):
        return Decimal(0)

    @classmethod
    def default_currency(cls):
        Currency = Pool().get('currency.currency')
        currencies = Currency.search([('code', '=', 'EUR')], limit=1)
        return currencies[0].id if currencies else None

    def price(self, period):
        "Return the price (Decimal) of a billing `period`: monthly/yearly."
        return self.yearly_price if period == 'yearly' else self.monthly_price

    def monthly_equivalent(self, period):
        "Return the price per month of `period` (yearly price / 12)."
        if period == 'yearly':
            return (self.yearly_price or 0) / 12
        return self.monthly_price or Decimal(0)

    @classmethod
    def write(cls, *args):
        """Write, then audit and announce the changes to the shops of the
        changed plans or options (see Shop.notify_plan_change)."""
        Shop = Pool().get('saas.shop')
        actions = iter(args)
        changes = []
        for records, values in zip(actions, actions):
            announced = sorted(set(values) & ANNOUNCED)
            if announced:
                before = {r.id: {f: _display(getattr(r, f)) for f in announced}
                    for r in records}
                changes.append((records, announced, before))
        super().write(*args)
        Shop._features_cache.clear()
        for records, announced, before in changes:
            for record in cls.browse(records):
                diff = []
                for field in announced:
                    old, new = before[record.id][field], _display(
                        getattr(record, field))
                    if old != new:
                        diff.append((field, old, new))
                if diff:
                    Shop.notify_plan_change(record, diff)


def _display(value):
    "A short text of a field value for audit rows and emails."
    if isinstance(value, (list, tuple)):
        return ', '.join(sorted(getattr(v, 'rec_name', str(v)) for v in value))
    if hasattr(value, 'rec_name'):
        return value.rec_name
    return '' if value is None else str(value)


class Plan(DeactivableMixin, _Priced):
    "SaaS Plan"
    __name__ = 'saas.plan'

    features = fields.Many2Many('saas.plan-saas.feature', 'plan', 'feature',
        "Features")
    storage_quota_gb = fields.Float("Storage Quota (GB)", required=True,
        help="Photos and files a shop of this plan may store.")
    sequence = fields.Integer("Sequence")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('sequence', 'ASC NULLS FIRST'), ('id', 'ASC')]

    @classmethod
    def default_storage_quota_gb(cls):
        Configuration = Pool().get('saas.configuration')
        return Configuration(1).storage_quota_gb or 20.


class PlanFeature(ModelSQL):
    "SaaS Plan - Feature"
    __name__ = 'saas.plan-saas.feature'
    plan = fields.Many2One('saas.plan', "Plan", required=True,
        ondelete='CASCADE')
    feature = fields.Many2One('saas.feature', "Feature", required=True,
        ondelete='CASCADE')


class Option(DeactivableMixin, _Priced):
    "SaaS Paid Option"
    __name__ = 'saas.option'

    features = fields.Many2Many('saas.option-saas.feature', 'option',
        'feature', "Features")


class OptionFeature(ModelSQL):
    "SaaS Option - Feature"
    __name__ = 'saas.option-saas.feature'
    option = fields.Many2One('saas.option', "Option", required=True,
        ondelete='CASCADE')
    feature = fields.Many2One('saas.feature', "Feature", required=True,
        ondelete='CASCADE')


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "SaaS Configuration"
    __name__ = 'saas.configuration'

    trial_days = fields.Integer("Trial Days", required=True,
        help="Length of the free trial (full Pro plan) of a new shop.")
    trial_plan = fields.Many2One('saas.plan', "Trial Plan",
        help="The plan a shop has during its trial (Pro).")
    storage_quota_gb = fields.Float("Default Storage Quota (GB)",
        required=True)
    terms_version = fields.Char("Terms Version", required=True,
        help="Version of the terms of service accepted at sign-up.")
    privacy_version = fields.Char("Privacy Policy Version", required=True)
    terms_url = fields.Char("Terms URL")
    privacy_url = fields.Char("Privacy Policy URL")
    activation_hours = fields.Integer("Activation Link Validity (hours)",
        required=True)
    signup_enabled = fields.Boolean("Public Sign-up",
        help="Whether /<db>/signup accepts new shops.")
    signup_max_ip = fields.Integer("Sign-ups per IP Network",
        required=True,
        help="Sign-up attempts allowed per IP network in the throttling "
        "window of web users' sign-in attempts.")

    @classmethod
    def default_trial_days(cls):
        return 30

    @classmethod
    def default_storage_quota_gb(cls):
        return 20.

    @classmethod
    def default_terms_version(cls):
        return '1'

    @classmethod
    def default_privacy_version(cls):
        return '1'

    @classmethod
    def default_activation_hours(cls):
        return 72

    @classmethod
    def default_signup_enabled(cls):
        return True

    @classmethod
    def default_signup_max_ip(cls):
        return 5

    @classmethod
    def write(cls, *args):
        """Write and audit a change of the trial length or default quota
        (emailed to the shops in trial, resp. all shops)."""
        Shop = Pool().get('saas.shop')
        actions = iter(args)
        announced = set()
        for records, values in zip(actions, actions):
            announced |= set(values) & {'trial_days', 'storage_quota_gb'}
        before = {f: getattr(cls(1), f) for f in announced}
        super().write(*args)
        after = cls(1)
        diff = [(f, str(before[f]), str(getattr(after, f)))
            for f in sorted(announced)
            if before[f] != getattr(after, f)]
        if diff:
            Shop.notify_plan_change(after, diff)
