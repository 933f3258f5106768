"""Theoretical consumption: the powder of coating jobs leaves the stock.

A coating job's powder use is final when the job is closed (it enters a
stage of category done, ready or delivered) or, with coating_batch, when
its batch is closed (the batch records the powder used per job). Then

    kg = powder used (entered actual, or split by the batch)
         else the estimate of the coating quote
         (surface × coats × consumption ÷ transfer efficiency)
         + rework powder of its non-conformities

moves out of stock from the open box of the powder (powder.box.consume).
The sync is idempotent: what the job already took (its done moves to and
from "Powder Consumption") is subtracted, so closing the batch and then the
job, or entering the actual figure after the estimate went out, moves only
the difference, in either direction (powder.box.give_back).

Primer and varnish layers are priced by the shop, not tied to a powder of
the catalogue: they do not move stock.
"""
from collections import OrderedDict, defaultdict

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import without_check_access

from . import stockmath
from .stock import consumption_location

#: Stage categories of a closed job.
CLOSED_CATEGORIES = {'done', 'ready', 'delivered'}
#: Fields of a job whose change may change its powder use.
POWDER_FIELDS = {'powder_used', 'powder', 'coats', 'coating_parts'}


class Order(metaclass=PoolMeta):
    __name__ = 'service.order'

    powder_consumed = fields.Function(fields.Float(
            "Powder Out of Stock (kg)", digits=(16, 3),
            states={'invisible': Eval('kind') != 'coating'},
            help="Powder the job took out of the stock of boxes: its use "
            "once closed."),
        'get_powder_consumed')

    def powder_due(self):
        """Return whether the job's powder use is final: a coating job in a
        stage of category done, ready or delivered."""
        return (self.kind == 'coating'
            and self.stage.category in CLOSED_CATEGORIES)

    def powder_target(self):
        """Return {product.product: kg} the job should have taken out of
        stock: {} until powder_due, else its powder with the used figure
        (else the quote's estimate) plus the rework powder."""
        if not self.powder or not self.powder_due():
            return {}
        used = self.powder_used
        if used is None:
            used = self.powder_estimate or 0
        used += getattr(self, 'rework_powder', None) or 0
        return {self.powder: round(used, stockmath.KG_DIGITS)}

    @classmethod
    def powder_taken(cls, orders):
        """Return {order id: {product: OrderedDict(lot id or None: kg)}}:
        the net powder each job took, per lot, in the order first taken."""
        Move = Pool().get('stock.move')
        consumption = consumption_location()
        result = {o.id: defaultdict(OrderedDict) for o in orders}
        with without_check_access():
            moves = Move.search([
                    ('origin', 'in', [str(o) for o in orders]),
                    ('state', '=', 'done'),
                    ['OR',
                        ('to_location', '=', consumption.id),
                        ('from_location', '=', consumption.id),
                        ],
                    ], order=[('id', 'ASC')])
        for move in moves:
            sign = 1 if move.to_location == consumption else -1
            lots = result[move.origin.id][move.product]
            lot = move.lot.id if move.lot else None
            lots[lot] = round(lots.get(lot, 0) + sign * move.quantity,
                stockmath.KG_DIGITS)
        return result

    @classmethod
    def get_powder_consumed(cls, orders, name):
        coating = [o for o in orders if o.kind == 'coating']
        taken = cls.powder_taken(coating) if coating else {}
        return {o.id: (round(sum(kg for lots in taken[o.id].values()
                        for kg in lots.values()), stockmath.KG_DIGITS)
                if o.id in taken else None) for o in orders}

    @classmethod
    def sync_powder(cls, orders):
        """Move out of (or back into) stock the difference between each
        job's powder_target and what it took (see the module docstring);
        return the stock moves made."""
        Box = Pool().get('powder.box')
        orders = [o for o in cls.browse(orders) if o.kind == 'coating']
        if not orders:
            return []
        taken = cls.powder_taken(orders)
        moves = []
        with without_check_access():
            for order in orders:
                target = order.powder_target()
                products = set(target) | set(taken[order.id])
                for product in sorted(products, key=lambda p: p.id):
                    lots = taken[order.id].get(product, {})
                    delta = round(target.get(product, 0)
                        - sum(lots.values()), stockmath.KG_DIGITS)
                    if delta > 0:
                        moves += Box.consume(order.company, product, delta,
                            order)
                    elif delta < 0:
                        boxes = {b.lot.id: b for b in Box.search([
                                    ('lot', 'in', [l for l in lots if l]),
                                    ])}
                        moves += Box.give_back(order.company, product,
                            -delta, order, [(boxes[l], kg)
                                for l, kg in lots.items()
                                if l in boxes and kg > 0])
        return moves

    @classmethod
    def _stage_changed(cls, changes):
        super()._stage_changed(changes)
        closed = [o for o, _, to in changes
            if o.kind == 'coating' and to.category in CLOSED_CATEGORIES]
        if closed:
            cls.sync_powder(closed)

    @classmethod
    def write(cls, *args):
        super().write(*args)
        actions = iter(args)
        to_sync = []
        for orders, values in zip(actions, actions):
            if POWDER_FIELDS & set(values):
                to_sync.extend(orders)
        if to_sync:
            to_sync = [o for o in cls.browse(to_sync) if o.powder_due()
                or o.powder_consumed]
            if to_sync:
                cls.sync_powder(to_sync)


class OrderBatch(metaclass=PoolMeta):
    "Coating jobs whose batch is closed have their final powder use."
    __name__ = 'service.order'

    def powder_due(self):
        """Also due once one of the job's coating batches is closed (the
        batch split its weighed powder over its jobs)."""
        return super().powder_due() or (self.kind == 'coating' and any(
                b.state == 'closed' for b in self.coating_batches))


class Batch(metaclass=PoolMeta):
    __name__ = 'coating.batch'

    @classmethod
    def close(cls, batches):
        """Close the batches (coating_batch), then move the powder their
        jobs used out of stock (service.order.sync_powder)."""
        Order = Pool().get('service.order')
        super().close(batches)
        jobs = [j for b in cls.browse(batches) if b.state == 'closed'
            for j in b.jobs]
        if jobs:
            Order.sync_powder(jobs)
