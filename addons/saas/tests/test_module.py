"""Unit tests of the saas module: sign-up, feature gating, hidden menus,
read-only shops, trial reminders, storage quota, dashboard figures and the
audited, announced plan changes."""
import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.saas.dashboard import figures
from trytond.modules.saas.exceptions import QuotaError, SignUpError
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

TODAY = dt.date(2026, 3, 2)


def values(**kwargs):
    result = {
        'shop_name': "Répar'Phone Lyon", 'owner_name': "Marie Durand",
        'email': 'marie@reparphone.example', 'phone': '04 78 00 00 00',
        'country': 'FR', 'trade': 'repair', 'terms_accepted': True,
        'privacy_accepted': True, 'ip': '192.0.2.7',
        }
    result.update(kwargs)
    return result


def sign_up(**kwargs):
    Shop = Pool().get('saas.shop')
    return Shop(Shop.sign_up(values(**kwargs), today=kwargs.pop(
                'today', TODAY) if 'today' in kwargs else TODAY))


def as_user(shop):
    "Context manager: the shop's owner, access checks on, as RPC runs."
    transaction = Transaction()

    class _Ctx:
        def __enter__(self):
            self.user = transaction.set_user(shop.owner.id)
            self.user.__enter__()
            self.ctx = transaction.set_context(company=shop.company.id,
                companies=[shop.company.id], _check_access=True)
            self.ctx.__enter__()

        def __exit__(self, *args):
            self.ctx.__exit__(*args)
            self.user.__exit__(*args)
    return _Ctx()


class SaasTestCase(CompanyTestMixin, ModuleTestCase):
    "Test saas module"
    module = 'saas'
    extras = ['repair', 'coating']

    @property
    def _skip_company_rule(self):
        # Their global rule is "company in the user's companies" for
        # everyone but the SaaS operator group, which sees every shop
        # (If(Eval('saas_operator'), [], [company in companies]),
        # saas.xml): checked by test_rules_shop_and_operator.
        # The operator company of the (singleton) configuration is the
        # installation's setting, no shop's data.
        return super()._skip_company_rule | {
            ('saas.shop', 'company'), ('saas.email', 'company'),
            ('saas.configuration', 'operator_company')}

    @with_transaction()
    def test_rules_shop_and_operator(self):
        "A shop's owner sees its own subscription only; the operator all"
        pool = Pool()
        Shop = pool.get('saas.shop')
        a = sign_up()
        b = sign_up(shop_name="B", email='b@shop.example')
        with as_user(a):
            self.assertEqual(Shop.search([]), [a])
            self.assertEqual(Shop.search([('id', '=', b.id)]), [])
        with Transaction().set_user(1), Transaction().set_context(
                _check_access=True, companies=[]):
            self.assertEqual(set(Shop.search([])), {a, b})

    def _gate_party(self, shop):
        """Gate the party module by a feature that no plan has, and make
        `shop` active on Lite."""
        pool = Pool()
        Feature = pool.get('saas.feature')
        Plan = pool.get('saas.plan')
        Shop = pool.get('saas.shop')
        feature, = Feature.create([{'code': 'contacts', 'name': "Contacts",
                    'modules': 'party'}])
        lite, = Plan.search([('code', '=', 'lite')])
        Shop.choose_plan([shop], lite, 'monthly', [])
        return feature

    @with_transaction()
    def test_sign_up_france(self):
        "Sign-up of a French repair shop creates everything it needs"
        pool = Pool()
        Account = pool.get('account.account')
        Tax = pool.get('account.tax')
        FiscalYear = pool.get('account.fiscalyear')
        Stage = pool.get('service.order.stage')
        Email = pool.get('saas.email')
        Audit = pool.get('workshop.audit')
        Activation = pool.get('saas.activation')
        User = pool.get('res.user')

        shop = sign_up()
        company = shop.company
        self.assertEqual(shop.state, 'trial')
        self.assertEqual(shop.trial_start, TODAY)
        self.assertEqual(shop.trial_end, TODAY + dt.timedelta(days=29))
        self.assertEqual(company.currency.code, 'EUR')
        self.assertEqual(company.business_type, 'repair')
        self.assertEqual(shop.owner_phone, '+33478000000')
        self.assertEqual(shop.terms_version, '1')
        self.assertEqual(shop.terms_ip, '192.0.2.7')
        self.assertTrue(Account.search([('company', '=', company.id),
                    ('code', '=', '4111')]))
        self.assertTrue(Tax.search([('company', '=', company.id)]))
        year, = FiscalYear.search([('company', '=', company.id)])
        self.assertEqual(len(year.periods), 12)
        self.assertTrue(Stage.search([('company', '=', company.id),
                    ('kind', '=', 'repair')]))
        owner = shop.owner
        self.assertEqual(owner.login, 'marie@reparphone.example')
        self.assertEqual(owner.company, company)
        self.assertEqual([r.role.name for r in owner.roles], ['Owner'])
        self.assertTrue(company.has_feature('powder_stock'))  # trial = Pro
        self.assertIn('account_fr', shop.accounting_note)
        email, = Email.search([('company', '=', company.id)])
        self.assertEqual(email.kind, 'activation')
        self.assertEqual(email.recipient, 'marie@reparphone.example')
        self.assertIn('/signup/activate/', email.link)
        self.assertIn('{link}', email.body)
        self.assertTrue(Audit.search([('company', '=', company.id),
                    ('action', '=', 'plan')]))

        raw = email.link.rsplit('/', 1)[1]
        activation = Activation.find(raw)
        self.assertEqual(activation.user, owner)
        activation.activate('A long shop password 2026')
        self.assertIsNone(Activation.find(raw))
        self.assertEqual(User.get_login('marie@reparphone.example', {
                    'password': 'A long shop password 2026'}), owner.id)

    @with_transaction()
    def test_sign_up_west_africa(self):
        "A Senegalese shop gets XOF, a minimal chart and an 18 % VAT"
        pool = Pool()
        Tax = pool.get('account.tax')
        shop = sign_up(shop_name="Couture Ndiaye", country='SN',
            phone='77 123 45 67', trade='tailoring',
            email='awa@couture.example')
        self.assertEqual(shop.company.currency.code, 'XOF')
        self.assertEqual(shop.company.currency.digits, 0)
        self.assertEqual(shop.owner_phone, '+221771234567')
        tax, = Tax.search([('company', '=', shop.company.id)])
        self.assertEqual(tax.rate, Decimal('0.18'))
        self.assertIn('SYSCOHADA', shop.accounting_note)

    @with_transaction()
    def test_sign_up_coating(self):
        "A coating shop starts with its stages, QC checklist and defects"
        pool = Pool()
        Stage = pool.get('service.order.stage')
        Control = pool.get('quality.control')
        DefectType = pool.get('coating.defect.type')
        shop = sign_up(shop_name="Thermolaquage Est", trade='coating',
            email='paul@thermo.example')
        company = shop.company
        self.assertTrue(Stage.search([
                    ('company', '=', company.id), ('kind', '=', 'coating')]))
        control, = Control.search([('company', '=', company.id)])
        # in French when the test database has the French translations
        self.assertIn(control.name,
            ["Contrôle final thermolaquage", "Final coating check"])
        self.assertEqual(control.operations,
            ('service.order:coating_ready',))
        thickness, = [p for p in control.points if p.name == 'thickness']
        self.assertEqual((thickness.type_, thickness.tolerance_lower,
                thickness.tolerance_upper), ('float', 60., 120.))
        self.assertEqual(len(control.points), 4)
        defects = DefectType.search([('company', '=', company.id)])
        self.assertTrue({"Coulure", "Runs"} & {d.name for d in defects})
        self.assertEqual(len(defects), 6)
        # a second call (a shop set up again) adds nothing
        self.assertEqual(Control.create_coating_defaults(company),
            [control])
        # another trade gets no coating lists
        repair = sign_up(shop_name="Répar Est", email='lea@repar.example')
        self.assertFalse(Control.search([
                    ('company', '=', repair.company.id)]))

    @with_transaction()
    def test_sign_up_errors(self):
        "Each invalid sign-up value is refused with a message naming it"
        Shop = Pool().get('saas.shop')
        cases = [
            ({'shop_name': ' '}, 'Shop name'),
            ({'email': 'not-an-email'}, 'Email'),
            ({'phone': '12'}, 'Phone'),
            ({'country': 'US'}, 'Country'),
            ({'trade': 'bakery'}, 'Trade'),
            ({'terms_accepted': False}, 'Terms of service'),
            ({'privacy_accepted': False}, 'Privacy policy'),
            ]
        for change, field in cases:
            with self.subTest(field=field):
                with self.assertRaises(SignUpError) as cm:
                    Shop.sign_up(values(**change))
                self.assertTrue(cm.exception.message.startswith(field),
                    cm.exception.message)
        sign_up()
        with self.assertRaises(SignUpError) as cm:
            Shop.sign_up(values(shop_name="Another"))
        self.assertIn('already exists', cm.exception.message)

    @with_transaction()
    def test_feature_gating(self):
        "A disabled feature refuses changes with its name and the plan"
        pool = Pool()
        Party = pool.get('party.party')
        shop = sign_up()
        self._gate_party(shop)
        self.assertFalse(shop.company.has_feature('contacts'))
        self.assertTrue(shop.company.has_feature('repair'))
        with as_user(shop):
            with self.assertRaises(AccessError) as cm:
                Party.create([{'name': "Client"}])
            self.assertIn('"Contacts"', cm.exception.message)
            self.assertIn('"Lite"', cm.exception.message)
            # Reading stays possible.
            Party.search([])
        with self.assertRaises(AccessError):
            shop.company.check_feature('contacts')
        # Without access checks (crons, internal code) nothing is refused.
        Party.create([{'name': "Internal"}])

    @with_transaction()
    def test_menus_hidden(self):
        "Menus of a disabled feature's modules are hidden"
        pool = Pool()
        Menu = pool.get('ir.ui.menu')
        ModelData = pool.get('ir.model.data')
        shop = sign_up()
        party_menu = ModelData.get_id('party', 'menu_party')
        with as_user(shop):
            before = {m.id for m in Menu.search([])}
        self._gate_party(shop)
        with as_user(shop):
            after = {m.id for m in Menu.search([])}
        self.assertIn(party_menu, before)
        self.assertNotIn(party_menu, after)
        self.assertLess(len(after), len(before))
        # The operator (admin) still sees them.
        with Transaction().set_context(_check_access=True):
            self.assertIn(party_menu, {m.id for m in Menu.search([])})

    @with_transaction()
    def test_read_only(self):
        "A shop whose trial ended reads but cannot write until a plan"
        pool = Pool()
        Party = pool.get('party.party')
        Plan = pool.get('saas.plan')
        Shop = pool.get('saas.shop')
        shop = sign_up()
        Shop.run_trial(today=shop.trial_end)
        self.assertEqual(Shop(shop.id).state, 'trial')
        Shop.run_trial(today=shop.trial_end + dt.timedelta(days=1))
        shop = Shop(shop.id)
        self.assertEqual(shop.state, 'read_only')
        with as_user(shop):
            self.assertTrue(Party.search([]))
            with self.assertRaises(AccessError) as cm:
                Party.create([{'name': "Client"}])
            self.assertIn('read-only', cm.exception.message)
            self.assertIn('Choose a Plan', cm.exception.message)
        pro, = Plan.search([('code', '=', 'pro')])
        Shop.choose_plan([shop], pro, 'yearly')
        with as_user(shop):
            Party.create([{'name': "Client"}])

        shop.suspend("unpaid invoice")
        with as_user(shop):
            with self.assertRaises(AccessError) as cm:
                Party.create([{'name': "Client 2"}])
            self.assertIn('unpaid invoice', cm.exception.message)
        Shop(shop.id).reactivate()
        self.assertEqual(Shop(shop.id).state, 'active')

    @with_transaction()
    def test_subscription_opened_at_sign_in(self):
        "The owner of a shop not in use is shown its subscription first"
        pool = Pool()
        Shop = pool.get('saas.shop')
        User = pool.get('res.user')
        Action = pool.get('ir.action')
        ModelData = pool.get('ir.model.data')
        subscription = Action.get_action_id(
            ModelData.get_id('saas', 'act_shop_own'))
        shop = sign_up()
        technician, = User.create([{
                    'login': 'tech-lyon', 'name': "Tech",
                    'companies': [('add', [shop.company.id])],
                    'company': shop.company.id,
                    'roles': [('create', [{'role': ModelData.get_id(
                                        'workshop', 'role_technician')}])],
                    }])

        # User.sign_in_actions is what _get_preferences applies to the
        # upstream preferences (which, on SQLite, end the test's
        # transaction: a commit that would leak this shop to other tests)
        def actions(user):
            return User.sign_in_actions(User(user.id), [])
        self.assertNotIn(subscription, actions(shop.owner))
        shop.suspend("Facture SAAS-1 impayée")
        self.assertEqual(actions(User(shop.owner.id))[0], subscription)
        # staff who cannot read the subscription get refusals, not a form
        self.assertNotIn(subscription, actions(technician))
        # lifted without a plan chosen: read-only, still shown
        Shop(shop.id).reactivate()
        self.assertEqual(Shop(shop.id).state, 'read_only')
        self.assertEqual(actions(User(shop.owner.id))[0], subscription)
        pro, = pool.get('saas.plan').search([('code', '=', 'pro')])
        Shop.choose_plan([Shop(shop.id)], pro, 'monthly')
        self.assertNotIn(subscription, actions(User(shop.owner.id)))

    @with_transaction()
    def test_trial_reminders(self):
        "Reminders on days 7, 15 and 25 only, each once; read-only after"
        pool = Pool()
        Shop = pool.get('saas.shop')
        Email = pool.get('saas.email')
        shop = sign_up()
        sent_on = []
        for offset in range(0, 32):
            day = TODAY + dt.timedelta(days=offset)
            before = Email.search_count([('kind', '=', 'trial_reminder')])
            Shop.run_trial(today=day)
            Shop.run_trial(today=day)  # twice a day: no duplicate
            if Email.search_count(
                    [('kind', '=', 'trial_reminder')]) > before:
                sent_on.append(offset + 1)
        self.assertEqual(sent_on, [7, 15, 25])
        self.assertEqual(Shop(shop.id).reminders_sent, '7 15 25')
        self.assertEqual(Shop(shop.id).state, 'read_only')
        self.assertEqual(Email.search_count([('kind', '=', 'trial_ended')]),
            1)

    @with_transaction()
    def test_storage_quota(self):
        "Usage is measured, warned at 80 % and 90 % once, uploads refused"
        pool = Pool()
        Shop = pool.get('saas.shop')
        Email = pool.get('saas.email')
        Attachment = pool.get('ir.attachment')
        shop = sign_up()
        quota = 1000
        Shop.write([shop], {'quota_gb': quota / 1024 ** 3})
        resource = str(shop.company)

        def attach(size):
            Attachment.create([{'name': 'photo.jpg', 'resource': resource,
                        'data': b'x' * size}])
        attach(850)
        Shop.update_storage()
        shop = Shop(shop.id)
        self.assertEqual(shop.storage_used, 850)
        self.assertEqual(shop.storage_warned, 80)
        self.assertAlmostEqual(shop.storage_percent, 85.0)
        Shop.update_storage()
        self.assertEqual(Email.search_count(
                [('kind', '=', 'storage_warning')]), 1)
        attach(60)
        Shop.update_storage()
        self.assertEqual(Shop(shop.id).storage_warned, 90)
        self.assertEqual(Email.search_count(
                [('kind', '=', 'storage_warning')]), 2)
        with self.assertRaises(QuotaError) as cm:
            attach(200)
        self.assertIn('quota', cm.exception.message)
        attach(50)
        self.assertEqual(Shop(shop.id).storage_used, 960)

    def test_dashboard_figures(self):
        "MRR, churn and trial conversion of hand-made shops"
        plan = SimpleNamespace(rec_name='Pro')

        def shop(name, state, mrr, trial_end=None, activated=None,
                cancelled=None, used=0):
            return SimpleNamespace(state=state, plan=plan,
                company=SimpleNamespace(rec_name=name),
                monthly_revenue=lambda: Decimal(mrr), storage_used=used,
                quota_bytes=lambda: 1000, trial_end=trial_end,
                activated_at=activated, cancelled_at=cancelled)
        d = dt.date
        shops = [
            # Trial ended in January, converted: active, 49/month.
            shop('A', 'active', '49', d(2026, 1, 10),
                dt.datetime(2026, 1, 5), used=850),
            # Trial ended in January, not converted.
            shop('B', 'read_only', '0', d(2026, 1, 20)),
            # Yearly Lite: 190/12.
            shop('C', 'active', '15.83', d(2025, 11, 1),
                dt.datetime(2025, 11, 1)),
            # Active since November, cancelled in February.
            shop('D', 'cancelled', '0', d(2025, 11, 3),
                dt.datetime(2025, 11, 2), dt.datetime(2026, 2, 14)),
            shop('E', 'trial', '0', d(2026, 3, 20)),
            ]
        data = figures(shops, today=d(2026, 3, 2), months=4)
        self.assertEqual(data['mrr'], Decimal('64.83'))
        self.assertEqual(data['by_state']['active'], 2)
        self.assertEqual(data['by_state']['trial'], 1)
        self.assertEqual(data['by_plan'], {'Pro': 2})
        self.assertEqual(data['near_quota'], [('A', 85.0)])
        months = {r['month']: r for r in data['months']}
        jan, feb = months[d(2026, 1, 1)], months[d(2026, 2, 1)]
        self.assertEqual((jan['trials_ended'], jan['converted'],
                jan['conversion']), (2, 1, 50.0))
        # February: A, C and D active at its start; D left.
        self.assertEqual((feb['active_at_start'], feb['churned'],
                feb['churn']), (3, 1, 33.3))
        self.assertEqual(months[d(2025, 12, 1)]['churn'], 0.)

    @with_transaction()
    def test_shop_mrr(self):
        "A shop's MRR: plan and options, yearly prices over 12"
        pool = Pool()
        Shop = pool.get('saas.shop')
        Plan = pool.get('saas.plan')
        Option = pool.get('saas.option')
        shop = sign_up()
        self.assertEqual(shop.mrr, Decimal('0.00'))  # trial
        lite, = Plan.search([('code', '=', 'lite')])
        option, = Option.search([('code', '=', 'online_payment')])
        Shop.choose_plan([shop], lite, 'yearly', [option])
        self.assertEqual(Shop(shop.id).mrr, Decimal('23.33'))  # 280 / 12
        self.assertTrue(shop.company.has_feature('online_payment'))
        self.assertFalse(shop.company.has_feature('powder_stock'))

    @with_transaction()
    def test_plan_change_audited_and_emailed(self):
        "A price change is audited and emailed to each shop of the plan"
        pool = Pool()
        Shop = pool.get('saas.shop')
        Plan = pool.get('saas.plan')
        Email = pool.get('saas.email')
        Audit = pool.get('workshop.audit')
        lite, pro = Plan.search([('code', 'in', ['lite', 'pro'])],
            order=[('sequence', 'ASC')])
        a = sign_up()
        b = sign_up(shop_name="B", email='b@shop.example')
        c = sign_up(shop_name="C", email='c@shop.example')
        Shop.choose_plan([a, b], lite)
        Plan.write([lite], {'monthly_price': Decimal('25.00')})
        for shop in [a, b]:
            email, = Email.search([('company', '=', shop.company.id),
                    ('kind', '=', 'plan_changed')])
            self.assertIn('19.00 → 25.00', email.body)
            self.assertTrue(Audit.search([('company', '=', shop.company.id),
                        ('description', 'like', '%19.00 → 25.00%')]))
        self.assertFalse(Email.search([('company', '=', c.company.id),
                    ('kind', '=', 'plan_changed')]))




del ModuleTestCase
