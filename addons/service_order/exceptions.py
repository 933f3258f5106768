from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class StageTransitionError(ValidationError):
    pass


class DeliveryError(UserError):
    pass
