"Helpers for service order tests (server side, inside a transaction)."
from decimal import Decimal

from trytond.pool import Pool


def create_stages(company, kind='service'):
    """Create a small stage graph intake → open → ready → delivered and
    cancelled, with `ready` notifying. Returns a dict code → stage."""
    Stage = Pool().get('service.order.stage')
    data = [
        ('intake', "Received", 'intake', False, ['open', 'cancelled']),
        ('open', "In progress", 'open', False, ['ready', 'cancelled']),
        ('ready', "Ready", 'ready', True, ['delivered']),
        ('delivered', "Delivered", 'delivered', False, []),
        ('cancelled', "Cancelled", 'cancelled', False, []),
        ]
    stages = Stage.create([{
                'company': company.id, 'kind': kind, 'code': c, 'name': n,
                'category': cat, 'notify': notify, 'sequence': i,
                'email_subject': "{number}: {stage}",
                'email_body': "Bonjour {customer},\n{tracking_url}",
                } for i, (c, n, cat, notify, _) in enumerate(data)])
    by_code = {s.code: s for s in stages}
    for stage, (_, _, _, _, nexts) in zip(stages, data):
        if nexts:
            Stage.write([stage], {'next_stages': [
                        ('add', [by_code[c].id for c in nexts])]})
    return {s.code: s for s in Stage.browse(stages)}


def create_service_product(
        name="Labour", price=Decimal('50'), type='service', company=None):
    """Create a salable product priced `price` (excl. tax, currency of the
    shop) per unit. When `company` has a chart of accounts, the product
    gets an accounting category with its revenue account, as quotes need.
    """
    pool = Pool()
    Template = pool.get('product.template')
    Uom = pool.get('product.uom')
    Category = pool.get('product.category')
    Account = pool.get('account.account')
    unit, = Uom.search([('name', '=', 'Unit')])
    values = {
        'name': name, 'type': type, 'salable': True,
        'default_uom': unit.id, 'sale_uom': unit.id,
        'list_price': price,
        'products': [('create', [{}])],
        }
    revenues = Account.search([
            ('type.revenue', '=', True),
            ('closed', '!=', True),
            ('company', '=', company.id),
            ], limit=1) if company else []
    if revenues:
        category, = Category.create([{
                    'name': "Services", 'accounting': True,
                    'account_revenue': revenues[0].id,
                    }])
        values['account_category'] = category.id
    template, = Template.create([values])
    return template.products[0]
