"Photos of coating jobs: an attachment may name the step and the moment."
from trytond.model import fields
from trytond.pool import PoolMeta

MOMENTS = [
    (None, ''),
    ('before', "Before"),
    ('after', "After"),
    ]


class Attachment(metaclass=PoolMeta):
    __name__ = 'ir.attachment'

    coating_stage = fields.Many2One('service.order.stage', "Step",
        ondelete='SET NULL',
        help="The coating step the photo was taken at.")
    coating_moment = fields.Selection(MOMENTS, "Moment",
        help="Before or after the step.")

    @property
    def is_image(self):
        "True for a stored attachment whose name is a PNG, JPEG or GIF file."
        return bool(self.type == 'data' and self.name
            and self.name.lower().rsplit('.', 1)[-1] in {
                'png', 'jpg', 'jpeg', 'gif'})
