"""Customers' portal side: their accounts, their notification preferences
(stored now, used by the notification channels later) and the invite
button."""
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    portal_users = fields.One2Many('web.user', 'party', "Portal Accounts",
        readonly=True)
    notify_by_email = fields.Boolean("Notify by Email",
        help="The customer accepts news of their jobs by email.")
    notify_by_sms = fields.Boolean("Notify by SMS",
        help="The customer accepts news of their jobs by SMS.")
    notify_by_whatsapp = fields.Boolean("Notify by WhatsApp",
        help="The customer accepts news of their jobs by WhatsApp.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'portal_invite': {
                    'invisible': ~Eval('company') | ~Eval('active', True),
                    'readonly': Eval('id', -1) < 0,
                    'depends': ['company', 'active', 'id'],
                    },
                })

    @classmethod
    def default_notify_by_email(cls):
        return True

    @classmethod
    def default_notify_by_sms(cls):
        return False

    @classmethod
    def default_notify_by_whatsapp(cls):
        return False

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default else {}
        default.setdefault('portal_users', None)
        return super().copy(parties, default=default)

    @classmethod
    @ModelView.button
    def portal_invite(cls, parties):
        """Invite the customers to the portal: an email with a link to
        choose their password (see web.user.portal_invite_parties)."""
        User = Pool().get('web.user')
        User.portal_invite_parties(parties)
