"""The per-database secret of the portal: the HMAC key of CSRF tokens and
of the signed document URLs.

One row, created when the module is activated (`__register__`), 256
random bits; no group may read it (portal.xml), code reads it as root.
"""
import base64
import hashlib
import hmac
import secrets

from trytond.model import ModelSQL, fields
from trytond.transaction import Transaction, without_check_access


class Secret(ModelSQL):
    "Portal Secret"
    __name__ = 'portal.secret'

    key = fields.Char("Key", required=True, strip=False)

    @classmethod
    def __register__(cls, module_name):
        super().__register__(module_name)
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        cursor.execute(*table.select(table.id, limit=1))
        if not cursor.fetchone():
            cursor.execute(*table.insert(
                    [table.key], [[secrets.token_hex(32)]]))

    @classmethod
    def get(cls):
        """Return the secret of the current database (bytes, 32). Read at
        each call (one row): databases restored or recreated under the same
        name never see a stale key."""
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        cursor.execute(*table.select(
                table.key, order_by=[table.id.asc], limit=1))
        row = cursor.fetchone()
        if row:
            return bytes.fromhex(row[0])
        key = secrets.token_hex(32)  # deleted by hand: make one now
        with without_check_access():
            cls.create([{'key': key}])
        return bytes.fromhex(key)


def sign(*parts):
    """Return the HMAC-SHA256 of `parts` (str joined by '|') with the
    database's secret, URL-safe base64 without padding (43 characters)."""
    message = '|'.join(str(p) for p in parts).encode('utf-8')
    from trytond.pool import Pool
    key = Pool().get('portal.secret').get()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b'=').decode('ascii')


def verify(signature, *parts):
    """Return whether `signature` (str) is sign(*parts), compared in
    constant time (hmac.compare_digest)."""
    if not isinstance(signature, str) or len(signature) != 43:
        return False
    return hmac.compare_digest(signature.encode('ascii', 'replace'),
        sign(*parts).encode('ascii'))
