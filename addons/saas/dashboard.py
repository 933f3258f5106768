"""Operator dashboard: shops by state and plan, MRR, churn and trial
conversion per month, storage use, shops near their quota.

Figures are computed from `saas.shop` by `figures()` (pure Python over the
rows, a few hundred shops), shown in a wizard form (saas.dashboard).

Definitions (the usual SaaS ones):

- MRR: sum over active shops of plan + options per month (yearly prices
  divided by 12): the recurring lines of their running subscription when
  billed (billing.py, `Shop.monthly_revenue`), else the plans' prices;
- churn of month M: shops cancelled during M / shops active at the start
  of M (activated before M and not cancelled before M);
- trial conversion of month M: shops whose trial ended in M and that chose
  a plan (activated_at set, at any time up to the end of the trial's
  month) / shops whose trial ended in M.
"""
import datetime as dt
from decimal import Decimal

from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.transaction import without_check_access
from trytond.wizard import Button, StateView, Wizard

from .shop import GB, STATES


def month_start(date):
    return date.replace(day=1)


def add_months(date, months):
    month = date.month - 1 + months
    return dt.date(date.year + month // 12, month % 12 + 1, 1)


def _date(value):
    if value is None:
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def figures(shops, today=None, months=6, near=80.):
    """Return the dashboard dict of `shops` (saas.shop records, or objects
    with the same attributes): counts by state, by plan, mrr (Decimal),
    storage_gb, near_quota [(name, percent)], and `months` rows (oldest
    first) of month (date), trials_ended, converted, conversion (%),
    active_at_start, churned, churn (%)."""
    today = today or dt.date.today()
    by_state = {s: 0 for s, _ in STATES}
    by_plan = {}
    mrr = Decimal(0)
    storage = 0
    near_quota = []
    for shop in shops:
        by_state[shop.state] = by_state.get(shop.state, 0) + 1
        if shop.state == 'active' and shop.plan:
            by_plan[shop.plan.rec_name] = by_plan.get(
                shop.plan.rec_name, 0) + 1
        mrr += shop.monthly_revenue()
        storage += shop.storage_used or 0
        quota = shop.quota_bytes()
        percent = 100. * (shop.storage_used or 0) / quota if quota else 0
        if percent >= near:
            near_quota.append((shop.company.rec_name, round(percent, 1)))
    rows = []
    first = add_months(month_start(today), -(months - 1))
    for i in range(months):
        start = add_months(first, i)
        end = add_months(start, 1)
        ended = [s for s in shops
            if s.trial_end and start <= s.trial_end < end]
        converted = [s for s in ended
            if s.activated_at and _date(s.activated_at) < end]
        active_start = [s for s in shops
            if s.activated_at and _date(s.activated_at) < start
            and not (s.cancelled_at and _date(s.cancelled_at) < start)]
        churned = [s for s in active_start
            if s.cancelled_at and start <= _date(s.cancelled_at) < end]
        rows.append({
                'month': start,
                'trials_ended': len(ended),
                'converted': len(converted),
                'conversion': round(100. * len(converted) / len(ended), 1)
                if ended else 0.,
                'active_at_start': len(active_start),
                'churned': len(churned),
                'churn': round(100. * len(churned) / len(active_start), 1)
                if active_start else 0.,
                })
    near_quota.sort(key=lambda x: -x[1])
    return {'by_state': by_state, 'by_plan': by_plan,
        'mrr': mrr.quantize(Decimal('0.01')), 'storage_gb': storage / GB,
        'near_quota': near_quota, 'months': rows}


class Dashboard(ModelView):
    "SaaS Operator Dashboard"
    __name__ = 'saas.dashboard'
    active = fields.Integer("Active", readonly=True)
    trial = fields.Integer("In Trial", readonly=True)
    read_only = fields.Integer("Read-only", readonly=True)
    suspended = fields.Integer("Suspended", readonly=True)
    cancelled = fields.Integer("Cancelled", readonly=True)
    by_plan = fields.Text("Active Shops by Plan", readonly=True)
    mrr = fields.Numeric("MRR", digits=(16, 2), readonly=True)
    storage_gb = fields.Float("Storage Used (GB)", digits=(16, 2),
        readonly=True)
    near_quota = fields.Text("Shops Near Their Quota (≥ 80 %)",
        readonly=True)
    months = fields.One2Many('saas.dashboard.month', None, "Months",
        readonly=True)


class DashboardMonth(ModelView):
    "SaaS Operator Dashboard Month"
    __name__ = 'saas.dashboard.month'
    month = fields.Date("Month", readonly=True)
    trials_ended = fields.Integer("Trials Ended", readonly=True)
    converted = fields.Integer("Converted", readonly=True)
    conversion = fields.Float("Trial Conversion (%)", digits=(3, 1),
        readonly=True)
    active_at_start = fields.Integer("Active at Start", readonly=True)
    churned = fields.Integer("Churned", readonly=True)
    churn = fields.Float("Churn (%)", digits=(3, 1), readonly=True)


class OpenDashboard(Wizard):
    "Open the SaaS Operator Dashboard"
    __name__ = 'saas.dashboard.open'
    start = StateView('saas.dashboard', 'saas.dashboard_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_start(self, fields):
        Shop = Pool().get('saas.shop')
        with without_check_access():
            data = figures(Shop.search([]))
        values = dict(data['by_state'])
        values.update({
                'by_plan': '\n'.join('%s: %s' % i
                    for i in sorted(data['by_plan'].items())),
                'mrr': data['mrr'],
                'storage_gb': data['storage_gb'],
                'near_quota': '\n'.join('%s: %s %%' % i
                    for i in data['near_quota']),
                'months': data['months'],
                })
        return values
