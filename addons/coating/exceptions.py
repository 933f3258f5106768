"Errors of the coating module."
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError

from trytond.modules.service_order.exceptions import StageTransitionError


class CoatingQuoteError(UserError):
    "The live quote of a job cannot be computed or written."


class QualityControlError(StageTransitionError):
    "A coating job cannot be ready: its QC checklist has not passed."


class NonConformityError(ValidationError):
    "A non-conformity is inconsistent (shop, stage, defect type)."
