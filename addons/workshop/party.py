"Customers belong to one shop: parties carry the company that owns them."
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    company = fields.Many2One(
        'company.company', "Shop", ondelete='RESTRICT',
        help="The shop whose customer this is. "
        "Leave empty for parties shared by all shops (the shops themselves).")

    @classmethod
    def __post_setup__(cls):
        super().__post_setup__()
        # Company-dependent values reached from a party are those of its shop.
        from trytond.modules.company.model import CompanyMultiValueMixin
        for field in cls._fields.values():
            try:
                target = field.get_target()
            except (AttributeError, KeyError):
                # not relational, or its relation is not in the pool yet
                continue
            if issubclass(target, CompanyMultiValueMixin):
                field.context.setdefault('company', Eval('company', -1))
                field.depends.add('company')

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def delete(cls, parties):
        Audit = Pool().get('workshop.audit')
        Audit.log_deletion(parties)
        super().delete(parties)
