"""Two-factor sign-in of staff users (res.user) with TOTP.

Storage: the secret and the last step used are in `res.user.totp`, the
recovery codes (salted hashes) in `res.user.totp.recovery`; no group may
read, write, create or delete either (user.xml): code reaches them without
access checks, and RPC never sees them. `res.user` shows only
`totp_enabled`, `totp_required` and `totp_recovery_left`.

Sign-in: the login method `totp`, used after the password with
`[session] authentications = password+totp`:

- a user not enrolled and not required passes with the password alone;
- an Owner or Admin (workshop groups group_owner / group_admin, directly
  or through a valid role) not enrolled is refused with
  TOTPEnrolmentRequired, which names the enrolment page;
- an enrolled user is asked for `totp_code` (LoginException, type 'char':
  sao and the Tryton client show the question and send the answer back);
  6 digits are a TOTP code (one step of 30 s either side), a step not
  after the last one used is a replay and is refused; `xxxxx-xxxxx` is a
  recovery code, consumed once used. A wrong code makes the method return
  None: User.get_login counts the attempt (res.user.login.attempt) and
  throttles like for a wrong password.
- HTTP basic authentication (the shop-floor pages) cannot carry a second
  factor: users who need one are refused there (401) and use a session
  cookie of sao instead.

Every sign-in, success or failure with its reason, every 2FA change and
every role change of a user leaves a workshop.audit row.
"""
import datetime
import logging

from sql import Null

from trytond.exceptions import (
    LoginException, RateLimitException, TrytonException, UserError)
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.url import http_host

from . import totp

logger = logging.getLogger(__name__)

PARAMETER = 'totp_code'
# Whether the audit row of a refusal that rolls the sign-in back (Owner or
# Admin not enrolled) is committed in a transaction of its own (the module
# tests run on one shared SQLite memory connection and turn it off).
COMMIT_REFUSALS = True
# Set by get_login in its copy of the parameters: what the totp method did
_INFO = '_staff_totp'


class TOTPEnrolmentRequired(TrytonException):
    """A user who must use two-factor sign-in has not enrolled yet.

    Its arguments are (message, description) so that sao and the Tryton
    client show the message itself as the error's title."""

    def __init__(self, message, description=''):
        super().__init__(message, description)
        self.message = message
        self.description = description
        self.code = 1

    def __str__(self):
        return self.message


def enrolment_url(database=None):
    database = database or Transaction().database.name
    return '%s/%s/staff/2fa' % (http_host().rstrip('/'), database)


def _is_basic_auth(parameters):
    # HTTP basic authentication passes werkzeug's parameters of the
    # Authorization header, which carry the user name; the JSON-RPC login
    # (sao, the Tryton client) passes the login apart.
    return 'username' in parameters


class UserTOTP(ModelSQL):
    "User TOTP Secret"
    __name__ = 'res.user.totp'

    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')
    secret = fields.Char("Secret", strip=False)
    pending_secret = fields.Char("Pending Secret", strip=False)
    pending_date = fields.DateTime("Pending Since")
    last_step = fields.Integer("Last Step Used")
    enabled_date = fields.DateTime("Enabled On")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('user_unique', Unique(t, t.user),
                'staff_totp.msg_totp_user_unique'),
            ]

    @classmethod
    def get(cls, user_id):
        "Return the row of `user_id` (created empty when missing)."
        with without_check_access():
            rows = cls.search([('user', '=', user_id)], limit=1)
            if rows:
                return rows[0]
            row, = cls.create([{'user': user_id}])
            return row

    @classmethod
    def use_step(cls, user_id, step):
        """Record `step` as used by `user_id` if it is after the last one
        used; return whether it was (False: a replay). One UPDATE, so two
        sign-ins with the same code cannot both pass (PostgreSQL makes the
        second wait, then fail and be retried by security.login)."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update([table.last_step], [step],
                where=(table.user == user_id) & (table.secret != Null)
                & ((table.last_step == Null) | (table.last_step < step))))
        return cursor.rowcount == 1


class UserTOTPRecovery(ModelSQL):
    "User TOTP Recovery Code"
    __name__ = 'res.user.totp.recovery'

    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')
    code_hash = fields.Char("Code Hash", required=True, strip=False)
    used_date = fields.DateTime("Used On")

    @classmethod
    def consume(cls, user_id, code):
        """Mark the unused recovery code `code` of `user_id` used; return
        whether there was one (one UPDATE per row, as for the steps)."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.id, table.code_hash,
                where=(table.user == user_id) & (table.used_date == Null)))
        found = None
        for id_, code_hash in cursor.fetchall():
            if totp.check_recovery(code, code_hash):
                found = id_
        if found is None:
            return False
        cursor.execute(*table.update([table.used_date],
                [datetime.datetime.now()],
                where=(table.id == found) & (table.used_date == Null)))
        return cursor.rowcount == 1


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    totp_enabled = fields.Function(fields.Boolean(
            "Two-Factor Sign-in",
            help="Sign-in asks for a code of an authenticator app after "
            "the password."), 'get_totp')
    totp_required = fields.Function(fields.Boolean(
            "Two-Factor Required",
            help="Owners and Admins must use two-factor sign-in."),
        'get_totp')
    totp_recovery_left = fields.Function(fields.Integer(
            "Recovery Codes Left"), 'get_totp')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        for name in ['totp_enabled', 'totp_required', 'totp_recovery_left']:
            if name not in cls._preferences_fields:
                cls._preferences_fields.append(name)
        # on the preferences form only; it always opens the wizard of the
        # signed-in user, whatever the record
        cls._buttons.update({'totp_manage': {}})

    @classmethod
    @ModelView.button_action('staff_totp.act_manage')
    def totp_manage(cls, users):
        "Open the wizard of one's own two-factor sign-in."
        pass

    # State -----------------------------------------------------------
    @classmethod
    def get_totp(cls, users, names):
        ids = [u.id for u in users]
        enabled = cls._totp_enabled_ids(ids)
        required = cls._totp_required_ids(ids)
        left = cls._totp_recovery_left(ids)
        result = {}
        for name in names:
            if name == 'totp_enabled':
                result[name] = {i: i in enabled for i in ids}
            elif name == 'totp_required':
                result[name] = {i: i in required for i in ids}
            elif name == 'totp_recovery_left':
                result[name] = {i: left.get(i, 0) for i in ids}
        return result

    @classmethod
    def _totp_enabled_ids(cls, ids):
        table = Pool().get('res.user.totp').__table__()
        cursor = Transaction().connection.cursor()
        result = set()
        for sub in _chunks(ids):
            cursor.execute(*table.select(table.user,
                    where=table.user.in_(sub) & (table.secret != Null)))
            result.update(u for u, in cursor)
        return result

    @classmethod
    def _totp_recovery_left(cls, ids):
        table = Pool().get('res.user.totp.recovery').__table__()
        cursor = Transaction().connection.cursor()
        result = {}
        for sub in _chunks(ids):
            cursor.execute(*table.select(table.user, table.id,
                    where=table.user.in_(sub) & (table.used_date == Null)))
            for user, _ in cursor:
                result[user] = result.get(user, 0) + 1
        return result

    @classmethod
    def totp_required_groups(cls):
        "The ids of the groups whose members must use two-factor sign-in."
        ModelData = Pool().get('ir.model.data')
        return [ModelData.get_id('workshop', 'group_owner'),
            ModelData.get_id('workshop', 'group_admin')]

    @classmethod
    def totp_required_roles(cls):
        ModelData = Pool().get('ir.model.data')
        return [ModelData.get_id('workshop', 'role_owner'),
            ModelData.get_id('workshop', 'role_admin')]

    @classmethod
    def _totp_required_ids(cls, ids):
        """Return the ids among `ids` of the users who are Owner or Admin:
        in their groups, or through a role valid now."""
        pool = Pool()
        user_group = pool.get('res.user-res.group').__table__()
        user_role = pool.get('res.user.role').__table__()
        cursor = Transaction().connection.cursor()
        groups = cls.totp_required_groups()
        roles = cls.totp_required_roles()
        now = datetime.datetime.now()
        result = set()
        for sub in _chunks(ids):
            cursor.execute(*user_group.select(user_group.user,
                    where=user_group.user.in_(sub)
                    & user_group.group.in_(groups)))
            result.update(u for u, in cursor)
            cursor.execute(*user_role.select(user_role.user,
                    where=user_role.user.in_(sub)
                    & user_role.role.in_(roles)
                    & ((user_role.from_date == Null)
                        | (user_role.from_date <= now))
                    & ((user_role.to_date == Null)
                        | (user_role.to_date >= now))))
            result.update(u for u, in cursor)
        return result

    @classmethod
    def totp_is_required(cls, user_id):
        return user_id in cls._totp_required_ids([user_id])

    @classmethod
    def totp_is_enabled(cls, user_id):
        return user_id in cls._totp_enabled_ids([user_id])

    # Enrolment and changes ------------------------------------------
    def totp_shop_name(self):
        company = getattr(self, 'company', None)
        return company.rec_name if company else None

    def totp_start(self):
        """Start (or restart) the enrolment of this user: a new pending
        secret. Return (secret, otpauth URI). Refused when enabled."""
        TOTP = Pool().get('res.user.totp')
        if self.totp_is_enabled(self.id):
            raise UserError(gettext('staff_totp.msg_totp_already_enabled',
                    user=self.rec_name))
        row = TOTP.get(self.id)
        secret = totp.new_secret()
        with without_check_access():
            TOTP.write([row], {
                    'pending_secret': secret,
                    'pending_date': datetime.datetime.now(),
                    })
        return secret, totp.provisioning_uri(
            secret, self.login, self.totp_shop_name())

    def totp_pending(self):
        """Return (secret, URI) of the pending enrolment, or None (none, or
        older than one hour)."""
        TOTP = Pool().get('res.user.totp')
        row = TOTP.get(self.id)
        if (not row.pending_secret or not row.pending_date
                or row.pending_date < datetime.datetime.now()
                - datetime.timedelta(hours=1)):
            return None
        return row.pending_secret, totp.provisioning_uri(
            row.pending_secret, self.login, self.totp_shop_name())

    def totp_confirm(self, code, now=None):
        """Finish the enrolment with a code of the pending secret: enable
        two-factor sign-in and return the 10 new recovery codes (clear,
        shown once). Raise UserError for a wrong or expired code."""
        pool = Pool()
        TOTP = pool.get('res.user.totp')
        Audit = pool.get('workshop.audit')
        if self.totp_is_enabled(self.id):
            raise UserError(gettext('staff_totp.msg_totp_already_enabled',
                    user=self.rec_name))
        if not self.totp_pending():
            raise UserError(gettext('staff_totp.msg_totp_no_pending'))
        row = TOTP.get(self.id)
        step = totp.match_step(row.pending_secret, code, now=now)
        if step is None:
            raise UserError(gettext('staff_totp.msg_totp_wrong_code'))
        with without_check_access():
            TOTP.write([row], {
                    'secret': row.pending_secret,
                    'pending_secret': None,
                    'pending_date': None,
                    'last_step': step,
                    'enabled_date': datetime.datetime.now(),
                    })
        codes = self._totp_new_recovery_codes()
        Audit.log('totp_enabled', [self],
            gettext('staff_totp.msg_audit_enabled', login=self.login))
        return codes

    def _totp_new_recovery_codes(self):
        Recovery = Pool().get('res.user.totp.recovery')
        codes = totp.new_recovery_codes()
        with without_check_access():
            Recovery.delete(Recovery.search([('user', '=', self.id)]))
            Recovery.create([{
                        'user': self.id,
                        'code_hash': totp.hash_recovery(c),
                        } for c in codes])
        return codes

    def totp_verify(self, code, now=None):
        """Check `code` (TOTP or recovery) as a second factor of this user
        outside sign-in (to change its settings); consume it. Return the
        kind ('totp' or 'recovery') or raise UserError."""
        kind, reason = self._totp_check(self.id, code, now=now)
        if not kind:
            raise UserError(gettext(
                    'staff_totp.msg_totp_replayed' if reason == 'replay'
                    else 'staff_totp.msg_totp_wrong_code'))
        return kind

    def totp_regenerate(self, code, now=None):
        """Replace the recovery codes after a valid code; return them."""
        Audit = Pool().get('workshop.audit')
        if not self.totp_is_enabled(self.id):
            raise UserError(gettext('staff_totp.msg_totp_not_enabled',
                    user=self.rec_name))
        self.totp_verify(code, now=now)
        codes = self._totp_new_recovery_codes()
        Audit.log('totp_recovery_new', [self],
            gettext('staff_totp.msg_audit_recovery_new', login=self.login))
        return codes

    def totp_disable(self, code, now=None):
        "Disable two-factor sign-in after a valid code (not when required)."
        Audit = Pool().get('workshop.audit')
        if self.totp_is_required(self.id):
            raise UserError(gettext('staff_totp.msg_totp_disable_required',
                    user=self.rec_name))
        if not self.totp_is_enabled(self.id):
            raise UserError(gettext('staff_totp.msg_totp_not_enabled',
                    user=self.rec_name))
        self.totp_verify(code, now=now)
        self._totp_clear()
        Audit.log('totp_disabled', [self],
            gettext('staff_totp.msg_audit_disabled', login=self.login))

    def _totp_clear(self):
        pool = Pool()
        TOTP = pool.get('res.user.totp')
        Recovery = pool.get('res.user.totp.recovery')
        with without_check_access():
            TOTP.delete(TOTP.search([('user', '=', self.id)]))
            Recovery.delete(Recovery.search([('user', '=', self.id)]))

    @classmethod
    def totp_reset(cls, users, by=None):
        """Reset two-factor sign-in of `users` (lost phone) on behalf of
        `by` (res.user, default: the transaction user), who must be Owner
        or Admin of a shop of each user (or the administrator). The users
        enrol again at their next sign-in if required."""
        pool = Pool()
        Audit = pool.get('workshop.audit')
        ModelData = pool.get('ir.model.data')
        by = by or cls(Transaction().user)
        admin_id = ModelData.get_id('res', 'user_admin')
        for user in users:
            if by.id != admin_id and by.id != 0:
                if not cls.totp_is_required(by.id):
                    raise UserError(gettext(
                            'staff_totp.msg_totp_reset_not_allowed',
                            user=user.rec_name))
                shops = {c.id for c in by.companies}
                if not shops & {c.id for c in user.companies}:
                    raise UserError(gettext(
                            'staff_totp.msg_totp_reset_other_shop',
                            user=user.rec_name))
            user._totp_clear()
            with Transaction().set_user(by.id):
                Audit.log('totp_reset', [user],
                    gettext('staff_totp.msg_audit_reset', login=user.login,
                        by=by.login))

    # Sign-in ---------------------------------------------------------
    @classmethod
    def _totp_check(cls, user_id, code, now=None):
        """Check `code` for `user_id`: return (kind, reason) where kind is
        'totp', 'recovery' or None and reason says why it failed ('wrong',
        'replay', 'format')."""
        pool = Pool()
        TOTP = pool.get('res.user.totp')
        Recovery = pool.get('res.user.totp.recovery')
        normalized = totp.normalize_code(code)
        if totp.is_totp_code(normalized):
            row = TOTP.get(user_id)
            step = totp.match_step(row.secret, normalized, now=now)
            if step is None:
                return None, 'wrong'
            if not TOTP.use_step(user_id, step):
                return None, 'replay'
            return 'totp', None
        elif totp.is_recovery_code(normalized):
            if Recovery.consume(user_id, normalized):
                return 'recovery', None
            return None, 'wrong'
        return None, 'format'

    @classmethod
    def _login_totp(cls, login, parameters):
        info = parameters.get(_INFO)
        if not isinstance(info, dict):
            info = {}
        user_id = cls._get_login(login)[0]
        if not user_id:
            return
        basic = _is_basic_auth(parameters)
        if not cls.totp_is_enabled(user_id):
            if cls.totp_is_required(user_id):
                info['reason'] = 'enrolment required'
                if basic:
                    return
                info['raise'] = TOTPEnrolmentRequired(
                    gettext('staff_totp.msg_totp_enrolment_required',
                        login=login),
                    gettext('staff_totp.msg_totp_enrolment_how',
                        url=enrolment_url()))
                return
            info['method'] = 'password'
            return user_id
        if basic:
            info['reason'] = 'no second factor over basic authentication'
            return
        code = parameters.get(PARAMETER)
        if code is None or code == '':
            raise LoginException(PARAMETER,
                gettext('staff_totp.msg_totp_code', login=login),
                type='char')
        kind, reason = cls._totp_check(user_id, code)
        if not kind:
            info['reason'] = {
                'wrong': 'wrong code', 'replay': 'code replayed',
                'format': 'not a code'}[reason]
            return
        info['method'] = ('password+totp' if kind == 'totp'
            else 'password+recovery code')
        if kind == 'recovery':
            info['recovery'] = True
        return user_id

    @classmethod
    def get_login(cls, login, parameters):
        pool = Pool()
        Audit = pool.get('workshop.audit')
        info = {}
        parameters = dict(parameters)
        parameters[_INFO] = info
        try:
            user_id = super().get_login(login, parameters)
        except RateLimitException:
            cls._totp_audit_failure(login, 'too many attempts', parameters)
            raise
        error = info.pop('raise', None)
        if user_id:
            if info.get('recovery'):
                with Transaction().set_user(user_id):
                    user = cls(user_id)
                    Audit.log('totp_recovery_used', [user],
                        gettext('staff_totp.msg_audit_recovery_used',
                            login=login, left=cls._totp_recovery_left(
                                [user_id]).get(user_id, 0)))
            if not _is_basic_auth(parameters):
                # Basic authentication signs in at every request of the
                # shop-floor pages: only its failures are recorded.
                with Transaction().set_user(user_id):
                    Audit.log('sign_in', [cls(user_id)],
                        gettext('staff_totp.msg_audit_sign_in',
                            login=login, method=info.get('method')
                            or 'password', ip=_remote_ip()))
        else:
            # With `error` (the password was right, enrolment is missing)
            # the exception rolls the transaction back: the audit row gets
            # its own transaction.
            cls._totp_audit_failure(login,
                info.get('reason') or 'wrong password', parameters,
                commit=error is not None and COMMIT_REFUSALS)
            if error is not None:
                raise error
        return user_id

    @classmethod
    def _totp_audit_failure(cls, login, reason, parameters, commit=False):
        Audit = Pool().get('workshop.audit')
        user_id = cls._get_login(login)[0]
        if not user_id:
            return  # unknown logins: trytond's log has them
        description = gettext('staff_totp.msg_audit_sign_in_failure',
            login=login, reason=reason, ip=_remote_ip())
        if commit:
            with Transaction().new_transaction() as transaction, \
                    transaction.set_user(user_id):
                Audit.log('sign_in_failure', [cls(user_id)], description)
                transaction.commit()
        else:
            with Transaction().set_user(user_id):
                Audit.log('sign_in_failure', [cls(user_id)], description)


class UserRole(metaclass=PoolMeta):
    "Audit every change of the roles of a user."
    __name__ = 'res.user.role'

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        if mode in {'create', 'write', 'delete'} and records:
            cls._audit_roles(mode, records)

    @classmethod
    def _audit_roles(cls, mode, records):
        Audit = Pool().get('workshop.audit')
        message = {
            'create': 'staff_totp.msg_audit_role_added',
            'write': 'staff_totp.msg_audit_role_changed',
            'delete': 'staff_totp.msg_audit_role_removed',
            }[mode]
        entries = []
        for record in records:
            period = ''
            if record.from_date or record.to_date:
                period = ' (%s → %s)' % (
                    record.from_date or '…', record.to_date or '…')
            entries.append((record.user, gettext(message,
                        role=record.role.rec_name, login=record.user.login,
                        period=period)))
        Audit.log_entries('role_change', entries)


def _remote_ip():
    try:
        ip_address, _ = Transaction().remote_address()
    except Exception:
        ip_address = None
    return str(ip_address) if ip_address else '-'


def _chunks(ids):
    for sub in grouped_slice(list(ids), 1000):
        yield list(sub)
