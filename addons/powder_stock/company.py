"""Shop settings of the powder stock, carried by the company like the
coating rates: where the boxes are stored, the daily list, the tolerances
of the weighings and of the reliability score, and the reorder policy."""
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import without_check_access

_states = {'invisible': Eval('business_type') != 'coating'}

#: Defaults of the settings, also used when a shop leaves one empty.
DEFAULTS = {
    'powder_weigh_count': 3,
    'powder_random_share': 33.,
    'powder_check_days': 90,
    'powder_gap_tolerance': 5.,
    'powder_scale_tolerance': 0.05,
    'powder_reorder_window': 60,
    'powder_lead_time': 10,
    'powder_safety_days': 7,
    'powder_cover_days': 30,
    }


def _positive_or_empty(name, strict=False):
    return ['OR', (name, '=', None), (name, '>' if strict else '>=', 0)]


class Company(metaclass=PoolMeta):
    __name__ = 'company.company'

    powder_warehouse = fields.Many2One('stock.location', "Powder Warehouse",
        domain=[('type', '=', 'warehouse')], states=_states,
        help="Where the shop's powder boxes are received and stored; "
        "empty: the default warehouse.")
    powder_weigh_count = fields.Integer("Boxes to Weigh per Day",
        states=_states, domain=_positive_or_empty('powder_weigh_count'),
        help="Length of the daily list of boxes to weigh.")
    powder_random_share = fields.Float("Random Share (%)", digits=(16, 1),
        states=_states,
        domain=['OR', ('powder_random_share', '=', None),
            [('powder_random_share', '>=', 0),
                ('powder_random_share', '<=', 100)]],
        help="Share of the daily list drawn at random (boxes not weighed "
        "for long more likely), so that every box is checked over time.")
    powder_check_days = fields.Integer("Check Every Box Within (days)",
        states=_states,
        domain=_positive_or_empty('powder_check_days', strict=True),
        help="A box not weighed for this many days is overdue: it goes "
        "first into the random part of the daily list.")
    powder_gap_tolerance = fields.Float("Gap Tolerance (%)", digits=(16, 1),
        states=_states,
        domain=_positive_or_empty('powder_gap_tolerance', strict=True),
        help="A gap of this size neither raises nor lowers the reliability "
        "score of a powder; smaller gaps raise it, larger ones lower it.")
    powder_scale_tolerance = fields.Float("Scale Tolerance (kg)",
        digits=(16, 3), states=_states,
        domain=_positive_or_empty('powder_scale_tolerance'),
        help="Accuracy of the scale and spread of the tares: a net weight "
        "this far below 0 or above the box's format is still accepted.")
    powder_reorder_window = fields.Integer("Consumption Window (days)",
        states=_states,
        domain=_positive_or_empty('powder_reorder_window', strict=True),
        help="Days of consumption averaged into the rate of the reorder "
        "suggestions.")
    powder_lead_time = fields.Integer("Default Lead Time (days)",
        states=_states, domain=_positive_or_empty('powder_lead_time'),
        help="Days from order to delivery when neither the powder nor its "
        "supplier gives one.")
    powder_safety_days = fields.Integer("Safety Stock (days)",
        states=_states, domain=_positive_or_empty('powder_safety_days'),
        help="Safety stock as days of consumption, when the powder gives "
        "no safety stock in kg.")
    powder_cover_days = fields.Integer("Order Cover (days)", states=_states,
        domain=_positive_or_empty('powder_cover_days'),
        help="Days of consumption an order covers after its delivery.")

    @classmethod
    def default_powder_weigh_count(cls):
        return DEFAULTS['powder_weigh_count']

    @classmethod
    def default_powder_random_share(cls):
        return DEFAULTS['powder_random_share']

    @classmethod
    def default_powder_check_days(cls):
        return DEFAULTS['powder_check_days']

    @classmethod
    def default_powder_gap_tolerance(cls):
        return DEFAULTS['powder_gap_tolerance']

    @classmethod
    def default_powder_scale_tolerance(cls):
        return DEFAULTS['powder_scale_tolerance']

    @classmethod
    def default_powder_reorder_window(cls):
        return DEFAULTS['powder_reorder_window']

    @classmethod
    def default_powder_lead_time(cls):
        return DEFAULTS['powder_lead_time']

    @classmethod
    def default_powder_safety_days(cls):
        return DEFAULTS['powder_safety_days']

    @classmethod
    def default_powder_cover_days(cls):
        return DEFAULTS['powder_cover_days']

    @classmethod
    def create(cls, vlist):
        companies = super().create(vlist)
        cls._add_to_powder_crons(companies)
        return companies

    @classmethod
    def _add_to_powder_crons(cls, companies):
        """Register new shops on the daily crons of the powder stock (lists
        to weigh, reorder suggestions): Tryton runs a cron once per company
        of its list, which only holds the shops that existed when the
        module was activated."""
        pool = Pool()
        Cron = pool.get('ir.cron')
        ModelData = pool.get('ir.model.data')
        crons = []
        for name in ['cron_weigh_lists', 'cron_reorder']:
            try:
                crons.append(Cron(ModelData.get_id('powder_stock', name)))
            except KeyError:  # the module's data is being loaded
                pass
        if crons and companies:
            with without_check_access():
                Cron.write(crons, {
                        'companies': [('add', [c.id for c in companies])],
                        })

    def powder_setting(self, name):
        "Return the setting `name` of the shop, or its default when empty."
        value = getattr(self, name, None)
        return DEFAULTS[name] if value is None else value

    def get_powder_warehouse(self):
        """Return the stock.location warehouse of the shop's boxes: its
        own, else the stock module's default warehouse."""
        if self.powder_warehouse:
            return self.powder_warehouse
        pool = Pool()
        Location = pool.get('stock.location')
        ModelData = pool.get('ir.model.data')
        return Location(ModelData.get_id('stock', 'location_warehouse'))

    def get_powder_lost_found(self):
        """Return the lost-and-found location that balances the shop's
        inventory corrections: its warehouse's, else the default one."""
        pool = Pool()
        Location = pool.get('stock.location')
        ModelData = pool.get('ir.model.data')
        warehouse = self.get_powder_warehouse()
        if warehouse.lost_found_location:
            return warehouse.lost_found_location
        return Location(ModelData.get_id('stock', 'location_lost_found'))
