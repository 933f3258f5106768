"Helpers of the powder_stock tests and benchmark (need a transaction)."
from decimal import Decimal

from trytond.modules.company.tests import create_company
from trytond.pool import Pool
from trytond.transaction import Transaction


def setup_shop(name="Thermolaquage Diop"):
    """Create a coating shop (company) with its default coating stages,
    none notifying (no emails); return (company, {code: stage})."""
    pool = Pool()
    Stage = pool.get('service.order.stage')
    Company = pool.get('company.company')
    company = create_company(name)
    with Transaction().set_context(company=company.id):
        Company.write([company], {'business_type': 'coating'})
        stages = Stage.search([
                ('company', '=', company.id), ('kind', '=', 'coating')])
        if not stages:
            stages = Stage.create_defaults(company, 'coating')
        Stage.write(list(stages), {'notify': False})
    return company, {s.code: s for s in stages}


def create_powders(company, specs):
    """Create powders of `company`: specs is a list of (reference, list
    price per kg, [(format kg, tare kg)]); return their product.product.
    Consumption 0.125 kg/m², transfer efficiency 50 %, cure 180 °C 10
    min, cost price 60 % of the list price."""
    pool = Pool()
    Template = pool.get('product.template')
    Product = pool.get('product.product')
    ModelData = pool.get('ir.model.data')
    kg = ModelData.get_id('product', 'uom_kilogram')
    templates = Template.create([{
                'name': "Poudre %s" % reference,
                'type': 'goods',
                'default_uom': kg,
                'list_price': Decimal(price),
                'powder': True,
                'powder_company': company.id,
                'powder_brand': 'Tiger',
                'powder_reference': reference,
                'powder_finish': 'matt',
                'powder_type': 'polyester',
                'powder_consumption': 0.125,
                'powder_transfer_efficiency': 50,
                'cure_temperature': 180,
                'cure_minutes': 10,
                'powder_formats': [('create', [{'weight': w, 'tare': t}
                            for w, t in formats])],
                } for reference, price, formats in specs])
    products = Product.create([{'template': t.id} for t in templates])
    with Transaction().set_context(company=company.id):
        for product, (_, price, _) in zip(products, specs):
            product.cost_price = (Decimal(price) * Decimal('0.6')).quantize(
                Decimal('0.0001'))
            product.save()
    return products


def create_job(company, stages, powder, surface=4.0, stage='received',
        coats=1, **values):
    """Create a coating job of `powder` with one part of `surface` m²; with
    create_powders' figures its estimate is surface × coats × 0.25 kg."""
    pool = Pool()
    Order = pool.get('service.order')
    Party = pool.get('party.party')
    party = Party(name="Awa Diop")
    party.save()
    job, = Order.create([{
                'kind': 'coating', 'company': company.id,
                'party': party.id, 'stage': stages[stage].id,
                'powder': powder.id, 'coats': coats,
                'cure_temperature': 180, 'cure_minutes': 10,
                'coating_parts': [('create', [{
                                'description': "Portail",
                                'surface': surface, 'quantity': 1,
                                }])],
                **values}])
    return job


def close_job(job, stages, path=('coating', 'curing', 'qc', 'ready')):
    "Move `job` along `path` of stage codes (the default ends at ready)."
    Order = Pool().get('service.order')
    for code in path:
        Order.write([job], {'stage': stages[code].id})
    return Order(job.id)
