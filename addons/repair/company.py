"A repair shop starts with the default repair stages."
from trytond.pool import Pool, PoolMeta


class Company(metaclass=PoolMeta):
    __name__ = 'company.company'

    @classmethod
    def create(cls, vlist):
        companies = super().create(vlist)
        cls._create_repair_stages(companies)
        return companies

    @classmethod
    def write(cls, *args):
        super().write(*args)
        cls._create_repair_stages(sum(args[0:None:2], []))

    @classmethod
    def _create_repair_stages(cls, companies):
        "Give each repair shop without repair stages the default ones."
        Stage = Pool().get('service.order.stage')
        for company in companies:
            if company.business_type == 'repair':
                Stage.create_defaults(company, 'repair')
