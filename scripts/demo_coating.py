"""The powder-coating workshop of the demo: its last six weeks.

Called by demo_data.py once the repair shop is built. The shop, its quote
settings, QC checklist, defect types, ovens and users are set up through
proteus as an administrator would; the powder catalogue goes through the
coating module's CSV import; coating jobs are then played server side in
chronological order: quote from the live calculator, approval, the steps of
the job, the QC, the invoice, the counter payment and the delivery. One job
fails its QC and goes to rework with a non-conformity; the most recent jobs
wait for coating and the biggest recommended batch is created and launched.
The powder boxes, their weighings and the daily lists of boxes to weigh
are played among the jobs by demo_powder.py.
"""
import csv
import datetime as dt
import io
from decimal import Decimal

import demo_powder

SHOP = "Thermolaquage du Rhône"
USERS = [
    # login, name, role, password
    ('thermo', "Julien Ferrand", 'workshop.role_owner', 'atelier-thermo'),
    ('poudreur', "Mehdi Haddad", 'workshop.role_technician',
        'atelier-poudreur'),
    ]
# The shop's quote settings (company.py of the coating module).
SETTINGS = {
    'coating_hourly_rate': Decimal('48'),
    'coating_minutes_per_m2': 12.,
    'coating_sandblasting_factor': 1.6,
    'coating_masking_factor': 1.25,
    'coating_energy_rate': Decimal('0.80'),
    'coating_consumables_rate': Decimal('0.60'),
    'coating_primer_price': Decimal('14.50'),
    'coating_varnish_price': Decimal('19.00'),
    'coating_powder_margin': 40.,
    'coating_labour_margin': 15.,
    'coating_fixed_fee': Decimal('20'),
    }
TERMS = (
    "Le devis est gratuit et valable 30 jours. Les teintes sont celles du "
    "nuancier RAL du fabricant de la poudre ; un léger écart de teinte "
    "entre deux lots de poudre reste possible. Les pièces non retirées "
    "90 jours après l'avis de mise à disposition pourront être considérées "
    "comme abandonnées.")
# The catalogue as the supplier's spreadsheet gives it (French Excel).
POWDER_HEADER = ["Marque", "Référence", "Désignation", "RAL", "Finition",
    "Type", "Densité", "Épaisseur", "Rendement", "Rendement de transfert",
    "Température de cuisson", "Durée de cuisson", "Prix au kg",
    "Conditionnement"]
POWDERS = [
    ["Tiger", "T7016B", "Gris anthracite brillant", "7016", "brillant",
        "polyester", "1,45", "70", "9,8", "60", "180", "10", "16,90",
        "20:0,8|5:0,35"],
    ["Tiger", "T7016M", "Gris anthracite mat", "7016", "mat", "polyester",
        "1,50", "70", "9,5", "60", "180", "10", "17,40", "20:0,8|5:0,35"],
    ["Interpon", "I7016T", "Gris anthracite sablé", "7016", "texturé",
        "polyester", "1,55", "80", "8,0", "55", "190", "12", "19,80",
        "20:0,9"],
    ["Tiger", "T9005B", "Noir foncé brillant", "9005", "brillant",
        "polyester", "1,40", "70", "10,2", "60", "180", "10", "15,60",
        "20:0,8|5:0,35"],
    ["Tiger", "T9005M", "Noir foncé mat", "9005", "mat", "polyester",
        "1,45", "70", "9,8", "60", "180", "10", "16,20", "20:0,8|5:0,35"],
    ["Axalta", "A9010B", "Blanc pur brillant", "9010", "brillant",
        "polyester", "1,60", "70", "8,9", "62", "180", "12", "15,20",
        "25:1,0"],
    ["Axalta", "A9010S", "Blanc pur satiné", "9010", "satiné", "polyester",
        "1,60", "70", "8,9", "62", "180", "12", "15,80", "25:1,0"],
    ["Interpon", "I6005S", "Vert mousse satiné", "6005", "satiné",
        "polyester", "1,50", "70", "9,5", "60", "180", "10", "18,40",
        "20:0,9"],
    ["Interpon", "I3004B", "Rouge pourpre brillant", "3004", "brillant",
        "polyester", "1,50", "70", "9,5", "60", "180", "10", "21,50",
        "20:0,9|5:0,3"],
    ["Tiger", "T9006MET", "Aluminium blanc métallisé", "9006", "métallisé",
        "polyester", "1,35", "60", "12,3", "55", "200", "10", "24,90",
        "20:0,8"],
    ["Oxyplast", "O7035E", "Gris clair époxy (intérieur)", "7035",
        "brillant", "époxy", "1,55", "60", "10,8", "65", "180", "15",
        "13,90", "25:0,95"],
    ["Axalta", "A5010S", "Bleu gentiane satiné", "5010", "satiné",
        "polyester", "1,50", "70", "9,5", "60", "180", "10", "18,90",
        "20:0,8"],
    ]
# name, street, postal code, city, phone, email
CUSTOMERS = [
    ("Métallerie Berthier", "14 rue de la Poudrette", '69120',
        "Vaulx-en-Velin", '04 78 62 15 30', 'atelier@berthier.example.fr'),
    ("Portails & Clôtures du Rhône", "3 avenue Jean Jaurès", '69150',
        "Décines-Charpieu", '04 72 37 48 91', 'devis@pcr.example.fr'),
    ("Ferronnerie Lacroix", "27 rue de Gerland", '69007', "Lyon",
        '04 78 26 90 14', 'contact@ferronnerie-lacroix.example.fr'),
    ("Serrurerie Moulin", "8 rue Léon Blum", '69100', "Villeurbanne",
        '04 72 81 55 02', 'serrurerie.moulin@example.fr'),
    ("Garage Auto Prestige", "112 avenue Franklin Roosevelt", '69500',
        "Bron", '04 78 00 41 27', 'garage@autoprestige.example.fr'),
    ("Brasserie Les Canuts", "5 place de la Croix-Rousse", '69004', "Lyon",
        '04 78 28 63 70', 'brasserie.canuts@example.fr'),
    ("Alu Concept Caluire", "40 chemin de Wette-Faure", '69300',
        "Caluire-et-Cuire", '04 72 10 33 85', 'contact@aluconcept.example.fr'),
    ("Mobilier Urbain Rhône", "9 boulevard Irène Joliot-Curie", '69200',
        "Vénissieux", '04 78 70 12 46', 'commandes@mur.example.fr'),
    ("Thomas Girard", "22 rue Anatole France", '69100', "Villeurbanne",
        '06 12 48 73 95', 'thomas.girard@example.fr'),
    ("Élodie Marchetti", "61 cours Gambetta", '69003', "Lyon",
        '06 31 77 20 48', 'elodie.marchetti@example.fr'),
    ("Karim Haddouche", "4 rue Romain Rolland", '69120', "Vaulx-en-Velin",
        '07 68 45 12 39', 'karim.haddouche@example.fr'),
    ("Claire Dumont", "15 avenue de la République", '69160',
        "Tassin-la-Demi-Lune", '06 84 26 91 03', 'claire.dumont@example.fr'),
    ("Julien Perrin", "7 rue de la Gare", '69330', "Meyzieu",
        '06 52 19 84 77', 'julien.perrin@example.fr'),
    ("Nathalie Besson", "30 chemin des Cuers", '69130', "Écully",
        '07 81 33 60 25', 'nathalie.besson@example.fr'),
    ("Antoine Rey", "18 rue Aristide Briand", '69800', "Saint-Priest",
        '06 45 90 27 18', 'antoine.rey@example.fr'),
    ]
# description, substrate group, customers (indexes), parts: (description,
# quantity, (length, width, height) in mm, surface per unit in m² or None
# for the bounding box, substrate, weight per unit in kg)
JOB_TEMPLATES = [
    ("Portail 2 vantaux", 'galvanised', [1, 3, 8], [
            ("Vantail de portail", 2, (1800, 1600, 40), 2.9, 'galvanised',
                38),
            ("Poteau", 2, (2200, 120, 120), None, 'galvanised', 15),
            ("Portillon", 1, (1000, 1200, 40), 1.6, 'galvanised', 18),
            ("Boîtier de serrure", 1, (250, 150, 80), None, 'galvanised',
                2)]),
    ("Portillon et clôture", 'galvanised', [1, 10, 13], [
            ("Portillon", 1, (1000, 1200, 40), 1.6, 'galvanised', 18),
            ("Panneau de clôture", 4, (2000, 1200, 30), 1.8, 'galvanised',
                14)]),
    ("Garde-corps", 'steel', [0, 2, 3, 11], [
            ("Garde-corps", 3, (2000, 1000, 40), 1.5, 'steel', 22),
            ("Platine de fixation", 6, (200, 150, 10), None, 'steel', 1)]),
    ("Rampe d'escalier", 'steel', [2, 9, 12], [
            ("Rampe", 1, (3200, 900, 50), 2.1, 'steel', 16),
            ("Main courante", 1, (3000, 60, 60), None, 'steel', 6)]),
    ("Grilles de défense", 'steel', [3, 14], [
            ("Grille de fenêtre", 4, (1200, 800, 30), 0.9, 'steel', 11)]),
    ("Boîte aux lettres et numéro", 'steel', [8, 13], [
            ("Boîte aux lettres", 1, (400, 300, 150), None, 'steel', 5),
            ("Numéro de rue", 1, (200, 150, 5), None, 'steel', 0.3)]),
    ("Pieds de tables", 'steel', [5, 7], [
            ("Pied de table", 8, (720, 600, 60), 0.5, 'steel', 7)]),
    ("Châssis de remorque", 'steel', [0, 14], [
            ("Châssis", 1, (2500, 1300, 150), 3.2, 'steel', 60),
            ("Timon", 1, (1200, 100, 100), None, 'steel', 9)]),
    ("Cadre de moto", 'steel', [12], [
            ("Cadre", 1, (1400, 700, 300), 1.1, 'steel', 12),
            ("Bras oscillant", 1, (600, 250, 120), None, 'steel', 4),
            ("Béquille", 1, (350, 60, 40), None, 'steel', 1)]),
    ("Jantes 17\"", 'aluminium', [4, 8, 12], [
            ("Jante 17\"", 4, (432, 432, 220), 0.55, 'aluminium', 9)]),
    ("Jantes 15\"", 'aluminium', [4, 9], [
            ("Jante 15\"", 4, (381, 381, 195), 0.45, 'aluminium', 7)]),
    ("Chaises de terrasse", 'aluminium', [5], [
            ("Chaise de terrasse", 12, (550, 500, 850), 0.9, 'aluminium', 4),
            ("Table de terrasse", 3, (700, 700, 720), 1.4, 'aluminium',
                9)]),
    ("Luminaires", 'aluminium', [7, 6], [
            ("Mât de luminaire", 2, (3000, 150, 150), None, 'aluminium', 14),
            ("Lanterne", 2, (500, 400, 400), None, 'aluminium', 3)]),
    ("Profilés de véranda", 'aluminium', [6], [
            ("Profilé", 10, (2400, 70, 50), 0.5, 'aluminium', 2.5),
            ("Cadre", 2, (1200, 1000, 60), 1.2, 'aluminium', 6)]),
    ("Bancs publics", 'cast_iron', [7], [
            ("Pied de banc en fonte", 4, (450, 400, 60), 0.35, 'cast_iron',
                14),
            ("Assise", 2, (1800, 450, 40), 1.5, 'steel', 12)]),
    ]
# Final state of the older jobs, oldest first.
OLD_PLAN = ['delivered', 'delivered', 'delivered', 'cancelled', 'delivered',
    'delivered_unpaid', 'delivered', 'delivered', 'delivered', 'delivered',
    'ready', 'ready', 'nc', 'curing']
# The jobs waiting for coating, oldest first: same letter, same batch key
# (powder, coats, primer, substrate group). The newest is not approved yet.
WAITING_PATTERNS = {
    'A': ('T7016M', 'steel', 1, False),
    'B': ('T9005B', 'steel', 1, False),
    'C': ('A9010S', 'aluminium', 1, False),
    'D': ('I7016T', 'galvanised', 2, True),
    'E': ('I3004B', 'aluminium', 1, False),
    }
WAITING_PLAN = ['A', 'B', 'C', 'A', 'D', 'B', 'A', 'C', 'A', 'B', 'E']
# Days ago of the intake of the jobs of each final state.
AGES = {'delivered': (14, 42), 'delivered_unpaid': (14, 42),
    'cancelled': (14, 42), 'ready': (7, 13), 'nc': (4, 6),
    'curing': (3, 5), 'waiting': (0.3, 4), 'quoted': (0.05, 0.2)}
QC_POINTS = [
    # name, label, type, lower, upper
    ('thickness', "Épaisseur du film (µm)", 'float', 60., 120.),
    ('adhesion', "Adhérence au quadrillage (ISO 2409, classe 0-1)",
        'boolean', None, None),
    ('appearance', "Aspect : ni coulure, ni manque, ni inclusion",
        'boolean', None, None),
    ('colour', "Teinte conforme au RAL commandé", 'boolean', None, None),
    ]
DEFECTS = [('EPA', "Épaisseur insuffisante"), ('COU', "Coulure"),
    ('ADH', "Manque d'adhérence"), ('INC', "Inclusion, grain"),
    ('TEI', "Écart de teinte"), ('DEG', "Cratère de dégazage")]
# name, kind, length, width, height (mm), supports, gap (mm), max kg
OVENS = [
    ("Four principal", 'bars', 6500, 1800, 2300, 6, 80, 1200),
    ("Four jantes", 'carts', 2400, 1200, 1600, 2, 50, 300),
    ]


def powders_csv():
    """Return the bytes of the supplier's catalogue spreadsheet as French
    Excel writes it (Windows-1252, semicolons), with a line given twice."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=';')
    writer.writerow(POWDER_HEADER)
    writer.writerows(POWDERS + [POWDERS[1]])
    return out.getvalue().encode('cp1252')


# -- set-up through proteus, as the administrator ------------------------

def setup_coating_shop(config, today):
    """Create the coating shop with setup_french_shop, its quote settings,
    QC checklist, defect types, ovens and users; return the company id.
    The administrator's current company becomes the coating shop."""
    from proteus import Model
    from trytond.modules.invoice_fr.shop_setup import (
        _create_fiscalyear, create_user, setup_french_shop)
    start = today - dt.timedelta(days=45)
    company = setup_french_shop(
        config, SHOP, siret='85214736200010', vat_number='FR17852147362',
        street="27 rue Francis de Pressensé", postal_code='69100',
        city="Villeurbanne", email='contact@thermolaquage-rhone.example.fr',
        phone='+33472651840', business_type='coating', terms=TERMS,
        legal_mentions="SAS au capital de 20 000 € — RCS Lyon 852 147 362",
        primary_colour='#8a3b12', today=start)
    if start.year != today.year:
        _create_fiscalyear(config, company, today)
    Company = Model.get('company.company', config=config)
    shop = Company(company.id)
    for name, value in SETTINGS.items():
        setattr(shop, name, value)
    shop.save()
    create_qc_checklist(config, shop)
    create_workshop_lists(config, shop)
    for login, name, role, password in USERS:
        create_user(config, shop, login, name, role, password)
    return shop.id


def create_qc_checklist(config, company):
    "Create the shop's QC checklist, needed before a job is ready."
    from proteus import Model
    Control = Model.get('quality.control', config=config)
    control = Control(name="Contrôle final thermolaquage",
        operations=['service.order:coating_ready'], company=company)
    for name, label, type_, lower, upper in QC_POINTS:
        point = control.points.new(name=name, string=label, type_=type_)
        if type_ == 'float':
            point.tolerance_lower, point.tolerance_upper = lower, upper
    control.save()


def create_workshop_lists(config, company):
    "Create the shop's defect types and ovens (current company: the shop)."
    from proteus import Model
    DefectType = Model.get('coating.defect.type', config=config)
    Oven = Model.get('coating.oven', config=config)
    DefectType.save([DefectType(code=code, name=name)
            for code, name in DEFECTS])
    Oven.save([Oven(name=name, kind=kind, length=length, width=width,
                height=height, supports=supports, gap=gap,
                max_weight=weight)
            for name, kind, length, width, height, supports, gap, weight
            in OVENS])


def switch_company(config, company_id):
    "Make `company_id` the administrator's current company again."
    from proteus import Model
    User = Model.get('res.user', config=config)
    Company = Model.get('company.company', config=config)
    user = User(config.user)
    user.company = Company(company_id)
    user.save()
    config._context = User.get_preferences(True, {})


# -- the shop's data, server side ----------------------------------------

def import_powders(company):
    "Import the catalogue through the coating CSV import; return powders."
    from trytond.modules.coating.powder_import import import_file
    from trytond.pool import Pool
    Product = Pool().get('product.product')
    _, result = import_file(company, powders_csv())
    print("Powders: imported %s, rejected %s" % (
            result.imported, result.rejected))
    return {p.template.powder_reference: p for p in Product.search([
                ('template.powder', '=', True),
                ('template.powder_company', '=', company.id)])}


def create_customers(company):
    "Create the shop's customers (parties of the shop); return them."
    from trytond.pool import Pool
    pool = Pool()
    Party = pool.get('party.party')
    Country = pool.get('country.country')
    france, = Country.search([('code', '=', 'FR')], limit=1)
    return Party.create([{
                'name': name, 'company': company.id,
                'addresses': [('create', [{
                                'street': street, 'postal_code': zip_,
                                'city': city, 'country': france.id}])],
                'contact_mechanisms': [('create', [
                            {'type': 'phone' if phone.startswith('04')
                                else 'mobile', 'value': phone},
                            {'type': 'email', 'value': email}])],
                } for name, street, zip_, city, phone, email in CUSTOMERS])


def create_employees(company):
    "Make the shop's users employees of the shop; return the employees."
    from trytond.pool import Pool
    pool = Pool()
    User = pool.get('res.user')
    Party = pool.get('party.party')
    Employee = pool.get('company.employee')
    employees = []
    for user in User.search([('login', 'in', [u[0] for u in USERS])],
            order=[('login', 'ASC')]):
        party, = Party.create([{'name': user.name, 'company': company.id}])
        employee, = Employee.create([{
                    'party': party.id, 'company': company.id}])
        User.write([user], {'employees': [('add', [employee.id])],
                'employee': employee.id})
        employees.append(employee)
    return employees


def job_specs(rng, now, powders):
    """Return the jobs to create, oldest first, as dicts: intake, plan
    (final state), template, powder, coats and options."""
    specs = []
    for plan, template in zip(OLD_PLAN,
            rng.sample(JOB_TEMPLATES, len(OLD_PLAN))):
        powder = powders[rng.choice(sorted(powders))]
        group = template[1]
        specs.append(dict(plan=plan, template=template, powder=powder,
                coats=2 if rng.random() < 0.25 else 1,
                primer=group == 'galvanised' and rng.random() < 0.7,
                sandblasting=(group == 'cast_iron'
                    or group == 'steel' and rng.random() < 0.5),
                masking=rng.random() < 0.25))
    for n, letter in enumerate(WAITING_PLAN):
        reference, group, coats, primer = WAITING_PATTERNS[letter]
        specs.append(dict(
                plan='quoted' if n == len(WAITING_PLAN) - 1 else 'waiting',
                template=rng.choice([t for t in JOB_TEMPLATES
                        if t[1] == group]),
                powder=powders[reference], coats=coats, primer=primer,
                sandblasting=group == 'steel' and rng.random() < 0.6,
                masking=group == 'aluminium' and rng.random() < 0.5))
    for spec in specs:
        low, high = AGES[spec['plan']]
        spec['intake'] = now - dt.timedelta(days=rng.uniform(low, high))
    # Each final state has its own age range: number the jobs by intake.
    specs.sort(key=lambda s: s['intake'])
    return specs


def new_job(company, stage, customers, employees, spec, rng):
    """Create a coating job of `spec` as the job form does (the powder
    brings its cure), compute its quote lines with the live calculator and
    send the quote; return the job."""
    from trytond.pool import Pool
    pool = Pool()
    Order = pool.get('service.order')
    Part = pool.get('coating.part')
    description, _, customer_indexes, parts = spec['template']
    metallic = spec['powder'].template.powder_finish == 'metallic'
    order = Order(kind='coating', company=company, stage=stage,
        party=customers[rng.choice(customer_indexes)],
        description=description, intake_date=spec['intake'],
        promised_date=(spec['intake'] + dt.timedelta(
                days=rng.choice([5, 7, 10]))).date(),
        priority='high' if rng.random() < 0.15 else 'normal',
        assigned_to=rng.choice(employees), coats=spec['coats'],
        primer=spec['primer'], varnish=metallic,
        sandblasting=spec['sandblasting'], masking=spec['masking'],
        energy=True, consumables=spec['masking'])
    order.powder = spec['powder']
    order.on_change_powder()
    order.coating_parts = [Part(description=name, quantity=quantity,
            length=size[0], width=size[1], height=size[2],
            surface=surface, substrate=substrate, weight=weight)
        for name, quantity, size, surface, substrate, weight
        in parts[:rng.randint(1, len(parts))]]
    order.save()
    order = Order(order.id)
    order.create_coating_quote_lines()
    Order.quote([Order(order.id)])
    return order


def job_path(spec, rng):
    "Return the codes of the events of a job after its intake, in order."
    steps = [c for c in ('sandblasting', 'masking', 'primer') if spec[c]]
    plan = spec['plan']
    if plan == 'cancelled':
        return ['cancelled']
    if plan == 'quoted':
        return []
    if plan == 'waiting':
        return ['approve'] + steps
    path = ['approve'] + steps + ['coating', 'curing']
    if plan == 'nc':
        return path + ['qc_fail', 'nonconformity']
    if plan == 'curing':
        return path
    path += ['qc', 'ready']
    if plan == 'ready':
        return path
    return path + [plan]


def play_jobs(company_id, rng):
    """Import the catalogue, create the customers and the 25 jobs with
    their quotes; return (ids of the shop's records, events) where events
    are (when, job id, code) to play in date order."""
    from trytond.pool import Pool
    pool = Pool()
    Company = pool.get('company.company')
    Stage = pool.get('service.order.stage')
    PaymentMethod = pool.get('account.invoice.payment.method')
    company = Company(company_id)
    stages = {s.code: s for s in Stage.create_defaults(company, 'coating')}
    methods = {m.counter_method: m
        for m in PaymentMethod.create_counter_methods(company)}
    powders = import_powders(company)
    customers = create_customers(company)
    employees = create_employees(company)
    now = dt.datetime.now().replace(microsecond=0)
    events = []
    for spec in job_specs(rng, now, powders):
        order = new_job(company, stages['received'], customers, employees,
            spec, rng)
        when = spec['intake']
        for code in job_path(spec, rng):
            when += dt.timedelta(hours=(rng.uniform(24, 96)
                    if code.startswith('delivered')
                    else rng.uniform(1, 16)))
            if when >= now - dt.timedelta(hours=2):
                break
            events.append((when, order.id, code))
    # The day's first batch is launched once the jobs are prepared.
    events.append((now - dt.timedelta(hours=1), None, 'batch'))
    ids = {'stages': {c: s.id for c, s in stages.items()},
        'methods': {c: m.id for c, m in methods.items()}}
    return ids, events


def inspect(order, when, rng, passed=True):
    """Record the QC inspection of `order` against the shop's checklist
    and process it (passed, or failed on the film thickness)."""
    from trytond.pool import Pool
    Inspection = Pool().get('quality.inspection')
    control, = order.coating_checklists()
    points = {'adhesion': True, 'appearance': True, 'colour': True,
        'thickness': float(round(rng.uniform(68, 105)) if passed else 48)}
    inspection, = Inspection.create([{
                'company': order.company.id, 'control': control.id,
                'origin': str(order), 'points': points,
                'reference': order.number}])
    Inspection.process([inspection])


def send_to_rework(order, when):
    "Record the non-conformity of a failed QC and send the job back."
    from trytond.pool import Pool
    pool = Pool()
    NonConformity = pool.get('coating.nonconformity')
    DefectType = pool.get('coating.defect.type')
    defect, = DefectType.search([
            ('company', '=', order.company.id), ('code', '=', 'EPA')])
    nc = NonConformity(company=order.company, order=order, date=when,
        defect_type=defect,
        comment="48 µm mesurés au dos des pièces (60 µm minimum).",
        corrective_action="Repoudrage d'une couche et nouvelle cuisson.",
        rework_minutes=40, rework_powder=0.6)
    nc.on_change_order()
    nc.save()
    NonConformity.send_back([nc])


def launch_batch(company, when):
    """Create a batch from the recommendation that saves the most colour
    changes, plan its loads in the main oven and launch it."""
    from trytond.pool import Pool
    pool = Pool()
    Recommendation = pool.get('coating.batch.recommendation')
    Batch = pool.get('coating.batch')
    Oven = pool.get('coating.oven')
    recommendations, _ = Recommendation.compute(company)
    best = max(recommendations, key=lambda r: r.colour_changes_saved)
    oven, = Oven.search([('company', '=', company.id),
            ('name', '=', OVENS[0][0])])
    batch = Batch.from_recommendation(company, best.job_ids, oven=oven,
        planned_date=when.date())
    Batch.plan_loads([batch])
    Batch.launch([batch])
    batch = Batch(batch.id)
    print("Batch %s: %s jobs, %s, %s oven load(s), launched" % (
            batch.number, batch.job_count, batch.key_label,
            batch.load_count))


def ready_and_invoice(order, stage, when):
    "Move the job to Prêt (its QC passed) and post its invoice of `when`."
    from trytond.pool import Pool
    pool = Pool()
    Order = pool.get('service.order')
    Invoice = pool.get('account.invoice')
    order.set_stage(stage)
    invoices = Order(order.id).sale.invoices
    for invoice in invoices:
        invoice.invoice_date = when.date()
    Invoice.save(invoices)
    Order.invoice([Order(order.id)])


def pay_and_deliver(order, stage, method, when, unpaid, rng):
    "Take the counter payment (or deliver unpaid, audited) and deliver."
    from trytond.pool import Pool
    pool = Pool()
    Order = pool.get('service.order')
    Invoice = pool.get('account.invoice')
    if unpaid:
        order.set_stage(stage, deliver_unpaid=True,
            reason="Règlement par virement à 30 jours convenu")
    else:
        due = order.amount_due
        Invoice.counter_pay(
            [i for i in order.invoices if i.state == 'posted'],
            method, due, date=when.date(),
            tendered=due if method.counter_method == 'cash' else None)
        Order(order.id).set_stage(stage)
    if rng.random() < 0.7:
        Order.write([Order(order.id)], {
                'rating': rng.choice(['4', '4', '5', '5', '5'])})


def play_coating_event(company_id, ids, when, order_id, code, rng):
    "Play one past event of a coating job (or of the shop) at `when`."
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Order = pool.get('service.order')
    History = pool.get('service.order.stage.history')
    Stage = pool.get('service.order.stage')
    Sale = pool.get('sale.sale')
    PaymentMethod = pool.get('account.invoice.payment.method')
    Company = pool.get('company.company')
    stages = {c: Stage(i) for c, i in ids['stages'].items()}
    last = History.search([], order=[('id', 'DESC')], limit=1)
    with Transaction().set_context(company=company_id):
        order = Order(order_id) if order_id else None
        if code == 'batch':
            launch_batch(Company(company_id), when)
        elif code == 'approve':
            Order.approve_quote([order], note=rng.choice([
                        "Accord par téléphone", "Accord par e-mail",
                        "Accord au comptoir"]))
        elif code in {'qc', 'qc_fail'}:
            order.set_stage(stages['qc'])
            inspect(Order(order_id), when, rng, passed=code == 'qc')
        elif code == 'nonconformity':
            send_to_rework(order, when)
        elif code == 'ready':
            ready_and_invoice(order, stages[code], when)
        elif code.startswith('delivered'):
            method = PaymentMethod(ids['methods'][rng.choice(
                        ['card', 'card', 'transfer', 'cheque', 'cash'])])
            pay_and_deliver(order, stages['delivered'], method, when,
                code == 'delivered_unpaid', rng)
        elif code == 'cancelled':
            Sale.cancel([order.sale])
            order.set_stage(stages[code])
        else:
            order.set_stage(stages[code])
    # The history rows just written happened at `when`.
    rows = History.search([('id', '>', last[0].id if last else 0)])
    if rows:
        History.write(rows, {'date': when})


def finish(company_id):
    """Cancel the emails of past events, print the batch recommendations
    left and return the number of coating jobs."""
    from trytond.pool import Pool
    pool = Pool()
    Notification = pool.get('service.order.notification')
    Order = pool.get('service.order')
    Recommendation = pool.get('coating.batch.recommendation')
    old = Notification.search([('state', 'in', ['pending', 'failed'])])
    Notification.write(old, {'state': 'cancelled',
            'last_error': "Données de démonstration : message non envoyé"})
    recommendations, unbatchable = Recommendation.compute(company_id)
    print("Recommended batches: %s for %s waiting jobs" % (
            len(recommendations),
            sum(r.jobs for r in recommendations) + len(unbatchable)))
    return Order.search_count([
            ('company', '=', company_id), ('kind', '=', 'coating')])


def user_id(login):
    "Return the id of the res.user `login`."
    from trytond.pool import Pool
    user, = Pool().get('res.user').search([('login', '=', login)])
    return user.id


def build(database, admin_id, repair_company_id, rng, in_transaction):
    """Build the coating shop and its six weeks after the repair shop and
    return its company id; `in_transaction(database, user, context, func,
    *args)` runs one user action (see demo_data.py)."""
    from proteus.config import get_config
    config = get_config()
    company_id = setup_coating_shop(config, dt.date.today())
    # The administrator lands in the repair shop, as before.
    switch_company(config, repair_company_id)
    context = {'company': company_id, 'language': 'fr',
        '_skip_warnings': True}
    ids, events = in_transaction(database, admin_id, context, play_jobs,
        company_id, rng)
    # The powder boxes, weighings and lists of the period (demo_powder.py),
    # played in date order with the jobs, whose powder leaves the stock;
    # the technician receives and weighs the boxes.
    events += in_transaction(database, admin_id, context, demo_powder.plan,
        company_id, events)
    operator_id = in_transaction(database, admin_id, context, user_id,
        USERS[1][0])
    for when, order_id, code in sorted(events, key=lambda e: e[0]):
        with demo_powder.clock(database, when, code):
            if code in demo_powder.CODES:
                in_transaction(database, operator_id, context,
                    demo_powder.play, company_id, when, order_id, code)
            else:
                in_transaction(database, admin_id, context,
                    play_coating_event, company_id, ids, when, order_id,
                    code, rng)
    count = in_transaction(database, admin_id, context, finish, company_id)
    print("Coating jobs: %s" % count)
    in_transaction(database, admin_id, context, demo_powder.finish,
        company_id)
    return company_id
