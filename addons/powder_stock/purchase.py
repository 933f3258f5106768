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
from .stock import kilogram, search_rows


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
    def _supplier_infos(cls, company, product_ids):
        """The first product supplier of each powder for the shop and its
        lead time in whole days, rounded up (purchase module)."""
        Product = Pool().get('product.product')
        result = super()._supplier_infos(company, product_ids)
        for product in Product.browse(product_ids):
            suppliers = list(product.product_suppliers_used(
                    company=company.id))
            if not suppliers:
                continue
            supplier = suppliers[0]
            lead_time = supplier.lead_time_used
            lead = None
            if lead_time is not None:
                lead = lead_time.days + (1 if lead_time.seconds else 0)
            result[product.id] = (supplier.party, lead)
        return result

    @classmethod
    def _on_order(cls, company, product_ids):
        "Also the draft purchase requests of the powders."
        pool = Pool()
        Request = pool.get('purchase.request')
        Uom = pool.get('product.uom')
        kg = kilogram()
        result = defaultdict(float, super()._on_order(company, product_ids))
        for row in search_rows(Request, [
                    ('company', '=', company.id),
                    ('product', 'in', product_ids),
                    ('state', '=', 'draft'),
                    ], ['product', 'quantity', 'unit']):
            result[row['product']] += Uom.compute_qty(Uom(row['unit']),
                row['quantity'], kg)
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
