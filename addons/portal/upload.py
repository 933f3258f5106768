"""Checks of the files customers upload: size, and type read from the
content (never from the name or the browser's Content-Type).

Allowed: PDF, JPEG, PNG, WebP. The type comes from the file's magic bytes
(puremagic); images must also open and verify with Pillow and stay under
MAX_PIXELS (decompression bombs); a PDF must start with %PDF- and end with
%%EOF. The stored name is the customer's name cleaned to letters, digits,
dots, dashes and underscores, with the extension of the detected type.
"""
import io
import re
import unicodedata

import puremagic
from PIL import Image

from .exceptions import UploadError

#: Allowed MIME types and the extension they are stored with.
ALLOWED = {
    'application/pdf': 'pdf',
    'image/jpeg': 'jpg',
    'image/png': 'png',
    'image/webp': 'webp',
    }
PIL_FORMATS = {'JPEG': 'image/jpeg', 'PNG': 'image/png', 'WEBP': 'image/webp'}
#: Largest image accepted, in pixels (width × height).
MAX_PIXELS = 40_000_000
ACCEPT = ','.join(['.pdf', '.jpg', '.jpeg', '.png', '.webp'] + list(ALLOWED))


def detect_type(data):
    """Return the allowed MIME type of `data` (bytes) read from its
    content, or raise UploadError('type')."""
    if data.startswith(b'%PDF-'):
        if b'%%EOF' not in data[-2048:]:
            raise UploadError('type')
        return 'application/pdf'
    try:
        mime = puremagic.from_string(data[:8192], mime=True)
    except (puremagic.PureError, ValueError):
        raise UploadError('type')
    if mime == 'image/jpg':
        mime = 'image/jpeg'
    if mime not in PIL_FORMATS.values():
        raise UploadError('type')
    try:
        with Image.open(io.BytesIO(data)) as image:
            if PIL_FORMATS.get(image.format) != mime:
                raise UploadError('type')
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise UploadError('type')
            image.verify()
    except UploadError:
        raise
    except Exception:  # truncated, corrupt, bomb (Pillow raises many kinds)
        raise UploadError('type')
    return mime


def clean_name(filename, mime):
    """Return `filename` (the customer's) as a safe stored name ending with
    the extension of `mime`: accents dropped, other characters replaced by
    '_', at most 80 characters."""
    name = (filename or '').replace('\\', '/').rsplit('/', 1)[-1]
    if '.' in name:
        name = name.rsplit('.', 1)[0]
    name = unicodedata.normalize('NFKD', name).encode(
        'ascii', 'ignore').decode('ascii')
    name = re.sub(r'[^A-Za-z0-9._-]+', '_', name).strip('._-')[:80]
    return '%s.%s' % (name or 'document', ALLOWED[mime])


def check_upload(data, filename, limit):
    """Return (stored name, MIME type) of an upload of `data` (bytes)
    named `filename`, at most `limit` bytes. Raises UploadError with
    reason 'empty', 'size' or 'type'."""
    if not data:
        raise UploadError('empty')
    if len(data) > limit:
        raise UploadError('size')
    mime = detect_type(data)
    return clean_name(filename, mime), mime
