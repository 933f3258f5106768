"""Server-side accounting of a new shop: chart of accounts, taxes, fiscal
year, invoice sequences and the cash payment term.

France gets the French chart (account_fr, PCG) with its VAT taxes, as
`invoice_fr.shop_setup.setup_french_shop` does through proteus. No
upstream Tryton module carries the SYSCOHADA chart of the francophone
West African countries (XOF), and Tryton's minimal charts are loaded only
for an activated language: they get the accounts of the French PCG
(account_fr, without its French taxes and tax rules; SYSCOHADA derives
from the same plan: classes 1-7, 411 customers, 401 suppliers, 706
services) and one VAT tax at the country's standard rate (VAT_RATES) on
4457, to be reviewed by the shop's accountant; the sign-up says so
(Shop.accounting_note).
"""
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sql.aggregate import Max

from trytond.pool import Pool
from trytond.transaction import (
    Transaction, TransactionError, without_check_access)

#: Standard VAT rates of the UEMOA countries (Directive n°02/98/CM/UEMOA
#: allows 15 % to 20 %; national codes): Sénégal, Côte d'Ivoire, Bénin,
#: Burkina Faso, Mali, Niger, Togo 18 %; Guinée-Bissau 17 %.
VAT_RATES = {'SN': '0.18', 'CI': '0.18', 'BJ': '0.18', 'BF': '0.18',
    'ML': '0.18', 'NE': '0.19', 'TG': '0.18', 'GW': '0.17'}


def create_chart(company, country_code):
    """Create the chart of accounts, taxes and default receivable/payable
    accounts of `company` (company.company); return 'fr' when the French
    chart was used, 'minimal' otherwise."""
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    AccountTemplate = pool.get('account.account.template')
    TaxCodeTemplate = pool.get('account.tax.code.template')
    TaxCodeLineTemplate = pool.get('account.tax.code.line.template')
    TaxTemplate = pool.get('account.tax.template')
    TaxRuleTemplate = pool.get('account.tax.rule.template')
    TaxRuleLineTemplate = pool.get('account.tax.rule.line.template')
    Account = pool.get('account.account')
    Configuration = pool.get('account.configuration')

    kind = 'fr' if country_code == 'FR' else 'minimal'
    template = AccountTemplate(ModelData.get_id('account_fr.root'))
    # The same steps as account.create_chart's transition_create_account.
    with without_check_access(), Transaction().set_context(
            company=company.id, language='fr'):
        template2type, template2account, template2tax = {}, {}, {}
        template2tax_code, template2tax_code_line = {}, {}
        template2rule, template2rule_line = {}, {}
        template.type.create_type(company.id, template2type=template2type)
        _create_accounts(template, company.id, template2account,
            template2type)
        if kind == 'fr':
            TaxTemplate.create_tax(template.id, company.id,
                template2account=template2account,
                template2tax=template2tax)
            TaxCodeTemplate.create_tax_code(template.id, company.id,
                template2tax_code=template2tax_code)
            TaxCodeLineTemplate.create_tax_code_line(template.id,
                template2tax=template2tax,
                template2tax_code=template2tax_code,
                template2tax_code_line=template2tax_code_line)
        if kind == 'fr':
            _update_accounts(template, template2account, template2tax)
        if kind == 'fr':
            TaxRuleTemplate.create_rule(template.id, company.id,
                template2rule=template2rule)
            TaxRuleLineTemplate.create_rule_line(template.id, template2tax,
                template2rule, template2rule_line=template2rule_line)

        def first(domain):
            accounts = Account.search(
                [('company', '=', company.id)] + domain,
                order=[('code', 'ASC')], limit=1)
            return accounts[0] if accounts else None
        receivable = first([('code', '=', '4111')])
        payable = first([('code', '=', '4011')])
        revenue = first([('code', '=', '706')])
        expense = first([('code', '=', '604')])
        if kind != 'fr':
            _create_vat(company, country_code,
                first([('code', '=', '44571')]) or first(
                    [('code', 'like', '4457%')]) or payable)
        config = Configuration(1)
        config.default_account_receivable = receivable
        config.default_account_payable = payable
        if hasattr(config, 'default_category_account_revenue'):
            config.default_category_account_revenue = revenue
            config.default_category_account_expense = expense
        config.save()
    return kind


class _LockErrors(TransactionError):
    "The table locks a transaction lacks, asked for together."

    def __init__(self, errors):
        super().__init__()
        self.errors = errors

    def fix(self, extras):
        super().fix(extras)
        for error in self.errors:
            error.fix(extras)


def lock():
    """Lock, at the start of a sign-up's transaction, the tables it would
    otherwise lock on its way, each time throwing away the work done so
    far (Tryton asks for a missing lock by raising TransactionError, and
    its caller restarts the whole transaction with it: on PostgreSQL the
    old sign-up ran four times):

    - account.account: the new tree is appended to its nested set
      (`_create_accounts`), two concurrent sign-ups must not number
      theirs from the same maximum;
    - account.fiscalyear and account.period: the validation of their
      exclusion constraints (no overlapping dates) locks them where the
      database does not enforce them (PostgreSQL without btree_gist);
    - account.configuration while its singleton row does not exist yet
      (the first shop's accounting settings create it).

    Raises one TransactionError for all the missing locks; the RPC
    dispatcher, the routes' with_transaction, proteus and the tests
    restart the transaction with them, before any work is done."""
    pool = Pool()
    # ModelSingleton.search answers [1] even without the row: ask SQL.
    configuration = pool.get('account.configuration').__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*configuration.select(configuration.id, limit=1))
    models = ['account.account', 'account.fiscalyear', 'account.period']
    if not cursor.fetchone():
        models.append('account.configuration')
    errors = []
    for name in models:
        try:
            pool.get(name).lock()
        except TransactionError as error:
            errors.append(error)
    if errors:
        raise _LockErrors(errors)


def _create_accounts(template, company_id, template2account, template2type):
    """Create the accounts of the tree of `template` (the root
    account.account.template) for `company_id`, filling template2account
    (template id → account id) from template2type (type template id →
    type id): the same records, values (`_get_account_value`) and ids
    order as AccountTemplate.create_account, one create per level.

    What differs is the nested set: ModelSQL.create updates left/right of
    account.account after each level, and from a level of about
    sqrt(2 × all accounts of all shops) records on (the French chart has
    levels of 361 and 491 accounts) it renumbers the whole table, every
    shop's tree, one query per account: a sign-up got slower with each
    shop hosted. Here the levels are created by a subclass of the pool's
    account.account without that step, and the new tree is numbered once
    at the end, after every existing one (where Tryton's _update_tree puts
    a new root), its children in id order as _rebuild_tree does. The
    caller holds the account.account lock (`lock`)."""
    pool = Pool()
    Account = pool.get('account.account')
    # Same model, table, fields and validation; only the nested-set update
    # of ModelSQL.create is left out (it reads cls._mptt_fields).
    Creator = type(Account)(Account.__name__, (Account,), {
            '__name__': Account.__name__, '__slots__': (),
            '_mptt_fields': set()})
    parents = {}
    levels = [template]
    while levels:
        values, created = [], []
        for child in levels:
            if child.id in template2account:
                continue
            vals = child._get_account_value()
            vals['company'] = company_id
            vals['parent'] = (template2account[child.parent.id]
                if child.parent else None)
            for name in ['type', 'debit_type', 'credit_type']:
                type_ = getattr(child, name)
                vals[name] = template2type.get(type_.id) if type_ else None
            values.append(vals)
            created.append(child)
        for child, account in zip(created, Creator.create(values)):
            template2account[child.id] = account.id
            parents[account.id] = (template2account[child.parent.id]
                if child.parent else None)
        levels = sum((c.childs for c in levels), ())
    _number_tree(Account, parents)


def _number_tree(Account, parents):
    """Set left/right of the new accounts `parents` (account id → parent
    id or None, all new) after the greatest right of the table, depth
    first with children in id order."""
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    table = Account.__table__()
    # The new accounts are still at left = right = 0 (their defaults).
    cursor.execute(*table.select(Max(table.right)))
    last, = cursor.fetchone()
    children = defaultdict(list)
    for id_, parent in sorted(parents.items()):
        children[parent].append(id_)
    numbers = {}
    counter = last or 0
    for root in children[None]:
        counter += 1
        numbers[root] = [counter, None]
        stack = [(root, iter(children[root]))]
        while stack:
            node, pending = stack[-1]
            child = next(pending, None)
            if child is None:
                counter += 1
                numbers[node][1] = counter
                stack.pop()
            else:
                counter += 1
                numbers[child] = [counter, None]
                stack.append((child, iter(children[child])))
    assert len(numbers) == len(parents)
    for id_, (left, right) in numbers.items():
        cursor.execute(*table.update([table.left, table.right],
                [left, right], where=table.id == id_))


def _update_accounts(template, template2account, template2tax):
    """Add the default taxes and set `replaced_by` of the new accounts as
    AccountTemplate.update_account2 does (template2account, template2tax:
    template id → account id / tax id), reading the accounts by level
    instead of one by one and writing the accounts that get the same
    values together."""
    Account = Pool().get('account.account')
    done = set()
    levels = [template]
    while levels:
        todo = [t for t in levels if t.id not in done]
        done.update(t.id for t in todo)
        accounts = Account.browse([template2account[t.id] for t in todo])
        grouped = defaultdict(list)
        for child, account in zip(todo, accounts):
            if account.template_override:
                continue
            taxes = tuple(template2tax[x.id] for x in child.taxes)
            replaced_by = (template2account[child.replaced_by.id]
                if child.replaced_by else None)
            if taxes or replaced_by:
                grouped[taxes, replaced_by].append(account)
        to_write = []
        for (taxes, replaced_by), group in grouped.items():
            values = {}
            if taxes:
                values['taxes'] = [('add', list(taxes))]
            if replaced_by:
                values['replaced_by'] = replaced_by
            to_write.extend([group, values])
        if to_write:
            Account.write(*to_write)
        levels = sum((c.childs for c in levels), ())


def _create_vat(company, country_code, account):
    "Create the standard-rate VAT of a country without upstream taxes."
    Tax = Pool().get('account.tax')
    accounts = [account]
    rate = Decimal(VAT_RATES.get(country_code, '0.18'))
    Tax.create([{
                'company': company.id,
                'name': 'TVA %s %%' % (rate * 100).normalize(),
                'description': 'TVA taux normal',
                'type': 'percentage',
                'rate': rate,
                'invoice_account': accounts[0].id,
                'credit_note_account': accounts[0].id,
                }])


def create_fiscalyear(company, today=None):
    """Create and open the calendar fiscal year of `today` with monthly
    periods, its move sequence and invoice numbering FACT-YYYY-NNNN /
    AV-YYYY-NNNN (CGI annexe II art. 242 nonies A: one unbroken series per
    shop); return the fiscal year."""
    pool = Pool()
    FiscalYear = pool.get('account.fiscalyear')
    Sequence = pool.get('ir.sequence.strict')
    ModelData = pool.get('ir.model.data')
    today = today or dt.date.today()
    year = today.year

    def sequence(name, prefix, type_xml_id):
        return Sequence(name=name, company=company, prefix=prefix,
            padding=4, sequence_type=ModelData.get_id(type_xml_id))
    invoice_type = 'account_invoice.sequence_type_account_invoice'
    with without_check_access(), Transaction().set_context(
            company=company.id):
        move, out_invoice, out_credit, in_invoice = seqs = [
            sequence(f"Écritures {year}", '${date_Y}-',
                'account.sequence_type_account_move'),
            sequence(f"Factures {year}", 'FACT-${date_Y}-', invoice_type),
            sequence(f"Avoirs {year}", 'AV-${date_Y}-', invoice_type),
            sequence(f"Factures fournisseurs {year}", 'FF-${date_Y}-',
                invoice_type),
            ]
        Sequence.save(seqs)
        fiscalyear = FiscalYear(name=str(year), company=company,
            start_date=dt.date(year, 1, 1), end_date=dt.date(year, 12, 31),
            move_sequence=move)
        fiscalyear.invoice_sequences = [{
                'company': company.id,
                'out_invoice_sequence': out_invoice.id,
                'out_credit_note_sequence': out_credit.id,
                'in_invoice_sequence': in_invoice.id,
                'in_credit_note_sequence': in_invoice.id,
                }]
        fiscalyear.save()
        FiscalYear.create_period([fiscalyear])
    return fiscalyear


def cash_payment_term():
    "Return the immediate payment term 'Comptant', created if missing."
    PaymentTerm = Pool().get('account.invoice.payment_term')
    with without_check_access():
        terms = PaymentTerm.search([('name', '=', "Comptant")], limit=1)
        if terms:
            return terms[0]
        term, = PaymentTerm.create([{
                    'name': "Comptant",
                    'description': "Paiement comptant à réception de facture",
                    'lines': [('create', [{'type': 'remainder'}])],
                    }])
    return term
