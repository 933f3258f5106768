"""One-time tokens of the portal's emailed links: sign-in links (15 min),
invitations and password resets (choose a password).

A token is 256 random bits (`secrets.token_urlsafe(32)`, 43 characters)
sent only in the email; the database keeps its SHA-256 (a fast hash is
enough for a random secret of that size: OWASP Forgot Password cheat
sheet), its expiry and when it was used. A token works once: `consume`
locks the row and marks it used. Issuing a token revokes the unused ones
of the same purpose of that account.
"""
import datetime
import hashlib
import re
import secrets

import trytond.config as config
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pyson import Eval
from trytond.transaction import without_check_access

PURPOSES = [
    ('login', "Sign-in Link"),
    ('invite', "Invitation"),
    ('reset', "Password Reset"),
    ]
#: Lifetime of each purpose in seconds, overridable in [portal].
DEFAULT_TIMEOUTS = {
    'login': 15 * 60,
    'invite': 7 * 24 * 60 * 60,
    'reset': 60 * 60,
    }
_TOKEN = re.compile(r'^[A-Za-z0-9_-]{43}$')


def hash_token(raw):
    "Return the SHA-256 hex digest of token `raw` (str)."
    return hashlib.sha256(raw.encode('ascii')).hexdigest()


def timeout(purpose):
    """Return the lifetime (timedelta) of tokens of `purpose`, from
    `[portal] login_timeout`, `invite_timeout` or `reset_timeout`
    (seconds)."""
    return datetime.timedelta(seconds=config.getint(
            'portal', '%s_timeout' % purpose,
            default=DEFAULT_TIMEOUTS[purpose]))


class Token(ModelSQL, ModelView):
    "Portal Token"
    __name__ = 'portal.token'

    company = fields.Many2One(
        'company.company', "Shop", required=True, readonly=True,
        ondelete='CASCADE')
    user = fields.Many2One(
        'web.user', "Account", required=True, readonly=True,
        ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))])
    purpose = fields.Selection(PURPOSES, "Purpose", required=True,
        readonly=True)
    token_hash = fields.Char("Token Hash", required=True, readonly=True,
        strip=False)
    expires_at = fields.DateTime("Expires At", required=True, readonly=True)
    used_at = fields.DateTime("Used At", readonly=True,
        help="When the link was used, or revoked by a newer one.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.token_hash, Index.Equality(cardinality='high'))),
                Index(t, (t.expires_at, Index.Range())),
                })

    @classmethod
    def issue(cls, user, purpose):
        """Create a token of `purpose` for `user` (web.user); return (raw
        token str, portal.token). Unused tokens of the same purpose of
        the account are revoked."""
        now = datetime.datetime.now()
        raw = secrets.token_urlsafe(32)
        with without_check_access():
            cls.write(cls.search([
                        ('user', '=', user.id), ('purpose', '=', purpose),
                        ('used_at', '=', None),
                        ]), {'used_at': now})
            token, = cls.create([{
                        'company': user.company.id,
                        'user': user.id,
                        'purpose': purpose,
                        'token_hash': hash_token(raw),
                        'expires_at': now + timeout(purpose),
                        }])
        return raw, token

    @classmethod
    def lookup(cls, raw, purposes):
        """Return the valid portal.token of `raw` (unused, not expired, of
        one of `purposes`, of an active account), or None. Nothing is
        written: GET pages use it to show a form."""
        if not isinstance(raw, str) or not _TOKEN.match(raw):
            return None
        with without_check_access():
            tokens = cls.search([
                    ('token_hash', '=', hash_token(raw)),
                    ('purpose', 'in', list(purposes)),
                    ('used_at', '=', None),
                    ('expires_at', '>', datetime.datetime.now()),
                    ], limit=1)
        if not tokens or not tokens[0].user.active:
            return None
        return tokens[0]

    @classmethod
    def consume(cls, raw, purposes):
        """Mark the valid token `raw` of `purposes` used and return its
        account (web.user), or None if it is not valid (unknown, used,
        expired). Once only, also under concurrent requests: the row is
        locked and read again before it is marked."""
        token = cls.lookup(raw, purposes)
        if token is None:
            return None
        cls.lock([token])
        with without_check_access():
            token = cls(token.id)
            if token.used_at is not None:
                return None
            token.used_at = datetime.datetime.now()
            token.save()
        return token.user

    @classmethod
    def clean(cls):
        "Cron: delete the tokens expired for more than a day."
        limit = datetime.datetime.now() - datetime.timedelta(days=1)
        with without_check_access():
            cls.delete(cls.search([('expires_at', '<', limit)]))

    @classmethod
    def revoke_all(cls, user):
        "Mark every unused token of `user` (web.user) used."
        with without_check_access():
            cls.write(cls.search([
                        ('user', '=', user.id), ('used_at', '=', None)]),
                {'used_at': datetime.datetime.now()})
