"""Service orders on the portal: the invite button of the order form, the
vertical sections of the job page and the sign-in link of the tracking
page."""
from urllib.parse import quote

from trytond.model import ModelView
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction


class Order(metaclass=PoolMeta):
    __name__ = 'service.order'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'portal_invite': {
                    'readonly': Eval('id', -1) < 0,
                    'depends': ['id'],
                    },
                })

    @classmethod
    @ModelView.button
    def portal_invite(cls, orders):
        """Invite the orders' customers to the portal (an email with a link
        to choose their password); the audit names the order."""
        User = Pool().get('web.user')
        for order in orders:
            User.portal_invite_parties([order.party], order=order)

    def get_portal_sections(self, language='fr'):
        """Return the trade's own sections of the job page, as a list of
        (title, [(label, value), ...]) of str in `language` ('fr' or
        'en'). Empty here; verticals extend it (repair: the device;
        coating: powder and parts). Show only what the customer may see."""
        return []

    def get_tracking_values(self):
        "Add the portal's sign-in link to the tracking page."
        values = super().get_tracking_values()
        values['portal_url'] = '/%s/portal/login' % quote(
            Transaction().database.name, safe=":@!$&'()*+,;=")
        return values
