"Errors of the portal shown to staff."
from trytond.exceptions import UserError


class InviteError(UserError):
    "A customer cannot be invited to the portal."


class UploadError(Exception):
    """A customer's upload is refused; `reason` is 'size', 'type' or
    'empty'."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason
