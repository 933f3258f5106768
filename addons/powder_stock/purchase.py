"""Reorder suggestions as draft purchase requests, where the purchase
module (purchase_request) is active: the supplier and its lead time come
from the powder's product suppliers, draft requests count as on order, and
"Create Purchase Requests" turns suggestions into draft requests (origin:
the suggestion) that the buyer groups into purchases as usual."""
import datetime
import math
from collections import defaultdict

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import without_check_access

from .exceptions import ReorderError
from .stock import kilogram


class Reorder(metaclass=PoolMeta):
    __name__ = 'powder.reorder'

    purchase_request = fields.Many2One('purchase.request',
        "Purchase Request", readonly=True, ondelete='SET NULL')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'create_purchase_requests': {
                    'invisible': Eval('state') != 'suggested',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def _supplier_info(cls, company, product):
        """The first product supplier of the powder for the shop and its
        lead time in whole days (purchase module), rounded up."""
        party, lead = super()._supplier_info(company, product)
        suppliers = list(product.product_suppliers_used(company=company.id))
        if suppliers:
            supplier = suppliers[0]
            party = supplier.party
            lead_time = supplier.lead_time_used
            if lead_time is not None:
                lead = lead_time.days + (1 if lead_time.seconds else 0)
        return party, lead

    @classmethod
    def _on_order(cls, company, products):
        "Also the draft purchase requests of the powders."
        Request = Pool().get('purchase.request')
        Uom = Pool().get('product.uom')
        result = defaultdict(float, super()._on_order(company, products))
        for request in Request.search([
                    ('company', '=', company.id),
                    ('product', 'in', [p.id for p in products]),
                    ('state', '=', 'draft'),
                    ]):
            result[request.product.id] += Uom.compute_qty(request.unit,
                request.quantity, request.product.default_uom)
        return result

    @classmethod
    @ModelView.button
    def create_purchase_requests(cls, suggestions):
        """Create a draft purchase request per suggestion (quantity in kg,
        the shop's powder warehouse, best purchase date = the order-by date
        or today, supply date = that date + lead time); refuse a powder
        that is not purchasable."""
        pool = Pool()
        Request = pool.get('purchase.request')
        suggestions = [s for s in suggestions if s.state == 'suggested']
        for suggestion in suggestions:
            if not suggestion.product.purchasable:
                raise ReorderError(gettext(
                        'powder_stock.msg_reorder_not_purchasable',
                        powder=suggestion.product.rec_name))
        rows = []
        unit = kilogram()
        factor = 10 ** (unit.digits or 0)
        for suggestion in suggestions:
            purchase_date = max(suggestion.order_date or suggestion.date,
                suggestion.date)
            # to the unit's digits: the quantity up, the stock level near
            quantity = math.ceil(
                round(suggestion.quantity * factor, 6)) / factor
            rows.append({
                    'company': suggestion.company.id,
                    'product': suggestion.product.id,
                    'party': (suggestion.supplier.id
                        if suggestion.supplier else None),
                    'quantity': quantity,
                    'unit': unit.id,
                    'computed_quantity': quantity,
                    'computed_unit': unit.id,
                    'warehouse': (
                        suggestion.company.get_powder_warehouse().id),
                    'purchase_date': purchase_date,
                    'supply_date': purchase_date + datetime.timedelta(
                        days=suggestion.lead_time or 0),
                    'stock_level': unit.round(suggestion.projected),
                    'origin': str(suggestion),
                    'state': 'draft',
                    })
        with without_check_access():
            requests = Request.create(rows)
            to_write = []
            for suggestion, request in zip(suggestions, requests):
                to_write.extend(([suggestion], {
                            'state': 'requested',
                            'purchase_request': request.id,
                            }))
            if to_write:
                cls.write(*to_write)
        return requests


class PurchaseRequest(metaclass=PoolMeta):
    __name__ = 'purchase.request'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() | {'powder.reorder'}
