"""TOTP and recovery-code arithmetic, without the database.

- `new_secret()` → a base32 secret of 160 bits (RFC 6238's SHA-1 size).
- `provisioning_uri(secret, login, shop)` → the otpauth:// URI, issuer
  "Atelier", the label "Atelier (<shop>):<login>".
- `qr_svg(uri)` / `qr_png(uri)` → the QR code of the URI (SVG for the
  web page, PNG for the wizard in sao).
- `match_step(secret, code, now=None)` → the 30 s step (int) that `code`
  is valid for, within one step before or after now (valid_window=1),
  or None. The caller refuses steps not after the last one used (replay).
- `new_recovery_codes()` → 10 codes `xxxxx-xxxxx` (50 bits each);
  `hash_recovery(code)` / `check_recovery(code, hashed)`: salted SHA-256
  of the normalized code (the codes are random, not chosen by people, so a
  slow hash adds nothing that their 50 bits do not already give).
"""
import datetime
import hashlib
import hmac
import io
import re
import secrets

import pyotp

ISSUER = "Atelier"
STEP = 30
RECOVERY_COUNT = 10
# No 0/o, 1/l/i: read from paper
_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'
_DIGITS = re.compile(r'^\d{6}$')
_RECOVERY = re.compile(r'^[a-z0-9]{10}$')


def new_secret():
    return pyotp.random_base32(32)


def _totp(secret):
    return pyotp.TOTP(secret, digits=6, interval=STEP)


def provisioning_uri(secret, login, shop=None):
    issuer = "%s (%s)" % (ISSUER, shop) if shop else ISSUER
    return _totp(secret).provisioning_uri(name=login, issuer_name=issuer)


def qr_svg(uri):
    "Return the QR code of `uri` as an SVG document (str)."
    import qrcode
    import qrcode.image.svg
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage,
        box_size=8, border=2)
    return image.to_string(encoding='unicode')


def qr_png(uri):
    "Return the QR code of `uri` as PNG bytes."
    import qrcode
    image = qrcode.make(uri, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def normalize_code(code):
    "Return `code` without spaces and dashes, lower case (str), or ''."
    if not isinstance(code, str):
        code = '' if code is None else str(code)
    return re.sub(r'[\s-]', '', code).lower()[:64]


def is_totp_code(code):
    return bool(_DIGITS.match(normalize_code(code)))


def is_recovery_code(code):
    return bool(_RECOVERY.match(normalize_code(code)))


def current_step(now=None):
    if now is None:
        now = datetime.datetime.now(datetime.timezone.utc)
    return _totp('A' * 32).timecode(now)


def match_step(secret, code, now=None):
    """Return the step for which `code` (6 digits) is valid at `now`
    (aware datetime, default: now), within one step around it, or None."""
    code = normalize_code(code)
    if not secret or not _DIGITS.match(code):
        return None
    if now is None:
        now = datetime.datetime.now(datetime.timezone.utc)
    totp = _totp(secret)
    step = totp.timecode(now)
    found = None
    for offset in (-1, 0, 1):  # compare all three: constant work
        candidate = totp.generate_otp(step + offset)
        if hmac.compare_digest(candidate, code):
            found = step + offset
    return found


def code_at(secret, step):
    "The code of `secret` for `step` (for tests and the demo)."
    return _totp(secret).generate_otp(step)


def new_recovery_codes(count=RECOVERY_COUNT):
    codes = []
    while len(codes) < count:
        raw = ''.join(secrets.choice(_ALPHABET) for _ in range(10))
        code = raw[:5] + '-' + raw[5:]
        if code not in codes:
            codes.append(code)
    return codes


def hash_recovery(code):
    salt = secrets.token_hex(16)
    digest = hashlib.sha256(
        (salt + ':' + normalize_code(code)).encode('ascii')).hexdigest()
    return 'sha256$%s$%s' % (salt, digest)


def check_recovery(code, hashed):
    try:
        method, salt, digest = hashed.split('$')
    except (AttributeError, ValueError):
        return False
    if method != 'sha256':
        return False
    candidate = hashlib.sha256(
        (salt + ':' + normalize_code(code)).encode('ascii', 'replace')
        ).hexdigest()
    return hmac.compare_digest(candidate, digest)
