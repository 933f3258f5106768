"""Files of the portal: shared attachments through short-lived signed
URLs, and the quote and invoice documents.

GET /<db>/portal/files/<attachment id>?u=<account>&e=<expiry>&s=<sig>

A link is the HMAC-SHA256 (database secret, see secret.py) of the
database, the attachment, the account and the expiry (Unix time,
FILE_LINK_TTL = 10 minutes after the page was shown); it works without
the session cookie (images, download managers) but only until it
expires, and only while the attachment is still one the account sees
(access.attachment is checked again). Anything wrong answers the 404 page.
"""
import io
import time

from werkzeug.exceptions import NotFound
from werkzeug.utils import send_file

from trytond.transaction import Transaction

from . import access
from .routing import portal_route
from .secret import sign, verify
from .session import database_name, portal_url

#: Lifetime of a signed file link, in seconds.
FILE_LINK_TTL = 10 * 60
MIME_TYPES = {
    'pdf': 'application/pdf',
    'png': 'image/png',
    'jpg': 'image/jpeg',
    'jpeg': 'image/jpeg',
    'gif': 'image/gif',
    'webp': 'image/webp',
    'odt': 'application/vnd.oasis.opendocument.text',
    }
INLINE = {'image/png', 'image/jpeg', 'image/gif', 'image/webp'}
FILE_HEADERS = {
    'Cache-Control': 'private, no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Robots-Tag': 'noindex',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    }


def file_url(user, attachment, ttl=FILE_LINK_TTL, now=None):
    """Return the signed path of `attachment` (ir.attachment) for `user`
    (web.user), valid `ttl` seconds from `now` (Unix time, default now)."""
    expires = int((now if now is not None else time.time()) + ttl)
    signature = sign('file', database_name(), attachment.id, user.id, expires)
    return portal_url('files/%d?u=%d&e=%d&s=%s' % (
            attachment.id, user.id, expires, signature))


def mime_type(name):
    "Return the MIME type served for a file named `name`."
    extension = (name or '').lower().rsplit('.', 1)[-1]
    return MIME_TYPES.get(extension, 'application/octet-stream')


def _file_response(request, data, name, mimetype):
    response = send_file(io.BytesIO(data), request.environ,
        mimetype=mimetype, as_attachment=mimetype not in INLINE,
        download_name=name, max_age=0, etag=False, conditional=False)
    response.headers.update(FILE_HEADERS)
    return response


@portal_route('/files/<attachment_id>')
def download(request, pool, attachment_id):
    "Serve a shared attachment to the holder of a valid signed link."
    User = pool.get('web.user')
    user_id = access.parse_id(request.args.get('u', ''))
    expires = access.parse_id(request.args.get('e', ''))
    signature = request.args.get('s', '')
    attachment_id_ = access.parse_id(attachment_id)
    if (None in (user_id, expires, attachment_id_)
            or expires < time.time()
            or not verify(signature, 'file', database_name(), attachment_id_,
                user_id, expires)):
        raise NotFound()
    users = User.search([('id', '=', user_id)], limit=1)
    if not users or not users[0].party or not users[0].company:
        raise NotFound()
    user = users[0]
    attachment = access.attachment(user, attachment_id_)
    if attachment is None:
        raise NotFound()
    data = attachment.data or b''
    return _file_response(request, bytes(data), attachment.name,
        mime_type(attachment.name))


def report_response(request, pool, report_name, record, lang, name):
    """Return the download of `record`'s report `report_name` (the same
    document staff print: PDF with invoice_fr), rendered as root in the
    record's shop. Needs a read-write transaction (a posted invoice keeps
    its first rendering)."""
    Report = pool.get(report_name, type='report')
    with Transaction().set_context(company=record.company.id,
            language=lang):
        extension, content, _, _ = Report.execute([record.id], {})
    if isinstance(content, str):
        content = content.encode('utf-8')
    extension = extension or 'bin'
    safe = ''.join(c if c.isalnum() or c in '-_' else '_' for c in name)
    return _file_response(request, bytes(content),
        '%s.%s' % (safe or 'document', extension), mime_type('x.' + extension))


__all__ = ['file_url', 'report_response']
