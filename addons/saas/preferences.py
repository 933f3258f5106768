"""The page a shop's owner sees at sign-in when the shop is not in use.

A suspended (unpaid invoice), read-only (trial over) or cancelled shop
keeps every record readable, and each refused change says why; its owner
also gets, as the first thing the client opens after signing in, the
shop's Subscription form (Workshop ▸ Subscription): state, the "Billing"
text with the unpaid invoice, its amount, due date and pay link, and the
Choose a Plan wizard. Tryton's clients (sao and the desktop client) run
the user's preference `actions` at sign-in, as upstream does for the
configuration wizard of the administrator.
"""
from trytond.pool import Pool, PoolMeta

#: The states in which the owner is shown the subscription at sign-in.
NOT_IN_USE = {'suspended', 'read_only', 'cancelled'}


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    @classmethod
    def _get_preferences(cls, user, context_only=False):
        """Return upstream's preferences of `user` (dict), with the
        Subscription window first in `actions` (see sign_in_actions)."""
        preferences = super()._get_preferences(user, context_only=context_only)
        if not context_only and 'actions' in preferences:
            preferences['actions'] = cls.sign_in_actions(
                user, preferences['actions'])
        return preferences

    @classmethod
    def sign_in_actions(cls, user, actions):
        """Return `actions` (ir.action ids run by the client at sign-in)
        with the shop's Subscription window (saas.act_shop_own) first when
        the current shop of `user` (res.user) is suspended, read-only or
        cancelled and the user is one of its Owners (the only shop users
        who may read saas.shop); else `actions` unchanged."""
        pool = Pool()
        Shop = pool.get('saas.shop')
        ModelData = pool.get('ir.model.data')
        Action = pool.get('ir.action')
        company = getattr(user, 'company', None)
        status = Shop.status(company.id) if company else None
        if not status or status['state'] not in NOT_IN_USE:
            return actions
        owner = ModelData.get_id('workshop', 'group_owner')
        if owner not in {g.id for g in user.groups}:
            return actions
        action_id = Action.get_action_id(
            ModelData.get_id('saas', 'act_shop_own'))
        return [action_id] + [a for a in actions if a != action_id]
