"Attachments the shop shares with the customer on the portal."
from trytond.model import fields
from trytond.pool import PoolMeta


class Attachment(metaclass=PoolMeta):
    __name__ = 'ir.attachment'

    portal_shared = fields.Boolean("Shared with the Customer",
        help="The customer sees and downloads this file on the portal "
        "(attachments of service orders only).")
    portal_uploaded_by = fields.Many2One('web.user', "Sent by Customer",
        readonly=True, ondelete='SET NULL')

    @classmethod
    def default_portal_shared(cls):
        return False

    @classmethod
    def copy(cls, attachments, default=None):
        default = default.copy() if default else {}
        default.setdefault('portal_uploaded_by', None)
        return super().copy(attachments, default=default)
