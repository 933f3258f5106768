"""Stock moves of powder boxes: their origins and the consumption location.

Every kilogram of powder moves with a Tryton stock move of the box's lot:

- receipt: supplier → the shop's storage (origin: the box);
- consumption: storage → "Powder Consumption", a production location
  (origin: the coating job);
- correction after a weighing or an emptied box: storage ↔ the
  warehouse's lost and found, the inventory counterpart (origin: the
  weighing).
"""
import datetime

from sql.aggregate import Min, Sum
from sql.conditionals import Case

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class Move(metaclass=PoolMeta):
    __name__ = 'stock.move'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + [
            'powder.box', 'powder.weighing', 'service.order']


def consumption_location():
    "Return the stock.location powder is consumed into."
    pool = Pool()
    Location = pool.get('stock.location')
    ModelData = pool.get('ir.model.data')
    return Location(ModelData.get_id(
            'powder_stock', 'location_powder_consumption'))


def kilogram():
    "Return the product.uom kilogram (the unit of every powder)."
    pool = Pool()
    Uom = pool.get('product.uom')
    ModelData = pool.get('ir.model.data')
    return Uom(ModelData.get_id('product', 'uom_kilogram'))


def consumption_by_product(company, product_ids, start, end):
    """Return {product id: kg} of powder `company` consumed from `start` to
    `end` (dates, both included): the done moves into "Powder
    Consumption" less those back out of it, by effective date."""
    pool = Pool()
    Move = pool.get('stock.move')
    move = Move.__table__()
    cursor = Transaction().connection.cursor()
    consumption = consumption_location().id
    result = {p: 0. for p in product_ids}
    if not product_ids:
        return result
    cursor.execute(*move.select(move.product,
            Sum(Case((move.to_location == consumption,
                        move.internal_quantity),
                    else_=-move.internal_quantity)),
            where=fields.SQL_OPERATORS['in'](move.product, list(product_ids))
            & (move.company == getattr(company, 'id', company))
            & (move.state == 'done')
            & ((move.to_location == consumption)
                | (move.from_location == consumption))
            & (move.effective_date >= start)
            & (move.effective_date <= end),
            group_by=[move.product]))
    for product, quantity in cursor:
        result[product] = quantity or 0.
    return result


def first_receipts(company, product_ids):
    """Return {product id: date} of the first done receipt from a supplier
    of each powder of `company` (the start of its consumption history)."""
    pool = Pool()
    Move = pool.get('stock.move')
    Location = pool.get('stock.location')
    move = Move.__table__()
    location = Location.__table__()
    cursor = Transaction().connection.cursor()
    result = {}
    if not product_ids:
        return result
    cursor.execute(*move.join(location,
            condition=move.from_location == location.id
            ).select(move.product, Min(move.effective_date),
            where=fields.SQL_OPERATORS['in'](move.product, list(product_ids))
            & (move.company == getattr(company, 'id', company))
            & (move.state == 'done')
            & (location.type == 'supplier'),
            group_by=[move.product]))
    for product, date in cursor:
        if isinstance(date, str):
            date = datetime.date.fromisoformat(date)
        result[product] = date
    return result


def search_rows(Model, domain, fields_names, order=None):
    """Return the rows (dicts) of the `Model` records matching `domain` as
    `Model.search_read` would, without instantiating them: search and
    browse of thousands of records check every prefetch id of every record
    (quadratic), read of their ids does not."""
    cursor = Transaction().connection.cursor()
    cursor.execute(*Model.search(domain, order=order, query=True))
    ids = [row[0] for row in cursor]
    rows = {r['id']: r for r in Model.read(ids, fields_names)}
    return [rows[i] for i in ids]
