"Errors of the saas module (messages in message.xml)."
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class SignUpError(ValidationError):
    "A sign-up value is invalid (the message names the field)."


class QuotaError(UserError):
    "A file would take the shop over its storage quota."


class FeatureError(AccessError):
    "The shop's plan lacks the feature."


class BillingError(UserError):
    "The subscription billing is not configured or cannot proceed."
