"""Recommended batches of a shop: its coating jobs waiting for coating
(stages received, sandblasting, masking, primer) and in no open batch,
grouped by compatibility key (grouping.recommend), most urgent first, with
the colour changes saved; the wizard creates the batches the user ticks.
"""
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.modules.coating import calculation
from trytond.modules.coating.job import PRETREATMENT_GROUPS, WAITING_STAGES
from trytond.pool import Pool
from trytond.pyson import Eval, PYSONEncoder
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateView, Wizard

from . import grouping
from .batch import OPEN_STATES, powder_identity
from .key import make_key


def _search_ids(Model, domain):
    """Return the ids matching `domain` (access rules applied) without
    instantiating records: browsing n records checks the n ids of each
    (assert in ModelStorage.__init__), O(n²) for the 10,000 jobs of a big
    shop unless Python runs with -O."""
    cursor = Transaction().connection.cursor()
    cursor.execute(*Model.search(domain, query=True))
    return [row[0] for row in cursor]


class Recommendation(ModelView):
    "Recommended Coating Batch"
    __name__ = 'coating.batch.recommendation'

    selected = fields.Boolean("Create")
    key_label = fields.Char("Compatibility", readonly=True)
    powder = fields.Many2One('product.product', "Powder", readonly=True)
    coats = fields.Integer("Coats", readonly=True)
    cure_temperature = fields.Float("Cure Temperature (°C)", digits=(16, 0),
        readonly=True)
    cure_minutes = fields.Float("Cure Time (min)", digits=(16, 0),
        readonly=True)
    pretreatment = fields.Char("Pretreatment", readonly=True)
    job_count = fields.Integer("Jobs", readonly=True)
    part_count = fields.Integer("Parts", readonly=True)
    promised_date = fields.Date("Earliest Promised Date", readonly=True)
    priority = fields.Selection('get_priorities', "Priority", readonly=True)
    surface = fields.Float("Surface (m²)", digits=(16, 3), readonly=True)
    powder_estimate = fields.Float("Powder Estimate (kg)", digits=(16, 3),
        readonly=True)
    colour_changes_saved = fields.Integer("Colour Changes Saved",
        readonly=True,
        help="Jobs − 1: one powder change for the batch instead of one "
        "per job.")
    jobs = fields.Many2Many('service.order', None, None, "Jobs",
        readonly=True)

    @classmethod
    def get_priorities(cls):
        Order = Pool().get('service.order')
        return Order.fields_get(['priority'])['priority']['selection']

    @classmethod
    def waiting_jobs(cls, company):
        """Return the grouping.Job of `company`'s coating jobs waiting for
        coating and in no open batch, read in a few queries (no per-job
        function fields): surface = Σ part surface × quantity (m²), powder =
        calculation.powder_kg of that surface with the powder's consumption
        and transfer efficiency (kg), None if unknown."""
        pool = Pool()
        Order = pool.get('service.order')
        Part = pool.get('coating.part')
        Product = pool.get('product.product')
        Relation = pool.get('coating.batch-service.order')
        company_id = getattr(company, 'id', company)
        domain = [
            ('company', '=', company_id),
            ('kind', '=', 'coating'),
            ('stage.code', 'in', WAITING_STAGES),
            ]
        rows = Order.read(_search_ids(Order, domain), [
                'powder', 'coats', 'primer', 'varnish', 'cure_temperature',
                'cure_minutes', 'promised_date', 'priority'])
        busy = {r.order.id for r in Relation.search([
                    ('batch.company', '=', company_id),
                    ('batch.state', 'in', OPEN_STATES),
                    ])}
        parts = {}
        part_ids = _search_ids(Part,
            [('order.' + c[0],) + tuple(c[1:]) for c in domain])
        for part in Part.read(part_ids,
                ['order', 'quantity', 'surface', 'substrate']):
            parts.setdefault(part['order'], []).append(part)
        powders = {}
        for product in Product.browse(
                list({r['powder'] for r in rows if r['powder']})):
            template = product.template
            try:
                consumption = template.powder_consumption_used
            except calculation.CalculationError:
                consumption = None
            powders[product.id] = (
                powder_identity(template, product.id),
                template.ral.code if template.ral else '',
                template.powder_finish, template.powder_type,
                consumption, template.powder_transfer_efficiency)
        jobs = []
        for row in rows:
            if row['id'] in busy:
                continue
            job_parts = parts.get(row['id'], [])
            surface = sum((p['surface'] or 0) * (p['quantity'] or 0)
                for p in job_parts)
            powder = powders.get(row['powder'])
            key, estimate = None, None
            if powder:
                identity, ral, finish, type_, consumption, efficiency = powder
                key = make_key(identity, ral, finish, type_, row['coats'],
                    row['primer'], row['varnish'], row['cure_temperature'],
                    row['cure_minutes'], [PRETREATMENT_GROUPS.get(
                            p['substrate']) for p in job_parts])
                try:
                    estimate = calculation.powder_kg(
                        surface, row['coats'], consumption, efficiency)
                except (calculation.CalculationError, TypeError):
                    estimate = None
            jobs.append(grouping.Job(
                    id=row['id'], key=key,
                    promised_date=row['promised_date'],
                    parts=sum(p['quantity'] or 0 for p in job_parts),
                    surface=surface, powder=estimate or 0.,
                    priority=row['priority'] or 'normal'))
        return jobs

    @classmethod
    def compute(cls, company):
        """Return (recommendations, unbatchable job ids) for `company`:
        grouping.recommend of waiting_jobs."""
        return grouping.recommend(cls.waiting_jobs(company))

    @classmethod
    def values(cls, recommendation, powders):
        "Return the field values of a grouping.Recommendation."
        key = recommendation.key
        return {
            'selected': False,
            'key_label': key.label(),
            'powder': powders.get(key.powder),
            'coats': key.coats,
            'cure_temperature': key.cure_temperature,
            'cure_minutes': key.cure_minutes,
            'pretreatment': key.pretreatment,
            'job_count': recommendation.jobs,
            'part_count': int(recommendation.parts),
            'promised_date': recommendation.earliest_promised_date,
            'priority': recommendation.priority,
            'surface': round(recommendation.surface, 3),
            'powder_estimate': round(recommendation.powder, 3),
            'colour_changes_saved': recommendation.colour_changes_saved,
            'jobs': list(recommendation.job_ids),
            }


class RecommendStart(ModelView):
    "Recommended Coating Batches"
    __name__ = 'coating.batch.recommend.start'

    company = fields.Many2One('company.company', "Shop", readonly=True)
    recommendations = fields.One2Many('coating.batch.recommendation', None,
        "Recommended Batches",
        help="Tick the batches to create, most urgent first.")
    waiting = fields.Integer("Jobs Waiting", readonly=True)
    colour_changes_saved = fields.Integer("Colour Changes Saved",
        readonly=True,
        help="Jobs − batches: powder changes saved by coating the "
        "recommended batches instead of job by job.")
    unbatchable = fields.Many2Many('service.order', None, None,
        "Jobs Not Ready", readonly=True,
        help="Waiting jobs without powder, coats, cure or parts: complete "
        "them to batch them.")
    oven = fields.Many2One('coating.oven', "Oven",
        domain=[('company', '=', Eval('company', -1))])
    planned_date = fields.Date("Planned Date")


class NothingSelected(ValidationError):
    pass


class Recommend(Wizard):
    "Recommended Coating Batches"
    __name__ = 'coating.batch.recommend'

    start = StateView('coating.batch.recommend.start',
        'coating_batch.recommend_start_view_form', [
            Button("Close", 'end', 'tryton-cancel'),
            Button("Create Batches", 'create_', 'tryton-ok', default=True),
            ])
    create_ = StateAction('coating_batch.act_batch')

    def default_start(self, fields):
        pool = Pool()
        Company = pool.get('company.company')
        Product = pool.get('product.product')
        company = Company(Transaction().context['company'])
        Line = pool.get('coating.batch.recommendation')
        recommendations, unbatchable = Line.compute(company)
        powders = {}
        for product in Product.search([
                    ('template.powder', '=', True),
                    ('template.powder_company', '=', company.id),
                    ]):
            powders[powder_identity(product.template, product.id)] = (
                product.id)
        return {
            'company': company.id,
            'recommendations': [Line.values(r, powders)
                for r in recommendations],
            'waiting': sum(r.jobs for r in recommendations)
            + len(unbatchable),
            'colour_changes_saved': grouping.colour_changes_saved(
                recommendations),
            'unbatchable': unbatchable,
            }

    def do_create_(self, action):
        Batch = Pool().get('coating.batch')
        selected = [r for r in self.start.recommendations if r.selected]
        if not selected:
            raise NothingSelected(gettext(
                    'coating_batch.msg_recommendation_none_selected'))
        batches = [Batch.from_recommendation(self.start.company,
                [j.id for j in r.jobs], oven=self.start.oven,
                planned_date=self.start.planned_date)
            for r in selected]
        action['pyson_domain'] = PYSONEncoder().encode(
            [('id', 'in', [b.id for b in batches])])
        return action, {}
