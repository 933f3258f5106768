"""Sessions, CSRF and the page layout of the portal: the helpers other
modules (esign, the browser tests) build on. Names here are stable.

- `current_user(request, pool)` → the signed-in `web.user` or None.
- `require_user(request, pool)` → the `web.user`, or raises the 303
  redirect to the sign-in page (werkzeug HTTPException with a response).
- `session_key(request)` → the session cookie's key (str) or None: pass it
  to `csrf_token` and `check_csrf`.
- `csrf_token(session)` → the CSRF token (str) of a session key.
- `check_csrf(request, session)` → None, or raises werkzeug Forbidden (403,
  the transaction is rolled back: nothing changes).
- `render_page(request, pool, user, title, content, ...)` → Response of
  the common layout around `content`.
- `render_fragment(template, **values)` → a Genshi stream of a template of
  `portal/templates` (or of another module: 'esign/templates/x.html').
- `not_found(request)` → the one 404 Response.

Rules (OWASP Session Management and CSRF Prevention cheat sheets):
the session is a 256-bit random key (`web.user.session`, upstream) in a
cookie that is HttpOnly, SameSite=Lax, Secure when the request came over
https (or `[portal] secure_cookie = True`), limited to `/<db>/portal` and
with an expiry equal to the session timeout (`[session] web_timeout`,
30 days by default). A new key is issued at each sign-in (no fixation).
CSRF tokens are the HMAC-SHA256 of the session key with the database's
secret (`secret.sign`), one per session, compared in constant time; forms
shown before sign-in use a random pre-session cookie the same way (login
CSRF).
"""
import importlib
import os
import re
import secrets
from urllib.parse import quote

from genshi.core import Markup, Stream
from genshi.template import TemplateLoader
from werkzeug.exceptions import Forbidden, abort
from werkzeug.utils import redirect

import trytond.config as config
from trytond.protocols.wrappers import Response
from trytond.transaction import Transaction

from trytond.modules.service_order.notification import shop_colour, text_colour

from . import texts
from .secret import sign, verify

COOKIE = 'atelier_portal'
PRE_COOKIE = 'atelier_portal_pre'
CSRF_FIELD = 'csrf_token'
_KEY = re.compile(r'^[0-9a-f]{64}$')
HEADERS = {
    'Cache-Control': 'no-store',
    'X-Robots-Tag': 'noindex',
    # Not 'no-referrer': browsers then send `Origin: null` with the forms'
    # POSTs, which trytond refuses before any route. 'same-origin' still
    # keeps the pages' URLs (tokens) from other sites.
    'Referrer-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy': (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    }
_loader = TemplateLoader(
    [os.path.join(os.path.dirname(__file__), 'templates')],
    auto_reload=False, variable_lookup='strict')
_module_loaders = {}


def database_name():
    "The name of the database of the current transaction."
    return Transaction().database.name


def portal_url(path=''):
    "Return the absolute path /<db>/portal/<path> (no host)."
    return '/%s/portal/%s' % (
        quote(database_name(), safe=":@!$&'()*+,;="), path.lstrip('/'))


def session_key(request):
    "Return the session key of the portal cookie (64 hex) or None."
    key = request.cookies.get(COOKIE) or ''
    return key if _KEY.match(key) else None


def pre_session_key(request):
    "Return the pre-session key of the anonymous cookie (64 hex) or None."
    key = request.cookies.get(PRE_COOKIE) or ''
    return key if _KEY.match(key) else None


def current_user(request, pool):
    """Return the `web.user` signed in by the request's portal cookie, or
    None: no cookie, unknown or expired session, account inactive or
    without a party of its shop. Needs a transaction (the route's).

    Once found, the rest of the transaction runs in the context of the
    account's shop (`company`): its company-dependent values (the party's
    language...) are the shop's."""
    cached = getattr(request, '_portal_user', False)
    if cached is not False:
        return cached
    user = None
    key = session_key(request)
    if key:
        Session = pool.get('web.user.session')
        candidate = Session.get_user(key)
        if (candidate and candidate.active and candidate.company
                and candidate.party
                and candidate.party.company == candidate.company):
            user = use_shop(pool, candidate)
    request._portal_user = user
    return user


def use_shop(pool, user):
    """Put the transaction in the context of `user`'s shop (company) for
    the rest of the request; return `user` read in that context."""
    transaction = Transaction()
    # Not restored on purpose: it lasts until the route's transaction ends.
    transaction.set_context(company=user.company.id)
    return pool.get('web.user')(user.id)


def safe_next(value):
    """Return `value` if it is a path of this database's portal (a safe
    place to go after sign-in), else None: no other host, no scheme."""
    if not value or not isinstance(value, str):
        return None
    prefix = portal_url()
    if (value.startswith(prefix) and '//' not in value
            and '\\' not in value and len(value) < 500
            and all(32 < ord(c) < 127 for c in value)):
        return value
    return None


def require_user(request, pool):
    """Return the signed-in `web.user`, or raise the 303 redirect to the
    sign-in page (which comes back to this GET page afterwards)."""
    user = current_user(request, pool)
    if user is None:
        target = portal_url('login')
        if request.method in {'GET', 'HEAD'}:
            here = safe_next(request.full_path.rstrip('?'))
            if here:
                target += '?next=' + quote(here, safe='')
        abort(redirect(target, code=303))
    return user


def csrf_token(session):
    "Return the CSRF token (43 characters) of session key `session`."
    return sign('csrf', session)


def check_csrf(request, session):
    """Refuse (raise werkzeug Forbidden, 403) a POST whose form field
    `csrf_token` is not the token of `session` (the session key, or the
    pre-session key of a form shown before sign-in). Raised inside the
    route's transaction, it rolls back: nothing changes."""
    token = request.form.get(CSRF_FIELD, '')
    if not session or not verify(token, 'csrf', session):
        raise Forbidden()


def is_secure(request):
    "Whether cookies get the Secure flag: https request or configuration."
    return bool(request.is_secure
        or config.getboolean('portal', 'secure_cookie', default=False))


def session_timeout(pool):
    "The session lifetime in seconds (upstream web.user.session timeout)."
    return int(pool.get('web.user.session').timeout().total_seconds())


def set_cookie(response, request, name, value, max_age):
    "Set portal cookie `name` (HttpOnly, SameSite=Lax, Secure on https)."
    response.set_cookie(name, value, max_age=max_age,
        path=portal_url().rstrip('/'), secure=is_secure(request),
        httponly=True, samesite='Lax')


def delete_cookie(response, request, name):
    response.delete_cookie(name, path=portal_url().rstrip('/'),
        secure=is_secure(request), httponly=True, samesite='Lax')


def start_session(request, pool, user, response):
    """Open a new session of `user` (web.user) and set its cookie on
    `response`; the pre-session cookie is dropped. Returns the key."""
    key = user.new_session()
    set_cookie(response, request, COOKIE, key, session_timeout(pool))
    delete_cookie(response, request, PRE_COOKIE)
    return key


def anonymous_session(request):
    """Return (key, new): the pre-session key of the request, or a new one
    (new=True: call `keep_anonymous_session` on the response)."""
    key = pre_session_key(request)
    if key:
        return key, False
    return secrets.token_hex(32), True


def keep_anonymous_session(request, response, key):
    "Set the pre-session cookie `key` on `response` (1 hour)."
    set_cookie(response, request, PRE_COOKIE, key, 3600)


def language(request, user=None):
    """Return 'fr' or 'en': the language of the account's party, else the
    browser's Accept-Language, else French."""
    lang = texts.party_language(getattr(user, 'party', None),
        getattr(user, 'company', None))
    if lang:
        return lang
    return request.accept_languages.best_match(
        texts.LANGUAGES, default=texts.DEFAULT)


def render_fragment(template, **values):
    """Return the Genshi stream of `template` (a file name of
    portal/templates, or 'module/path.html' of another module) generated
    with `values`."""
    if '/' in template:
        module, path = template.split('/', 1)
        package = importlib.import_module('trytond.modules.%s' % module)
        directory = os.path.dirname(package.__file__)
        loader = _module_loaders.get(directory)
        if loader is None:
            loader = _module_loaders[directory] = TemplateLoader(
                [directory], auto_reload=False, variable_lookup='strict')
        return loader.load(path).generate(**values)
    return _loader.load(template).generate(**values)


def _shop(company):
    if company is None:
        colour = texts.NEUTRAL_COLOUR
        return {'name': None, 'colour': colour,
            'colour_text': text_colour(colour)}
    colour = shop_colour(company)
    return {'name': company.rec_name, 'colour': colour,
        'colour_text': text_colour(colour)}


def render_page(request, pool, user, title, content, status=200,
        lang=None, company=None, active=None, headers=None):
    """Return the Response of the portal layout around `content`.

    user: the signed-in web.user (navigation, sign-out, shop branding) or
    None; title: str, the page's <title> and <h1>; content: a Genshi
    stream (see render_fragment) or Markup; lang: 'fr'/'en' (default:
    `language(request, user)`); company: the shop of an anonymous page;
    active: the navigation entry to mark current ('home', 'jobs',
    'quotes', 'invoices', 'documents', 'messages', 'profile').
    """
    lang = lang or language(request, user)
    _ = texts.translator(lang)
    session = session_key(request) if user else None
    values = {
        '_': _, 'lang': lang, 'title': title, 'content': content,
        'shop': _shop(company or (user.company if user else None)),
        'user': user, 'active': active,
        'url': portal_url,
        'csrf_field': CSRF_FIELD,
        'csrf': csrf_token(session) if session else None,
        'nav': texts.navigation(_) if user else [],
        }
    body = _loader.load('layout.html').generate(**values).render(
        'html', doctype='html5', encoding='utf-8')
    all_headers = dict(HEADERS)
    all_headers.update(headers or {})
    return Response(body, status=status, headers=all_headers,
        content_type='text/html; charset=utf-8')


def not_found(request=None):
    """Return the one 404 page: the same bytes whatever the reason (unknown
    database, module not activated, malformed id, another customer's or
    shop's record), in the browser's language only."""
    lang = texts.DEFAULT
    if request is not None:
        lang = request.accept_languages.best_match(
            texts.LANGUAGES, default=texts.DEFAULT)
    return Response(texts.NOT_FOUND_BODY[lang], status=404, headers=HEADERS,
        content_type='text/html; charset=utf-8')


def forbidden(request=None):
    "Return the 403 page of a refused form (missing or wrong CSRF token)."
    lang = texts.DEFAULT
    if request is not None:
        lang = request.accept_languages.best_match(
            texts.LANGUAGES, default=texts.DEFAULT)
    return Response(texts.FORBIDDEN_BODY[lang], status=403, headers=HEADERS,
        content_type='text/html; charset=utf-8')


__all__ = ['current_user', 'require_user', 'session_key', 'csrf_token',
    'check_csrf', 'render_page', 'render_fragment', 'not_found', 'forbidden',
    'portal_url', 'language', 'Markup', 'Stream']
