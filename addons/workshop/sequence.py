"""Per-shop numbering: each shop gets its own `ir.sequence` of a sequence
type the first time it numbers a record of that kind (orders, batches...),
so a new shop needs no setup and numbers never run across shops."""
from trytond.pool import Pool
from trytond.transaction import Transaction


def next_number(sequence_type, company, name, prefix, padding):
    """Return the next number (str) of shop `company` (id) in its sequence
    of type `sequence_type` ('module.xml_id' of an ir.sequence.type),
    creating that sequence with `name`, `prefix` (e.g. 'LOT-${date_Y}-')
    and `padding` (digits) when the shop has none yet."""
    pool = Pool()
    Sequence = pool.get('ir.sequence')
    ModelData = pool.get('ir.model.data')
    module, xml_id = sequence_type.split('.', 1)
    type_id = ModelData.get_id(module, xml_id)
    with Transaction().set_context(_check_access=False):
        sequences = Sequence.search([
                ('sequence_type', '=', type_id),
                ('company', '=', company),
                ], limit=1)
        if not sequences:
            sequences = Sequence.create([{
                        'name': name,
                        'sequence_type': type_id,
                        'company': company,
                        'prefix': prefix,
                        'padding': padding,
                        }])
        return sequences[0].get()
