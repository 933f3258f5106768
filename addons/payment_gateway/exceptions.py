"Errors of online payments."
from trytond.exceptions import UserError


class GatewayUnavailable(Exception):
    """The provider did not answer usefully: timeout, connection refused,
    5xx or an unparsable answer. The customer is asked to try again; a
    pending transaction stays pending and the cron re-checks it."""


class GatewayError(UserError):
    """The provider refused the request (bad credentials, amount under its
    minimum, unsupported currency...); the message says why, for the
    shop."""


class PayLinkError(UserError):
    "A pay link cannot be used (nothing to pay, unsupported currency...)."
