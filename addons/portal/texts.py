"""The portal's words in French (default) and English, and dates and
amounts in the customer's locale with babel (CLDR).

Page strings are written in English in the code and templates, through
`_ = translator(lang)`; FR maps each one to its French text (a missing
French text is a test failure, see tests/test_module.py). Field labels,
view strings and staff-facing errors are Tryton's (message.xml,
locale/fr.po).
"""
import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.numbers import format_currency, format_decimal

from trytond.modules.service_order.notification import first_name

from .texts_fr import FR

LANGUAGES = ('fr', 'en')
DEFAULT = 'fr'
NEUTRAL_COLOUR = '#1f4e79'
#: babel locale of each portal language.
LOCALES = {'fr': 'fr_FR', 'en': 'en_GB'}
LANGUAGE_NAMES = [('fr', 'Français'), ('en', 'English')]
__all__ = ['first_name']


def N_(text):
    "Mark `text` for translation where it is defined; translate it later."
    return text


#: Labels of the service order kinds of the trades (Tryton's selection
#: strings), translated on the portal.
KIND_LABELS = [N_('Service'), N_('Repair'), N_('Coating'), N_('Tailoring'),
    N_('Project')]


def party_language(party, company=None):
    """Return 'fr', 'en' or None: the language of `party` (party.party)
    for `company` (its shop: the language is a company-dependent value)."""
    from trytond.transaction import Transaction
    if party is None:
        return None
    company = company or party.company
    with Transaction().set_context(
            company=company.id if company else None):
        party = party.__class__(party.id)
        code = (party.lang.code if party.lang else '') or ''
    for lang in LANGUAGES:
        if code == lang or code.startswith(lang + '_'):
            return lang
    return None


def translator(lang):
    """Return `_(text, **values)` for `lang`: `text` (English) in that
    language, with %(name)s placeholders filled from `values`."""
    table = FR if lang == 'fr' else {}

    def _(text, **values):
        text = table.get(text, text)
        return text % values if values else text
    return _


def format_date(value, lang, tz=None):
    """Return `value` (date, or naive UTC datetime as Tryton stores them)
    in `lang`: '5 mars 2025' / '5 March 2025', with the time in timezone
    `tz` (IANA name, default UTC) for datetimes: '5 mars 2025 à 14:30'."""
    if value is None:
        return ''
    locale = LOCALES.get(lang, LOCALES[DEFAULT])
    if isinstance(value, datetime.datetime):
        value = value.replace(tzinfo=datetime.timezone.utc)
        pattern = ("d MMMM y 'à' HH:mm" if lang == 'fr'
            else "d MMMM y 'at' HH:mm")
        return babel_datetime(value, pattern,
            tzinfo=ZoneInfo(tz) if tz else datetime.timezone.utc,
            locale=locale)
    return babel_date(value, 'd MMMM y', locale=locale)


def format_amount(amount, currency, lang):
    """Return `amount` (Decimal) with `currency` (currency.currency or None)
    in `lang`: '1 234,50 €' / '€1,234.50'; XOF without decimals."""
    locale = LOCALES.get(lang, LOCALES[DEFAULT])
    if amount is None:
        return ''
    if not currency:
        return format_decimal(amount, locale=locale)
    return format_currency(amount, currency.code, locale=locale)


def format_quantity(quantity, lang):
    "Return a quantity (float) without useless decimals: '2', '1,5'."
    locale = LOCALES.get(lang, LOCALES[DEFAULT])
    return format_decimal(quantity or 0, format='#,##0.###', locale=locale)


def format_size(size, lang):
    "Return a file size in bytes as '12 Ko' / '12 KB', '1,5 Mo' / '1.5 MB'."
    locale = LOCALES.get(lang, LOCALES[DEFAULT])
    size = size or 0
    units = ['o', 'Ko', 'Mo'] if lang == 'fr' else ['B', 'KB', 'MB']
    if size < 1024:
        return '%s %s' % (size, units[0])
    if size < 1024 * 1024:
        return '%s %s' % (format_decimal(round(size / 1024), locale=locale),
            units[1])
    return '%s %s' % (format_decimal(round(size / 1024 / 1024, 1),
            locale=locale), units[2])


def navigation(_):
    "Return the portal's menu: (key, label, path under /<db>/portal/)."
    return [
        ('home', _('Home'), ''),
        ('jobs', _('My jobs'), 'jobs'),
        ('quotes', _('Quotes'), 'quotes'),
        ('invoices', _('Invoices'), 'invoices'),
        ('documents', _('Documents'), 'documents'),
        ('messages', _('Messages'), 'messages'),
        ('profile', _('My account'), 'profile'),
        ]


def email_texts(purpose, _):
    """Return (subject, body) of the email of a token of `purpose`, with
    %(shop)s, %(customer)s, %(minutes)s, %(days)s and %(link)s."""
    if purpose == 'invite':
        return (_('%(shop)s: your customer area'),
            _('Hello %(customer)s,\n\n'
                '%(shop)s invites you to follow your jobs, quotes and '
                'invoices in your customer area.\n\n'
                'Choose your password with this link, valid for %(days)s '
                'days:\n%(link)s\n\n'
                'If you were not expecting this email, ignore it.'))
    if purpose == 'reset':
        return (_('%(shop)s: choose a new password'),
            _('Hello %(customer)s,\n\n'
                'Choose a new password for your customer area with this '
                'link, valid for %(minutes)s minutes and usable once:\n'
                '%(link)s\n\n'
                'If you did not ask for it, ignore this email: your password '
                'does not change.'))
    return (_('%(shop)s: your sign-in link'),
        _('Hello %(customer)s,\n\n'
            'Here is your link to sign in to your customer area, valid for '
            '%(minutes)s minutes and usable once:\n%(link)s\n\n'
            'If you did not ask for it, ignore this email: nobody can sign '
            'in without this link.'))


def email_button(purpose, _):
    "Return the label of the email's button for `purpose`."
    if purpose in {'invite', 'reset'}:
        return _('Choose my password')
    return _('Sign in')


def _static_page(lang, title, text):
    return ('<!DOCTYPE html>\n<html lang="%s"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex, nofollow">'
        '<title>%s</title></head>'
        '<body style="font-family:sans-serif;margin:2em;color:#1a1a1a;'
        'background:#ffffff"><main><h1>%s</h1><p>%s</p></main>'
        '</body></html>\n' % (lang, title, title, text)).encode('utf-8')


NOT_FOUND_BODY = {
    lang: _static_page(lang, translator(lang)('Page not found'),
        translator(lang)('This page does not exist or is not yours. '
            'Go back to your customer area.'))
    for lang in LANGUAGES}
FORBIDDEN_BODY = {
    lang: _static_page(lang, translator(lang)('Form refused'),
        translator(lang)('This form expired or did not come from your '
            'customer area: nothing was changed. Go back, reload the page '
            'and try again.'))
    for lang in LANGUAGES}
