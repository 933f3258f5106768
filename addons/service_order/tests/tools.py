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


def create_service_product(name="Labour", price=Decimal('50')):
    "Create a salable service product priced `price` (excl. tax) per unit."
    pool = Pool()
    Template = pool.get('product.template')
    Uom = pool.get('product.uom')
    unit, = Uom.search([('name', '=', 'Unit')])
    template, = Template.create([{
                'name': name, 'type': 'service', 'salable': True,
                'default_uom': unit.id, 'sale_uom': unit.id,
                'list_price': price,
                'products': [('create', [{}])],
                }])
    return template.products[0]
