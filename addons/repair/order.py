"Repair tickets: service orders of kind repair, with device and warranty."
import datetime

from dateutil.relativedelta import relativedelta

from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import ValidationError
from trytond.pool import PoolMeta
from trytond.pyson import Eval

_BODY = (
    "Bonjour {customer},\n\n%s\n\n"
    "Suivez votre réparation à tout moment : {tracking_url}\n\n"
    "{shop}")
# (code, name, category, notify, subject, message, next codes)
DEFAULT_STAGES = [
    ('received', "Reçu", 'intake', True,
        "{shop} : réparation {number} enregistrée",
        "Nous avons bien reçu votre appareil (réparation {number}).",
        ['diagnosed', 'cancelled']),
    ('diagnosed', "Diagnostiqué", 'open', True,
        "{shop} : diagnostic de la réparation {number}",
        "Le diagnostic de votre appareil est fait ; "
        "nous vous contactons pour le devis.",
        ['in_progress', 'cancelled']),
    ('in_progress', "En cours", 'open', False, None, None,
        ['done', 'diagnosed', 'cancelled']),
    ('done', "Terminé", 'done', False, None, None,
        ['ready', 'in_progress']),
    ('ready', "Prêt", 'ready', True,
        "{shop} : votre appareil est prêt ({number})",
        "Votre appareil est réparé et vous attend en boutique. "
        "Montant restant dû : {amount_due}.",
        ['delivered', 'in_progress']),
    ('delivered', "Livré", 'delivered', False, None, None, []),
    ('cancelled', "Annulé", 'cancelled', True,
        "{shop} : réparation {number} annulée",
        "Votre réparation {number} a été annulée. "
        "Votre appareil est à récupérer en boutique.",
        []),
    ]


class Stage(metaclass=PoolMeta):
    __name__ = 'service.order.stage'

    @classmethod
    def get_default_stages(cls, kind):
        "Received → Diagnosed → In progress → Done → Ready → Delivered."
        stages = super().get_default_stages(kind)
        if kind == 'repair':
            stages = [{
                    'code': code, 'name': name, 'category': category,
                    'notify': notify, 'email_subject': subject,
                    'email_body': _BODY % message if message else None,
                    'next': nexts,
                    } for code, name, category, notify, subject, message,
                nexts in DEFAULT_STAGES]
        return stages


class Order(metaclass=PoolMeta):
    __name__ = 'service.order'

    _repair_states = {'invisible': Eval('kind') != 'repair'}

    device = fields.Many2One(
        'repair.device', "Device", ondelete='RESTRICT',
        domain=[('party', '=', Eval('party', -1))],
        states=_repair_states)
    accessories = fields.Text(
        "Accessories Left", states=_repair_states,
        help="Charger, case, SIM card, memory card... left with the device.")
    device_condition = fields.Text(
        "Condition at Intake", states=_repair_states,
        help="Scratches, cracks, missing parts noted with the customer.")
    fault = fields.Text("Reported Fault", states=_repair_states)
    diagnosis = fields.Text("Diagnosis", states=_repair_states)
    warranty_months = fields.Integer(
        "Warranty (months)", states=_repair_states,
        domain=['OR', ('warranty_months', '=', None),
            ('warranty_months', '>=', 0)])
    warranty_of = fields.Many2One(
        'service.order', "Warranty of", ondelete='RESTRICT',
        domain=[
            ('kind', '=', 'repair'),
            ('company', '=', Eval('company', -1)),
            ('party', '=', Eval('party', -1)),
            ('id', '!=', Eval('id', -1)),
            ],
        states=_repair_states,
        help="The earlier repair whose warranty covers this one.")
    delivered_at = fields.Function(
        fields.DateTime("Delivered At"), 'get_delivered_at')
    warranty_until = fields.Function(
        fields.Date("Warranty Until"), 'get_warranty_until')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.kind.selection.append(('repair', "Repair"))

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/form/notebook/page[@id="repair"]', 'states', {
                    'invisible': Eval('kind') != 'repair',
                    }),
            ]

    @classmethod
    def default_warranty_months(cls):
        return 3

    def get_delivered_at(self, name):
        for entry in self.history:
            if entry.to_stage.category == 'delivered':
                return entry.date

    def get_warranty_until(self, name):
        """Last day covered: delivery date + warranty months. A repair
        under warranty keeps the warranty of the first repair."""
        if self.warranty_of:
            return self.warranty_of.warranty_until
        if self.delivered_at and self.warranty_months:
            return (self.delivered_at.date()
                + relativedelta(months=self.warranty_months))

    @classmethod
    def validate_fields(cls, orders, field_names):
        super().validate_fields(orders, field_names)
        if not field_names or field_names & {'warranty_of', 'intake_date'}:
            for order in orders:
                order.check_warranty()

    def check_warranty(self):
        "Refuse a warranty link to a repair whose warranty has run out."
        if not self.warranty_of:
            return
        until = self.warranty_of.warranty_until
        intake = (self.intake_date or datetime.datetime.now()).date()
        if not until or intake > until:
            raise ValidationError(gettext(
                    'repair.msg_warranty_expired',
                    order=self.rec_name,
                    original=self.warranty_of.rec_name,
                    until=until or '-'))
