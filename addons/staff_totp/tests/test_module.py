"""Unit tests of two-factor sign-in: codes and steps, enrolment, the login
method (codes, replays, recovery codes, required roles, basic
authentication), changes, resets, audit rows and access to the secrets."""
import datetime
import unittest
from unittest import mock

import trytond.config as config
from trytond.exceptions import LoginException
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.staff_totp import totp, user as user_module
from trytond.modules.staff_totp.user import TOTPEnrolmentRequired
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction
from trytond.exceptions import UserError

PASSWORD = 'Atelier-Totp-2025!'
UTC = datetime.timezone.utc


def at(step, seconds=5):
    "An aware datetime inside `step`."
    return datetime.datetime.fromtimestamp(
        step * totp.STEP + seconds, tz=UTC)


class TOTPArithmeticTestCase(unittest.TestCase):
    "TOTP steps and recovery codes without the database"

    def test_match_step_window(self):
        "A code is valid one step before and after, not two"
        secret = totp.new_secret()
        step = totp.current_step()
        now = at(step)
        self.assertEqual(totp.match_step(
                secret, totp.code_at(secret, step), now), step)
        self.assertEqual(totp.match_step(
                secret, totp.code_at(secret, step - 1), now), step - 1)
        self.assertEqual(totp.match_step(
                secret, totp.code_at(secret, step + 1), now), step + 1)
        self.assertIsNone(totp.match_step(
                secret, totp.code_at(secret, step - 2), now))
        code = totp.code_at(secret, step)
        self.assertEqual(totp.match_step(
                secret, code[:3] + ' ' + code[3:], now), step)
        for bad in ['', None, '12345', 'abcdef', '1234567']:
            self.assertIsNone(totp.match_step(secret, bad, now))

    def test_uri(self):
        "The otpauth URI names Atelier, the shop and the login"
        uri = totp.provisioning_uri('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 'gerant',
            "Répar'Phone Lyon")
        self.assertTrue(uri.startswith('otpauth://totp/'))
        self.assertIn('issuer=Atelier', uri)
        self.assertIn('gerant', uri)
        self.assertIn('secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', uri)
        svg = totp.qr_svg(uri)
        self.assertIn('<svg', svg)
        self.assertTrue(totp.qr_png(uri).startswith(b'\x89PNG'))

    def test_recovery_codes(self):
        "10 different codes; hashes are salted and check the code only"
        codes = totp.new_recovery_codes()
        self.assertEqual(len(set(codes)), 10)
        for code in codes:
            self.assertRegex(code, r'^[a-z2-9]{5}-[a-z2-9]{5}$')
            self.assertTrue(totp.is_recovery_code(code))
            self.assertFalse(totp.is_totp_code(code))
        hashed = totp.hash_recovery(codes[0])
        self.assertNotIn(codes[0], hashed)
        self.assertNotEqual(hashed, totp.hash_recovery(codes[0]))
        self.assertTrue(totp.check_recovery(codes[0], hashed))
        self.assertTrue(totp.check_recovery(codes[0].upper(), hashed))
        self.assertTrue(totp.check_recovery(
                codes[0].replace('-', ' '), hashed))
        self.assertFalse(totp.check_recovery(codes[1], hashed))
        self.assertFalse(totp.check_recovery(codes[0], 'garbage'))


class StaffTOTPTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Staff TOTP module"
    module = 'staff_totp'

    def setUp(self):
        super().setUp()
        authentications = config.get('session', 'authentications',
            default='password')
        config.set('session', 'authentications', 'password+totp')
        self.addCleanup(config.set, 'session', 'authentications',
            authentications)
        # one shared SQLite memory connection: a commit would keep the
        # test's rows for the next tests
        patcher = mock.patch.object(user_module, 'COMMIT_REFUSALS', False)
        patcher.start()
        self.addCleanup(patcher.stop)

    def create_user(self, login, role, company):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        role_id = ModelData.get_id('workshop', role) if role else None
        user, = User.create([{
                    'name': login.title(), 'login': login,
                    'password': PASSWORD,
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'roles': [('create', [{'role': role_id}])]
                    if role_id else [],
                    }])
        return user

    def enrol(self, user, step=None):
        "Enrol `user`; return (secret, recovery codes, step used)."
        pool = Pool()
        TOTP = pool.get('res.user.totp')
        step = step if step is not None else totp.current_step() - 10
        secret, uri = user.totp_start()
        self.assertEqual(TOTP.get(user.id).pending_secret, secret)
        self.assertIn('otpauth://', uri)
        codes = user.totp_confirm(
            totp.code_at(secret, step), now=at(step))
        return secret, codes, step

    def login(self, login, **parameters):
        User = Pool().get('res.user')
        parameters.setdefault('password', PASSWORD)
        return User.get_login(login, parameters)

    def audits(self, action):
        Audit = Pool().get('workshop.audit')
        return Audit.search([('action', '=', action)], order=[('id', 'ASC')])

    @with_transaction()
    def test_required_by_role(self):
        "Owners and Admins must use two-factor sign-in, others may"
        company = create_company()
        with set_company(company):
            owner = self.create_user('owner', 'role_owner', company)
            admin = self.create_user('admin2', 'role_admin', company)
            tech = self.create_user('tech', 'role_technician', company)
            accounting = self.create_user(
                'compta', 'role_accounting', company)
            nobody = self.create_user('nobody', None, company)
        self.assertTrue(owner.totp_required)
        self.assertTrue(admin.totp_required)
        self.assertFalse(tech.totp_required)
        self.assertFalse(accounting.totp_required)
        self.assertFalse(nobody.totp_required)
        self.assertFalse(owner.totp_enabled)

    @with_transaction()
    def test_enrolment(self):
        "Enrolment: pending secret, confirmed by a code, 10 recovery codes"
        pool = Pool()
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            tech = self.create_user('tech', 'role_technician', company)
            secret, uri = tech.totp_start()
            step = totp.current_step()
            with self.assertRaises(UserError):
                tech.totp_confirm('000000' if totp.code_at(secret, step)
                    != '000000' else '111111', now=at(step))
            self.assertFalse(User(tech.id).totp_enabled)
            codes = tech.totp_confirm(
                totp.code_at(secret, step), now=at(step))
        self.assertEqual(len(codes), 10)
        tech = User(tech.id)
        self.assertTrue(tech.totp_enabled)
        self.assertEqual(tech.totp_recovery_left, 10)
        row, = self.audits('totp_enabled')
        self.assertEqual(row.resource, tech)
        self.assertEqual(row.company, company)
        with self.assertRaises(UserError):
            tech.totp_start()  # already enabled

    @with_transaction()
    def test_expired_enrolment(self):
        "A pending secret older than one hour cannot be confirmed"
        pool = Pool()
        TOTP = pool.get('res.user.totp')
        company = create_company()
        with set_company(company):
            tech = self.create_user('tech', 'role_technician', company)
        secret, _ = tech.totp_start()
        row = TOTP.get(tech.id)
        row.pending_date = datetime.datetime.now() - datetime.timedelta(
            hours=2)
        row.save()
        step = totp.current_step()
        with self.assertRaises(UserError):
            tech.totp_confirm(totp.code_at(secret, step), now=at(step))

    @with_transaction()
    def test_login_enrolled(self):
        "Enrolled: asks the code; wrong and replayed codes are refused"
        company = create_company()
        with set_company(company):
            tech = self.create_user('tech', 'role_technician', company)
        secret, _, step = self.enrol(tech)
        with self.assertRaises(LoginException) as cm:
            self.login('tech')
        self.assertEqual(cm.exception.name, 'totp_code')
        self.assertEqual(cm.exception.type, 'char')
        # a wrong password does not reach the code
        self.assertIsNone(self.login('tech', password='wrong',
                totp_code=totp.code_at(secret, totp.current_step())))
        now_step = totp.current_step()
        good = totp.code_at(secret, now_step)
        wrong = '%06d' % ((int(good) + 1) % 10 ** 6)
        self.assertIsNone(self.login('tech', totp_code=wrong))
        self.assertEqual(self.login('tech', totp_code=good), tech.id)
        # the same step again: a replay
        self.assertIsNone(self.login('tech', totp_code=good))
        failures = [r.description for r in self.audits('sign_in_failure')]
        self.assertTrue(any('wrong password' in d for d in failures))
        self.assertTrue(any('wrong code' in d for d in failures))
        self.assertTrue(any('code replayed' in d for d in failures))
        sign_in, = self.audits('sign_in')
        self.assertIn('password+totp', sign_in.description)
        self.assertEqual(sign_in.user, tech)

    @with_transaction()
    def test_replay_of_enrolment_code(self):
        "The code that confirmed the enrolment cannot sign in"
        company = create_company()
        with set_company(company):
            tech = self.create_user('tech', 'role_technician', company)
        step = totp.current_step()
        secret, uri = tech.totp_start()
        tech.totp_confirm(totp.code_at(secret, step), now=at(step))
        self.assertIsNone(self.login('tech',
                totp_code=totp.code_at(secret, step)))

    @with_transaction()
    def test_wrong_codes_are_throttled(self):
        "Wrong codes count as failed attempts of res.user.login.attempt"
        pool = Pool()
        LoginAttempt = pool.get('res.user.login.attempt')
        company = create_company()
        with set_company(company):
            tech = self.create_user('tech', 'role_technician', company)
        secret, _, _ = self.enrol(tech)
        good = totp.code_at(secret, totp.current_step())
        wrong = '%06d' % ((int(good) + 1) % 10 ** 6)
        with mock.patch('time.sleep'):
            for _ in range(3):
                self.assertIsNone(self.login('tech', totp_code=wrong))
        self.assertEqual(LoginAttempt.count('tech'), 3)

    @with_transaction()
    def test_recovery_code(self):
        "A recovery code signs in once"
        pool = Pool()
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            tech = self.create_user('tech', 'role_technician', company)
        _, codes, _ = self.enrol(tech)
        self.assertEqual(self.login('tech', totp_code=codes[3].upper()),
            tech.id)
        self.assertIsNone(self.login('tech', totp_code=codes[3]))
        self.assertEqual(User(tech.id).totp_recovery_left, 9)
        used, = self.audits('totp_recovery_used')
        self.assertIn('9', used.description)
        sign_in, = self.audits('sign_in')
        self.assertIn('recovery code', sign_in.description)

    @with_transaction()
    def test_required_not_enrolled(self):
        "An Owner not enrolled is refused with how to enrol"
        company = create_company()
        with set_company(company):
            self.create_user('owner', 'role_owner', company)
            tech = self.create_user('tech', 'role_technician', company)
        with self.assertRaises(TOTPEnrolmentRequired) as cm:
            self.login('owner')
        self.assertIn('/staff/2fa', cm.exception.description)
        refusal, = self.audits('sign_in_failure')
        self.assertIn('enrolment required', refusal.description)
        # a wrong password says nothing about enrolment
        self.assertIsNone(self.login('owner', password='wrong'))
        self.assertEqual(self.login('tech'), tech.id)
        sign_in, = self.audits('sign_in')
        self.assertIn('(password)', sign_in.description)

    @with_transaction()
    def test_owner_enrolled(self):
        "An enrolled Owner signs in with the code"
        company = create_company()
        with set_company(company):
            owner = self.create_user('owner', 'role_owner', company)
        secret, _, _ = self.enrol(owner)
        self.assertEqual(self.login('owner',
                totp_code=totp.code_at(secret, totp.current_step())),
            owner.id)

    @with_transaction()
    def test_basic_auth(self):
        "Basic authentication passes only users without a second factor"
        company = create_company()
        with set_company(company):
            tech = self.create_user('tech', 'role_technician', company)
            self.create_user('owner', 'role_owner', company)
            other = self.create_user('other', 'role_technician', company)
        self.enrol(tech)
        basic = {'username': 'x'}
        self.assertIsNone(self.login('tech', **basic))
        self.assertIsNone(self.login('owner', **basic))
        self.assertEqual(self.login('other', **basic), other.id)
        self.assertFalse(self.audits('sign_in'))  # not at every request

    @with_transaction()
    def test_password_only_configuration(self):
        "With authentications = password, the module changes nothing"
        company = create_company()
        with set_company(company):
            owner = self.create_user('owner', 'role_owner', company)
        config.set('session', 'authentications', 'password')
        self.assertEqual(self.login('owner'), owner.id)

    @with_transaction()
    def test_regenerate_and_disable(self):
        "New recovery codes and disabling need a code; Owners cannot"
        pool = Pool()
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            tech = self.create_user('tech', 'role_technician', company)
            owner = self.create_user('owner', 'role_owner', company)
            secret, old, step = self.enrol(tech)
            with self.assertRaises(UserError):
                tech.totp_regenerate('000000', now=at(step + 5))
            new = tech.totp_regenerate(
                totp.code_at(secret, step + 1), now=at(step + 1))
            self.assertFalse(set(new) & set(old))
            self.assertIsNone(self.login('tech', totp_code=old[0]))
            # replay of the code just used
            with self.assertRaises(UserError):
                tech.totp_disable(
                    totp.code_at(secret, step + 1), now=at(step + 1))
            tech.totp_disable(new[0])
            self.assertFalse(User(tech.id).totp_enabled)
            self.assertEqual(User(tech.id).totp_recovery_left, 0)
            self.assertEqual(self.login('tech'), tech.id)

            osecret, _, ostep = self.enrol(owner)
            with self.assertRaises(UserError):
                owner.totp_disable(
                    totp.code_at(osecret, ostep + 1), now=at(ostep + 1))
            self.assertTrue(User(owner.id).totp_enabled)
        self.assertEqual(len(self.audits('totp_recovery_new')), 1)
        self.assertEqual(len(self.audits('totp_disabled')), 1)

    @with_transaction()
    def test_reset(self):
        "An Owner or Admin resets the 2FA of a user of the shop only"
        pool = Pool()
        User = pool.get('res.user')
        shop_a = create_company(name="Shop A")
        shop_b = create_company(name="Shop B")
        with set_company(shop_a):
            owner_a = self.create_user('owner_a', 'role_owner', shop_a)
            admin_a = self.create_user('admin_a', 'role_admin', shop_a)
            tech_a = self.create_user('tech_a', 'role_technician', shop_a)
        with set_company(shop_b):
            owner_b = self.create_user('owner_b', 'role_owner', shop_b)
        self.enrol(tech_a)
        self.enrol(owner_a)
        with self.assertRaises(UserError):
            User.totp_reset([User(tech_a.id)], by=owner_b)
        with self.assertRaises(UserError):
            User.totp_reset([User(owner_a.id)], by=User(tech_a.id))
        User.totp_reset([User(tech_a.id)], by=admin_a)
        self.assertFalse(User(tech_a.id).totp_enabled)
        User.totp_reset([User(owner_a.id)], by=admin_a)
        with self.assertRaises(TOTPEnrolmentRequired):
            self.login('owner_a')
        rows = self.audits('totp_reset')
        self.assertEqual(len(rows), 2)
        self.assertEqual({r.user for r in rows}, {admin_a})
        self.assertEqual({r.company for r in rows}, {shop_a})

    @with_transaction()
    def test_role_changes_audited(self):
        "Giving, changing and removing a role leave audit rows"
        pool = Pool()
        User = pool.get('res.user')
        UserRole = pool.get('res.user.role')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company):
            tech = self.create_user('tech', 'role_technician', company)
            User.write([tech], {'roles': [('create', [{
                                'role': ModelData.get_id(
                                    'workshop', 'role_admin')}])]})
            self.assertTrue(User(tech.id).totp_required)
            role, = UserRole.search([('user', '=', tech.id),
                    ('role.name', '=', 'Admin')])
            # through the user, as its form does: groups follow the roles
            User.write([tech], {'roles': [('write', [role.id], {
                                'to_date': datetime.datetime(2000, 1, 1)})]})
            self.assertFalse(User(tech.id).totp_required)
            UserRole.delete([role])
        descriptions = [r.description for r in self.audits('role_change')]
        self.assertEqual(len(descriptions), 4)
        self.assertIn('Technician', descriptions[0])
        self.assertIn('Admin', descriptions[1])
        self.assertIn('removed', descriptions[3])

    @with_transaction()
    def test_secrets_not_readable(self):
        "No user reads the secrets or recovery codes over RPC"
        pool = Pool()
        TOTP = pool.get('res.user.totp')
        Recovery = pool.get('res.user.totp.recovery')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            owner = self.create_user('owner', 'role_owner', company)
        self.enrol(owner)
        with Transaction().set_user(owner.id), \
                Transaction().set_context(_check_access=True):
            for Model in [TOTP, Recovery]:
                with self.assertRaises(AccessError):
                    Model.search([])
                with self.assertRaises(AccessError):
                    Model.read([1], ['id'])
            user, = User.read([owner.id],
                ['totp_enabled', 'totp_required', 'totp_recovery_left'])
        self.assertTrue(user['totp_enabled'])
        self.assertNotIn('secret', User._fields)

    @with_transaction()
    def test_manage_wizard(self):
        "The wizard enrols the signed-in user and shows the codes once"
        pool = Pool()
        User = pool.get('res.user')
        Manage = pool.get('staff_totp.manage', type='wizard')
        TOTP = pool.get('res.user.totp')
        company = create_company()
        with set_company(company):
            tech = self.create_user('tech', 'role_technician', company)
        with Transaction().set_user(tech.id), set_company(company):
            session_id, start, _ = Manage.create()
            result = Manage.execute(session_id, {}, 'start')
            self.assertEqual(result['view']['state'], 'enrol')
            defaults = result['view']['defaults']
            self.assertTrue(defaults['qr_code'])
            secret = TOTP.get(tech.id).pending_secret
            self.assertEqual(defaults['secret'].replace(' ', ''), secret)
            code = totp.code_at(secret, totp.current_step())
            result = Manage.execute(session_id, {
                    'enrol': {'code': code, 'secret': defaults['secret']},
                    }, 'confirm')
            self.assertEqual(result['view']['state'], 'done')
            codes = result['view']['defaults']['recovery_codes'].split('\n')
            self.assertEqual(len(codes), 10)
            Manage.delete(session_id)
        self.assertTrue(User(tech.id).totp_enabled)


del ModuleTestCase
