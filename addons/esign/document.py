"""PDF documents of the electronic signature: the quote as shown to the
customer, the stamp page of the signature and the signed copy.

Reproducible quotes. The journal records the SHA-256 of the quote PDF
that was shown, and signing refuses a quote whose PDF rendered now has
another hash. That needs the same quote to render to the same bytes.
WeasyPrint output is byte-stable except for one thing, tested: it subsets
the fonts with fontTools, which writes the current time into each subset's
`head` table (fontTools.misc.timeTools.timestampNow), so two renderings a
second apart differ. fontTools follows the reproducible-builds convention
SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/);
`reproducible_fonts` sets it for the process when it is not set, and the
same quote then renders to the same bytes (test_quote_pdf_reproducible).
The hash is therefore the hash of the PDF bytes the customer downloads,
not of a summary of the quote: whatever the template prints is covered.
"""
import base64
import io
import os

from genshi.template import MarkupTemplate

from trytond.i18n import gettext
from trytond.tools import file_open

from .exceptions import SignatureError

try:
    import weasyprint
except ImportError:
    weasyprint = None

#: Value of SOURCE_DATE_EPOCH set when the environment has none (seconds
#: since 1970-01-01 UTC: only the fonts' internal timestamp uses it).
REPRODUCIBLE_EPOCH = '0'
_templates = {}


def reproducible_fonts():
    """Make WeasyPrint's font subsets independent of the time they are made
    (see the module docstring). Sets SOURCE_DATE_EPOCH once for the
    process, never changes a value already set."""
    os.environ.setdefault('SOURCE_DATE_EPOCH', REPRODUCIBLE_EPOCH)


# At import, so that every PDF of a process where esign is loaded is
# reproducible, including those other modules render of the same quote
# (the portal's download of the quote PDF).
reproducible_fonts()


def template(name):
    "Return the Genshi MarkupTemplate esign/`name`, loaded once."
    if name not in _templates:
        with file_open('esign/%s' % name, mode='rb') as fp:
            _templates[name] = MarkupTemplate(fp, filename=name)
    return _templates[name]


def data_uri(data, mime='image/png'):
    "Return `data` (bytes) as a data: URI of type `mime`."
    return 'data:%s;base64,%s' % (mime, base64.b64encode(data).decode('ascii'))


def html_to_pdf(html):
    """Return the PDF bytes of `html` (str) rendered by WeasyPrint, which may
    load data: URIs only (no network, no files).

    Raises SignatureError when WeasyPrint is missing or fails: a document is
    never left half-rendered."""
    if weasyprint is None:
        raise SignatureError(gettext('esign.msg_render_failed',
                error="WeasyPrint is not installed"), reason='render')
    reproducible_fonts()
    try:
        pdf = weasyprint.HTML(string=html,
            url_fetcher=weasyprint.URLFetcher(
                allowed_protocols={'data'}, fail_on_errors=True),
            ).write_pdf()
    except Exception as exception:
        raise SignatureError(gettext('esign.msg_render_failed',
                error=str(exception)), reason='render') from exception
    if not pdf or not pdf.startswith(b'%PDF'):
        raise SignatureError(gettext('esign.msg_render_failed',
                error="empty output"), reason='render')
    return pdf


def render(template_name, **values):
    """Return the PDF bytes of template esign/`template_name` generated
    with `values`."""
    html = template(template_name).generate(**values).render(
        'html', doctype='html5', encoding='utf-8')
    return html_to_pdf(html.decode('utf-8'))


def append_pages(pdf, extra, metadata=None):
    """Return the PDF bytes of `pdf` (bytes) followed by the pages of
    `extra` (bytes), with the document information entries `metadata`
    (dict like {'/Subject': str}) added. Made with pypdf; the pages of
    `pdf` keep their content."""
    from pypdf import PdfReader, PdfWriter
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.append(PdfReader(io.BytesIO(extra)))
    if metadata:
        writer.add_metadata(metadata)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
