"""Coating batches: coating jobs of one compatibility key (key.py) sprayed
with one powder and cured together.

A batch is created from a recommendation or by hand (draft), launched (its
jobs move to the stage coded 'coating'), then closed (its jobs move to the
stage coded 'curing' and the powder used is recorded per job), or
cancelled while draft.

Stage moves go through `service.order.write`, which checks the allowed
transitions. Launching refuses a job whose current stage cannot go to
'coating' directly, naming the job and its allowed moves: stepping it
automatically through sandblasting or masking would write history rows for
work nobody did. With the coating module's default stages every waiting
stage (received, sandblasting, masking, primer) may go to 'coating'.

The model refuses, whatever the screen, a job that is not a coating job of
the batch's shop, is not ready (no powder, cure or pretreatment), is not
waiting for coating (draft batches), is already in another open batch, or
whose key differs from the batch's.
"""
import datetime
from collections import defaultdict

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.coating.job import PRETREATMENT_GROUPS, WAITING_STAGES
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction

from . import grouping, loadplan
from trytond.modules.workshop.sequence import next_number

from .grouping import split_powder
from .key import differences, make_key, normalise_reference

STATES = [
    ('draft', "Draft"),
    ('launched', "Launched"),
    ('closed', "Closed"),
    ('cancelled', "Cancelled"),
    ]
OPEN_STATES = ('draft', 'launched')
#: Member names of the key, in French, for the messages.
KEY_LABELS = {
    'powder': "poudre", 'ral': "RAL", 'finish': "finition",
    'powder_type': "type de poudre", 'coats': "couches",
    'primer': "primaire", 'varnish': "vernis",
    'cure_temperature': "température de cuisson",
    'cure_minutes': "durée de cuisson",
    'pretreatment': "groupe de prétraitement",
    }


class BatchError(ValidationError):
    pass


def powder_identity(template, product_id):
    """Return the powder member of the key: 'BRAND/REFERENCE' of the
    product template, else 'product:<id>' (same product, same powder)."""
    return (normalise_reference(template.powder_brand,
            template.powder_reference) or 'product:%d' % product_id)


class Batch(Workflow, ModelSQL, ModelView):
    "Coating Batch"
    __name__ = 'coating.batch'
    _rec_name = 'number'

    _readonly = {'readonly': Eval('state') != 'draft'}

    company = fields.Many2One(
        'company.company', "Shop", required=True,
        states={'readonly': (Eval('state') != 'draft') | Eval('jobs', [0])})
    number = fields.Char("Number", readonly=True)
    state = fields.Selection(STATES, "State", readonly=True, required=True,
        sort=False)
    jobs = fields.Many2Many('coating.batch-service.order', 'batch', 'order',
        "Jobs", states=_readonly,
        domain=[('kind', '=', 'coating')],
        help="Coating jobs of identical powder, coats, options, cure and "
        "pretreatment.")
    powder = fields.Many2One('product.product', "Powder", readonly=True,
        context={'company': Eval('company', -1)}, depends={'company'},
        help="Copied from the first job.")
    coats = fields.Integer("Coats", readonly=True)
    primer = fields.Boolean("Primer", readonly=True)
    varnish = fields.Boolean("Varnish", readonly=True)
    cure_temperature = fields.Integer("Cure Temperature (°C)", readonly=True)
    cure_minutes = fields.Integer("Cure Time (min)", readonly=True)
    pretreatment = fields.Char("Pretreatment", readonly=True,
        help="Pretreatment group(s) of the parts.")
    key_label = fields.Function(fields.Char("Compatibility"),
        'get_key_label')
    oven = fields.Many2One('coating.oven', "Oven",
        domain=[('company', '=', Eval('company', -1))],
        states={'readonly': Eval('state').in_(['closed', 'cancelled'])})
    planned_date = fields.Date("Planned Date",
        states={'readonly': Eval('state').in_(['closed', 'cancelled'])})
    cure_sequence = fields.Integer("Cure Order",
        states={'readonly': Eval('state').in_(['closed', 'cancelled'])},
        help="Suggested by \"Suggest Cure Order\": urgency first, then "
        "equal temperatures together, hottest first.")
    powder_used = fields.Float("Powder Used (kg)", digits=(16, 3),
        domain=['OR', ('powder_used', '=', None), ('powder_used', '>=', 0)],
        states={'readonly': Eval('state').in_(['closed', 'cancelled'])},
        help="Weighed when the batch is closed; split across the jobs in "
        "proportion to their surface, except jobs with their own figure.")
    launched_at = fields.DateTime("Launched At", readonly=True)
    closed_at = fields.DateTime("Closed At", readonly=True)
    loads = fields.One2Many('coating.batch.load', 'batch', "Load Plan",
        readonly=True)
    load_count = fields.Integer("Oven Loads", readonly=True)
    load_bound = fields.Integer("Lower Bound", readonly=True,
        help="No plan can use fewer loads: weight, volume and hanging "
        "length of the parts against the oven's.")
    job_count = fields.Function(fields.Integer("Jobs"), 'get_figures')
    part_count = fields.Function(fields.Integer("Parts"), 'get_figures')
    surface = fields.Function(
        fields.Float("Surface (m²)", digits=(16, 3)), 'get_figures')
    powder_estimate = fields.Function(
        fields.Float("Powder Estimate (kg)", digits=(16, 3)), 'get_figures')
    promised_date = fields.Function(
        fields.Date("Earliest Promised Date"), 'get_figures')

    del _readonly

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('cure_sequence', 'ASC NULLS LAST'), ('planned_date', 'ASC'),
            ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'launched'),
            ('launched', 'closed'),
            ('draft', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'launch': {
                    'invisible': Eval('state') != 'draft',
                    'readonly': ~Eval('jobs', []),
                    'depends': ['state', 'jobs'],
                    },
                'close': {
                    'invisible': Eval('state') != 'launched',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'depends': ['state'],
                    },
                'plan_loads': {
                    'invisible': Eval('state').in_(['closed', 'cancelled']),
                    'readonly': ~Bool(Eval('oven')) | ~Eval('jobs', []),
                    'depends': ['state', 'oven', 'jobs'],
                    },
                'suggest_cure_order': {
                    'invisible': Eval('state').in_(['closed', 'cancelled']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    # -- key ------------------------------------------------------------

    @classmethod
    def job_key(cls, order):
        """Return the CompatibilityKey of a coating job (service.order), or
        None when it is not ready for batching."""
        if order.kind != 'coating' or not order.powder:
            return None
        template = order.powder.template
        return make_key(
            powder_identity(template, order.powder.id),
            template.ral.code if template.ral else '',
            template.powder_finish, template.powder_type,
            order.coats, order.primer, order.varnish,
            order.cure_temperature, order.cure_minutes,
            [PRETREATMENT_GROUPS.get(p.substrate)
                for p in order.coating_parts])

    def get_key(self):
        "Return the CompatibilityKey stored on the batch, or None."
        if not self.powder:
            return None
        template = self.powder.template
        return make_key(
            powder_identity(template, self.powder.id),
            template.ral.code if template.ral else '',
            template.powder_finish, template.powder_type,
            self.coats, self.primer, self.varnish,
            self.cure_temperature, self.cure_minutes,
            (self.pretreatment or '').split('+'))

    def get_key_label(self, name):
        key = self.get_key()
        return key.label() if key else None

    @classmethod
    def _key_values(cls, order):
        "Return the values of the batch key fields copied from `order`."
        return {
            'powder': order.powder.id if order.powder else None,
            'coats': order.coats,
            'primer': bool(order.primer),
            'varnish': bool(order.varnish),
            'cure_temperature': order.cure_temperature,
            'cure_minutes': order.cure_minutes,
            'pretreatment': '+'.join(sorted({
                        PRETREATMENT_GROUPS.get(p.substrate)
                        for p in order.coating_parts
                        if PRETREATMENT_GROUPS.get(p.substrate)})) or None,
            }

    #: Fields whose change makes the batch check its jobs again.
    _check_fields = {'jobs', 'company', 'state', 'powder', 'coats', 'primer',
        'varnish', 'cure_temperature', 'cure_minutes', 'pretreatment'}

    @classmethod
    def validate_fields(cls, batches, field_names):
        super().validate_fields(batches, field_names)
        if not field_names or field_names & cls._check_fields:
            for batch in batches:
                batch.check_jobs()

    def check_jobs(self):
        """Raise BatchError for the first job that may not be in this batch
        (see the module docstring)."""
        pool = Pool()
        Relation = pool.get('coating.batch-service.order')
        if self.state == 'cancelled' or not self.jobs:
            return
        reference = self.get_key()
        for job in self.jobs:
            if job.company != self.company:
                raise BatchError(gettext(
                        'coating_batch.msg_job_other_shop',
                        job=job.rec_name, batch=self.rec_name))
            if job.kind != 'coating':
                raise BatchError(gettext(
                        'coating_batch.msg_job_not_coating',
                        job=job.rec_name, batch=self.rec_name))
            key = self.job_key(job)
            if key is None:
                raise BatchError(gettext(
                        'coating_batch.msg_job_not_ready',
                        job=job.rec_name, batch=self.rec_name))
            if self.state == 'draft' and (
                    job.stage.code not in WAITING_STAGES):
                raise BatchError(gettext(
                        'coating_batch.msg_job_not_waiting',
                        job=job.rec_name, batch=self.rec_name,
                        stage=job.stage.name))
            if reference is None:
                reference = key
            elif key != reference:
                raise BatchError(gettext(
                        'coating_batch.msg_job_incompatible',
                        job=job.rec_name, batch=self.rec_name,
                        differences=', '.join(KEY_LABELS.get(d, d)
                            for d in differences(key, reference)),
                        job_key=key.label(), batch_key=reference.label()))
        others = Relation.search([
                ('order', 'in', [j.id for j in self.jobs]),
                ('batch', '!=', self.id),
                ('batch.state', 'in', OPEN_STATES),
                ], limit=1)
        if others:
            other, = others
            raise BatchError(gettext(
                    'coating_batch.msg_job_other_batch',
                    job=other.order.rec_name, batch=self.rec_name,
                    other=other.batch.rec_name))

    # -- figures --------------------------------------------------------

    @classmethod
    def get_figures(cls, batches, names):
        result = {n: {} for n in names}
        for batch in batches:
            dates = [j.promised_date for j in batch.jobs if j.promised_date]
            values = {
                'job_count': len(batch.jobs),
                'part_count': sum(p.quantity or 0 for j in batch.jobs
                    for p in j.coating_parts),
                'surface': round(sum(j.coating_surface or 0
                        for j in batch.jobs), 3),
                'powder_estimate': round(sum(j.powder_estimate or 0
                        for j in batch.jobs), 3),
                'promised_date': min(dates) if dates else None,
                }
            for name in names:
                result[name][batch.id] = values[name]
        return result

    # -- creation, numbering and references ----------------------------

    @classmethod
    def _new_number(cls, company):
        "Return the next number of shop `company` (id)'s batch sequence."
        return next_number('coating_batch.sequence_type_batch', company,
            "Coating Batches", 'LOT-${date_Y}-', 4)

    @classmethod
    def create(cls, vlist):
        vlist = [v.copy() for v in vlist]
        for values in vlist:
            values.setdefault('company', cls.default_company())
            if not values.get('number'):
                values['number'] = cls._new_number(values['company'])
        batches = super().create(vlist)
        cls._sync(batches, [])
        return batches

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        all_batches, before, references = [], [], False
        for batches, values in zip(actions, actions):
            all_batches.extend(batches)
            if 'jobs' in values or 'state' in values:
                references = True
                before.extend(j.id for b in batches for j in b.jobs)
        super().write(*args)
        cls._sync(cls.browse(all_batches), before, references=references)

    @classmethod
    def _sync(cls, batches, old_job_ids, references=True):
        """Copy the key from the first job into batches that have none,
        clear it from draft batches left without jobs, and write the batch
        number on the jobs (`coating_batch_reference`)."""
        to_write = []
        for batch in batches:
            if batch.jobs and not batch.powder:
                first = min(batch.jobs, key=lambda j: j.id)
                to_write.extend(([batch], cls._key_values(first)))
            elif not batch.jobs and batch.powder and batch.state == 'draft':
                to_write.extend(([batch], {
                            'powder': None, 'coats': None,
                            'primer': False, 'varnish': False,
                            'cure_temperature': None, 'cure_minutes': None,
                            'pretreatment': None,
                            }))
        if to_write:
            super().write(*to_write)
        job_ids = set(old_job_ids) | {j.id for b in batches for j in b.jobs}
        if job_ids and references:
            cls._write_references(job_ids)

    @classmethod
    def _write_references(cls, job_ids):
        "Write on each job the number of its latest batch not cancelled."
        pool = Pool()
        Order = pool.get('service.order')
        Relation = pool.get('coating.batch-service.order')
        latest = {}
        for row in Relation.search([
                    ('order', 'in', list(job_ids)),
                    ('batch.state', '!=', 'cancelled'),
                    ], order=[('batch', 'ASC')]):
            latest[row.order.id] = row.batch.number
        by_reference = defaultdict(list)
        for job in Order.browse(list(job_ids)):
            reference = latest.get(job.id)
            if job.coating_batch_reference != reference:
                by_reference[reference].append(job)
        to_write = []
        for reference, jobs in by_reference.items():
            to_write.extend((jobs, {'coating_batch_reference': reference}))
        if to_write:
            with Transaction().set_context(_check_access=False):
                Order.write(*to_write)

    @classmethod
    def copy(cls, batches, default=None):
        default = default.copy() if default else {}
        for name in ['number', 'jobs', 'loads', 'load_count', 'load_bound',
                'powder_used', 'launched_at', 'closed_at', 'cure_sequence',
                'powder', 'coats', 'cure_temperature', 'cure_minutes',
                'pretreatment']:
            default.setdefault(name, None)
        default.setdefault('state', 'draft')
        return super().copy(batches, default=default)

    @classmethod
    def delete(cls, batches):
        for batch in batches:
            if batch.state not in {'draft', 'cancelled'}:
                raise AccessError(gettext(
                        'coating_batch.msg_batch_delete',
                        batch=batch.rec_name))
        job_ids = {j.id for b in batches for j in b.jobs}
        Pool().get('workshop.audit').log_deletion(batches)
        super().delete(batches)
        if job_ids:
            cls._write_references(job_ids)

    @classmethod
    def from_recommendation(cls, company, job_ids, oven=None,
            planned_date=None):
        "Create and return a draft batch of `job_ids` for `company`."
        batch, = cls.create([{
                    'company': getattr(company, 'id', company),
                    'jobs': [('add', list(job_ids))],
                    'oven': getattr(oven, 'id', oven),
                    'planned_date': planned_date,
                    }])
        return batch

    # -- workflow -------------------------------------------------------

    @classmethod
    def _stage(cls, company, code):
        "Return the coating stage of `company` coded `code`."
        Stage = Pool().get('service.order.stage')
        stages = Stage.search([
                ('company', '=', company.id),
                ('kind', '=', 'coating'),
                ('code', '=', code),
                ], limit=1)
        if not stages:
            raise BatchError(gettext('coating_batch.msg_no_stage',
                    shop=company.rec_name, code=code))
        return stages[0]

    @classmethod
    def _move_jobs(cls, batch, code):
        """Move the jobs of `batch` to the stage coded `code`; refuse, naming
        the job, when its stage cannot go there directly."""
        Order = Pool().get('service.order')
        stage = cls._stage(batch.company, code)
        moving = []
        for job in batch.jobs:
            if job.stage == stage:
                continue
            if stage not in job.stage.next_stages:
                raise BatchError(gettext(
                        'coating_batch.msg_job_cannot_move',
                        job=job.rec_name, batch=batch.rec_name,
                        stage=job.stage.name, to=stage.name,
                        allowed=', '.join(s.name
                            for s in job.stage.next_stages) or '-'))
            moving.append(job)
        if moving:
            Order.write(moving, {'stage': stage.id})

    @classmethod
    @ModelView.button
    @Workflow.transition('launched')
    def launch(cls, batches):
        """Move the jobs to the stage coded 'coating' (audited)."""
        Audit = Pool().get('workshop.audit')
        for batch in batches:
            if not batch.jobs:
                raise BatchError(gettext('coating_batch.msg_batch_empty',
                        batch=batch.rec_name))
            batch.check_jobs()
            cls._move_jobs(batch, 'coating')
        cls.write(batches, {'launched_at': datetime.datetime.now()})
        Audit.log_entries('batch_launch', [
                (b, ', '.join(j.number for j in b.jobs)) for b in batches])

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, batches):
        """Record the powder used per job (split_powder) and move the jobs
        to the stage coded 'curing' (audited)."""
        pool = Pool()
        Order = pool.get('service.order')
        Audit = pool.get('workshop.audit')
        for batch in batches:
            jobs = sorted(batch.jobs, key=lambda j: j.id)
            try:
                used, total = split_powder(batch.powder_used,
                    {j.id: j.powder_used for j in jobs},
                    {j.id: j.coating_surface or 0 for j in jobs})
            except ValueError as exception:
                raise BatchError(gettext(
                        'coating_batch.msg_powder_used_%s' % exception,
                        batch=batch.rec_name,
                        total=batch.powder_used or 0))
            to_write = []
            for job in jobs:
                if job.powder_used != used[job.id]:
                    to_write.extend(([job], {'powder_used': used[job.id]}))
            if to_write:
                Order.write(*to_write)
            cls._move_jobs(batch, 'curing')
            super().write([batch], {
                    'powder_used': total,
                    'closed_at': datetime.datetime.now(),
                    })
            Audit.log('batch_close', [batch], description=', '.join(
                    '%s: %s kg' % (j.number, used[j.id]) for j in jobs))

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, batches):
        "Cancel draft batches; their jobs are free for another batch."
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, batches):
        pass

    # -- load plan and cure order --------------------------------------

    def plan_parts(self):
        """Return the loadplan.Part of every coating part of the jobs,
        oriented to hang: see loadplan.hanging_orientation."""
        parts = []
        oven = self.oven.to_plan()
        for job in sorted(self.jobs, key=lambda j: j.id):
            for part in job.coating_parts:
                if not part.length or not part.width:
                    raise BatchError(gettext(
                            'coating_batch.msg_part_no_dimensions',
                            part=part.number or part.description,
                            job=job.rec_name, batch=self.rec_name))
                l, w, h = loadplan.hanging_orientation(
                    (part.length, part.width, part.height or 0), oven)
                parts.append(loadplan.Part(
                        id=part.id, length=l, width=w, height=h,
                        weight=part.weight or 0,
                        quantity=part.quantity or 0,
                        label='%s (%s)' % (
                            part.number or part.description, job.number)))
        return parts

    @classmethod
    @ModelView.button
    def plan_loads(cls, batches):
        """Compute the load plan of each batch in its oven (loadplan.plan)
        and store it as coating.batch.load rows, with the lower bound."""
        Load = Pool().get('coating.batch.load')
        Load.delete([l for b in batches for l in b.loads])
        rows, to_write = [], []
        for batch in batches:
            if not batch.oven:
                raise BatchError(gettext('coating_batch.msg_batch_no_oven',
                        batch=batch.rec_name))
            parts = batch.plan_parts()
            oven = batch.oven.to_plan()
            try:
                loads = loadplan.plan(parts, oven)
            except loadplan.PartTooLarge as exception:
                raise BatchError(gettext(
                        'coating_batch.msg_part_too_large',
                        part=exception.part.label, batch=batch.rec_name,
                        oven=batch.oven.rec_name, reason=exception.reason))
            for load in loads:
                for p in load:
                    rows.append({
                            'batch': batch.id, 'load': p.load,
                            'part': p.part, 'unit': p.unit,
                            'support': p.support,
                            'x': round(p.x), 'y': round(p.y),
                            'z': round(p.z), 'turned': p.turned,
                            })
            to_write.extend(([batch], {
                        'load_count': len(loads),
                        'load_bound': loadplan.lower_bound(parts, oven),
                        }))
        Load.create(rows)
        if to_write:
            cls.write(*to_write)

    @classmethod
    @ModelView.button
    def suggest_cure_order(cls, batches):
        """Number the open batches of the shops of `batches` in the order
        suggested by grouping.cure_order (urgency, then equal temperatures
        together, hottest first, then the longest oven use)."""
        companies = {b.company.id for b in batches}
        batches = cls.search([
                ('company', 'in', list(companies)),
                ('state', 'in', OPEN_STATES),
                ])
        by_id = {b.id: b for b in batches}
        to_write = []
        for company in companies:
            order = grouping.cure_order([grouping.Batch(
                        id=b.id, promised_date=b.promised_date,
                        priority=min((j.priority for j in b.jobs),
                            key=lambda p: grouping.PRIORITY_RANK.get(p, 2),
                            default='normal'),
                        cure_temperature=b.cure_temperature or 0,
                        cure_minutes=b.cure_minutes or 0,
                        loads=b.load_count or 1)
                    for b in batches if b.company.id == company])
            for sequence, batch_id in enumerate(order, 1):
                to_write.extend(([by_id[batch_id]],
                        {'cure_sequence': sequence}))
        if to_write:
            cls.write(*to_write)


class BatchOrder(ModelSQL):
    "Coating Batch - Job"
    __name__ = 'coating.batch-service.order'

    batch = fields.Many2One('coating.batch', "Batch", required=True,
        ondelete='CASCADE')
    order = fields.Many2One('service.order', "Job", required=True,
        ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('batch')


class Load(ModelSQL, ModelView):
    "Coating Batch Load"
    __name__ = 'coating.batch.load'

    batch = fields.Many2One('coating.batch', "Batch", required=True,
        ondelete='CASCADE')
    load = fields.Integer("Load", required=True,
        help="Oven load number, from 1.")
    part = fields.Many2One('coating.part', "Part", required=True,
        ondelete='CASCADE')
    job = fields.Function(fields.Many2One('service.order', "Job"),
        'on_change_with_job')
    unit = fields.Integer("Unit", help="Which one of the part's quantity.")
    support = fields.Integer("Bar or Cart")
    x = fields.Integer("From Left (mm)")
    y = fields.Integer("From Door (mm)")
    z = fields.Integer("From Floor (mm)")
    turned = fields.Boolean("Turned",
        help="Hung a quarter turn: its width along the bar.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('batch')
        cls._order = [('batch', 'ASC'), ('load', 'ASC'), ('support', 'ASC'),
            ('z', 'DESC'), ('x', 'ASC'), ('id', 'ASC')]

    @fields.depends('part')
    def on_change_with_job(self, name=None):
        return self.part.order if self.part else None


class Order(metaclass=PoolMeta):
    __name__ = 'service.order'

    coating_batches = fields.Many2Many('coating.batch-service.order',
        'order', 'batch', "Coating Batches", readonly=True,
        states={'invisible': Eval('kind') != 'coating'})

    _batch_key_fields = {'powder', 'coats', 'primer', 'varnish',
        'cure_temperature', 'cure_minutes', 'company', 'kind'}

    @classmethod
    def validate_fields(cls, orders, field_names):
        """Check again the open batches of coating jobs whose powder, coats,
        options or cure changed: a job may not drift out of its batch's
        key. (A change of a part's substrate is checked at launch.)"""
        super().validate_fields(orders, field_names)
        if field_names and not (field_names & cls._batch_key_fields):
            return
        Batch = Pool().get('coating.batch')
        ids = [o.id for o in orders if o.kind == 'coating']
        if not ids:
            return
        for batch in Batch.search([
                    ('jobs', 'in', ids),
                    ('state', 'in', OPEN_STATES),
                    ]):
            batch.check_jobs()


class Audit(metaclass=PoolMeta):
    __name__ = 'workshop.audit'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.action.selection += [
            ('batch_launch', "Coating Batch Launched"),
            ('batch_close', "Coating Batch Closed"),
            ]

