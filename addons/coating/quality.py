"""Quality control of coating jobs with the upstream `quality` module.

A shop's QC checklist is a `quality.control` (company = the shop) for the
operation "Coating Job Ready"; its points are the checks (boolean: adhesion
cross-cut passed, no runs; float with tolerances: film thickness in µm,
gloss units). An inspection is a `quality.inspection` whose origin is the
job. A coating job enters a stage of category *ready* only when, for each
active checklist of its shop, its latest inspection has passed; an owner or
admin may override it with a reason, which is audited.
"""
from trytond.i18n import gettext
from trytond.modules.quality.quality import ControlledMixin
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .exceptions import QualityControlError

OPERATION = 'service.order:coating_ready'

#: The default final checklist of a new coating shop: (point name, message
#: of its label, type, lower and upper tolerance). Film thickness 60-120 µm
#: is the usual window of a single polyester coat (Qualicoat's minimum is
#: 60 µm on façade parts); cross-cut adhesion per ISO 2409.
DEFAULT_POINTS = [
    ('thickness', 'msg_qc_point_thickness', 'float', 60., 120.),
    ('adhesion', 'msg_qc_point_adhesion', 'boolean', None, None),
    ('appearance', 'msg_qc_point_appearance', 'boolean', None, None),
    ('colour', 'msg_qc_point_colour', 'boolean', None, None),
    ]


class Control(metaclass=PoolMeta):
    __name__ = 'quality.control'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.operations.selection.append((OPERATION, "Coating Job Ready"))

    @classmethod
    def create_coating_defaults(cls, company, language=None):
        """Give the coating shop `company` (company.company) the default
        final checklist (DEFAULT_POINTS) when it has no checklist for
        "Coating Job Ready" yet, its labels in `language` (a code, default
        the transaction's); return the shop's checklists for it.

        Used by the hosted sign-up: a new shop's jobs are checked before
        they are ready from the first day."""
        context = {'language': language} if language else {}
        # Setting up a shop is a system action: the shop may not yet be
        # one of the current user's companies.
        with without_check_access(), Transaction().set_context(context):
            existing = cls.search([
                    ('company', '=', company.id),
                    ('operations', 'in', [OPERATION]),
                    ])
            if existing:
                return existing
            points = []
            for name, message, type_, lower, upper in DEFAULT_POINTS:
                point = {
                    'name': name,
                    'string': gettext('coating.' + message),
                    'type_': type_,
                    }
                if type_ == 'float':
                    point.update(tolerance_lower=lower,
                        tolerance_upper=upper)
                points.append(point)
            return cls.create([{
                        'name': gettext('coating.msg_qc_default_name'),
                        'company': company.id,
                        'operations': [OPERATION],
                        'points': [('create', points)],
                        }])


class Inspection(metaclass=PoolMeta):
    __name__ = 'quality.inspection'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.origin.domain['service.order'] = [
            ('company', '=', Eval('company', -1)),
            ]

    @classmethod
    def _get_origins(cls):
        return super()._get_origins() + ['service.order']


class Order(ControlledMixin, metaclass=PoolMeta):
    __name__ = 'service.order'

    def coating_checklists(self):
        "Return the active QC checklists (quality.control) of the job's shop."
        Control = Pool().get('quality.control')
        return Control.search([
                ('operations', 'in', [OPERATION]),
                ('company', 'in', [self.company.id, None]),
                ])

    def coating_qc_missing(self):
        """Return the checklists whose latest inspection of this job has not
        passed, as a list of (control, state or None when never inspected).
        """
        latest = {}
        for inspection in sorted(self.quality_inspections,
                key=lambda i: i.id):
            latest[inspection.control] = inspection.state
        return [(c, latest.get(c)) for c in self.coating_checklists()
            if latest.get(c) != 'passed']

    @property
    def coating_qc_passed(self):
        "True when every QC checklist of the shop passed for this job."
        return not self.coating_qc_missing()

    @classmethod
    def _check_stage_change(cls, orders, stage_id):
        """Refuse coating jobs entering a *ready* stage without a passed QC,
        unless the context has `qc_override` (with `override_reason`): the
        override is audited."""
        Audit = Pool().get('workshop.audit')
        changes = super()._check_stage_change(orders, stage_id)
        context = Transaction().context
        for order, _, to in changes:
            if order.kind != 'coating' or to.category != 'ready':
                continue
            missing = order.coating_qc_missing()
            if not missing:
                continue
            if context.get('qc_override'):
                Audit.log('override', [order], description=(
                        "QC override (%s): %s" % (
                            ', '.join(c.name for c, _ in missing),
                            context.get('override_reason') or '')))
                continue
            raise QualityControlError(gettext(
                    'coating.msg_qc_not_passed', order=order.rec_name,
                    stage=to.name, controls=', '.join(
                        '%s (%s)' % (c.name, s or '-') for c, s in missing)))
        return changes
