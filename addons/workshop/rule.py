"""Default company rule: shop data without a rule of its own is still kept
within the user's shops.

Tryton and its modules declare global company rules on their main models
(invoices, sales, moves...) but not on many others that hold a shop's rows:
company-dependent values (party.party.lang, product.cost_price,
account.configuration.*...), employees, quality alerts, and relation tables
(a party's categories, an invoice's move lines...). Through RPC a user of
shop B could search and read shop A's rows of those models
(tests/test_isolation_matrix.py found them). Rather than a rule record per
model, which a new model would forget, `ir.rule.get` adds a global clause
to any model that has no global rule while it (or the parent it requires)
has a `company` Many2One:

- a model with `company`: company empty (Tryton's shared defaults) or one
  of the user's companies;
- a model without it whose required or cascading Many2One points to a
  model with a Many2One to company.company: the same clause through that
  field (e.g. a product template's lead times through `powder_company`).

Models with a global rule of their own (or reached through __access__) are
left as they are. Root, and code running without access checks, see
everything as before (Tryton applies no rule then).
"""
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

# Models that hold no shop's data through `company`, or that Tryton must
# read across shops: the shops themselves and the staff accounts (whose
# `company` is the current shop of the user, read everywhere).
EXEMPT = {'company.company', 'res.user'}

# The tables that give users access to shops and employees. The rule keeps
# a shop's users from granting themselves another shop (a row for a company
# they are not in is refused), but Tryton's administrators (group
# Administration: the operator of the installation, never a shop role) are
# the ones who give a user a shop they are not in yet, as setting up a new
# shop does.
ASSIGNMENTS = {'res.user-company.company', 'res.user-company.employee'}


def company_field(Model, only_company=True):
    """Return the name of the stored Many2One to company.company of Model
    (`company`; with only_company False another one, like the powder
    templates' `powder_company`, when there is no `company`), or None."""
    names = sorted(Model._fields, key=lambda n: (n != 'company', n))
    for name in (['company'] if only_company else names):
        field = Model._fields.get(name)
        if (field is not None and field._type == 'many2one'
                and not isinstance(field, fields.Function)
                and field.model_name == 'company.company'):
            return name


def company_path(pool, Model):
    """Return the domain path from Model to its shop ('company' or
    '<field>.company' through a required or cascading Many2One), or None
    when Model holds no shop data that way."""
    if Model.__name__ in EXEMPT:
        return None
    if company_field(Model):
        return 'company'
    for name in sorted(Model._fields):
        field = Model._fields[name]
        if (field._type != 'many2one'
                or isinstance(field, fields.Function)
                or not (field.required or field.ondelete == 'CASCADE')
                or field.model_name in EXEMPT
                or field.model_name == Model.__name__):
            continue
        try:
            Target = pool.get(field.model_name)
        except KeyError:
            continue
        target_field = company_field(Target, only_company=False)
        if target_field:
            return '%s.%s' % (name, target_field)
    return None


class DefaultCompanyRule:
    """Stands for a rule group in ir.rule.get's result (Tryton names the
    rule groups that refuse a record in its error message)."""
    __slots__ = ()
    name = "Shop data: the user's shops (Atelier)"


DEFAULT_RULE = DefaultCompanyRule()


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def get(cls, model_name, mode='read'):
        """Return Tryton's (clause, clause_global) for `model_name`, with
        the default company clause added to clause_global when the model
        holds shop data (see company_path) and has no global rule."""
        clause, clause_global = super().get(model_name, mode=mode)
        if not clause_global:
            pool = Pool()
            if model_name in ASSIGNMENTS and cls._is_administrator():
                return clause, clause_global
            path = company_path(pool, pool.get(model_name))
            if path:
                User = pool.get('res.user')
                clause_global[DEFAULT_RULE] = [
                    'OR',
                    [(path, '=', None)],
                    [(path, 'in', User.get_companies())],
                    ]
        return clause, clause_global

    @classmethod
    def _is_administrator(cls):
        "Tell whether the user is in Tryton's Administration group."
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        return ModelData.get_id('res', 'group_admin') in User.get_groups()


class ChatChannel(metaclass=PoolMeta):
    __name__ = 'ir.chat.channel'

    @classmethod
    def check_access(cls, resource):
        """Check that the user may read the discussion of `resource`
        ("model,id"): Tryton checks the model's access rights only (its
        "TODO check record rule"), so a user of shop B could read and post
        in the discussion of shop A's job. Raise AccessError as `read` does
        when the record is out of the user's rules."""
        super().check_access(resource)
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            model, id_ = str(resource).split(',')
            Pool().get(model).read([int(id_)], ['id'])
