"""Portal accounts: upstream `web.user`, one per customer and shop.

Upstream makes the email unique among active web users of the database;
in a database shared by many shops, one person may be the customer of
two of them, so the email is unique per shop here (`company`), and
`authenticate` tries the accounts of that email in turn. Everything else
is upstream's: password hashing (`password` setter, PASSWORD_HASH),
sessions (`web.user.session`: `new_session`, `get_user`, `remove`) and the
brute-force delays of `web.user.authenticate.attempt`.
"""
import datetime
import logging
import time

from sql import Literal
from sql.conditionals import Coalesce
from sql.operators import Equal

import trytond.config as config
from trytond.exceptions import RateLimitException
from trytond.i18n import gettext
from trytond.model import Exclude, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools.email_ import normalize_email
from trytond.transaction import Transaction, without_check_access

from .exceptions import InviteError

logger = logging.getLogger(__name__)
_dummy_hash = None


def clean_email(value):
    "Return `value` normalized and lower-cased as web.user stores emails."
    value = (value or '').strip()
    try:
        value = normalize_email(value)
    except Exception:
        pass
    return value.lower()


class User(metaclass=PoolMeta):
    __name__ = 'web.user'

    company = fields.Many2One('company.company', "Shop", required=True,
        ondelete='CASCADE',
        states={'readonly': Eval('id', -1) >= 0},
        help="The shop whose customer this account is.")
    portal_invited_at = fields.DateTime("Invited At", readonly=True)
    portal_last_sign_in = fields.DateTime("Last Sign-in", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [c for c in cls._sql_constraints
            if c[0] != 'email_exclude']
        cls._sql_constraints += [
            ('email_company_exclude',
                Exclude(t, (t.email, Equal),
                    (Coalesce(t.company, -1), Equal),
                    where=t.active == Literal(True)),
                'portal.msg_user_email_company_unique'),
            ]
        cls.party.domain = [
            ('company', '=', Eval('company', -1)),
            ]
        cls.party.context = dict(cls.party.context or {},
            company=Eval('company', -1))
        cls.party.depends = set(cls.party.depends or set()) | {'company'}
        cls.secondary_parties.context = dict(
            cls.secondary_parties.context or {}, company=Eval('company', -1))
        cls.secondary_parties.depends = set(
            cls.secondary_parties.depends or set()) | {'company'}
        cls._buttons.update({
                'portal_invite': {
                    'invisible': ~Eval('active', True),
                    'depends': ['active'],
                    },
                })

    @classmethod
    def __register__(cls, module_name):
        super().__register__(module_name)
        table_h = cls.__table_handler__(module_name)
        # Upstream's database-wide email uniqueness: replaced per shop.
        table_h.drop_constraint('email_exclude')

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @fields.depends('party', 'email', 'company')
    def on_change_party(self):
        super().on_change_party()
        if self.party and self.party.company:
            self.company = self.party.company

    @classmethod
    def validate_fields(cls, users, field_names):
        super().validate_fields(users, field_names)
        if field_names and not ({'party', 'company'} & set(field_names)):
            return
        for user in users:
            if user.party and user.party.company != user.company:
                raise ValidationError(gettext('portal.msg_user_party_company',
                        user=user.rec_name, party=user.party.rec_name))

    @classmethod
    def find(cls, email, company=None):
        """Return the active accounts (list) of `email` (any case), in all
        shops or in `company` (id or record)."""
        email = clean_email(email)
        if not email:
            return []
        domain = [('email', '=', email)]
        if company is not None:
            domain.append(('company', '=', int(company)))
        with without_check_access():
            return cls.search(domain, order=[('id', 'ASC')])

    @classmethod
    def authenticate(cls, email, password, company=None):
        """Return the active account of `email` whose password is
        `password` (first by id; in `company` if given), or None.

        Upstream's brute-force rules apply (`[session] max_attempt`,
        default 5, and `max_attempt_ip_network` per IP network, within
        `[session] timeout`): after `count` failures the answer waits
        2**count - 1 seconds (after the transaction), and beyond the
        limit RateLimitException is raised. A success clears the count.
        """
        global _dummy_hash
        pool = Pool()
        Attempt = pool.get('web.user.authenticate.attempt')
        email = clean_email(email)

        count_ip = Attempt.count_ip()
        if count_ip > config.getint(
                'session', 'max_attempt_ip_network', default=300):
            raise RateLimitException()
        count = Attempt.count(email)
        if count > config.getint('session', 'max_attempt', default=5):
            Attempt.add(email)
            raise RateLimitException()
        Transaction().atexit(time.sleep, 2 ** count - 1)

        users = [u for u in cls.find(email, company) if u.password_hash]
        for user in users:
            valid, new_hash = cls.check_password(password, user.password_hash)
            if valid:
                if new_hash:
                    logger.info("Update password hash for %s", user.id)
                    with Transaction().new_transaction():
                        with without_check_access():
                            cls.write([cls(user.id)], {
                                    'password_hash': new_hash,
                                    })
                Attempt.remove(email)
                return user
        if not users:
            # The same work as for a real account: no timing difference.
            if _dummy_hash is None:
                _dummy_hash = cls.hash_password('portal-dummy-password')
            cls.check_password(password, _dummy_hash)
        Attempt.add(email)
        return None

    @classmethod
    def get_portal_user(cls, party, create=True):
        """Return the account of `party` (party.party of a shop), created
        with the party's email when missing and `create`; None if missing.
        Raises InviteError when the party has no shop or no email."""
        if not party.company:
            raise InviteError(gettext('portal.msg_invite_no_shop',
                    party=party.rec_name))
        email = clean_email(party.email)
        with without_check_access():
            users = cls.search([
                    ('party', '=', party.id),
                    ('company', '=', party.company.id),
                    ('active', 'in', [True, False]),
                    ], order=[('active', 'DESC'), ('id', 'ASC')])
        if users:
            return users[0]
        if not create:
            return None
        if not email:
            raise InviteError(gettext('portal.msg_invite_no_email',
                    party=party.rec_name))
        if cls.find(email, party.company):
            raise InviteError(gettext('portal.msg_invite_email_used',
                    party=party.rec_name, email=email))
        with without_check_access():
            user, = cls.create([{
                        'email': email,
                        'party': party.id,
                        'company': party.company.id,
                        }])
        return user

    @classmethod
    def portal_invite_parties(cls, parties, order=None):
        """Invite each party (customer of a shop) to the portal: its account
        is created or reactivated with the party's current email, a
        password link valid `[portal] invite_timeout` seconds (7 days) is
        emailed after commit (`portal.email`), and the invitation audited.
        Returns the accounts. Raises InviteError for a party without shop
        or email, or whose email is another customer's account."""
        pool = Pool()
        Token = pool.get('portal.token')
        Email = pool.get('portal.email')
        Audit = pool.get('workshop.audit')
        users = []
        emails = []
        for party in parties:
            email = clean_email(party.email)
            if not email:
                raise InviteError(gettext('portal.msg_invite_no_email',
                        party=party.rec_name))
            user = cls.get_portal_user(party)
            if user.email != email or not user.active:
                others = [u for u in cls.find(email, party.company)
                    if u != user]
                if others:
                    raise InviteError(gettext('portal.msg_invite_email_used',
                            party=party.rec_name, email=email))
                with without_check_access():
                    cls.write([user], {'email': email, 'active': True})
            with without_check_access():
                cls.write([user], {
                        'portal_invited_at': datetime.datetime.now()})
            raw, token = Token.issue(user, 'invite')
            emails.append(Email.create_for_token(user, token, raw))
            Audit.log('portal_invite', [party], company=party.company,
                description="%s%s" % (email,
                    (' (%s)' % order.rec_name) if order else ''))
            users.append(user)
        Email.queue(emails)
        return users

    @classmethod
    @ModelView.button
    def portal_invite(cls, users):
        "Invite the accounts' customers again (a new password link)."
        cls.portal_invite_parties([u.party for u in users if u.party])

    @classmethod
    @ModelView.button
    def reset_password(cls, users, from_=None):
        """Portal accounts get the portal's password link (hashed token,
        recorded email); others keep upstream's."""
        pool = Pool()
        Token = pool.get('portal.token')
        Email = pool.get('portal.email')
        portal = [u for u in users if u.company and u.party]
        others = [u for u in users if u not in portal]
        if others:
            super().reset_password(others, from_=from_)
        emails = []
        for user in portal:
            raw, token = Token.issue(user, 'reset')
            emails.append(Email.create_for_token(user, token, raw))
        Email.queue(emails)

    @classmethod
    def sign_out_everywhere(cls, users):
        """Delete every session of `users` (all their devices, the current
        one included)."""
        Session = Pool().get('web.user.session')
        with without_check_access():
            Session.delete(Session.search([('user', 'in', [u.id for u in users])]))


class UserSession(metaclass=PoolMeta):
    __name__ = 'web.user.session'

    @classmethod
    def count_for(cls, user):
        "Return the number of live sessions of `user` (web.user)."
        now = datetime.datetime.now()
        return len([s for s in cls.search([('user', '=', user.id)])
                if abs(s.last_modified_at - now) <= cls.timeout()])
