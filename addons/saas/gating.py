"""Central feature gating and read-only shops.

- `ir.model.access.check`: create/write/delete on a model of a feature the
  current shop lacks, or on any shop data of a read-only, suspended or
  cancelled shop, is refused with a message naming the feature and plan
  (or why the shop is read-only and how to choose a plan). Only checked
  calls (RPC, access-checked code) are refused: crons, queued tasks and
  code running without access checks are not; nor is root or the
  operator group. Reading is never refused.
- `ir.ui.menu.search`: the menus of the modules of a missing feature are
  hidden.
- `ir.attachment.create/write`: files beyond the storage quota are refused.
- `workshop.audit`: the 'plan' action (subscription events).
"""
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class ModelAccess(metaclass=PoolMeta):
    __name__ = 'ir.model.access'

    @classmethod
    def check(cls, model_name, mode='read', raise_exception=True):
        result = super().check(model_name, mode,
            raise_exception=raise_exception)
        if not result or mode == 'read':
            return result
        if not Transaction().check_access:
            return result
        message = Pool().get('saas.shop').refusal(model_name, mode)
        if message:
            if raise_exception:
                raise AccessError(message)
            return False
        return result


class Menu(metaclass=PoolMeta):
    __name__ = 'ir.ui.menu'

    @classmethod
    def search(cls, domain, offset=0, limit=None, order=None, count=False,
            query=False):
        result = super().search(domain, offset=offset, limit=limit,
            order=order, count=count, query=query)
        if count or query or not Transaction().check_access:
            return result
        hidden = Pool().get('saas.shop').hidden_menu_ids()
        if hidden:
            result = [m for m in result if m.id not in hidden]
        return result


class Attachment(metaclass=PoolMeta):
    __name__ = 'ir.attachment'

    @classmethod
    def _saas_company(cls, resource):
        "The company id owning `resource` (a record or 'model,id')."
        pool = Pool()
        if isinstance(resource, str):
            if ',' not in resource:
                return None
            model, rid = resource.split(',', 1)
            try:
                resource = pool.get(model)(int(rid))
            except (KeyError, ValueError):
                return None
        if resource is None:
            return None
        if resource.__name__ == 'company.company':
            return resource.id
        company = getattr(resource, 'company', None)
        if hasattr(company, 'id'):
            return company.id
        return None

    @classmethod
    def create(cls, vlist):
        Shop = Pool().get('saas.shop')
        sizes = {}
        for values in vlist:
            data = values.get('data')
            if data:
                company = cls._saas_company(values.get('resource'))
                if company:
                    sizes[company] = sizes.get(company, 0) + len(data)
        for company, size in sizes.items():
            Shop.check_upload(company, size)
        records = super().create(vlist)
        for company, size in sizes.items():
            Shop.add_storage(company, size)
        return records

    @classmethod
    def write(cls, *args):
        Shop = Pool().get('saas.shop')
        actions = iter(args)
        for records, values in zip(actions, actions):
            data = values.get('data')
            if data:
                for record in records:
                    company = cls._saas_company(record.resource)
                    if company:
                        Shop.check_upload(company, len(data))
        super().write(*args)


class Audit(metaclass=PoolMeta):
    __name__ = 'workshop.audit'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        if ('plan', "Subscription") not in cls.action.selection:
            cls.action.selection.append(('plan', "Subscription"))


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_context(cls, model_name):
        # The operator sees every shop's subscription (saas.xml rules);
        # rules are cached per groups, which decide this flag.
        context = super()._get_context(model_name)
        context['saas_operator'] = Pool().get('saas.shop').is_operator()
        return context
