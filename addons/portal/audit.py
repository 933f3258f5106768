"Audit actions of the customer portal."
from trytond.pool import PoolMeta


class Audit(metaclass=PoolMeta):
    __name__ = 'workshop.audit'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.action.selection.extend([
                ('portal_invite', "Portal Invitation"),
                ('portal_sign_in', "Portal Sign-in"),
                ('portal_sign_out_all', "Portal Sign-out Everywhere"),
                ('portal_password', "Portal Password Set"),
                ('portal_export', "Portal Data Export"),
                ('portal_upload', "Portal Upload"),
                ])
