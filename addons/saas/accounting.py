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
from decimal import Decimal

from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access

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
        template.create_account(company.id,
            template2account=template2account, template2type=template2type)
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
            template.update_account2(template2account, template2tax)
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
