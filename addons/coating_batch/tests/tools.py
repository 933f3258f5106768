"Helpers of the coating_batch tests and benchmark (need a transaction)."
from trytond.modules.company.tests import create_company
from trytond.pool import Pool
from trytond.transaction import Transaction


def setup_shop(name="Thermolaquage Dupont"):
    """Create a coating shop (company) with its default coating stages;
    return (company, {code: stage}). Stages do not notify (no emails)."""
    Stage = Pool().get('service.order.stage')
    company = create_company(name)
    with Transaction().set_context(company=company.id):
        stages = Stage.create_defaults(company, 'coating')
        Stage.write(list(stages), {'notify': False})
    return company, {s.code: s for s in stages}


def create_powders(company, specs):
    """Create the powders of `company`: specs is a list of (reference, RAL
    code, finish, (cure °C, cure min)); return their product.product."""
    pool = Pool()
    Template = pool.get('product.template')
    RAL = pool.get('coating.ral')
    ModelData = pool.get('ir.model.data')
    kg = ModelData.get_id('product', 'uom_kilogram')
    rals = {}
    for _, code, _, _ in specs:
        if code not in rals:
            found = RAL.search([('code', '=', code)], limit=1)
            rals[code] = (found[0] if found else RAL.create([{
                            'code': code, 'name': 'RAL %s' % code}])[0]).id
    templates = Template.create([{
                'name': "Poudre %s %s" % (reference, finish),
                'type': 'goods',
                'default_uom': kg,
                'powder': True,
                'powder_company': company.id,
                'powder_brand': 'Tiger',
                'powder_reference': reference,
                'ral': rals[code],
                'powder_finish': finish,
                'powder_type': 'polyester',
                'powder_consumption': 0.12,
                'powder_transfer_efficiency': 65,
                'cure_temperature': cure[0],
                'cure_minutes': cure[1],
                'products': [('create', [{}])],
                } for reference, code, finish, cure in specs])
    return [t.products[0] for t in templates]
