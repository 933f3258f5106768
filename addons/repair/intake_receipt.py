"""Intake receipt of a repair: the paper (PDF) the customer signs and
keeps when leaving a device, with a QR code to the tracking page."""
import re

import qrcode
import qrcode.image.svg
from genshi.input import XML

from trytond.pool import Pool
from trytond.report import Report

from trytond.modules.service_order.notification import (
    shop_colour, text_colour)


def qr_svg(data):
    """Return the QR code of `data` (str) as an inline <svg> element: a
    Genshi markup stream (not text, which the report's translation filter
    would escape), without XML declaration, sized by CSS."""
    image = qrcode.make(
        data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding='unicode')
    svg = re.sub(r'^<\?xml[^>]*\?>\s*', '', svg)
    return XML(svg)


class IntakeReceipt(Report):
    "Repair Intake Receipt"
    __name__ = 'repair.intake_receipt'

    @classmethod
    def get_context(cls, records, header, data):
        """Add to the report context: `qr_svg(data)` (inline QR code),
        `colour`/`colour_text` of the shop and `today` (ir.date)."""
        Date = Pool().get('ir.date')
        context = super().get_context(records, header, data)
        context['qr_svg'] = qr_svg
        context['shop_colour'] = shop_colour
        context['text_colour'] = text_colour
        context['today'] = Date.today()
        return context
