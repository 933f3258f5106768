"Errors of electronic signatures."
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError


class SignatureError(UserError):
    """A quote cannot be signed: not waiting for a signature, already
    signed, not the signer's, changed since it was shown, terms not
    accepted, name missing or image refused. The message says why, in the
    customer's words; `reason` names the case for pages: 'other', 'signed',
    'state', 'expired', 'terms', 'name', 'image', 'changed' or 'render'."""

    def __init__(self, message, description='', reason=None):
        super().__init__(message, description)
        self.reason = reason


class ImmutableSignatureError(AccessError):
    "A journal entry was to be changed, copied or deleted."
