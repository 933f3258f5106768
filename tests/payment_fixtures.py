"""Shops, invoices and gateways for the online payment tests (tests/).

Everything is committed in the database named by DB_NAME (PostgreSQL in
scripts/test) so that the pay pages and webhooks, called through the WSGI
app with werkzeug's test client, see it in their own transactions.
"""
import datetime
import os
from decimal import Decimal

from werkzeug.test import Client

from trytond.modules.account.tests import create_chart, get_fiscalyear
from trytond.modules.account_invoice.tests.test_module import (
    set_invoice_sequences)
from trytond.modules.company.tests import create_company
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction, TransactionError

# Currencies used by the tests: code → (name, symbol, digits)
CURRENCIES = {
    'EUR': ("Euro", '€', 2),
    'XOF': ("Franc CFA (BCEAO)", 'F CFA', 0),
    'XAF': ("Franc CFA (BEAC)", 'FCFA', 0),
    'USD': ("US Dollar", '$', 2),
    }


def client():
    "Return a werkzeug test Client of trytond's WSGI app."
    from trytond.wsgi import app
    return Client(app)


def _currency(code):
    Currency = Pool().get('currency.currency')
    currencies = Currency.search([('code', '=', code)], limit=1)
    if currencies:
        return currencies[0]
    name, symbol, digits = CURRENCIES[code]
    currency, = Currency.create([{
                'name': name, 'code': code, 'symbol': symbol,
                'digits': digits,
                'rounding': Decimal(1).scaleb(-digits),
                }])
    return currency


def _country(code):
    Country = Pool().get('country.country')
    countries = Country.search([('code', '=', code)], limit=1)
    if countries:
        return countries[0]
    country, = Country.create([{'name': code, 'code': code}])
    return country


def create_payment_shop(db_name=None, currency_code='EUR', country_code='FR',
        provider=None, gateway_values=None, name=None, amount=None,
        customer_phone='+2250707070707', customer_email='awa@example.com'):
    """Create and commit a shop in `currency_code` with its chart, fiscal
    year, an online payment method, a customer in `country_code`, a posted
    invoice of `amount` (default 100.00 EUR or 10 000 XOF, no tax) and,
    when `provider` is given, a `payment.gateway` of that provider with
    `gateway_values` (its own fields: secrets, base URL...).

    Returns a dict of ids: company, party, invoice, gateway (or None),
    payment_method, journal, account_cash; and pay_token, amount
    (Decimal) and currency (code).
    """
    db_name = db_name or DB_NAME
    extras = {}
    while True:
        # Creating a chart locks tables: Tryton asks to restart the
        # transaction with the locks taken first (TransactionError.fix).
        with Transaction().start(db_name, 0, context={}, **extras) as tx:
            try:
                result = _create_payment_shop(tx, currency_code,
                    country_code, provider, gateway_values, name, amount,
                    customer_phone, customer_email)
            except TransactionError as exception:
                tx.rollback()
                exception.fix(extras)
                continue
            tx.commit()
            return result


def _create_payment_shop(transaction, currency_code, country_code, provider,
        gateway_values, name, amount, customer_phone, customer_email):
    pool = Pool()
    Party = pool.get('party.party')
    Account = pool.get('account.account')
    Journal = pool.get('account.journal')
    PaymentMethod = pool.get('account.invoice.payment.method')
    Invoice = pool.get('account.invoice')
    FiscalYear = pool.get('account.fiscalyear')
    Gateway = pool.get('payment.gateway')
    Company = pool.get('company.company')

    currency = _currency(currency_code)
    country = _country(country_code)
    shop_name = name or "Shop %s %s" % (
        country_code, datetime.datetime.now().strftime('%H%M%S%f'))
    company = create_company(name=shop_name, currency=currency)
    company = Company(company.id)
    company.phone_country = country
    company.save()
    with transaction.set_context(company=company.id):
        create_chart(company)
        fiscalyear = set_invoice_sequences(get_fiscalyear(company))
        fiscalyear.save()
        FiscalYear.create_period([fiscalyear])
        receivable, = Account.search([
                ('company', '=', company.id),
                ('type.receivable', '=', True),
                ('closed', '!=', True)], limit=1)
        revenue, = Account.search([
                ('company', '=', company.id),
                ('type.revenue', '=', True),
                ('closed', '!=', True)], limit=1)
        cash, = Account.search([
                ('company', '=', company.id),
                ('code', '=', '1.1.1')], limit=1)
        journal, = Journal.create([{
                    'name': "Online %s" % shop_name, 'type': 'cash',
                    'code': 'WEB'}])
        method, = PaymentMethod.create([{
                    'name': "Online", 'company': company.id,
                    'journal': journal.id,
                    'debit_account': cash.id,
                    'credit_account': cash.id}])
        party, = Party.create([{
                    'name': "Awa Koné",
                    'company': company.id,
                    'addresses': [('create', [{
                                    'street': "Rue 12", 'city': "Abidjan",
                                    'postal_code': '01',
                                    'country': country.id}])],
                    'contact_mechanisms': [('create', [
                                {'type': 'email',
                                    'value': customer_email},
                                {'type': 'mobile',
                                    'value': customer_phone}])],
                    }])
        if amount is None:
            amount = (Decimal('10000') if currency.digits == 0
                else Decimal('100.00'))
        revenue_journal, = Journal.search(
            [('type', '=', 'revenue')], limit=1)
        invoice, = Invoice.create([{
                    'type': 'out', 'company': company.id,
                    'journal': revenue_journal.id,
                    'party': party.id,
                    'invoice_address': party.addresses[0].id,
                    'currency': currency.id,
                    'account': receivable.id,
                    'invoice_date': datetime.date.today(),
                    'lines': [('create', [{
                                    'company': company.id,
                                    'account': revenue.id,
                                    'description': "Réparation",
                                    'quantity': 1,
                                    'unit_price': amount}])],
                    }])
        Invoice.post([invoice])
        gateway = None
        if provider:
            gateway, = Gateway.create([{
                        'company': company.id,
                        'name': provider.capitalize(),
                        'provider': provider,
                        'mode': 'sandbox',
                        'payment_method': method.id,
                        **(gateway_values or {})}])
        result = {
            'company': company.id, 'party': party.id,
            'invoice': invoice.id,
            'gateway': gateway.id if gateway else None,
            'payment_method': method.id, 'journal': journal.id,
            'account_cash': cash.id,
            'pay_token': Invoice(invoice.id).pay_token,
            'amount': amount, 'currency': currency_code,
            }
    return result


def invoice_state(invoice_id, db_name=None):
    """Return (state, amount_to_pay, number of payment lines, reconciled)
    of the invoice, read in a new transaction."""
    with Transaction().start(db_name or DB_NAME, 0, readonly=True):
        invoice = Pool().get('account.invoice')(invoice_id)
        return (invoice.state, invoice.amount_to_pay,
            len(invoice.payment_lines), bool(invoice.reconciled))


def transactions(invoice_id, db_name=None):
    """Return the invoice's online transactions as dicts (reference,
    provider_reference, state, amount, currency, failure_reason)."""
    with Transaction().start(db_name or DB_NAME, 0, readonly=True):
        Tx = Pool().get('payment.gateway.transaction')
        return [{
                'id': t.id, 'reference': t.reference,
                'provider_reference': t.provider_reference,
                'state': t.state, 'amount': t.amount,
                'currency': t.currency.code,
                'failure_reason': t.failure_reason,
                } for t in Tx.search([('invoice', '=', invoice_id)],
                order=[('id', 'ASC')])]


def messages(gateway_id, db_name=None):
    "Return the gateway's messages as (kind, verified, outcome) tuples."
    with Transaction().start(db_name or DB_NAME, 0, readonly=True):
        Message = Pool().get('payment.gateway.message')
        return [(m.kind, m.verified, m.outcome) for m in Message.search(
                [('gateway', '=', gateway_id)], order=[('id', 'ASC')])]


def check_pending(db_name=None):
    """Run the re-check cron once, committed, restarting the transaction
    when posting asks for table locks first (as Tryton's cron runner)."""
    extras = {}
    while True:
        with Transaction().start(db_name or DB_NAME, 0, **extras) as tx:
            try:
                Pool().get('payment.gateway.transaction').check_pending()
            except TransactionError as exception:
                tx.rollback()
                exception.fix(extras)
                continue
            tx.commit()
            return


def http_host_env():
    "Environ overrides that make the app build http://localhost URLs."
    return {'HTTP_HOST': 'localhost'}


os.environ.setdefault('TRYTOND_WEB__HOSTNAME', 'localhost')
