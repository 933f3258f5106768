"""Configurable workshop stages and the history of stage changes.

Stages belong to one shop and one kind of order. Their `category` is fixed
(intake, open, done, ready, delivered, cancelled) so that reports and rules
do not depend on the names a shop chooses.
"""
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, sequence_ordered, fields)
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

CATEGORIES = [
    ('intake', "Intake"),
    ('open', "Open"),
    ('done', "Done"),
    ('ready', "Ready"),
    ('delivered', "Delivered"),
    ('cancelled', "Cancelled"),
    ]


class Stage(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    "Service Order Stage"
    __name__ = 'service.order.stage'

    company = fields.Many2One(
        'company.company', "Shop", required=True, ondelete='CASCADE')
    kind = fields.Selection('get_kinds', "Kind", required=True)
    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char(
        "Code", help="Stable identifier used by data and integrations.")
    category = fields.Selection(CATEGORIES, "Category", required=True)
    next_stages = fields.Many2Many(
        'service.order.stage.transition', 'from_', 'to', "Next Stages",
        domain=[
            ('company', '=', Eval('company', -1)),
            ('kind', '=', Eval('kind')),
            ('id', '!=', Eval('id', -1)),
            ])
    notify = fields.Boolean(
        "Notify Customer",
        help="Entering this stage sends the customer a message.")
    email_subject = fields.Char(
        "Email Subject", translate=True,
        states={'invisible': ~Eval('notify')},
        help="Placeholders: {number}, {shop}, {customer}, {stage}, "
        "{tracking_url}.")
    email_body = fields.Text(
        "Email Body", translate=True,
        states={'invisible': ~Eval('notify')},
        help="Placeholders: {number}, {shop}, {customer}, {stage}, "
        "{tracking_url}, {promised_date}, {amount_due}.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('kind', 'ASC'))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def get_kinds(cls):
        Order = Pool().get('service.order')
        return Order.fields_get(['kind'])['kind']['selection']

    @classmethod
    def get_default_stages(cls, kind):
        """Return the default stages of a kind as a list of dicts.

        Each dict has code, name, category, notify, email_subject,
        email_body and `next` (a list of codes). Verticals extend it.
        """
        return []

    @classmethod
    def create_defaults(cls, company, kind):
        """Create the default stages of `kind` for `company` if it has none.

        Returns the stages of that company and kind.
        """
        with without_check_access():
            return cls._create_defaults(company, kind)

    @classmethod
    def _create_defaults(cls, company, kind):
        # Setting up a shop is a system action: the shop may not yet be
        # one of the current user's companies.
        existing = cls.search([
                ('company', '=', company.id), ('kind', '=', kind)])
        if existing:
            return existing
        defaults = cls.get_default_stages(kind)
        stages = cls.create([{
                    'company': company.id,
                    'kind': kind,
                    'sequence': i * 10,
                    **{k: v for k, v in d.items() if k != 'next'},
                    } for i, d in enumerate(defaults, 1)])
        by_code = {s.code: s.id for s in stages}
        to_write = []
        for stage, values in zip(stages, defaults):
            if values.get('next'):
                to_write.extend(([stage], {'next_stages': [('add', [
                                    by_code[c] for c in values['next']])]}))
        if to_write:
            cls.write(*to_write)
        return stages


class StageTransition(ModelSQL):
    "Service Order Stage Transition"
    __name__ = 'service.order.stage.transition'

    from_ = fields.Many2One(
        'service.order.stage', "From", required=True, ondelete='CASCADE')
    to = fields.Many2One(
        'service.order.stage', "To", required=True, ondelete='CASCADE')


class StageHistory(ModelSQL, ModelView):
    "Service Order Stage History"
    __name__ = 'service.order.stage.history'

    order = fields.Many2One(
        'service.order', "Order", required=True, ondelete='CASCADE')
    company = fields.Many2One(
        'company.company', "Shop", required=True, readonly=True)
    from_stage = fields.Many2One(
        'service.order.stage', "From", readonly=True, ondelete='RESTRICT')
    to_stage = fields.Many2One(
        'service.order.stage', "To", required=True, readonly=True,
        ondelete='RESTRICT')
    user = fields.Many2One('res.user', "User", readonly=True)
    date = fields.DateTime("Date", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'ASC'), ('id', 'ASC')]
        cls.__access__.add('order')

    @classmethod
    def write(cls, *args):
        if Transaction().user and Transaction().check_access:
            raise AccessError(gettext('service_order.msg_history_readonly'))
        super().write(*args)
