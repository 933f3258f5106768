"""Batch labels: one label per job and one per part of a coating batch,
with a QR code of its number, meant to be read after a pass in the oven:
black on white, large bold type, a big QR code with its quiet zone, no
colour or thin line that heat could fade.

The QR code holds the bare number (the shortest content, hence the largest
modules); the shop-floor scan page (/<db>/shopfloor/scan) opens the job
from it, as from a typed number.
"""
import re

import qrcode
import qrcode.constants
import qrcode.image.svg
from genshi.input import XML

from trytond.report import Report


def qr_svg(data):
    """Return the QR code of `data` (str) as an inline <svg> Genshi stream
    (error correction level H: it still reads with 30 % of it damaged),
    sized by CSS."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_H,
        border=4, image_factory=qrcode.image.svg.SvgPathImage)
    code.add_data(data)
    code.make(fit=True)
    svg = code.make_image().to_string(encoding='unicode')
    svg = re.sub(r'^<\?xml[^>]*\?>\s*', '', svg)
    return XML(svg)


class BatchLabels(Report):
    "Coating Batch Labels"
    __name__ = 'coating_batch.labels'

    @classmethod
    def get_context(cls, records, header, data):
        """Add `qr_svg(data)` and `labels(batch)`: the list of dicts
        (kind 'job' or 'part', number, title, lines) to print."""
        context = super().get_context(records, header, data)
        context['qr_svg'] = qr_svg
        context['labels'] = cls.labels
        return context

    @classmethod
    def labels(cls, batch):
        "Return the labels of `batch`: each job, then each of its parts."
        result = []
        for job in sorted(batch.jobs, key=lambda j: j.number or ''):
            result.append({
                    'kind': 'job',
                    'number': job.number,
                    'title': "Commande",
                    'lines': [
                        "Lot %s" % batch.number,
                        batch.key_label or '',
                        "%d pièce(s)" % sum(p.quantity or 0
                            for p in job.coating_parts),
                        ],
                    })
            for part in job.coating_parts:
                result.append({
                        'kind': 'part',
                        'number': part.number,
                        'title': "Pièce",
                        'lines': [
                            "Commande %s · Lot %s" % (
                                job.number, batch.number),
                            "%s × %d" % (part.description,
                                part.quantity or 0),
                            ],
                        })
        return result
