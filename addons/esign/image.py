"""The customer's signature image: drawn on the portal's canvas (a PNG data
URL) or uploaded (a PNG or JPEG file), checked and normalised with Pillow.
"""
import base64
import binascii
import io
import re

from PIL import Image, ImageOps, UnidentifiedImageError

from trytond.i18n import gettext

from .exceptions import SignatureError

#: Largest image accepted, in bytes once decoded (a canvas drawing is a few
#: tens of KB; a phone photo of a signature on paper up to a few MB).
MAX_BYTES = 5 * 1024 * 1024
#: Smallest and largest width and height accepted, in pixels.
MIN_SIDE = 20
MAX_SIDE = 6000
#: Largest number of pixels decoded (decompression bombs).
MAX_PIXELS = 25_000_000
#: The stored image fits in this box, in pixels (aspect ratio kept).
STORED_BOX = (1200, 600)
#: Grey level difference from white (0-255) counted as ink.
INK_THRESHOLD = 48
FORMATS = {'PNG', 'JPEG'}
_DATA_URL = re.compile(
    r'^data:image/(png|jpeg|jpg);base64,([A-Za-z0-9+/=\s]+)$', re.ASCII)


def _refused(message, **kwargs):
    "Return the SignatureError of ir.message `message` (reason 'image')."
    return SignatureError(gettext(message, **kwargs), reason='image')


def decode(value):
    """Return the bytes of `value`: bytes as is, or a str data URL
    `data:image/png;base64,...` (or image/jpeg) decoded.

    Raises SignatureError when it is empty or not such a data URL."""
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, str):
        value = value.strip()
        if not value:
            raise _refused('esign.msg_image_missing')
        match = _DATA_URL.match(value)
        if not match:
            raise _refused('esign.msg_image_invalid')
        try:
            value = base64.b64decode(
                ''.join(match.group(2).split()), validate=True)
        except (binascii.Error, ValueError):
            raise _refused('esign.msg_image_invalid')
    if not value:
        raise _refused('esign.msg_image_missing')
    return value


def clean(value):
    """Check the signature image `value` (bytes or a data URL, see decode)
    and return it as PNG bytes: a real PNG or JPEG image (Pillow decodes it
    whole) of at most MAX_BYTES, between MIN_SIDE and MAX_SIDE pixels a
    side and MAX_PIXELS in all, with some ink on it (not blank), turned
    upright (EXIF orientation), without metadata, reduced to fit
    STORED_BOX, transparency kept.

    Raises SignatureError saying what is wrong."""
    data = decode(value)
    if len(data) > MAX_BYTES:
        raise _refused('esign.msg_image_too_big',
            size='%s MB' % (MAX_BYTES // (1024 * 1024)))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in FORMATS:
                raise _refused('esign.msg_image_invalid')
            width, height = probe.size
            if (min(width, height) < MIN_SIDE
                    or max(width, height) > MAX_SIDE
                    or width * height > MAX_PIXELS):
                raise _refused('esign.msg_image_dimensions',
                    min=MIN_SIDE, max=MAX_SIDE)
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            image = image.convert('RGBA')
    except SignatureError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError):
        raise _refused('esign.msg_image_invalid')
    if not has_ink(image):
        raise _refused('esign.msg_image_blank')
    image.thumbnail(STORED_BOX)
    output = io.BytesIO()
    image.save(output, 'PNG', optimize=True)
    return output.getvalue()


def has_ink(image):
    """Return True if the RGBA `image` laid on white has a pixel darker
    than INK_THRESHOLD grey levels: an untouched canvas (transparent) or a
    white picture has none."""
    background = Image.new('RGBA', image.size, (255, 255, 255, 255))
    background.alpha_composite(image)
    ink = ImageOps.invert(background.convert('L')).point(
        lambda v: 255 if v > INK_THRESHOLD else 0)
    return ink.getbbox() is not None
