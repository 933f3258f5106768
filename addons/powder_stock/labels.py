"""Box labels: one label per powder box with a QR code of its label code,
to stick on the carton when it is received. The QR code holds the bare
code (the shortest content, hence the largest modules); the shop-floor
weighing page (/<db>/shopfloor/weigh) opens the box from it."""
import re

import qrcode
import qrcode.constants
import qrcode.image.svg
from genshi.input import XML

from trytond.report import Report


def qr_svg(data):
    """Return the QR code of `data` (str) as an inline <svg> Genshi stream
    (error correction level H), sized by CSS."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_H,
        border=4, image_factory=qrcode.image.svg.SvgPathImage)
    code.add_data(data)
    code.make(fit=True)
    svg = code.make_image().to_string(encoding='unicode')
    svg = re.sub(r'^<\?xml[^>]*\?>\s*', '', svg)
    return XML(svg)


def kg(value):
    "French kg figure: 0,35."
    text = ('%.3f' % (value or 0)).rstrip('0').rstrip('.')
    return text.replace('.', ',')


class BoxLabels(Report):
    "Powder Box Labels"
    __name__ = 'powder_stock.box_labels'

    @classmethod
    def get_context(cls, records, header, data):
        "Add `qr_svg(data)` and `kg(value)` for the template."
        context = super().get_context(records, header, data)
        context['qr_svg'] = qr_svg
        context['kg'] = kg
        return context
