"""Fill the demo database with a French repair shop's last three months
and a French powder-coating workshop's last six weeks (demo_coating.py).

Usage: demo_data.py --db NAME --config FILE [--logins | --enrol]
With --logins, only print the sign-in names and passwords (and the
two-factor keys of the Owners and Admins); with --enrol, only enrol the
Owners and Admins not enrolled yet in two-factor sign-in (staff_totp).

The shop, its chart of accounts and users are set up through proteus as an
administrator would; tickets are then played server side in chronological
order (quote, approval, invoice, counter payment, delivery), with the
history, invoice and payment dates of when they happened. Last, one
customer of each shop whose quote waits for their answer gets a portal
account (password PORTAL_PASSWORD) to see their jobs and sign the quote.

Two-factor sign-in (staff_totp, config/trytond.conf says
`authentications = password+totp`): the Owners and Admins ("admin"
included) must use it, so the build enrols them with a new secret each
(enrol_two_factor) and keeps, for --logins, their secrets, otpauth:// URIs
and recovery codes in <database path>/<db>-2fa.json: a demo has no phone
to scan a QR code at build time.
"""
import argparse
import csv
import datetime as dt
import io
import json
import os
import random
import sys
import unicodedata
from collections import Counter

from stdnum import luhn

import demo_coating

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHOP = "Répar'Phone Lyon"
USERS = [
    # login, name, role, password
    ('proprio', "Sophie Marchand", 'workshop.role_owner', 'atelier-proprio'),
    ('gerant', "Karim Benali", 'workshop.role_admin', 'atelier-gerant'),
    ('tech', "Lucas Petit", 'workshop.role_technician', 'atelier-tech'),
    ('compta', "Nadia Roux", 'workshop.role_accounting', 'atelier-compta'),
    ]
FIRST = ["Camille", "Léa", "Hugo", "Chloé", "Louis", "Manon", "Jules",
    "Inès", "Nathan", "Emma", "Théo", "Sarah", "Adam", "Zoé", "Yanis",
    "Lina", "Mathis", "Jade", "Rayan", "Louise", "Aïcha", "Moussa",
    "Fatou", "Élodie"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard",
    "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre",
    "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
    "Diallo", "Traoré", "Nguyen", "Faure"]
STREETS = ["rue Mercière", "rue de la République", "cours Lafayette",
    "avenue Jean Jaurès", "rue Paul Bert", "quai Saint-Antoine",
    "rue Garibaldi", "boulevard des Belges"]
DEVICES = [("Apple", "iPhone 12"), ("Apple", "iPhone 13"),
    ("Samsung", "Galaxy S21"), ("Samsung", "Galaxy A52"),
    ("Xiaomi", "Redmi Note 10"), ("Google", "Pixel 6"),
    ("Huawei", "P30"), ("Apple", "iPad Air")]
FAULTS = ["Écran cassé", "Batterie qui ne tient plus la charge",
    "Ne s'allume plus", "Connecteur de charge défectueux",
    "Tombé dans l'eau", "Haut-parleur muet", "Caméra arrière floue"]
# The portal accounts of the demo's customers (see open_portal_accounts).
PORTAL_PASSWORD = 'atelier-client'
PORTAL_URL = 'http://127.0.0.1:8000/%s/portal/'
# Final stage of the tickets, oldest first (mostly delivered).
STAGE_PATH = ['received', 'diagnosed', 'in_progress', 'done', 'ready',
    'delivered']


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--db', required=True)
    parser.add_argument('--config', required=True)
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--logins', action='store_true')
    group.add_argument('--enrol', action='store_true')
    return parser.parse_args()


_pools = {}


def demo_pool(database, config_file):
    "Return the Pool of `database`, initialised once in this process."
    if database not in _pools:
        from trytond import config
        config.update_etc(config_file)
        from trytond.pool import Pool
        pool = Pool(database)
        pool.init()
        _pools[database] = pool
    return _pools[database]


def two_factor_file(database):
    "Path of the demo's two-factor keys, beside the SQLite database."
    from trytond import config
    path = config.get('database', 'path') or os.path.join(ROOT, 'var', 'db')
    return os.path.join(path, '%s-2fa.json' % database)


def enrol_two_factor(database, config_file):
    """Enrol in two-factor sign-in every active user who must use it
    (Owners and Admins) and is not enrolled yet, as the enrolment page
    does (new secret, confirmed with its current code computed by pyotp);
    add their secret, otpauth:// URI and 10 recovery codes to the file of
    two_factor_file. Return the logins enrolled (list)."""
    import pyotp
    pool = demo_pool(database, config_file)
    from trytond.transaction import Transaction, without_check_access
    try:
        pool.get('res.user.totp')
    except KeyError:
        return []  # staff_totp not activated
    User = pool.get('res.user')
    path = two_factor_file(database)
    keys = {}
    if os.path.exists(path):
        with open(path) as fp:
            keys = json.load(fp)
    enrolled = []
    with Transaction().start(database, 0,
            context={'language': 'fr'}) as transaction:
        users = User.search([], order=[('login', 'ASC')])
        required = User._totp_required_ids([u.id for u in users])
        for user in users:
            if user.id not in required or User.totp_is_enabled(user.id):
                continue
            with transaction.set_user(user.id), without_check_access():
                secret, uri = user.totp_start()
                codes = user.totp_confirm(pyotp.TOTP(secret).now())
            keys[user.login] = {'secret': secret, 'uri': uri,
                'recovery_codes': codes}
            enrolled.append(user.login)
        transaction.commit()
    if enrolled:
        # Secrets of the demo's users only: readable by this account alone.
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                    0o600), 'w') as fp:
            json.dump(keys, fp, indent=1)
    return enrolled


def two_factor_logins(database, config_file):
    """Return [(login, secret or None, URI or None, unused recovery code
    or None)] of the users who must use two-factor sign-in ([] without
    staff_totp). The secret is the one in the database; the URI and the
    recovery code come from the build's file while they still hold."""
    pool = demo_pool(database, config_file)
    from trytond.transaction import Transaction
    try:
        TOTP = pool.get('res.user.totp')
    except KeyError:
        return []
    from trytond.modules.staff_totp import totp
    User = pool.get('res.user')
    Recovery = pool.get('res.user.totp.recovery')
    keys = {}
    path = two_factor_file(database)
    if os.path.exists(path):
        with open(path) as fp:
            keys = json.load(fp)
    result = []
    with Transaction().start(database, 0, readonly=True):
        users = User.search([], order=[('login', 'ASC')])
        required = User._totp_required_ids([u.id for u in users])
        for user in users:
            if user.id not in required:
                continue
            key = keys.get(user.login, {})
            secret = (TOTP.get(user.id).secret
                if User.totp_is_enabled(user.id) else None)
            if not secret or secret != key.get('secret'):
                # not enrolled, or enrolled again since the build
                result.append((user.login, secret, None, None))
                continue
            hashes = [r.code_hash for r in Recovery.search([
                        ('user', '=', user.id), ('used_date', '=', None)])]
            recovery = next((c for c in key.get('recovery_codes', [])
                    if any(totp.check_recovery(c, h) for h in hashes)),
                None)
            result.append((user.login, secret, key['uri'], recovery))
    return result


def print_logins(database, config_file):
    print("Atelier demo: http://127.0.0.1:8000  (database: %s)" % database)
    print("  %-8s %-18s %-12s %s" % ("login", "password", "role", "name"))
    print("  %-8s %-18s %-12s %s" % ('admin', 'admin', "Administrator",
            "(all rights)"))
    for login, name, role, password in USERS:
        print("  %-8s %-18s %-12s %s" % (login, password,
                role.split('_', 1)[1].capitalize(), name))
    for login, name, role, password in demo_coating.USERS:
        print("  %-8s %-18s %-12s %s (%s)" % (login, password,
                role.split('_', 1)[1].capitalize(), name, demo_coating.SHOP))
    for email, shop in portal_logins(database, config_file):
        print("  Portail client  %s  %s / %s (%s)" % (
                PORTAL_URL % database, email, PORTAL_PASSWORD, shop))
    two_factor = two_factor_logins(database, config_file)
    if two_factor:
        print("Two-factor sign-in (Owners and Admins): the password, then "
            "the 6-digit code of an authenticator app (add the otpauth:// "
            "URI as a QR code or type the secret), or a recovery code "
            "(once each). A code without a phone:")
        print("  .venv/bin/python -c \"import pyotp; "
            "print(pyotp.TOTP('<secret>').now())\"")
    for login, secret, uri, recovery in two_factor:
        if not secret:
            print("  %-8s not enrolled: enrol at http://127.0.0.1:8000/%s/"
                "staff/2fa" % (login, database))
        elif not uri:
            print("  %-8s enrolled since the build: use its own app" % login)
        else:
            print("  %-8s secret %s  recovery code %s" % (login, secret,
                    recovery or "(none left: Préférences ▸ Double "
                    "authentification gives new ones)"))
            print("  %-8s %s" % ('', uri))


def portal_logins(database, config_file):
    """Return [(email, shop name)] of the portal accounts with a password
    ([] when the database has no portal)."""
    from trytond.transaction import Transaction
    pool = demo_pool(database, config_file)
    try:
        WebUser = pool.get('web.user')
    except KeyError:
        return []
    if 'company' not in WebUser._fields:
        return []
    with Transaction().start(database, 0, readonly=True):
        return [(u.email, u.company.rec_name) for u in WebUser.search([
                    ('password_hash', '!=', None),
                    ], order=[('company', 'ASC'), ('id', 'ASC')])]


def ascii_only(text):
    "Drop the accents of `text` (Léa → Lea) for an email address."
    return unicodedata.normalize('NFKD', text).encode(
        'ascii', 'ignore').decode()


def mobile(rng):
    "Return a random French mobile number that phonenumbers deems valid."
    import phonenumbers
    while True:
        number = '06 %02d %02d %02d %02d' % tuple(
            rng.randrange(100) for _ in range(4))
        if phonenumbers.is_valid_number(phonenumbers.parse(number, 'FR')):
            return number


def imei(rng):
    "Return a random IMEI whose check digit is right (Luhn, 3GPP TS 23.003)."
    body = '35' + ''.join(str(rng.randrange(10)) for _ in range(12))
    return body + luhn.calc_check_digit(body)


def customers_csv(rng, count=40):
    """Return the bytes of the shop's customer spreadsheet as French Excel
    writes it (Windows-1252, semicolons), with a duplicate row."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=';')
    writer.writerow(["Nom", "Prénom", "Téléphone", "Email", "Adresse",
            "Code postal", "Ville", "Marque", "Modèle", "IMEI"])
    rows = []
    for i in range(count):
        first = FIRST[i % len(FIRST)]
        last = LAST[(i * 7 + i // len(FIRST)) % len(LAST)]
        brand, model = DEVICES[i % len(DEVICES)]
        rows.append([last, first, mobile(rng),
                ascii_only('%s.%s%d@example.fr' % (
                        first.lower(), last.lower(), i)),
                '%d %s' % (rng.randrange(1, 120), rng.choice(STREETS)),
                '6900%d' % rng.randrange(1, 10), "Lyon",
                brand, model, imei(rng)])
    rows.append(rows[3])  # the same customer twice, as in real files
    writer.writerows(rows)
    return out.getvalue().encode('cp1252', 'replace')


def setup_shop(database, config_file):
    "Create the shop, its products and users with proteus; return ids."
    from proteus import config as pconfig
    from trytond.modules.invoice_fr.shop_setup import (
        create_repair_products, create_user, setup_french_shop)
    config = pconfig.set_trytond(database=database, config_file=config_file)
    company = setup_french_shop(
        config, SHOP, siret='73282932000074', vat_number='FR44732829320',
        street="12 rue de la République", postal_code='69002', city="Lyon",
        email='contact@reparphone.example.fr', phone='+33478000000',
        legal_mentions="SARL au capital de 10 000 € — RCS Lyon 732 829 320",
        today=dt.date.today() - dt.timedelta(days=95))
    if (dt.date.today() - dt.timedelta(days=95)).year != dt.date.today().year:
        from trytond.modules.invoice_fr.shop_setup import _create_fiscalyear
        _create_fiscalyear(config, company, dt.date.today())
    products = create_repair_products(config, company)
    for login, name, role, password in USERS:
        create_user(config, company, login, name, role, password)
    return company.id, {k: p.id for k, p in products.items()}


def in_transaction(database, user, context, func, *args):
    """Run func(*args) in its own committed transaction, as one user action
    is; restart it when Tryton asks to lock records first (invoice
    sequences), as its RPC layer does."""
    from trytond.transaction import Transaction, TransactionError
    extras = {}
    while True:
        with Transaction().start(database, user, context=context,
                **extras) as transaction:
            try:
                result = func(*args)
            except TransactionError as exception:
                transaction.rollback()
                exception.fix(extras)
                continue
            # Queued emails are not sent: these events are in the past.
            transaction.tasks.clear()
            transaction.commit()
            return result


def play_tickets(database, user, company_id, product_ids, rng):
    "Import the customers and play 60 tickets over the last three months."
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Company = pool.get('company.company')
    Stage = pool.get('service.order.stage')
    Order = pool.get('service.order')
    Device = pool.get('repair.device')
    Employee = pool.get('company.employee')
    Party = pool.get('party.party')
    User = pool.get('res.user')
    PaymentMethod = pool.get('account.invoice.payment.method')
    Product = pool.get('product.product')
    from trytond.modules.repair.customer_import import import_file

    company = Company(company_id)
    stages = {s.code: s for s in Stage.create_defaults(company, 'repair')}
    methods = {m.counter_method: m
        for m in PaymentMethod.create_counter_methods(company)}
    _, result = import_file(company, customers_csv(rng))
    print("Customers: imported %s, merged %s, rejected %s" % (
            result.imported, result.merged, result.rejected))
    technicians = []
    for user in User.search([('login', 'in', ['tech', 'gerant'])]):
        party, = Party.create([{'name': user.name, 'company': company.id}])
        employee, = Employee.create([{
                    'party': party.id, 'company': company.id}])
        User.write([user], {'employees': [('add', [employee.id])],
                'employee': employee.id})
        technicians.append(employee)
    devices = Device.search([('company', '=', company.id)])
    from decimal import Decimal
    price = {  # excl. tax, as create_repair_products sets them
        "Main d'œuvre": Decimal('45.00'), "Diagnostic": Decimal('29.00'),
        "Écran iPhone 12": Decimal('89.00'), "Batterie": Decimal('39.00')}
    labour = Product(product_ids["Main d'œuvre"])
    diagnosis = Product(product_ids["Diagnostic"])
    parts = [Product(product_ids["Écran iPhone 12"]),
        Product(product_ids["Batterie"])]

    now = dt.datetime.now().replace(microsecond=0)
    intakes = sorted(now - dt.timedelta(
            days=rng.uniform(0.2, 92), hours=0) for _ in range(60))
    events = []  # (when, order, action) played in date order
    for n, intake in enumerate(intakes):
        device = rng.choice(devices)
        part = rng.choice(parts + [None])
        lines = [('create', [{
                        'product': diagnosis.id, 'description': "Diagnostic",
                        'quantity': 1, 'unit': diagnosis.sale_uom.id,
                        'unit_price': price['Diagnostic']}, {
                        'product': labour.id,
                        'description': "Main d'œuvre",
                        'quantity': rng.choice([0.5, 1, 1.5, 2]),
                        'unit': labour.sale_uom.id,
                        'unit_price': price["Main d'œuvre"]}] + ([{
                        'product': part.id, 'description': part.name,
                        'quantity': 1, 'unit': part.sale_uom.id,
                        'unit_price': price[part.name]}] if part else []))]
        with Transaction().set_context(company=company.id):
            order, = Order.create([{
                        'kind': 'repair', 'company': company.id,
                        'party': device.party.id, 'device': device.id,
                        'stage': stages['received'].id,
                        'intake_date': intake,
                        'promised_date': (intake + dt.timedelta(days=3)).date(),
                        'assigned_to': rng.choice(technicians).id,
                        'fault': rng.choice(FAULTS),
                        'accessories': rng.choice(
                            ["Chargeur", "Coque", "Aucun", "Carte SIM"]),
                        'device_condition': rng.choice(
                            ["Rayures légères", "Bon état",
                                "Coin enfoncé"]),
                        'lines': lines,
                        }])
        # Age decides how far the ticket went; a few are cancelled.
        age = (now - intake).days
        if n % 17 == 5:
            path = ['cancelled']
        else:
            # about half delivered, the rest spread over the open stages
            reach = max(0, min(len(STAGE_PATH) - 1,
                    age // 9 + rng.randrange(-1, 2)))
            path = STAGE_PATH[1:reach + 1]
        when = intake
        for code in path:
            when += dt.timedelta(hours=rng.uniform(2, 40))
            if when >= now:
                break
            events.append((when, order.id, code))

    return stages, methods, events


def play_event(company_id, stages, methods, when, order_id, code, rng):
    "Play one past event of a ticket at `when` (a datetime)."
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Order = pool.get('service.order')
    History = pool.get('service.order.stage.history')
    Invoice = pool.get('account.invoice')
    Stage = pool.get('service.order.stage')
    PaymentMethod = pool.get('account.invoice.payment.method')
    stages = {c: Stage(i) for c, i in stages.items()}
    methods = {c: PaymentMethod(i) for c, i in methods.items()}
    with Transaction().set_context(company=company_id):
        order = Order(order_id)
        if code == 'diagnosed':
            order.set_stage(stages[code])
            order.diagnosis = "Pièce à remplacer, devis établi."
            order.save()
            Order.quote([order])
        elif code == 'in_progress':
            Order.approve_quote([order], note="Accord en boutique")
            order.set_stage(stages[code])
        elif code == 'ready':
            order.set_stage(stages[code])
            invoices = Order(order_id).sale.invoices
            for invoice in invoices:
                invoice.invoice_date = when.date()
            Invoice.save(invoices)
            Order.invoice([Order(order_id)])
        elif code == 'delivered':
            if rng.random() < 0.93:
                method = methods[rng.choice(['cash', 'card', 'card'])]
                due = order.amount_due
                Invoice.counter_pay(
                    [i for i in order.invoices if i.state == 'posted'],
                    method, due, date=when.date(),
                    tendered=due if method.counter_method == 'cash' else None)
                Order(order_id).set_stage(stages[code])
            else:
                order.set_stage(stages[code], deliver_unpaid=True,
                    reason="Client de confiance, paiement en fin de mois")
            if rng.random() < 0.8:
                Order.write([Order(order_id)], {
                        'rating': rng.choice(['3', '4', '4', '5', '5'])})
        else:
            order.set_stage(stages[code])
    # The history row just written happened at `when`.
    last, = History.search([('order', '=', order_id)],
        order=[('id', 'DESC')], limit=1)
    History.write([last], {'date': when})


def waiting_quote(company_id, stages, methods, rng):
    """Make sure a customer with several tickets has one whose quote is
    sent and waiting (stage 'diagnosed'): if none has, the latest received
    ticket of the customer with the most tickets is diagnosed an hour ago."""
    from trytond.pool import Pool
    pool = Pool()
    Order = pool.get('service.order')
    orders = Order.search([('company', '=', company_id)])
    counts = Counter(o.party.id for o in orders)
    if any(o.stage.code == 'diagnosed' and o.sale
            and o.sale.state == 'quotation' and counts[o.party.id] > 1
            for o in orders):
        return
    received = [o for o in orders if o.stage.code == 'received']
    order = max(received, key=lambda o: (counts[o.party.id], o.id))
    play_event(company_id, stages, methods,
        dt.datetime.now().replace(microsecond=0) - dt.timedelta(hours=1),
        order.id, 'diagnosed', rng)


def open_portal_accounts(company_ids):
    """Give one customer of each shop a portal account (web.user) with
    PORTAL_PASSWORD: among the customers whose quote waits for their answer
    (a sale in quotation, not expired), the one with the most jobs. No
    email is sent (the account is not an invitation); return [(email,
    shop name)]."""
    from trytond.pool import Pool
    pool = Pool()
    Order = pool.get('service.order')
    WebUser = pool.get('web.user')
    Email = pool.get('portal.email')
    Date = pool.get('ir.date')
    result = []
    for company_id in company_ids:
        orders = Order.search([('company', '=', company_id)],
            order=[('id', 'ASC')])
        counts = Counter(o.party.id for o in orders)
        waiting = [o.party for o in orders if o.party.email and o.sale
            and o.sale.state == 'quotation'
            and (o.sale.quotation_expire or Date.today()) >= Date.today()]
        party = max(waiting, key=lambda p: (counts[p.id], -p.id))
        user, = WebUser.create([{
                    'email': party.email, 'party': party.id,
                    'company': company_id, 'password': PORTAL_PASSWORD,
                    }])
        result.append((user.email, user.company.rec_name))
    Email.write(Email.search([('state', 'in', ['pending', 'failed'])]), {
            'state': 'cancelled',
            'last_error': "Données de démonstration : message non envoyé"})
    return result


def finish(company_id):
    "Cancel the emails of past events and return the number of tickets."
    from trytond.pool import Pool
    pool = Pool()
    Notification = pool.get('service.order.notification')
    Order = pool.get('service.order')
    old = Notification.search([('state', 'in', ['pending', 'failed'])])
    Notification.write(old, {'state': 'cancelled',
            'last_error': "Données de démonstration : message non envoyé"})
    return Order.search_count([('company', '=', company_id)])


def main():
    args = parse_args()
    os.chdir(ROOT)
    os.environ['TRYTOND_CONFIG'] = args.config
    if args.logins:
        print_logins(args.db, args.config)
        return
    if args.enrol:
        print("Two-factor sign-in enrolled: %s" % (
                ', '.join(enrol_two_factor(args.db, args.config)) or '-'))
        return
    rng = random.Random(20261121)
    company_id, product_ids = setup_shop(args.db, args.config)
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = _pools[args.db] = Pool(args.db)  # initialised by proteus
    User = pool.get('res.user')
    with Transaction().start(args.db, 0, readonly=True):
        admin, = User.search([('login', '=', 'admin')])
        admin_id = admin.id
    # Past-dated invoices raise "payment date in the past" warnings that a
    # user would confirm.
    context = {'company': company_id, 'language': 'fr', '_skip_warnings': True}
    stages, methods, events = in_transaction(args.db, admin_id, context,
        play_tickets, args.db, admin_id, company_id, product_ids, rng)
    stages = {c: s.id for c, s in stages.items()}
    methods = {c: m.id for c, m in methods.items()}
    for when, order_id, code in sorted(events, key=lambda e: e[0]):
        in_transaction(args.db, admin_id, context, play_event, company_id,
            stages, methods, when, order_id, code, rng)
    in_transaction(args.db, admin_id, context, waiting_quote, company_id,
        stages, methods, rng)
    count = in_transaction(args.db, admin_id, context, finish, company_id)
    print("Tickets: %s" % count)
    coating_id = demo_coating.build(args.db, admin_id, company_id, rng,
        in_transaction)
    accounts = in_transaction(args.db, admin_id, context,
        open_portal_accounts, [company_id, coating_id])
    print("Portal accounts: %s (password %s)" % (', '.join(
                '%s (%s)' % a for a in accounts), PORTAL_PASSWORD))
    print("Two-factor sign-in enrolled: %s" % (
            ', '.join(enrol_two_factor(args.db, args.config)) or '-'))


if __name__ == '__main__':
    sys.exit(main())
