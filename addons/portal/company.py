"Portal settings of a shop, carried by the company."
from trytond.model import fields
from trytond.pool import PoolMeta

#: Largest upload a shop may allow, in megabytes (the route's request limit).
MAX_UPLOAD_MB = 20


class Company(metaclass=PoolMeta):
    __name__ = 'company.company'

    portal_photos = fields.Boolean("Show Photos on the Portal",
        help="Customers see the photos (images attached to their jobs) "
        "on the portal, not only the documents marked shared.")
    portal_uploads = fields.Boolean("Customers May Upload Files",
        help="Customers may attach PDF files and photos to their jobs "
        "from the portal.")
    portal_upload_max_mb = fields.Integer("Upload Limit (MB)",
        domain=['OR', ('portal_upload_max_mb', '=', None),
            [('portal_upload_max_mb', '>=', 1),
                ('portal_upload_max_mb', '<=', MAX_UPLOAD_MB)]],
        help="Largest file a customer may upload, in megabytes (1 to %s)."
        % MAX_UPLOAD_MB)

    @classmethod
    def default_portal_photos(cls):
        return False

    @classmethod
    def default_portal_uploads(cls):
        return False

    @classmethod
    def default_portal_upload_max_mb(cls):
        return 10

    @property
    def portal_upload_limit(self):
        "The upload limit in bytes."
        return min(self.portal_upload_max_mb or 10, MAX_UPLOAD_MB) * 1024 * 1024
