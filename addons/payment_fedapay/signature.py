"""FedaPay webhook signatures.

Header `X-FEDAPAY-SIGNATURE: t=<unix seconds>,s=<hex>[,s=<hex>...]`; each
`s` is the hex HMAC-SHA256, keyed with the webhook endpoint's secret, of
"<t>.<raw body>". The message is genuine when any `s` matches; it is
refused when `t` is more than 300 s away from now (older: replayed; later:
forged clock).

Sources: https://docs.fedapay.com/development/webhooks ("Webhook
signatures verification") and the official SDKs' WebhookSignature
(fedapay-php lib/WebhookSignature.php, fedapay-python: scheme 's',
DEFAULT_TOLERANCE = 300).
"""
import hashlib
import hmac
import time

HEADER = 'X-FEDAPAY-SIGNATURE'
TOLERANCE = 300  # seconds

# Outcomes, as recorded on payment.gateway.message
VALID = 'valid'
MISSING = 'missing_signature'
BAD = 'bad_signature'
REPLAYED = 'replayed'


def compute(secret, timestamp, body):
    """Return the hex HMAC-SHA256 of "<timestamp>.<body>" with `secret`
    (str). `body` is the raw request body (bytes or str)."""
    if isinstance(body, str):
        body = body.encode('utf-8')
    message = str(int(timestamp)).encode('ascii') + b'.' + body
    return hmac.new(
        secret.encode('utf-8'), message, hashlib.sha256).hexdigest()


def sign(secret, body, timestamp=None, extra=()):
    """Return a header value signing `body` with `secret` at `timestamp`
    (unix seconds, now by default); `extra` signatures (hex str) are
    added before the real one, as FedaPay does while rolling secrets."""
    if timestamp is None:
        timestamp = int(time.time())
    parts = ['t=%d' % int(timestamp)]
    parts += ['s=%s' % s for s in extra]
    parts.append('s=%s' % compute(secret, timestamp, body))
    return ','.join(parts)


def parse(header):
    """Return (timestamp int or None, [signatures]) of a header value."""
    timestamp, signatures = None, []
    for item in (header or '').split(','):
        key, sep, value = item.strip().partition('=')
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == 't' and timestamp is None:
            if value.isdigit():
                timestamp = int(value)
        elif key == 's' and value:
            signatures.append(value)
    return timestamp, signatures


def verify(secret, header, body, now=None, tolerance=TOLERANCE):
    """Check the signature header of a webhook; return one of VALID,
    MISSING (no header or no secret configured), BAD (malformed or no
    matching signature) or REPLAYED (timestamp off by more than
    `tolerance` seconds). Comparisons are constant-time."""
    if not header:
        return MISSING
    if not secret:
        return BAD
    timestamp, signatures = parse(header)
    if timestamp is None or not signatures:
        return BAD
    expected = compute(secret, timestamp, body).encode('ascii')
    found = False
    for signature in signatures:
        # No early exit: every candidate is compared (as bytes, so a
        # non-ASCII forgery is a mismatch, not an error).
        if hmac.compare_digest(
                expected, signature.lower().encode('utf-8', 'replace')):
            found = True
    if not found:
        return BAD
    if now is None:
        now = time.time()
    if abs(now - timestamp) > tolerance:
        return REPLAYED
    return VALID
