"Audit actions of staff sign-in, two-factor sign-in and roles."
from trytond.pool import PoolMeta


class Audit(metaclass=PoolMeta):
    __name__ = 'workshop.audit'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        known = {k for k, _ in cls.action.selection}
        cls.action.selection.extend([a for a in [
                    ('sign_in', "Staff Sign-in"),
                    ('sign_in_failure', "Staff Sign-in Failure"),
                    ('totp_enabled', "Two-Factor Enabled"),
                    ('totp_disabled', "Two-Factor Disabled"),
                    ('totp_reset', "Two-Factor Reset"),
                    ('totp_recovery_used', "Recovery Code Used"),
                    ('totp_recovery_new', "Recovery Codes Renewed"),
                    ('role_change', "Role Change"),
                    ] if a[0] not in known])
