"""Helpers of the portal tests (server side, inside a transaction): shops
with a chart of accounts, customers with a portal account, jobs quoted,
approved and invoiced.

The browser tests can use them too, e.g. in a committed transaction:

    shop = setup_shop("Répar'Phone Lyon")
    party, user = create_customer(shop, "Awa Diop", 'awa@example.com',
        password='Portail-Awa-2025')
    order = create_job(shop, party, invoice=True)
"""
import datetime
from decimal import Decimal

from trytond.modules.account.tests import create_chart, get_fiscalyear
from trytond.modules.account_invoice.tests.test_module import (
    set_invoice_sequences)
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.service_order.tests.tools import (
    create_service_product, create_stages)
from trytond.pool import Pool


class Shop:
    "A shop of the tests: company, stages and a labour product."

    def __init__(self, company, stages, product):
        self.company = company
        self.stages = stages
        self.product = product


def setup_shop(name, colour='#7a1f5c', photos=True, uploads=True):
    """Create a shop (company.company) with a chart of accounts, a fiscal
    year with invoice sequences, the test stages and a labour product with
    its revenue account; portal photos and uploads as given. Returns a
    Shop. Call it as root (user 0 or 1), outside any set_company."""
    pool = Pool()
    FiscalYear = pool.get('account.fiscalyear')
    Account = pool.get('account.account')
    Category = pool.get('product.category')
    company = create_company(name=name)
    company.primary_colour = colour
    company.portal_photos = photos
    company.portal_uploads = uploads
    company.portal_upload_max_mb = 1
    company.save()
    with set_company(company):
        create_chart(company)
        fiscalyear = set_invoice_sequences(get_fiscalyear(company))
        fiscalyear.save()
        FiscalYear.create_period([fiscalyear])
        stages = create_stages(company)
        revenue, = Account.search([
                ('company', '=', company.id), ('type.revenue', '=', True),
                ('closed', '!=', True)], limit=1)
        category = Category(name="Labour", accounting=True,
            account_revenue=revenue)
        category.save()
        product = create_service_product(price=Decimal('100'))
        product.template.account_category = category
        product.template.save()
    return Shop(company, stages, product)


def create_customer(shop, name, email, password=None, lang=None):
    """Create a customer party of `shop` with `email` and, with
    `password`, its portal account (web.user). Returns (party, user or
    None). `lang`: 'fr' or 'en' for the party's language."""
    pool = Pool()
    Party = pool.get('party.party')
    User = pool.get('web.user')
    Lang = pool.get('ir.lang')
    with set_company(shop.company):
        values = {
            'name': name, 'company': shop.company.id,
            'addresses': [('create', [{'city': 'Lyon'}])],
            'contact_mechanisms': [('create', [
                        {'type': 'email', 'value': email}])],
            }
        if lang:
            values['lang'], = [l.id for l in Lang.search(
                        [('code', '=', lang)])]
        party, = Party.create([values])
        user = None
        if password:
            user, = User.create([{
                        'email': email, 'party': party.id,
                        'company': shop.company.id, 'password': password,
                        }])
    return party, user


def create_job(shop, party, description="Écran cassé", quote=True,
        approve=True, invoice=True, promised_date=None):
    """Create a service order of `party` in `shop`; quote it (a sale in
    quotation), approve it (confirmed, draft invoice) and post its invoice
    as asked. Returns the service.order."""
    pool = Pool()
    Order = pool.get('service.order')
    Line = pool.get('service.order.line')
    with set_company(shop.company):
        order = Order(kind='service', party=party,
            stage=shop.stages['intake'], description=description,
            promised_date=promised_date or datetime.date(2031, 3, 14))
        line = Line(product=shop.product, quantity=1)
        line.on_change_product()
        order.lines = [line]
        order.save()
        order.set_stage(shop.stages['open'])
        if quote:
            Order.quote([order])
        if quote and approve:
            Order.approve_quote([order])
        if quote and approve and invoice:
            Order.invoice([order])
        return Order(order.id)


def attach(order, name, data, shared=True):
    "Attach `data` (bytes) named `name` to `order`; return the attachment."
    Attachment = Pool().get('ir.attachment')
    attachment, = Attachment.create([{
                'resource': str(order), 'name': name, 'type': 'data',
                'data': data, 'portal_shared': shared,
                }])
    return attachment


def post_staff_message(order, content, audience='public'):
    "Post `content` to `order`'s discussion as staff (the current user)."
    Channel = Pool().get('ir.chat.channel')
    return Channel.post(order, content, audience=audience)
