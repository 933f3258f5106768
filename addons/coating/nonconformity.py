"""Non-conformities of coating jobs and the rework they cause.

A non-conformity (NC) records a defect found on a job: its type (from the
shop's list), a photo, a comment and the corrective action. "Send Back"
moves the job to the NC's return stage — Rework or an earlier step, even
when the current stage does not list it as next — and the rework minutes
and powder of the NC are added to the job's cost. Every NC is audited.
"""
import datetime

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Workflow, fields)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .exceptions import NonConformityError

#: The usual defects of powder coating: (code, message of the name).
DEFAULT_DEFECTS = [
    ('EPA', 'msg_defect_thin_film'),
    ('COU', 'msg_defect_runs'),
    ('ADH', 'msg_defect_adhesion'),
    ('INC', 'msg_defect_grain'),
    ('TEI', 'msg_defect_shade'),
    ('DEG', 'msg_defect_outgassing'),
    ]


class DefectType(DeactivableMixin, ModelSQL, ModelView):
    "Coating Defect Type"
    __name__ = 'coating.defect.type'

    company = fields.Many2One('company.company', "Shop", required=True,
        ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    code = fields.Char("Code")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('name', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def create_defaults(cls, company, language=None):
        """Give `company` (company.company) the usual defect types of
        powder coating (DEFAULT_DEFECTS: thin film, runs, adhesion, grain,
        shade, outgassing craters) when it has none, named in `language`
        (a code, default the transaction's); return its defect types."""
        context = {'language': language} if language else {}
        with without_check_access(), Transaction().set_context(context):
            existing = cls.search([('company', '=', company.id)])
            if existing:
                return existing
            return cls.create([{
                        'company': company.id,
                        'code': code,
                        'name': gettext('coating.' + message),
                        } for code, message in DEFAULT_DEFECTS])


class NonConformity(Workflow, ModelSQL, ModelView):
    "Coating Non-Conformity"
    __name__ = 'coating.nonconformity'

    _states = {'readonly': Eval('state') != 'open'}

    company = fields.Many2One('company.company', "Shop", required=True,
        states={'readonly': True})
    order = fields.Many2One('service.order', "Job", required=True,
        ondelete='CASCADE', states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('kind', '=', 'coating'),
            ])
    date = fields.DateTime("Date", required=True, states=_states)
    detected_stage = fields.Many2One('service.order.stage', "Detected at",
        ondelete='RESTRICT', states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('kind', '=', 'coating'),
            ])
    defect_type = fields.Many2One('coating.defect.type', "Defect",
        required=True, ondelete='RESTRICT', states=_states,
        domain=[('company', '=', Eval('company', -1))])
    photo = fields.Binary("Photo", filename='photo_name', states=_states)
    photo_name = fields.Char("Photo Name", states=_states)
    comment = fields.Text("Comment", states=_states)
    corrective_action = fields.Text("Corrective Action")
    return_stage = fields.Many2One('service.order.stage', "Send Back to",
        ondelete='RESTRICT', states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('kind', '=', 'coating'),
            ('category', 'in', ['intake', 'open']),
            ],
        help="The step the job goes back to: Rework or an earlier step.")
    rework_minutes = fields.Integer("Rework (min)",
        domain=['OR', ('rework_minutes', '=', None),
            ('rework_minutes', '>=', 0)])
    rework_powder = fields.Float("Rework Powder (kg)", digits=(16, 3),
        domain=['OR', ('rework_powder', '=', None),
            ('rework_powder', '>=', 0)])
    state = fields.Selection([
            ('open', "Open"),
            ('rework', "In Rework"),
            ('closed', "Closed"),
            ], "State", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('open', 'rework'),
            ('open', 'closed'),
            ('rework', 'closed'),
            }
        cls._buttons.update({
                'send_back': {
                    'invisible': Eval('state') != 'open',
                    'readonly': ~Eval('return_stage'),
                    'depends': ['state', 'return_stage'],
                    },
                'close': {
                    'invisible': Eval('state') == 'closed',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_date(cls):
        return datetime.datetime.now()

    @classmethod
    def default_state(cls):
        return 'open'

    @fields.depends('order', 'detected_stage', 'return_stage',
        '_parent_order.stage', '_parent_order.company')
    def on_change_order(self):
        if self.order:
            self.detected_stage = self.order.stage
            if not self.return_stage:
                self.return_stage = self.rework_stage(self.order.company)

    @staticmethod
    def rework_stage(company):
        "Return the shop's Rework stage (code 'rework') or None."
        Stage = Pool().get('service.order.stage')
        stages = Stage.search([
                ('company', '=', company.id), ('kind', '=', 'coating'),
                ('code', '=', 'rework'),
                ], limit=1)
        return stages[0] if stages else None

    def get_rec_name(self, name):
        return '%s: %s' % (self.order.rec_name, self.defect_type.rec_name)

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        if not field_names or field_names & {
                'company', 'order', 'defect_type', 'return_stage'}:
            for record in records:
                record.check_shop()

    def check_shop(self):
        "Refuse a defect type or a job of another shop (explicit message)."
        for name in ['order', 'defect_type', 'return_stage']:
            value = getattr(self, name)
            if value and value.company != self.company:
                raise NonConformityError(gettext(
                        'coating.msg_nc_other_shop',
                        field=self.__class__.fields_get([name])[name][
                            'string'],
                        value=value.rec_name, shop=self.company.rec_name))

    @classmethod
    def create(cls, vlist):
        Audit = Pool().get('workshop.audit')
        records = super().create(vlist)
        Audit.log_entries('nonconformity', [(r.order, "%s%s" % (
                        r.defect_type.name,
                        ': %s' % r.comment if r.comment else ''))
                for r in records])
        return records

    @classmethod
    @ModelView.button
    @Workflow.transition('rework')
    def send_back(cls, records):
        """Move each NC's job to its return stage (Rework or an earlier
        step), whatever the current stage allows."""
        for record in records:
            if not record.return_stage:
                raise NonConformityError(gettext(
                        'coating.msg_nc_no_return_stage',
                        nc=record.rec_name))
            with Transaction().set_context(coating_send_back=True):
                record.order.set_stage(record.return_stage)

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, records):
        pass


class Audit(metaclass=PoolMeta):
    __name__ = 'workshop.audit'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.action.selection.append(('nonconformity', "Non-Conformity"))


class Order(metaclass=PoolMeta):
    __name__ = 'service.order'

    nonconformities = fields.One2Many('coating.nonconformity', 'order',
        "Non-Conformities", states={'invisible': Eval('kind') != 'coating'})
    rework_minutes = fields.Function(fields.Integer("Rework (min)"),
        'get_rework')
    rework_powder = fields.Function(fields.Float("Rework Powder (kg)",
            digits=(16, 3)), 'get_rework')

    def get_rework(self, name):
        "Sum of the NCs' rework minutes or powder (kg)."
        return sum(getattr(nc, name) or 0 for nc in self.nonconformities)

    @classmethod
    def _check_stage_change(cls, orders, stage_id):
        """In the context `coating_send_back` (NC "Send Back"), coating
        jobs may go to a Rework or earlier stage the current one does not
        list."""
        Stage = Pool().get('service.order.stage')
        if not Transaction().context.get('coating_send_back'):
            return super()._check_stage_change(orders, stage_id)
        to = Stage(stage_id)
        back = [o for o in orders if o.kind == 'coating'
            and to.category in {'intake', 'open'}]
        changes = [(o, o.stage, to) for o in back if o.stage != to]
        others = [o for o in orders if o not in back]
        if others:
            changes += super()._check_stage_change(others, stage_id)
        return changes

    @classmethod
    def copy(cls, orders, default=None):
        default = default.copy() if default else {}
        default.setdefault('nonconformities', None)
        return super().copy(orders, default=default)
