"""Quality statistics of coating jobs: read-only SQL models (table_query),
each guarded by a global company rule (stats.xml).

Definitions:

- a job is *inspected* when its stage history enters the stage of code
  'qc' at least once; only inspected coating jobs are counted;
- NC rate = inspected jobs with at least one non-conformity ÷ inspected
  jobs, in %;
- first-pass yield = inspected jobs without any non-conformity ÷ inspected
  jobs, in % (so NC rate + first-pass yield = 100 %);
- top causes: non-conformities per defect type.
"""
from sql import Null
from sql.aggregate import Count, Max, Min, Sum
from sql.conditionals import Case, Coalesce

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval

from .catalogue import FINISHES


def _inspected_jobs():
    """Query of (order, nonconformities) for each inspected coating job."""
    pool = Pool()
    Order = pool.get('service.order')
    History = pool.get('service.order.stage.history')
    Stage = pool.get('service.order.stage')
    NC = pool.get('coating.nonconformity')
    history = History.__table__()
    stage = Stage.__table__()
    nc = NC.__table__()
    order = Order.__table__()
    reached = history.join(stage, condition=history.to_stage == stage.id
        ).select(history.order.as_('order'),
        where=stage.code == 'qc', group_by=[history.order])
    ncs = nc.select(nc.order.as_('order'), Count(nc.id).as_('count'),
        group_by=[nc.order])
    return (order.join(reached, condition=reached.order == order.id)
        .join(ncs, 'LEFT', condition=ncs.order == order.id)), order, ncs


class RatesMixin:
    __slots__ = ()
    jobs = fields.Integer("Inspected Jobs")
    jobs_with_nc = fields.Integer("Jobs with NC")
    nonconformities = fields.Integer("Non-Conformities")
    nc_rate = fields.Function(fields.Float("NC Rate (%)", digits=(16, 1)),
        'get_rates')
    first_pass_yield = fields.Function(fields.Float(
            "First-Pass Yield (%)", digits=(16, 1)), 'get_rates')

    def get_rates(self, name):
        "NC rate and first-pass yield in % of the inspected jobs."
        if not self.jobs:
            return None
        rate = 100 * (self.jobs_with_nc or 0) / self.jobs
        return round(rate if name == 'nc_rate' else 100 - rate, 1)

    @staticmethod
    def _counts(order, ncs):
        return [
            Count(order.id).as_('jobs'),
            Sum(Case((Coalesce(ncs.count, 0) > 0, 1), else_=0)).as_(
                'jobs_with_nc'),
            Sum(Coalesce(ncs.count, 0)).as_('nonconformities'),
            ]


class ShopStats(RatesMixin, ModelSQL, ModelView):
    "Coating Quality per Shop"
    __name__ = 'coating.stats.shop'

    company = fields.Many2One('company.company', "Shop")

    @classmethod
    def table_query(cls):
        query, order, ncs = _inspected_jobs()
        return query.select(
            order.company.as_('id'), order.company.as_('company'),
            *cls._counts(order, ncs),
            where=order.kind == 'coating',
            group_by=[order.company])


class PowderStats(RatesMixin, ModelSQL, ModelView):
    "Coating Quality per Powder"
    __name__ = 'coating.stats.powder'

    company = fields.Many2One('company.company', "Shop")
    powder = fields.Many2One('product.product', "Powder",
        context={'company': Eval('company', -1)}, depends={'company'})
    finish = fields.Selection(FINISHES, "Finish")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('nonconformities', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Product = pool.get('product.product')
        Template = pool.get('product.template')
        product = Product.__table__()
        template = Template.__table__()
        query, order, ncs = _inspected_jobs()
        query = query.join(product, condition=product.id == order.powder
            ).join(template, condition=template.id == product.template)
        return query.select(
            order.powder.as_('id'), Max(order.company).as_('company'),
            order.powder.as_('powder'),
            Max(template.powder_finish).as_('finish'),
            *cls._counts(order, ncs),
            where=(order.kind == 'coating') & (order.powder != Null),
            group_by=[order.powder])


class DefectStats(ModelSQL, ModelView):
    "Coating Non-Conformities per Cause"
    __name__ = 'coating.stats.defect'

    company = fields.Many2One('company.company', "Shop")
    defect_type = fields.Many2One('coating.defect.type', "Defect")
    nonconformities = fields.Integer("Non-Conformities")
    rework_minutes = fields.Integer("Rework (min)")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('nonconformities', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        NC = Pool().get('coating.nonconformity')
        nc = NC.__table__()
        return nc.select(
            nc.defect_type.as_('id'), Min(nc.company).as_('company'),
            nc.defect_type.as_('defect_type'),
            Count(nc.id).as_('nonconformities'),
            Sum(Coalesce(nc.rework_minutes, 0)).as_('rework_minutes'),
            group_by=[nc.defect_type])
