"""Public sign-up page /<db>/signup and owner activation
/<db>/signup/activate/<token>.

Server-rendered, French first (English by Accept-Language), no
JavaScript. Forms carry the portal's CSRF token (HMAC of a random
pre-session cookie, `portal.session.csrf_token`/`check_csrf`), the portal's
security headers, and sign-up POSTs are throttled per IP network with the
web users' attempt table (`web.user.authenticate.attempt`). Every route
answers the portal's one 404 page when the database does not have saas
activated or public sign-up is off.
"""
import html
import secrets
from urllib.parse import quote

from werkzeug.exceptions import Forbidden, NotFound
from werkzeug.utils import redirect

from trytond.exceptions import UserError
from trytond.protocols.wrappers import Response, with_pool, with_transaction
from trytond.transaction import Transaction
from trytond.wsgi import app

from trytond.modules.portal.session import (
    CSRF_FIELD, HEADERS, check_csrf, csrf_token, forbidden, not_found)

from .shop import COUNTRIES
from trytond.modules.workshop.company import BUSINESS_TYPES

COOKIE = 'atelier_signup'
PREFIX = 'saas-signup:'
TRADES_FR = {'repair': "Réparation (téléphones, ordinateurs)",
    'coating': "Thermolaquage", 'tailoring': "Couture, retouches",
    'agency': "Agence"}
T = {
    'fr': {
        'title': "Créer ma boutique", 'shop_name': "Nom de la boutique",
        'owner_name': "Votre nom", 'email': "Adresse e-mail",
        'phone': "Téléphone", 'country': "Pays", 'trade': "Métier",
        'terms': "J'accepte les conditions générales (version %s)",
        'privacy': "J'accepte la politique de confidentialité "
        "(version %s)",
        'submit': "Créer ma boutique (30 jours d'essai gratuit)",
        'done_title': "Vérifiez votre boîte de réception",
        'done': "La boutique %s est prête. Un lien pour choisir votre mot "
        "de passe a été envoyé à %s.",
        'throttled': "Trop de tentatives depuis votre réseau. "
        "Réessayez dans quelques minutes.",
        'act_title': "Choisir mon mot de passe",
        'password': "Mot de passe", 'password2': "Confirmez le mot de passe",
        'act_submit': "Enregistrer", 'mismatch': "Les deux mots de passe "
        "diffèrent.",
        'act_invalid': "Ce lien n'est plus valable (déjà utilisé ou "
        "expiré). Demandez-en un nouveau à l'opérateur.",
        'act_done': "Votre mot de passe est enregistré. Connectez-vous "
        "avec votre adresse e-mail :",
        'login': "Se connecter",
        },
    'en': {
        'title': "Create my shop", 'shop_name': "Shop name",
        'owner_name': "Your name", 'email': "Email address",
        'phone': "Phone", 'country': "Country", 'trade': "Trade",
        'terms': "I accept the terms of service (version %s)",
        'privacy': "I accept the privacy policy (version %s)",
        'submit': "Create my shop (30-day free trial)",
        'done_title': "Check your inbox",
        'done': "The shop %s is ready. A link to choose your password "
        "was sent to %s.",
        'throttled': "Too many attempts from your network. "
        "Try again in a few minutes.",
        'act_title': "Choose my password",
        'password': "Password", 'password2': "Confirm the password",
        'act_submit': "Save", 'mismatch': "The two passwords differ.",
        'act_invalid': "This link is no longer valid (used or expired). "
        "Ask the operator for a new one.",
        'act_done': "Your password is saved. Sign in with your email "
        "address:",
        'login': "Sign in",
        },
    }
CSS = ("body{font-family:Arial,sans-serif;max-width:34em;margin:1em auto;"
    "padding:0 1em;color:#1a1a1a}label{display:block;margin:.8em 0 .2em}"
    "input[type=text],input[type=email],input[type=tel],input[type=password],"
    "select{width:100%;padding:.5em;font-size:1em;box-sizing:border-box}"
    "button{margin-top:1em;padding:.7em 1.2em;font-size:1em;"
    "background:#1f4e79;color:#fff;border:0;border-radius:4px}"
    ".error{border-left:4px solid #b00020;padding:.5em;background:#fdecea}"
    ".check label{display:inline}")


def _lang(request):
    return request.accept_languages.best_match(['fr', 'en'], default='fr')


def _page(lang, title, body, status=200, cookie=None, request=None):
    page = ('<!DOCTYPE html><html lang="%s"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<title>%s</title><style>%s</style></head><body><main><h1>%s</h1>'
        '%s</main></body></html>') % (lang, html.escape(title), CSS,
        html.escape(title), body)
    response = Response(page, status=status, headers=HEADERS,
        content_type='text/html; charset=utf-8')
    if cookie:
        response.set_cookie(COOKIE, cookie, max_age=3600,
            path=_base().rstrip('/'), httponly=True, samesite='Lax',
            secure=bool(request is not None and request.is_secure))
    return response


def _base(path=''):
    return '/%s/signup%s' % (quote(Transaction().database.name, safe=''),
        path)


def _key(request):
    key = request.cookies.get(COOKIE, '')
    if len(key) == 64 and all(c in '0123456789abcdef' for c in key):
        return key, False
    return secrets.token_hex(32), True


def _route(rule, methods=('GET',)):
    def decorator(func):
        def in_transaction(request, pool, *args, **kwargs):
            try:
                Configuration = pool.get('saas.configuration')
            except KeyError:  # saas not activated in this database
                raise NotFound()
            if not Configuration(1).signup_enabled:
                raise NotFound()
            return func(request, pool, *args, **kwargs)
        in_transaction.__name__ = func.__name__
        transactional = with_pool(with_transaction(
                readonly=methods == ('GET',))(in_transaction))

        def endpoint(request, *args, **kwargs):
            try:
                return transactional(request, *args, **kwargs)
            except NotFound:
                return not_found(request)
            except Forbidden:
                return forbidden(request)
        endpoint.__name__ = 'saas_' + func.__name__
        endpoint.max_request_size = 64 * 1024
        app.route('/<database_name>/signup' + rule,
            methods=set(methods))(endpoint)
        return func
    return decorator


def _field(label, name, value='', type_='text', extra=''):
    return ('<label for="%(n)s">%(l)s</label><input type="%(t)s" id="%(n)s" '
        'name="%(n)s" value="%(v)s" required%(x)s>') % {
        'n': name, 'l': html.escape(label), 't': type_,
        'v': html.escape(value or '', quote=True), 'x': extra}


def _form(pool, lang, key, values=None, error=None):
    t = T[lang]
    config = pool.get('saas.configuration')(1)
    values = values or {}
    countries = ''.join('<option value="%s"%s>%s</option>' % (
            code, ' selected' if values.get('country', 'FR') == code else '',
            html.escape(name)) for code, (name, _) in COUNTRIES.items())
    trades = ''.join('<option value="%s"%s>%s</option>' % (
            code, ' selected' if values.get('trade') == code else '',
            html.escape(TRADES_FR[code] if lang == 'fr' else name))
        for code, name in BUSINESS_TYPES)
    body = ''
    if error:
        body += '<p class="error" role="alert">%s</p>' % html.escape(error)
    body += ('<form method="post" action="%s">'
        '<input type="hidden" name="%s" value="%s">') % (
        _base(), CSRF_FIELD, csrf_token(key))
    body += _field(t['shop_name'], 'shop_name', values.get('shop_name'),
        extra=' maxlength="100"')
    body += _field(t['owner_name'], 'owner_name', values.get('owner_name'))
    body += _field(t['email'], 'email', values.get('email'), 'email',
        ' autocomplete="email"')
    body += _field(t['phone'], 'phone', values.get('phone'), 'tel',
        ' autocomplete="tel"')
    body += ('<label for="country">%s</label><select id="country" '
        'name="country">%s</select>') % (t['country'], countries)
    body += ('<label for="trade">%s</label><select id="trade" name="trade">'
        '%s</select>') % (t['trade'], trades)
    for name, text, version in [
            ('terms_accepted', t['terms'], config.terms_version),
            ('privacy_accepted', t['privacy'], config.privacy_version)]:
        body += ('<p class="check"><input type="checkbox" id="%s" name="%s" '
            'value="1" required> <label for="%s">%s</label></p>') % (
            name, name, name, html.escape(text % version))
    body += '<button type="submit">%s</button></form>' % html.escape(
        t['submit'])
    return body


@_route('')
def signup(request, pool):
    "The sign-up form."
    lang = _lang(request)
    key, new = _key(request)
    return _page(lang, T[lang]['title'], _form(pool, lang, key),
        cookie=key if new else None, request=request)


def _throttled(pool, limit):
    "Record a sign-up attempt; True beyond `limit` per IP network."
    Attempt = pool.get('web.user.authenticate.attempt')
    table = Attempt.__table__()
    cursor = Transaction().connection.cursor()
    _, network = Transaction().remote_address()
    cursor.execute(*table.select(table.id,
            where=(table.login.like(PREFIX + '%'))
            & (table.ip_network == (str(network) if network else None))
            & (table.create_date >= Attempt.delay())))
    over = len(cursor.fetchall()) >= limit
    Attempt.add(PREFIX + (str(network) if network else '-'))
    return over


@_route('', methods=('POST',))
def signup_post(request, pool):
    """Create the shop (Shop.sign_up) from the form; the form again with
    the field's error (400), 429 when throttled, 403 without CSRF."""
    lang = _lang(request)
    t = T[lang]
    key, new = _key(request)
    check_csrf(request, None if new else key)
    Shop = pool.get('saas.shop')
    Configuration = pool.get('saas.configuration')
    form = request.form
    values = {k: form.get(k, '')[:300] for k in ['shop_name', 'owner_name',
            'email', 'phone', 'country', 'trade']}
    if _throttled(pool, Configuration(1).signup_max_ip or 5):
        # The attempt is recorded even though the request fails.
        Transaction().commit()
        return _page(lang, t['title'], '<p class="error" role="alert">%s'
            '</p>' % html.escape(t['throttled']), status=429)
    values['terms_accepted'] = bool(form.get('terms_accepted'))
    values['privacy_accepted'] = bool(form.get('privacy_accepted'))
    values['language'] = lang
    values['ip'] = request.remote_addr or ''
    try:
        with Transaction().set_context(language=lang):
            shop_id = Shop.sign_up(values)
    except UserError as exception:
        Transaction().rollback()
        Transaction().tasks.clear()
        # Keep the throttling record of the failed attempt.
        _throttled(pool, 10 ** 6)
        return _page(lang, t['title'], _form(pool, lang, key, values,
                error=exception.message), status=400)
    shop = Shop(shop_id)
    return _page(lang, t['done_title'], '<p>%s</p>' % html.escape(
            t['done'] % (shop.company.rec_name, shop.owner_email)))


def _activation_form(lang, key, token, error=None):
    t = T[lang]
    body = ''
    if error:
        body += '<p class="error" role="alert">%s</p>' % html.escape(error)
    body += ('<form method="post" action="%s">'
        '<input type="hidden" name="%s" value="%s">') % (
        _base('/activate/' + quote(token, safe='')), CSRF_FIELD,
        csrf_token(key))
    body += _field(t['password'], 'password', '', 'password',
        ' autocomplete="new-password"')
    body += _field(t['password2'], 'password2', '', 'password',
        ' autocomplete="new-password"')
    body += '<button type="submit">%s</button></form>' % html.escape(
        t['act_submit'])
    return body


@_route('/activate/<token>')
def activate(request, pool, token):
    "The password form of an activation link (or why it is invalid)."
    lang = _lang(request)
    t = T[lang]
    if pool.get('saas.activation').find(token) is None:
        return _page(lang, t['act_title'], '<p class="error">%s</p>'
            % html.escape(t['act_invalid']), status=404)
    key, new = _key(request)
    return _page(lang, t['act_title'], _activation_form(lang, key, token),
        cookie=key if new else None, request=request)


@_route('/activate/<token>', methods=('POST',))
def activate_post(request, pool, token):
    "Set the owner's password and use up the link."
    lang = _lang(request)
    t = T[lang]
    key, new = _key(request)
    check_csrf(request, None if new else key)
    activation = pool.get('saas.activation').find(token)
    if activation is None:
        return _page(lang, t['act_title'], '<p class="error">%s</p>'
            % html.escape(t['act_invalid']), status=404)
    password = request.form.get('password', '')
    if password != request.form.get('password2', ''):
        return _page(lang, t['act_title'], _activation_form(
                lang, key, token, t['mismatch']), status=400)
    try:
        with Transaction().set_context(language=lang):
            activation.activate(password)
    except UserError as exception:
        Transaction().rollback()
        Transaction().tasks.clear()
        return _page(lang, t['act_title'], _activation_form(
                lang, key, token, exception.message), status=400)
    login = activation.user.login
    return _page(lang, t['act_title'], '<p>%s <strong>%s</strong></p>'
        '<p><a href="/">%s</a></p>' % (html.escape(t['act_done']),
            html.escape(login), html.escape(t['login'])))


__all__ = ['signup', 'signup_post', 'activate', 'activate_post', 'redirect']
