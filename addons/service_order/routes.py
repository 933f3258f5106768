"""Public tracking page of a service order: GET /<database>/t/<token>.

No login: the token is the secret. The page shows the shop, the ticket
number, the details verticals add (`Order.get_tracking_details`), the stage
timeline with dates, the promised date, the amount due and the customer's
first name, nothing more personal. Every failure (unknown database, module
not activated, malformed, wrong or revoked token) answers the same 404 page,
byte for byte, so a token cannot be probed.
"""
import datetime
import re
from functools import wraps
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from genshi.template import MarkupTemplate
from werkzeug.exceptions import NotFound

from trytond.pool import PoolMeta
from trytond.protocols.wrappers import Response, with_pool, with_transaction
from trytond.tools import file_open
from trytond.wsgi import app

from .notification import first_name, shop_colour, text_colour

_TOKEN = re.compile(r'^[A-Za-z0-9_-]{16,64}$')
HEADERS = {
    'Cache-Control': 'no-store',
    'X-Robots-Tag': 'noindex',
    # Not 'no-referrer': browsers then send `Origin: null` with the POSTs
    # of the pages using these headers (pay page, weighing page), which
    # trytond refuses before any route. 'same-origin' still keeps the
    # URLs (tokens) from other sites.
    'Referrer-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': (
        "default-src 'none'; style-src 'unsafe-inline'; "
        "frame-ancestors 'none'"),
    }
NOT_FOUND_BODY = (
    '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<title>Page introuvable</title></head>'
    '<body style="font-family:sans-serif;margin:2em;color:#1a1a1a">'
    '<h1>Page introuvable</h1>'
    '<p>Ce lien de suivi n\'existe pas ou n\'est plus valable. '
    'Demandez un nouveau lien à la boutique.</p></body></html>\n'
    ).encode('utf-8')
_template = None


def french_date(value, tz=None):
    """Return `value` (date, or naive UTC datetime as stored by Tryton)
    in French with babel (CLDR): '5 mars 2025', or '5 mars 2025 à 14:30'
    in timezone `tz` (an IANA name, or None for UTC)."""
    if isinstance(value, datetime.datetime):
        value = value.replace(tzinfo=datetime.timezone.utc)
        return format_datetime(value, "d MMMM y 'à' HH:mm",
            tzinfo=ZoneInfo(tz) if tz else datetime.timezone.utc,
            locale='fr_FR')
    return format_date(value, "d MMMM y", locale='fr_FR')


def french_amount(amount, currency):
    """Return `amount` (Decimal) in French with babel (CLDR), like
    '1 234,50 €', with the currency's own number of decimals (none for
    XOF)."""
    if not currency:
        return format_decimal(amount, locale='fr_FR')
    return format_currency(amount, currency.code, locale='fr_FR')


def not_found():
    "Return the one 404 response of the tracking page."
    return Response(NOT_FOUND_BODY, status=404, headers=HEADERS,
        content_type='text/html; charset=utf-8')


def _not_found_page(func):
    "Answer every 404 of `func`, including with_pool's, with not_found()."
    @wraps(func)
    def wrapper(request, *args, **kwargs):
        try:
            return func(request, *args, **kwargs)
        except NotFound:
            return not_found()
    return wrapper


def _get_template():
    global _template
    if _template is None:
        with file_open('service_order/tracking.html', mode='rb') as fp:
            _template = MarkupTemplate(fp, filename='tracking.html')
    return _template


@app.route('/<database_name>/t/<token>', methods={'GET', 'HEAD'})
@_not_found_page
@with_pool
@with_transaction(readonly=True)
def tracking(request, pool, token):
    "Render the tracking page of the order whose tracking_token is `token`."
    if not _TOKEN.match(token):
        return not_found()
    try:
        Order = pool.get('service.order')
    except KeyError:  # service_order not activated in this database
        return not_found()
    orders = Order.search([('tracking_token', '=', token)], limit=1)
    if not orders:
        return not_found()
    order, = orders
    body = _get_template().generate(**order.get_tracking_values()).render(
        'html', doctype='html5', encoding='utf-8')
    return Response(body, status=200, headers=HEADERS,
        content_type='text/html; charset=utf-8')


class Order(metaclass=PoolMeta):
    __name__ = 'service.order'

    def get_tracking_details(self):
        """Return the (label, value) pairs of str shown under the ticket
        number on the tracking page, in French. Verticals extend it (the
        device of a repair...); show nothing that identifies the customer.
        """
        return []

    def get_tracking_timeline(self):
        """Return the stages the order went through as a list of dicts
        with 'stage' (name), 'date' (French text) and 'iso' (ISO 8601),
        oldest first."""
        tz = getattr(self.company, 'timezone', None)
        return [{
                'stage': entry.to_stage.name,
                'date': french_date(entry.date, tz),
                'iso': entry.date.isoformat(timespec='minutes') + 'Z',
                } for entry in self.history]

    def get_tracking_values(self):
        "Return the context of tracking.html for this order."
        colour = shop_colour(self.company)
        # Nothing is due before a quote exists: show no amount then; a
        # quote not invoiced yet shows its total, not "0,00 € paid".
        amount_due = quote_amount = None
        if self.payment_state == 'not_paid' and not self.amount_due:
            quote_amount = self.sale.total_amount if self.sale else None
        elif self.payment_state not in {None, 'none'}:
            amount_due = self.amount_due
        return {
            'shop': self.company.rec_name,
            'colour': colour,
            'colour_text': text_colour(colour),
            'number': self.number,
            'customer': first_name(self.party),
            'stage': self.stage.name,
            'details': self.get_tracking_details(),
            'timeline': self.get_tracking_timeline(),
            'promised_date': (french_date(self.promised_date)
                if self.promised_date else None),
            'amount_due': (french_amount(amount_due, self.currency)
                if amount_due is not None else None),
            'quote_amount': (french_amount(quote_amount, self.currency)
                if quote_amount is not None else None),
            'paid': self.payment_state == 'paid',
            # The customer portal's sign-in page, set by module portal.
            'portal_url': None,
            }
