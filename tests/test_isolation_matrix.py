"""Isolation matrix: no role of shop B reaches any row of shop A, for every
model of the pool that holds shop data (PostgreSQL).

Every Atelier module is activated (in a database of its own,
`<DB_NAME>_isolation`, so that the other cross-module tests keep theirs and
the committed data of this one stays apart); then:

1. Classification (`classify`): every ModelSQL model of the pool (table
   or SQL view) is

   - a *shop model* when it has a Many2One to company.company (named
     `company`, or another name like `powder_company`) that is stored or
     searchable;
   - a *child model* when, without such a field, it has a stored
     Many2One that is required or ON DELETE CASCADE to a shop or child
     model (order lines, history rows, batch loads, count lines, secrets
     of a gateway...): its rows are the parent's data;
   - a *resource model* when its rows point with a `resource` Reference
     to any record (attachments, notes, chat channels): checked on the
     rows attached to shop A's records;
   - otherwise not shop data (Tryton's global models: countries,
     currencies, units, views, menus...).

   A shop or child model is covered when a global ir.rule applies to it:
   its own, or one of a model reached through `__access__` (Tryton applies
   the parent's rules to the child: `ir.rule._get_access_models`), or
   the default company rule that workshop adds to shop data without a
   global rule (`workshop/rule.py`). A resource model is covered when it is a ResourceAccessMixin (Tryton
   checks the resource's rules). A model that no role of shop B may read,
   write, create or delete (ir.model.access) is reported as protected by
   access rights only: the matrix below proves it role by role. Anything
   else fails test_every_shop_model_has_a_rule, naming the model, unless
   it is in GLOBAL (the allow-list below, with the reason of each entry).

2. Shop A is built with the modules' own methods (repair job quoted,
   invoiced and paid at the counter; coating job with parts, QC,
   non-conformity, oven and batch; powder boxes received, weighed, listed
   and counted; a payment gateway with a transaction and messages; a
   portal account with a token, an email, a session, an attachment and a
   discussion; a quote signed with esign; stage history, audit rows,
   notifications). Models still without a row of A get a generic create
   (required fields filled with simple values, Many2One to A's records).
   Models with no row of A are printed and counted, not failed.

3. For every role of shop B (Owner, Admin, Technician, Accounting; users
   with companies = [B]), with access checks on, as RPC would run it, in
   the normal context (company B) and in a forged one (company A,
   companies [A]: a client chooses its context): search, count, read,
   export_data and export_data_domain of A's ids find nothing or raise
   AccessError; write and delete raise or leave the rows unchanged
   (checked in SQL). The same search and read go over HTTP: JSON-RPC
   (`common.db.login`, then `model.<name>.search/read`) and Tryton 8.0's
   REST API (`/<db>/rest/model/<name>`, user application key).

4. Shop A's own owner finds A's rows with the same searches (the checks
   are not vacuous).
"""
import base64
import datetime
import json
import os
import sys
import threading
import time
import unittest
from collections import defaultdict
from decimal import Decimal


from trytond import backend
from trytond.ir.resource import ResourceAccessMixin
from trytond.ir.rule import _get_access_models
from trytond.model import ModelSQL, fields
from trytond.model.exceptions import AccessError
from trytond.modules.workshop.rule import company_path
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, create_db
from trytond.transaction import Transaction, TransactionError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

ADDONS = os.path.join(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))), 'addons')
# Every Atelier module, so that a new module's models are checked too.
MODULES = sorted(m for m in os.listdir(ADDONS)
    if os.path.exists(os.path.join(ADDONS, m, 'tryton.cfg')))
ISO_DB = DB_NAME + '_isolation'
ROLES = ['role_owner', 'role_admin', 'role_technician', 'role_accounting']
PASSWORD = 'Isolation-Shop-B-2025!'

# Models not checked as shop data, with the reason. Keep it short; every
# entry is a decision.
GLOBAL = {
    # The tenant itself: company.company rows are the shops. Its rules
    # are the sign-up issue's (operator-level) decision; shop B's roles
    # cannot change another shop (checked in test_company_records).
    'company.company': "the shops themselves (see test_company_records)",
    # Staff accounts. Tryton reads res.user everywhere (create_uid,
    # write_uid, chat authors, preferences): a rule on it breaks the
    # client. Its `company` is the user's current shop, not an owner.
    'res.user': "staff accounts, read by Tryton everywhere; its company "
        "is the current shop of the user, not an owner",
    # Tryton's chat: no role may read the channels (ir.model.access); the
    # RPC methods (get, post, followers) run without access checks and
    # call check_access(resource), which workshop/rule.py extends with the
    # resource's record rules.
    'ir.chat.channel': "Tryton's chat channels: no model access for "
        "users; its methods check the resource (workshop/rule.py)",
    # The hosting settings (one row): its operator_company is the company
    # that invoices the shops (saas billing), read by every shop's code.
    'saas.configuration': "the installation's hosting settings "
        "(singleton); operator_company invoices the shops, no shop's data",
    }
# Parents whose children are not shop data: per-user settings of Tryton
# (list widths, saved searches, favourites...) hang on res.user.
NOT_PARENTS = {'company.company', 'res.user'}


def _b64(value):
    return base64.urlsafe_b64encode(
        json.dumps(value).encode()).decode()


def activate(db_name, modules):
    "Create `db_name` and activate `modules` (as activate_module does)."
    create_db(name=db_name)
    with Transaction().start(db_name, 1, close=True) as transaction:
        pool = Pool()
        Module = pool.get('ir.module')
        records = Module.search([
                ('name', 'in', modules), ('state', '!=', 'activated')])
        if records:
            Module.activate(records)
            transaction.commit()
            ActivateUpgrade = pool.get(
                'ir.module.activate_upgrade', type='wizard')
            instance_id, _, _ = ActivateUpgrade.create()
            transaction.commit()
            ActivateUpgrade(instance_id).transition_upgrade()
            ActivateUpgrade.delete(instance_id)
            transaction.commit()


def run_committed(db_name, func, *args):
    """Run func(*args) as root in a transaction of `db_name` and commit;
    restart it when Tryton asks for locks taken first."""
    extras = {}
    for _ in range(50):
        with Transaction().start(db_name, 0, context={}, **extras) as tx:
            try:
                result = func(*args)
            except TransactionError as exception:
                tx.rollback()
                exception.fix(extras)
                continue
            tx.commit()
            return result
    raise RuntimeError("too many restarts")


# Classification ---------------------------------------------------------

def is_view(Model):
    return bool(getattr(Model, 'table_query', None)
        and Model.table_query())


def company_link(Model):
    """Return the name of the Many2One to company.company that ties a row
    of Model to a shop (stored or searchable), or None."""
    names = sorted(Model._fields, key=lambda n: (n != 'company', n))
    for name in names:
        field = Model._fields[name]
        if (field._type == 'many2one'
                and getattr(field, 'model_name', None) == 'company.company'
                and (not isinstance(field, fields.Function)
                    or field.searcher)):
            return name


def classify(pool):
    """Return {model: info} for the models that hold shop data; info has
    kind ('shop', 'child', 'resource'), path (the domain path to the
    company, e.g. 'order.company'; the Reference field for 'resource'),
    view (bool)."""
    models = {n: M for n, M in pool.iterobject() if issubclass(M, ModelSQL)}
    result = {}
    for name, Model in models.items():
        if name in NOT_PARENTS:
            continue
        link = company_link(Model)
        if link:
            result[name] = {'kind': 'shop', 'path': link,
                'view': is_view(Model)}
    changed = True
    while changed:
        changed = False
        for name, Model in sorted(models.items()):
            if name in result or name in NOT_PARENTS:
                continue
            for fname in sorted(Model._fields):
                field = Model._fields[fname]
                if (field._type != 'many2one'
                        or isinstance(field, fields.Function)):
                    continue
                target = field.model_name
                if target == name or target not in result:
                    continue
                if result[target]['kind'] == 'resource':
                    continue
                if not (field.required or field.ondelete == 'CASCADE'):
                    continue
                result[name] = {'kind': 'child',
                    'path': '%s.%s' % (fname, result[target]['path']),
                    'view': is_view(Model)}
                changed = True
                break
    for name, Model in models.items():
        if name in result or name in NOT_PARENTS:
            continue
        field = Model._fields.get('resource')
        if field is not None and field._type == 'reference':
            result[name] = {'kind': 'resource', 'path': 'resource',
                'view': is_view(Model)}
    return result


def coverage(pool, name, info, ruled):
    "Return how rows of `name` are protected (str) or None."
    Model = pool.get(name)
    names, _ = _get_access_models(Model)
    if name in ruled:
        return 'own rule'
    parents = sorted((names - {name}) & ruled)
    if parents:
        return 'rule of %s (__access__)' % ', '.join(parents)
    if info['kind'] == 'resource' and issubclass(Model, ResourceAccessMixin):
        return "resource's rules (ResourceAccessMixin)"
    if company_path(pool, Model):
        return 'default company rule (workshop/rule.py)'
    return None


# Shop A, shop B and B's users ---------------------------------------------

def _stages(company, kind):
    Stage = Pool().get('service.order.stage')
    stages = Stage.search([
            ('company', '=', company.id), ('kind', '=', kind)])
    if not stages:
        stages = Stage.create_defaults(company, kind)
    return {s.code: s for s in stages}


def _counter_methods(company):
    "The counter payment methods of `company` (test chart), by method."
    pool = Pool()
    Account = pool.get('account.account')
    PaymentMethod = pool.get('account.invoice.payment.method')
    cash, = Account.search([
            ('company', '=', company.id), ('code', '=', '1.1.1')])
    bank, = Account.search([
            ('company', '=', company.id), ('type', '!=', None),
            ('closed', '!=', True), ('id', '!=', cash.id),
            ('type.receivable', '=', False), ('type.payable', '=', False),
            ('type.revenue', '=', False), ('reconcile', '=', False),
            ], limit=1)
    methods = PaymentMethod.create_counter_methods(
        company, cash_account=cash, bank_account=bank)
    return {m.counter_method: m for m in methods}


def build_shop_a():
    """Build shop A as a shop would use it; return {'company': id,
    'records': [str(record), ...]} (records that resource models may
    point to)."""
    from trytond.modules.company.tests import set_company
    from trytond.modules.esign.tests.test_module import data_url, drawing
    from trytond.modules.portal.tests import tools as portal_tools
    from trytond.modules.powder_stock.tests import tools as powder_tools
    from trytond.modules.service_order.tests.tools import create_stages

    pool = Pool()
    Company = pool.get('company.company')
    Party = pool.get('party.party')
    Device = pool.get('repair.device')
    Order = pool.get('service.order')
    Line = pool.get('service.order.line')
    Stage = pool.get('service.order.stage')
    Invoice = pool.get('account.invoice')
    Sale = pool.get('sale.sale')
    Gateway = pool.get('payment.gateway')
    PaymentTransaction = pool.get('payment.gateway.transaction')
    Message = pool.get('payment.gateway.message')
    Token = pool.get('portal.token')
    PortalEmail = pool.get('portal.email')
    Session = pool.get('web.user.session')
    Signature = pool.get('esign.signature')
    Employee = pool.get('company.employee')
    Control = pool.get('quality.control')
    Inspection = pool.get('quality.inspection')
    DefectType = pool.get('coating.defect.type')
    NonConformity = pool.get('coating.nonconformity')
    Oven = pool.get('coating.oven')
    Batch = pool.get('coating.batch')
    Box = pool.get('powder.box')
    Weighing = pool.get('powder.weighing')
    WeighList = pool.get('powder.weigh_list')
    Count = pool.get('powder.count')
    Reorder = pool.get('powder.reorder')
    Note = pool.get('ir.note')
    Notification = pool.get('res.notification')
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')

    # esign and the box weighing lock tables: ask for the locks first
    Signature.lock()

    shop = portal_tools.setup_shop("Atelier A (isolation)")
    company = shop.company
    records = []
    with set_company(company):
        methods = _counter_methods(company)
        Stage.write(Stage.search([('company', '=', company.id)]),
            {'notify': False})
        repair_stages = create_stages(company, kind='repair')
        coating_stages = _stages(company, 'coating')
        Stage.write(list(coating_stages.values()), {'notify': False})
        # one stage that notifies, for a customer notification row
        Stage.write([shop.stages['ready']], {'notify': True})

        # A customer with a portal account, a device, a repair job quoted,
        # approved, invoiced and paid at the counter
        party, web_user = portal_tools.create_customer(shop, "Claire Martin",
            'claire@example.com', password='Portail-Claire-2025')
        Party.write([party], {'identifiers': [('create', [{
                            'type': 'fr_siren', 'code': '732829320'}])]})
        device, = Device.create([{
                    'party': party.id, 'brand': "Apple",
                    'imei': '352099001761481'}])
        repair = Order(kind='repair', party=party, device=device,
            stage=repair_stages['intake'], description="Écran cassé")
        line = Line(product=shop.product, quantity=1)
        line.on_change_product()
        repair.lines = [line]
        repair.save()
        repair.set_stage(repair_stages['open'])
        Order.quote([repair])
        Order.approve_quote([repair])
        invoice, = Order.invoice([repair])
        Invoice.counter_pay([invoice], methods['cash'],
            invoice.amount_to_pay, tendered=invoice.amount_to_pay + 20)
        records += [repair, invoice, party, device]

        # A service job delivered through "ready" (a notification) with an
        # unpaid invoice paid online: gateway, transaction, messages
        job = portal_tools.create_job(shop, party, description="Révision")
        job.set_stage(shop.stages['ready'])
        gateway, = Gateway.create([{
                    'company': company.id, 'name': "FedaPay",
                    'provider': 'fedapay', 'mode': 'sandbox',
                    'payment_method': methods['card'].id,
                    'fedapay_secret_key': 'sk_sandbox_isolation_A',
                    'fedapay_webhook_secret': 'wh_sandbox_isolation_A',
                    }])
        job_invoice, = [i for i in Order(job.id).invoices]
        transaction = PaymentTransaction.create_for_invoice(
            job_invoice, gateway)
        Message.record(gateway, 'webhook', payload={'event': 'test'},
            verified=True, outcome='test', transaction=transaction)
        records += [job, job_invoice]

        # The portal: a sign-in token and its email, a session, a shared
        # document, a discussion, a note
        raw, token = Token.issue(web_user, 'login')
        PortalEmail.create_for_token(web_user, token, raw)
        Session.create([{'user': web_user.id}])
        portal_tools.attach(job, 'photo.txt', b'photo of shop A')
        portal_tools.post_staff_message(job, "Votre appareil est prêt",
            audience='public')
        Note.create([{'resource': str(job), 'message': "Note de A"}])

        # A quote signed on the portal (esign)
        quoted = portal_tools.create_job(shop, party, approve=False,
            description="Devis à signer")
        sale = quoted.sale
        state = Sale.esign_state(sale, party=party, company=company)
        Signature.sign_quote(sale, party, "Claire Martin",
            data_url(drawing()), True, state['shown_hash'],
            ip='203.0.113.7', user_agent='isolation-test',
            email='claire@example.com', company=company)
        records += [quoted, sale]

        # Staff: an employee, an owner (for the non-vacuity check) with a
        # notification
        employee, = Employee.create([{
                    'company': company.id,
                    'party': Party.create([{
                                'name': "Paul Technicien"}])[0].id,
                    }])
        owner, = User.create([{
                    'login': 'iso_a_owner', 'name': "Owner A",
                    'password': PASSWORD,
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'employees': [('add', [employee.id])],
                    'employee': employee.id,
                    'roles': [('create', [{
                                    'role': ModelData.get_id(
                                        'workshop', 'role_owner')}])],
                    }])
        Notification.create([{'user': owner.id, 'label': "Shop A"}])

        # Coating: powders with formats and cost prices, a job with parts,
        # a failed QC with its alert, a non-conformity, an oven, a batch
        # launched with its load plan
        Company.write([company], {'business_type': 'coating'})
        powder, = powder_tools.create_powders(company, [
                ('T7016M', '18', [(20, 0.8)])])
        coating = powder_tools.create_job(company, coating_stages, powder,
            surface=4.0, stage='received', promised_date=datetime.date.today())
        # load plans need the parts' dimensions (mm)
        pool.get('coating.part').write(list(coating.coating_parts), {
                'length': 2000, 'width': 1000, 'height': 40, 'weight': 12})
        control, = Control.create([{
                    'name': "Contrôle final A", 'company': company.id,
                    'operations': ['service.order:coating_ready'],
                    'points': [('create', [{
                                    'name': 'thickness',
                                    'string': "Épaisseur (µm)",
                                    'type_': 'float',
                                    'tolerance_lower': 60,
                                    'tolerance_upper': 120}])],
                    }])
        defect, = DefectType.create([{'name': "Coulure A"}])
        oven, = Oven.create([{
                    'name': "Four A", 'length': 3000, 'width': 1500,
                    'height': 2200, 'kind': 'bars', 'supports': 4,
                    'gap': 50, 'max_weight': 500}])
        batch = Batch.from_recommendation(company, [coating.id], oven=oven)
        Batch.plan_loads([batch])
        Batch.launch([batch])
        coating = Order(coating.id)
        for code in ['curing', 'qc']:
            if coating.stage.code != code:
                coating.set_stage(coating_stages[code])
        inspection = Inspection(control=control, origin=coating,
            points={'thickness': 45.})
        inspection.save()
        Inspection.process([inspection])
        NonConformity.create([{'order': coating.id,
                    'defect_type': defect.id,
                    'return_stage': coating_stages['rework'].id,
                    'rework_minutes': 30, 'rework_powder': 0.4}])
        records += [coating, batch]

        # Powder stock: boxes received, one opened and weighed, today's
        # list, a counting session, reorder suggestions
        boxes = Box.receive(company, powder, 3,
            format_=powder.template.powder_formats[0])
        Box.open_(boxes[:1])
        Weighing.record(boxes[0], 15.0)
        WeighList.fill([WeighList.for_day(company)])
        count, = Count.create([{'company': company.id, 'name': "Inventaire A",
                    'size': 2}])
        Count.plan([count])
        Reorder.compute(company)
        records += boxes
    return {'company': company.id, 'records': [str(r) for r in records],
        'owner': owner.id}


def build_shop_b(currency_id):
    """Shop B and one user per workshop role, with companies [B], a
    password (JSON-RPC) and a REST application key. Returns ids."""
    from trytond.modules.company.tests import create_company, set_company
    pool = Pool()
    User = pool.get('res.user')
    Application = pool.get('res.user.application')
    Currency = pool.get('currency.currency')
    ModelData = pool.get('ir.model.data')
    company = create_company("Atelier B (isolation)",
        currency=Currency(currency_id))
    with set_company(company):
        _stages(company, 'coating')
    users = {}
    for role in ROLES:
        user, = User.create([{
                    'login': 'iso_b_%s' % role, 'name': "B %s" % role,
                    'password': PASSWORD,
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'roles': [('create', [{
                                    'role': ModelData.get_id(
                                        'workshop', role)}])],
                    }])
        application, = Application.create([{
                    'user': user.id, 'application': 'rest'}])
        users[role] = {'id': user.id, 'login': user.login,
            'key': application.key}
    return {'company': company.id, 'users': users}


# Rows of shop A -------------------------------------------------------------

def _savepoint(func, *args, **kwargs):
    """Run func in a savepoint; return (result, exception). The savepoint
    is rolled back when func raises (the transaction stays usable)."""
    cursor = Transaction().connection.cursor()
    cursor.execute('SAVEPOINT isolation')
    try:
        result = func(*args, **kwargs)
    except Exception as exception:
        cursor.execute('ROLLBACK TO SAVEPOINT isolation')
        Transaction().cache.clear()
        return None, exception
    cursor.execute('RELEASE SAVEPOINT isolation')
    return result, None


def _short(exception):
    text = '%s: %s' % (type(exception).__name__, exception)
    return ' '.join(text.split())[:160]


def rows_of_a(pool, classes, company_id, records, limit=5):
    """Return ({model: [ids of shop A]}, {model: reason of no row}).
    Read as root: no rule applies."""
    rows, missing = {}, {}
    with Transaction().set_context(
            company=company_id, companies=[company_id]):
        for name, info in sorted(classes.items()):
            if info['kind'] == 'resource':
                continue
            Model = pool.get(name)
            found, error = _savepoint(Model.search,
                [(info['path'], '=', company_id)], limit=limit, order=[])
            if error:
                missing[name] = "search failed: %s" % _short(error)
            elif found:
                rows[name] = [r.id for r in found]
            else:
                missing[name] = "no row"
        # resource models: the rows attached to a record of shop A
        for name, info in sorted(classes.items()):
            if info['kind'] != 'resource':
                continue
            Model = pool.get(name)
            ids = []
            for row in Model.search([], order=[('id', 'DESC')], limit=2000):
                resource = getattr(row, info['path'], None)
                if resource is None or not hasattr(resource, '__name__'):
                    continue
                target = classes.get(resource.__name__)
                if (str(resource) in records
                        or (target and resource.id in rows.get(
                                resource.__name__, []))):
                    ids.append(row.id)
                if len(ids) >= limit:
                    break
            if ids:
                rows[name] = ids
            else:
                missing[name] = "no row attached to a record of A"
    return rows, missing


def _simple_value(pool, Model, fname, field, company_id, rows):
    today = datetime.date.today()
    type_ = field._type
    if type_ == 'many2one':
        target = field.model_name
        if target == 'company.company':
            return company_id
        if rows.get(target):
            return rows[target][0]
        Target = pool.get(target)
        found = Target.search([], limit=1, order=[])
        return found[0].id if found else None
    if type_ in {'char', 'text'}:
        return 'iso-%s' % fname
    if type_ == 'integer':
        return 1
    if type_ == 'float':
        return 1.0
    if type_ == 'numeric':
        return Decimal(1)
    if type_ == 'boolean':
        return False
    if type_ == 'date':
        return today
    if type_ in {'datetime', 'timestamp'}:
        return datetime.datetime.now()
    if type_ == 'time':
        return datetime.time(12, 0)
    if type_ == 'binary':
        return b'iso'
    if type_ == 'dict':
        return {}
    if type_ in {'selection', 'multiselection'}:
        selection = field.selection
        if isinstance(selection, str):
            selection = getattr(Model, selection)()
        keys = [k for k, _ in selection if k]
        if not keys:
            return None
        return [keys[0]] if type_ == 'multiselection' else keys[0]
    return None


def generic_create(pool, name, info, company_id, rows):
    """Create one row of shop A for `name`: required fields get simple
    values, Many2One fields the first row of A of the target. Returns the
    id or raises."""
    Model = pool.get(name)
    stored = {n: f for n, f in Model._fields.items()
        if not isinstance(f, fields.Function)
        and n not in {'id', 'create_uid', 'create_date', 'write_uid',
            'write_date', 'rec_name'}}
    values = Model.default_get(list(stored), with_rec_name=False)
    values = {k: v for k, v in values.items() if v is not None}
    for fname, field in stored.items():
        if fname in values or not field.required:
            continue
        value = _simple_value(pool, Model, fname, field, company_id, rows)
        if value is not None:
            values[fname] = value
    first = info['path'].split('.')[0]
    field = Model._fields[first]
    values[first] = _simple_value(pool, Model, first, field, company_id,
        rows)
    with Transaction().set_context(company=company_id):
        record, = Model.create([values])
    return record.id


def complete_rows(pool, classes, company_id, rows, missing):
    """Try a generic create for each table model still without a row of
    A (children after their parents). Returns {model: reason}."""
    failed = {}
    for _ in range(3):
        for name in sorted(missing):
            info = classes[name]
            if info['view'] or info['kind'] == 'resource':
                continue
            record_id, error = _savepoint(
                generic_create, pool, name, info, company_id, rows)
            if error is None:
                rows[name] = [record_id]
                del missing[name]
                failed.pop(name, None)
            else:
                failed[name] = "generic create: %s" % _short(error)
    for name in missing:
        if name in failed:
            missing[name] = failed[name]
    return missing


# Checks as a user of shop B --------------------------------------------------

def _snapshot(Model, ids):
    "{id: (write_uid, write_date)} of `ids` read in SQL (no ORM, no rule)."
    table = Model.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(table.id, table.write_uid,
            table.write_date, where=table.id.in_(ids)))
    return {i: (u, d) for i, u, d in cursor}


def _changes(Model, ids, operation):
    """Run operation() in a savepoint, compare A's rows before and after in
    SQL, roll back. Return (exception or None, changed ids)."""
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    before = _snapshot(Model, ids)
    cursor.execute('SAVEPOINT probe')
    error = None
    try:
        operation()
    except Exception as exception:
        error = exception
    try:
        after = _snapshot(Model, ids)
    except Exception:
        after = before  # the statement failed: nothing was changed
    cursor.execute('ROLLBACK TO SAVEPOINT probe')
    transaction.cache.clear()
    changed = sorted(i for i in before if after.get(i) != before[i])
    return error, changed


def rows_among(Model, info, ids, found_ids, company_id):
    """The ids among found_ids that are rows of shop A: A's own ids for a
    table; for an SQL view (whose ids are computed, so B's rows may carry
    the same numbers) the found rows whose company is A, read as root."""
    found_ids = [int(i) for i in found_ids]
    if not found_ids:
        return []
    if not info['view']:
        return sorted(set(found_ids) & set(ids))
    with Transaction().set_user(0), Transaction().set_context(
            _check_access=False):
        return [r.id for r in Model.search([
                    ('id', 'in', found_ids),
                    (info['path'], '=', company_id)], order=[])]


def probe(pool, name, info, ids, company_id):
    """Try every RPC path on `ids` (shop A's rows of `name`) as the
    current user; return (problems, errors). problems: (operation,
    detail) where A's data was reached; errors: (operation, detail) of
    refusals that were not AccessError (not leaks, printed)."""
    Model = pool.get(name)
    field = info['path'].split('.')[0]
    problems, errors = [], []

    def of_a(found_ids):
        return rows_among(Model, info, ids, found_ids, company_id)

    def refused(operation, error):
        if not isinstance(error, AccessError):
            errors.append((operation, _short(error)))

    found, error = _savepoint(Model.search, [('id', 'in', ids)], order=[])
    if error:
        refused('search', error)
    elif of_a(found):
        problems.append(('search', "found %s" % of_a(found)))
    count, error = _savepoint(Model.search, [('id', 'in', ids)],
        count=True)
    if error is None and count and not info['view']:
        problems.append(('search_count', "counted %s" % count))
    result, error = _savepoint(Model.read, ids, ['id', field])
    if error:
        refused('read', error)
    elif of_a([r['id'] for r in result]):
        problems.append(('read', "read %s" % of_a([r['id'] for r in result])))
    data, error = _savepoint(Model.export_data, Model.browse(ids), [field])
    if error:
        refused('export_data', error)
    elif data and not info['view']:
        problems.append(('export_data', "exported %s" % data[:3]))
    data, error = _savepoint(Model.export_data_domain,
        [('id', 'in', ids)], [field])
    if error:
        refused('export_data_domain', error)
    elif data and not info['view']:
        problems.append(('export_data_domain', "exported %s" % data[:3]))
    if not info['view']:
        error, changed = _changes(Model, ids,
            lambda: Model.write(Model.browse(ids), {}))
        if changed:
            problems.append(('write', "wrote %s" % changed))
        error, changed = _changes(Model, ids,
            lambda: Model.delete(Model.browse(ids)))
        if changed:
            problems.append(('delete', "deleted %s" % changed))
    return problems, errors


def _prepare(a_company, records):
    "Classify the pool, find or create the rows of A (committed)."
    pool = Pool()
    classes = classify(pool)
    rows, missing = rows_of_a(pool, classes, a_company, records)
    missing = complete_rows(pool, classes, a_company, rows, missing)
    # rows made by the generic creates may be what resource rows need
    return classes, rows, missing


def _access(users):
    "{role: {model: {'read': bool, ...}}} of ir.model.access for B's roles."
    pool = Pool()
    ModelAccess = pool.get('ir.model.access')
    names = [n for n, M in pool.iterobject() if issubclass(M, ModelSQL)]
    result = {}
    for role, user in users.items():
        with Transaction().set_user(user['id']), Transaction().set_context(
                _check_access=True):
            result[role] = ModelAccess.get_access(names)
    return result


def _ruled():
    "Models with a global ir.rule.group (read)."
    RuleGroup = Pool().get('ir.rule.group')
    return {g.model for g in RuleGroup.search([
                ('global_p', '=', True), ('perm_read', '=', True)])}


@unittest.skipIf(backend.name != 'postgresql',
    "the isolation matrix runs on PostgreSQL (scripts/test)")
class IsolationMatrixTestCase(unittest.TestCase):
    "No role of shop B reaches shop A's rows, for every shop model"

    @classmethod
    def setUpClass(cls):
        cls.times = {}
        start = time.monotonic()
        activate(ISO_DB, MODULES)
        cls.times['activate'] = time.monotonic() - start
        start = time.monotonic()
        cls.a = run_committed(ISO_DB, build_shop_a)

        def shop_b():
            Company = Pool().get('company.company')
            return build_shop_b(Company(cls.a['company']).currency.id)
        cls.b = run_committed(ISO_DB, shop_b)
        cls.classes, cls.rows, cls.missing = run_committed(ISO_DB,
            _prepare, cls.a['company'], cls.a['records'])
        with Transaction().start(ISO_DB, 0, readonly=True):
            cls.access = _access(cls.b['users'])
            cls.ruled = _ruled()
            pool = Pool()
            cls.coverage = {name: coverage(pool, name, info, cls.ruled)
                for name, info in cls.classes.items()}
        cls.times['shop data'] = time.monotonic() - start
        cls.report = {}

    @classmethod
    def tearDownClass(cls):
        try:
            cls.print_summary()
        finally:
            from trytond.tests.test_tryton import drop_db
            drop_db(ISO_DB)

    @classmethod
    def print_summary(cls):
        classes = cls.classes
        kinds = defaultdict(int)
        for info in classes.values():
            kinds[info['kind'] + (' (SQL view)' if info['view'] else '')] += 1
        out = ["", "== Isolation matrix (%s) ==" % ISO_DB]
        out.append("models holding shop data: %d (%s)" % (len(classes),
                ', '.join('%s %d' % kv for kv in sorted(kinds.items()))))
        protection = defaultdict(int)
        for name, how in cls.coverage.items():
            if name in GLOBAL:
                how = 'allow-listed'
            elif how is None:
                how = ('access rights only' if name in cls.access_only()
                    else 'NO RULE')
            elif how.startswith('rule of'):
                how = 'parent rule (__access__)'
            elif how.startswith('default'):
                how = 'default company rule'
            protection[how] += 1
        out.append("protected by: %s" % ', '.join(
                '%s %d' % kv for kv in sorted(protection.items())))
        out.append("allow-listed (GLOBAL): %d" % len(GLOBAL))
        for name, reason in sorted(GLOBAL.items()):
            out.append("  %-45s %s" % (name, reason))
        out.append("access rights only (no role of B may read, write, "
            "create or delete): %s" % ', '.join(sorted(cls.access_only())))
        rpc = cls.report.get('rpc')
        if rpc:
            out.append("checked with rows of A: %d models x %d roles x 2 "
                "contexts, %d probes, %d leaks" % (rpc['models'],
                    len(ROLES), rpc['probes'], len(rpc['leaks'])))
            out.append("  refused by access rights for every role: %d, "
                "hidden by rules for at least one role: %d" % (
                    rpc['access'], rpc['models'] - rpc['access']))
            for (name, operation), detail in sorted(rpc['errors'].items()):
                out.append("  not AccessError (%s %s): %s" % (
                        name, operation, detail))
        http = cls.report.get('http')
        if http:
            out.append("over HTTP (JSON-RPC and REST): %d models x %d "
                "roles, %d requests, %d leaks; JSON-RPC refusals by HTTP "
                "status: %s" % (http['models'], len(ROLES),
                    http['requests'], len(http['leaks']),
                    http['statuses'] or 'none'))
        owner = cls.report.get('owner')
        if owner:
            out.append("shop A's owner sees A's rows: %d of %d models it "
                "may read" % (owner['seen'], owner['readable']))
        out.append("models without a row of A (not checked): %d"
            % len(cls.missing))
        for name, reason in sorted(cls.missing.items()):
            out.append("  %-45s %s" % (name, reason))
        out.append("time: %s" % ', '.join('%s %.0f s' % kv
                for kv in cls.times.items()))
        print('\n'.join(out), flush=True)

    @classmethod
    def access_only(cls):
        "Models without a rule that no role of B may touch at all."
        result = set()
        for name, how in cls.coverage.items():
            if how is not None or name in GLOBAL:
                continue
            if not any(any(cls.access[role][name].values())
                    for role in cls.access):
                result.add(name)
        return result

    def test_every_shop_model_has_a_rule(self):
        "Every model holding shop data has a company rule (or a reason)"
        failures = []
        access_only = self.access_only()
        for name, how in sorted(self.coverage.items()):
            if how or name in GLOBAL or name in access_only:
                continue
            info = self.classes[name]
            roles = sorted(role for role in self.access
                if any(self.access[role][name].values()))
            failures.append("%s holds shop data (%s, company via %r) "
                "without a company rule, and %s may use it: add an "
                "ir.rule.group (global) with [('%s', 'in', "
                "Eval('companies', []))] or a reason in GLOBAL" % (
                    name, info['kind'], info['path'], ', '.join(roles),
                    info['path']))
        self.assertFalse(failures, '\n' + '\n'.join(failures))

    def test_matrix_rpc(self):
        "B's roles cannot search, read, export, write or delete A's rows"
        b_company = self.b['company']
        a_company = self.a['company']
        contexts = {
            'company B': {'company': b_company, 'companies': [b_company]},
            'forged company A': {
                'company': a_company, 'companies': [a_company]},
            }
        leaks, errors = [], {}
        probes = 0
        start = time.monotonic()
        with Transaction().start(ISO_DB, 0) as transaction:
            pool = Pool()
            for role, user in sorted(self.b['users'].items()):
                for label, context in contexts.items():
                    with transaction.set_user(user['id']), \
                            transaction.set_context(
                                _check_access=True, **context):
                        for name, ids in sorted(self.rows.items()):
                            info = self.classes[name]
                            problems, others = probe(
                                pool, name, info, ids, a_company)
                            probes += 1
                            for operation, detail in problems:
                                leaks.append("%s as %s (%s): %s %s" % (
                                        name, role, label, operation,
                                        detail))
                            for operation, detail in others:
                                errors[(name, operation)] = detail
            # A's rows are all there, unchanged
            for name, ids in sorted(self.rows.items()):
                if self.classes[name]['view']:
                    continue
                Model = pool.get(name)
                self.assertEqual(len(_snapshot(Model, ids)), len(ids),
                    msg="rows of A lost in %s" % name)
            transaction.rollback()
        self.times['rpc matrix'] = time.monotonic() - start
        access = sum(1 for name in self.rows if not any(
                self.access[role][name]['read'] for role in self.access))
        self.report['rpc'] = {'models': len(self.rows), 'probes': probes,
            'leaks': leaks, 'errors': errors, 'access': access}
        self.assertFalse(leaks, '\n' + '\n'.join(leaks))

    def test_matrix_http(self):
        "Over JSON-RPC and the REST API, B's roles find none of A's rows"
        import requests
        from werkzeug.serving import WSGIRequestHandler, make_server
        from trytond.protocols.jsonrpc import JSONDecoder
        from trytond.wsgi import app

        class QuietHandler(WSGIRequestHandler):
            def log_request(self, *args, **kwargs):
                pass

        server = make_server('127.0.0.1', 0, app, threaded=True,
            request_handler=QuietHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = 'http://127.0.0.1:%s/%s/' % (server.server_port, ISO_DB)
        rpc = base + 'rpc/'
        a_company = self.a['company']
        forged = {'company': a_company, 'companies': [a_company]}
        leaks, requests_made = [], 0
        start = time.monotonic()

        statuses = defaultdict(int)

        def decode(response):
            "The JSON-RPC answer; {} for a refusal that is not JSON."
            if response.status_code != 200:
                statuses[response.status_code] += 1
                return {}
            return json.loads(response.text, object_hook=JSONDecoder())

        try:
            for role, user in sorted(self.b['users'].items()):
                http = requests.Session()
                response = http.post(rpc, json={'id': 0,
                        'method': 'common.db.login',
                        'params': [user['login'], {'password': PASSWORD},
                            'en']})
                requests_made += 1
                result = decode(response).get('result')
                self.assertTrue(result, msg="%s could not sign in: %s" % (
                        role, response.text[:300]))
                user_id, session = result[0], result[1]
                http.headers['Authorization'] = 'Session ' + (
                    base64.b64encode(('%s:%s:%s' % (user['login'], user_id,
                                    session)).encode()).decode())
                rest = requests.Session()
                rest.headers['Authorization'] = 'bearer %s' % user['key']
                rest.headers['X-Tryton-Context'] = _b64(forged)

                for name, ids in sorted(self.rows.items()):
                    info = self.classes[name]
                    field = info['path'].split('.')[0]
                    found = []
                    for context in [{}, forged]:
                        for method, params in [
                                ('search', [[('id', 'in', ids)], 0, None,
                                        None, context]),
                                ('read', [ids, ['id', field], context]),
                                ]:
                            response = http.post(rpc, json={'id': 1,
                                    'method': 'model.%s.%s' % (name, method),
                                    'params': params})
                            requests_made += 1
                            result = decode(response).get('result') or []
                            found.extend(r['id'] if isinstance(r, dict)
                                else r for r in result)
                    response = rest.get(base + 'rest/model/' + name,
                        params={'d': _b64([('id', 'in', ids)]),
                            'f': 'id'})
                    requests_made += 1
                    if response.status_code == 200:
                        found.extend(r['id'] for r in response.json())
                    response = rest.get(base + 'rest/model/%s/%s' % (
                            name, ids[0]), params={'f': 'id'})
                    requests_made += 1
                    if response.status_code == 200:
                        found.append(response.json()['id'])
                    if found:
                        with Transaction().start(ISO_DB, 0, readonly=True):
                            Model = Pool().get(name)
                            reached = rows_among(Model, info, ids, found,
                                a_company)
                        if reached:
                            leaks.append("%s as %s over HTTP: %s" % (
                                    name, role, reached))
        finally:
            server.shutdown()
            server.server_close()
        self.times['http matrix'] = time.monotonic() - start
        self.report['http'] = {'models': len(self.rows),
            'requests': requests_made, 'leaks': leaks,
            'statuses': dict(statuses)}
        self.assertFalse(leaks, '\n' + '\n'.join(leaks))

    def test_owner_of_a_sees_its_rows(self):
        "The same searches find A's rows for A's owner (they can succeed)"
        a_company = self.a['company']
        core = ['service.order', 'service.order.line', 'party.party',
            'sale.sale', 'account.invoice', 'esign.signature',
            'payment.gateway.transaction', 'powder.box', 'coating.batch',
            'workshop.audit']
        seen, readable = set(), set()
        with Transaction().start(ISO_DB, 0, readonly=True) as transaction:
            pool = Pool()
            with transaction.set_user(self.a['owner']), \
                    transaction.set_context(_check_access=True,
                        company=a_company, companies=[a_company]):
                ModelAccess = pool.get('ir.model.access')
                access = ModelAccess.get_access(list(self.rows))
                for name, ids in sorted(self.rows.items()):
                    if not access[name]['read']:
                        continue
                    readable.add(name)
                    Model = pool.get(name)
                    found, _ = _savepoint(Model.search,
                        [('id', 'in', ids)], order=[])
                    if found and rows_among(Model, self.classes[name], ids,
                            [r.id for r in found], a_company):
                        seen.add(name)
        self.report['owner'] = {'seen': len(seen), 'readable': len(readable)}
        self.assertEqual(sorted(set(core) - seen), [],
            msg="shop A's owner cannot find its own rows")
