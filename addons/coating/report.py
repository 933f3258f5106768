"""Coating documents in PDF (HTML rendered by Genshi, then WeasyPrint):

- the quote with its technical details (`coating.quote`): parts, powder,
  coats, cure schedule and the calculation line by line;
- the final job report (`coating.job_report`): powder reference and batch,
  coats, cure actually applied, QC results, non-conformities and the photos
  (image attachments of the job and NC photos, embedded as data URIs).

A failed render raises an error: a document is never half-made.
"""
import base64

from trytond.i18n import gettext
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.report import Report

try:
    import weasyprint
except ImportError:
    weasyprint = None

_MIME = {'png': 'image/png', 'jpg': 'image/jpeg', 'jpeg': 'image/jpeg',
    'gif': 'image/gif'}


class RenderError(ValidationError):
    "A coating document could not be rendered to PDF."


def data_uri(data, name):
    "Return a data: URI of the image bytes `data` named `name`."
    mime = _MIME.get((name or '').lower().rsplit('.', 1)[-1], 'image/png')
    return 'data:%s;base64,%s' % (
        mime, base64.b64encode(bytes(data)).decode('ascii'))


def job_photos(order):
    """Return the photos of a job as dicts (name, stage, moment, uri),
    in upload order: image attachments of the job."""
    Attachment = Pool().get('ir.attachment')
    attachments = Attachment.search([
            ('resource', '=', str(order)),
            ], order=[('create_date', 'ASC'), ('id', 'ASC')])
    return [{
            'name': a.name,
            'stage': a.coating_stage.name if a.coating_stage else '',
            'moment': a.coating_moment or '',
            'uri': data_uri(a.data, a.name),
            } for a in attachments if a.is_image and a.data]


class CoatingReport(Report):
    "Helpers and strict PDF conversion of the coating documents."

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['data_uri'] = data_uri
        context['job_photos'] = job_photos
        context['fnum'] = lambda v, d=2: (
            '' if v is None else ('%.*f' % (d, v)).replace('.', ','))
        return context

    @classmethod
    def convert(cls, report, data, timeout=5 * 60, retry=5):
        """Convert the HTML to PDF with WeasyPrint, images from data: URIs
        only. Raises RenderError instead of returning HTML."""
        if weasyprint is None:
            raise RenderError(gettext('coating.msg_weasyprint_missing'))
        try:
            pdf = weasyprint.HTML(
                string=data,
                url_fetcher=weasyprint.URLFetcher(
                    allowed_protocols={'data'}, fail_on_errors=True),
                ).write_pdf()
        except Exception as exception:
            raise RenderError(gettext('coating.msg_render_failed',
                    report=report.rec_name, error=str(exception))
                ) from exception
        if not pdf or not pdf.startswith(b'%PDF'):
            raise RenderError(gettext('coating.msg_render_failed',
                    report=report.rec_name, error="empty output"))
        return 'pdf', pdf


class QuoteReport(CoatingReport):
    "Coating Quote"
    __name__ = 'coating.quote'


class JobReport(CoatingReport):
    "Coating Job Report"
    __name__ = 'coating.job_report'
