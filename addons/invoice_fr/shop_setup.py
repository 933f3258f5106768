"""Set up a French shop through proteus (client side).

Used by the demo script and the end-to-end tests::

    from proteus import config as pconfig
    from trytond.modules.invoice_fr.shop_setup import (
        setup_french_shop, create_repair_products, create_user)

    config = pconfig.set_trytond('atelier')
    company = setup_french_shop(
        config, "Répar'Phone", siret='73282932000074',
        vat_number='FR44732829320', street="12 rue de la République",
        postal_code='69002', city='Lyon', email='contact@reparphone.fr',
        phone='+33478000000')
    products = create_repair_products(config, company)
    create_user(config, company, 'marie', "Marie", 'workshop.role_owner',
        'a long password')

The functions run as a user allowed to create companies, users and charts
of accounts (the administrator). Each shop gets its own party, company,
French chart of accounts (account_fr), VAT taxes, fiscal year with its
invoice numbering FACT-YYYY-NNNN, accounting categories and the
"Comptant" payment term.
"""
import datetime as dt
from decimal import Decimal

from proteus import Model, Wizard

__all__ = ['setup_french_shop', 'create_repair_products', 'create_user',
    'accounting_category', 'DEFAULT_PAYMENT_TERMS_TEXT']

#: Late-payment penalty printed on every invoice (Code de commerce art.
#: L441-9 I and L441-10 II: the rate of late-payment penalties must be
#: stated; it may not be lower than three times the legal interest rate).
#: The 40 € recovery indemnity (art. L441-10 II and D441-5) is owed by
#: business customers only: the invoice template prints it for them, so it
#: is not part of this text.
DEFAULT_PAYMENT_TERMS_TEXT = (
    "Paiement à réception de facture. "
    "En cas de retard de paiement, des pénalités de retard sont exigibles "
    "au taux de trois fois le taux d'intérêt légal en vigueur "
    "(art. L441-10 du Code de commerce).")

DEFAULT_TERMS = (
    "Le devis est gratuit et valable 30 jours. Les pièces remplacées sont "
    "restituées sur demande. Tout appareil non retiré dans un délai de "
    "90 jours après l'avis de fin de réparation pourra être considéré "
    "comme abandonné.")

# (kind, label, revenue account code, expense account code, tax template)
_CATEGORIES = {
    'service': ("Prestations", '706', '604',
        'account_fr.tva_vente_services_taux_normal'),
    'goods': ("Pièces et marchandises", '7071', '6071',
        'account_fr.tva_vente_biens_taux_normal'),
    }


def _get_or_create_country(config):
    "Return France (country.country FR), created if countries were not loaded."
    Country = Model.get('country.country', config=config)
    countries = Country.find([('code', '=', 'FR')], limit=1)
    if countries:
        return countries[0]
    country = Country(name="France", code='FR', code3='FRA',
        code_numeric='250')
    country.save()
    return country


def _get_or_create_euro(config):
    "Return the euro (currency.currency EUR), created if not loaded."
    Currency = Model.get('currency.currency', config=config)
    currencies = Currency.find([('code', '=', 'EUR')], limit=1)
    if currencies:
        return currencies[0]
    currency = Currency(name="Euro", symbol="€", code='EUR',
        numeric_code='978', rounding=Decimal('0.01'), digits=2)
    currency.save()
    return currency


def _model_data_id(config, xml_id):
    "Return the database id of the record `module.fs_id`."
    ModelData = Model.get('ir.model.data', config=config)
    return ModelData.get_id(xml_id, config.context)


def _account(config, company, code):
    "Return the account of `company` with `code`."
    Account = Model.get('account.account', config=config)
    account, = Account.find([
            ('company', '=', company.id),
            ('code', '=', code),
            ], limit=1)
    return account


def _tax(config, company, template_xml_id):
    "Return the tax of `company` created from the tax template `xml_id`."
    Tax = Model.get('account.tax', config=config)
    tax, = Tax.find([
            ('company', '=', company.id),
            ('template', '=', _model_data_id(config, template_xml_id)),
            ], limit=1)
    return tax


def _switch_company(config, company):
    """Give the current user access to `company`, make it the current one and
    reload the proteus context (user preferences)."""
    User = Model.get('res.user', config=config)
    user = User(config.user)
    if company not in user.companies:
        user.companies.append(company)
    user.company = company
    user.save()
    config._context = User.get_preferences(True, {})


def _create_chart(config, company):
    "Create the French chart of accounts (account_fr.root) for `company`."
    AccountTemplate = Model.get('account.account.template', config=config)
    create_chart = Wizard('account.create_chart', config=config)
    create_chart.execute('account')
    create_chart.form.account_template = AccountTemplate(
        _model_data_id(config, 'account_fr.root'))
    create_chart.form.company = company
    create_chart.execute('create_account')
    # account_fr proposes 4111 (customers) and 4011 (suppliers).
    if not create_chart.form.account_receivable:
        create_chart.form.account_receivable = _account(
            config, company, '4111')
    if not create_chart.form.account_payable:
        create_chart.form.account_payable = _account(config, company, '4011')
    if hasattr(create_chart.form, 'category_account_revenue'):
        create_chart.form.category_account_revenue = _account(
            config, company, '706')
    if hasattr(create_chart.form, 'category_account_expense'):
        create_chart.form.category_account_expense = _account(
            config, company, '604')
    create_chart.execute('create_properties')


def _set_default_service_tax(config, company):
    """Give the default revenue account (706, services) the normal VAT rate
    on services as default tax: quote and invoice lines without a product
    (a coating job's calculated lines, a line typed by hand) take the
    default taxes of their account (Tryton's sale line `compute_taxes`,
    invoice line `on_change_account`), so they are not invoiced without
    VAT (CGI art. 278: 20 %)."""
    _, revenue, _, tax_xml_id = _CATEGORIES["service"]
    with config.set_context(company=company.id):
        account = _account(config, company, revenue)
        tax = _tax(config, company, tax_xml_id)
        if tax not in account.taxes:
            account.taxes.append(tax)
            account.save()


def _strict_sequence(config, company, name, prefix, sequence_type_xml_id):
    "Create a strict sequence numbering `prefix` + 4 digits for `company`."
    Sequence = Model.get('ir.sequence.strict', config=config)
    SequenceType = Model.get('ir.sequence.type', config=config)
    sequence = Sequence(
        name=name, company=company, prefix=prefix, padding=4,
        sequence_type=SequenceType(
            _model_data_id(config, sequence_type_xml_id)))
    sequence.save()
    return sequence


def _create_fiscalyear(config, company, today):
    """Create and open the fiscal year of `today` (calendar year) with its
    monthly periods and the invoice sequences of `company`: customer
    invoices FACT-YYYY-NNNN and credit notes AV-YYYY-NNNN, one unbroken
    series per shop and year (CGI annexe II art. 242 nonies A, 7°: unique
    number based on a continuous chronological sequence)."""
    FiscalYear = Model.get('account.fiscalyear', config=config)
    year = today.year
    fiscalyear = FiscalYear(
        name=str(year), company=company,
        start_date=dt.date(year, 1, 1), end_date=dt.date(year, 12, 31))
    fiscalyear.move_sequence = _strict_sequence(
        config, company, f"Écritures {year}", '${date_Y}-',
        'account.sequence_type_account_move')
    invoice_type = 'account_invoice.sequence_type_account_invoice'
    out_invoice = _strict_sequence(
        config, company, f"Factures {year}", 'FACT-${date_Y}-', invoice_type)
    out_credit = _strict_sequence(
        config, company, f"Avoirs {year}", 'AV-${date_Y}-', invoice_type)
    in_invoice = _strict_sequence(
        config, company, f"Factures fournisseurs {year}", 'FF-${date_Y}-',
        invoice_type)
    if not fiscalyear.invoice_sequences:
        fiscalyear.invoice_sequences.new()
    sequences, = fiscalyear.invoice_sequences
    sequences.company = company
    sequences.out_invoice_sequence = out_invoice
    sequences.out_credit_note_sequence = out_credit
    sequences.in_invoice_sequence = in_invoice
    sequences.in_credit_note_sequence = in_invoice
    fiscalyear.save()
    fiscalyear.click('create_period')
    return fiscalyear


def _get_or_create_cash_term(config):
    "Return the immediate payment term 'Comptant', created if missing."
    PaymentTerm = Model.get('account.invoice.payment_term', config=config)
    terms = PaymentTerm.find([('name', '=', "Comptant")], limit=1)
    if terms:
        return terms[0]
    term = PaymentTerm(name="Comptant",
        description="Paiement comptant à réception de facture")
    term.lines.new(type='remainder')
    term.save()
    return term


def accounting_category(config, company, kind='service'):
    """Return the accounting product category of `company` for `kind`
    ('service': revenue 706, VAT on services at the normal rate; 'goods':
    revenue 7071, VAT on goods at the normal rate), created if missing.
    Categories are named "<label> — <shop name>". Raises KeyError for an
    unknown kind."""
    Category = Model.get('product.category', config=config)
    label, revenue, expense, tax_xml_id = _CATEGORIES[kind]
    name = f"{label} — {company.party.name}"
    with config.set_context(company=company.id):
        categories = Category.find([
                ('name', '=', name), ('accounting', '=', True)], limit=1)
        if categories:
            return categories[0]
        category = Category(name=name, accounting=True)
        category.account_revenue = _account(config, company, revenue)
        category.account_expense = _account(config, company, expense)
        category.customer_taxes.append(_tax(config, company, tax_xml_id))
        category.save()
    return category


def setup_french_shop(config, name, siret, vat_number, street, postal_code,
        city, email=None, phone=None, legal_mentions=None,
        payment_terms_text=None, terms=None, primary_colour='#1f4e79',
        business_type='repair', quotation_validity_days=30, today=None):
    """Create a French shop and return its `company.company` (proteus).

    - the shop's party (owned by no other shop) with its address in France,
      SIRET (`fr_siret` identifier on the address, as read by party_siret's
      `address.siret`), SIREN (its 9 first digits) and intra-community VAT
      number (`eu_vat`), email and phone;
    - the company in EUR, timezone Europe/Paris, with `business_type`,
      `legal_mentions` (legal form, share capital, RCS: Code de commerce
      R123-237), `payment_terms_text` (default DEFAULT_PAYMENT_TERMS_TEXT,
      art. L441-10) and `terms` printed on quotes;
    - the French chart of accounts (account_fr), its VAT taxes, the
      accounting categories for services and goods (see
      `accounting_category`);
    - the fiscal year of `today` (default: today) with monthly periods and
      the invoice numbering FACT-YYYY-NNNN (credit notes AV-YYYY-NNNN);
    - the "Comptant" payment term as the shop's default customer term and a
      quotation validity of `quotation_validity_days` days.

    The current user is given access to the company, which becomes its
    current company (the proteus context is reloaded). SIRET and VAT
    numbers are checked by python-stdnum through party.identifier:
    an invalid one raises the server's validation error.
    """
    Company = Model.get('company.company', config=config)
    if today is None:
        today = dt.date.today()

    france = _get_or_create_country(config)
    euro = _get_or_create_euro(config)
    # The shop's party belongs to no shop before its company exists, which
    # the workshop party rule refuses to clients: the server creates both.
    company_id = Company.create_french_shop({
            'name': name, 'street': street, 'postal_code': postal_code,
            'city': city, 'country': france.id,
            'siret': siret, 'vat_number': vat_number,
            'email': email, 'phone': phone,
            'currency': euro.id, 'timezone': 'Europe/Paris',
            'business_type': business_type,
            'legal_mentions': legal_mentions,
            'payment_terms_text': (
                payment_terms_text or DEFAULT_PAYMENT_TERMS_TEXT),
            'terms': terms or DEFAULT_TERMS,
            'primary_colour': primary_colour,
            }, config.context)
    company = Company(company_id)
    _switch_company(config, company)
    company = Company(company.id)

    _create_chart(config, company)
    for kind in _CATEGORIES:
        accounting_category(config, company, kind)
    _set_default_service_tax(config, company)
    _create_fiscalyear(config, company, today)

    cash = _get_or_create_cash_term(config)
    with config.set_context(company=company.id):
        AccountConfiguration = Model.get(
            'account.configuration', config=config)
        account_config = AccountConfiguration(1)
        account_config.default_customer_payment_term = cash
        account_config.save()
        SaleConfiguration = Model.get('sale.configuration', config=config)
        sale_config = SaleConfiguration(1)
        sale_config.sale_quotation_validity = dt.timedelta(
            days=quotation_validity_days)
        sale_config.save()
    return company


def create_repair_products(config, company):
    """Create the usual products of a phone repair shop for `company` and
    return them as a dict name → product.product. Prices are excl. tax, in
    the company currency (EUR): labour "Main d'œuvre" 45 €/hour, diagnosis
    29 € (services, VAT on services at 20 %), "Écran iPhone 12" 89 € and
    "Batterie" 39 € (goods, VAT on goods at 20 %)."""
    Template = Model.get('product.template', config=config)
    Uom = Model.get('product.uom', config=config)
    hour = Uom(_model_data_id(config, 'product.uom_hour'))
    unit = Uom(_model_data_id(config, 'product.uom_unit'))
    data = [
        ("Main d'œuvre", 'service', hour, Decimal('45.00')),
        ("Diagnostic", 'service', unit, Decimal('29.00')),
        ("Écran iPhone 12", 'goods', unit, Decimal('89.00')),
        ("Batterie", 'goods', unit, Decimal('39.00')),
        ]
    products = {}
    with config.set_context(company=company.id):
        for name, type_, uom, price in data:
            template = Template(name=name, type=type_, default_uom=uom,
                salable=True, sale_uom=uom, list_price=price)
            template.account_category = accounting_category(
                config, company, 'service' if type_ == 'service'
                else 'goods')
            template.save()
            products[name], = template.products
    return products


def create_user(config, company, login, name, role_xml_id, password):
    """Create and return a res.user `login` of `company` with the role
    `role_xml_id` (one of workshop.role_owner, workshop.role_admin,
    workshop.role_technician, workshop.role_accounting). The password must
    satisfy the server's password rules (length, not the login…), else the
    server raises a validation error."""
    User = Model.get('res.user', config=config)
    Role = Model.get('res.role', config=config)
    Company = Model.get('company.company', config=config)
    user = User(login=login, name=name, password=password)
    user.companies.append(Company(company.id))
    user.company = Company(company.id)
    user.roles.new(role=Role(_model_data_id(config, role_xml_id)))
    user.save()
    return user
