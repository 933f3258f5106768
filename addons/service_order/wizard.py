"Wizards of the service order: change of stage, delivery override."
from trytond.model import ModelView, fields
from trytond.pyson import Eval
from trytond.wizard import Button, StateTransition, StateView, Wizard


class ChangeStageStart(ModelView):
    "Change Stage"
    __name__ = 'service.order.change_stage.start'

    order = fields.Many2One('service.order', "Order", readonly=True)
    current_stage = fields.Many2One(
        'service.order.stage', "Current Stage", readonly=True)
    allowed_stages = fields.Many2Many(
        'service.order.stage', None, None, "Allowed Stages", readonly=True)
    stage = fields.Many2One(
        'service.order.stage', "New Stage", required=True,
        domain=[('id', 'in', Eval('allowed_stages', []))])
    payment_state = fields.Char("Payment State", readonly=True)
    deliver_unpaid = fields.Boolean(
        "Deliver Unpaid",
        states={'invisible': Eval('payment_state') == 'paid'},
        help="Hand the order over although it is not paid. "
        "This override is recorded in the audit trail.")
    override_reason = fields.Char(
        "Override Reason",
        states={
            'invisible': ~Eval('deliver_unpaid'),
            'required': Eval('deliver_unpaid', False),
            })


class ChangeStage(Wizard):
    "Change Stage"
    __name__ = 'service.order.change_stage'

    start = StateView('service.order.change_stage.start',
        'service_order.change_stage_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Change", 'change', 'tryton-ok', default=True),
            ])
    change = StateTransition()

    def default_start(self, fields):
        order = self.record
        return {
            'order': order.id,
            'current_stage': order.stage.id,
            'allowed_stages': [s.id for s in order.stage.next_stages],
            'payment_state': order.payment_state,
            'deliver_unpaid': False,
            }

    def transition_change(self):
        self.record.set_stage(
            self.start.stage,
            deliver_unpaid=bool(self.start.deliver_unpaid),
            reason=self.start.override_reason)
        return 'end'
