"Errors of the powder_stock module."
from trytond.exceptions import UserError


class WeighingError(UserError):
    "A weighing is refused: the message says what is wrong with which box."


class CountError(UserError):
    "A counting session cannot be planned or closed."


class ReorderError(UserError):
    "Reorder suggestions cannot be computed or turned into requests."
