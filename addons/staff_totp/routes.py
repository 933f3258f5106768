"""Enrolment page of two-factor sign-in, outside sao: /<database>/staff/2fa.

Server-rendered, in French, no JavaScript, for a staff user who cannot
sign in to sao yet (Owners and Admins must enrol first):

1. GET: login and password.
2. POST step=password: the password is checked (`User._login_password`,
   with the failed attempts of sign-in: res.user.login.attempt, 429 past
   `[session] max_attempt`); a new pending secret is made and the page
   shows its QR code (SVG, otpauth:// URI, issuer "Atelier (<shop>)"),
   the secret in groups of 4 for typing, and a field for a code.
3. POST step=confirm: the ticket (user id, expiry, HMAC keyed by the
   pending secret: only whoever saw step 2 can make it) and a code of the
   app; two-factor sign-in is enabled and the 10 recovery codes are shown
   once.

Every form carries a CSRF token (double submit: a random SameSite=Strict
cookie and the same value in the form, compared in constant time) and
POSTs from another Origin are refused (403). A user already enrolled is
sent to the back office (Workshop ▸ Two-Factor Sign-in) to change it.
"""
import hashlib
import hmac
import logging
import os
import secrets
import time
from urllib.parse import urlparse

from genshi.core import Markup
from genshi.template import MarkupTemplate
from werkzeug.exceptions import NotFound

import trytond.config as config
from trytond.exceptions import UserError
from trytond.protocols.wrappers import Response, with_pool
from trytond.transaction import Transaction, without_check_access
from trytond.wsgi import app

from . import totp

logger = logging.getLogger(__name__)

CSRF_COOKIE = 'atelier_staff_csrf'
CSRF_FIELD = 'csrf_token'
TICKET_SECONDS = 15 * 60
HEADERS = {
    'Cache-Control': 'no-store',
    'X-Robots-Tag': 'noindex',
    # 'same-origin', not 'no-referrer': with no-referrer browsers post
    # `Origin: null`, which trytond refuses before the route.
    'Referrer-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy': (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:;"
        " form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    }
NOT_FOUND_BODY = (
    '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
    '<title>Page introuvable</title></head><body>'
    '<h1>Page introuvable</h1></body></html>\n').encode('utf-8')
_template = None


def _get_template():
    global _template
    if _template is None:
        path = os.path.join(os.path.dirname(__file__), 'templates',
            'enrol.html')
        with open(path, 'rb') as fp:
            _template = MarkupTemplate(fp, filename='enrol.html')
    return _template


def not_found():
    return Response(NOT_FOUND_BODY, status=404, headers=HEADERS,
        content_type='text/html; charset=utf-8')


def same_origin(request):
    source = request.headers.get('Origin') or request.headers.get('Referer')
    if not source or source == 'null':
        return not source
    return urlparse(source).netloc == request.host


def make_ticket(database, user_id, secret, now=None):
    expires = int((now or time.time()) + TICKET_SECONDS)
    return '%s.%s.%s' % (user_id, expires,
        _ticket_sig(database, user_id, expires, secret))


def _ticket_sig(database, user_id, expires, secret):
    return hmac.new(secret.encode('ascii'),
        ('%s|%s|%s' % (database, user_id, expires)).encode('utf-8'),
        hashlib.sha256).hexdigest()


def ticket_user(ticket):
    "Return (user_id, expires) of a ticket's text, or None."
    try:
        user_id, expires, _ = (ticket or '').split('.')
        return int(user_id), int(expires)
    except ValueError:
        return None


def check_ticket(database, ticket, secret, now=None):
    parsed = ticket_user(ticket)
    if not parsed or not secret:
        return False
    user_id, expires = parsed
    if expires < (now or time.time()):
        return False
    signature = ticket.rsplit('.', 1)[-1]
    return hmac.compare_digest(signature,
        _ticket_sig(database, user_id, expires, secret))


def _render(request, values, status=200, csrf=None):
    new_cookie = csrf is None
    csrf = csrf or request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(
        32)
    values = dict({
            'database': values.get('database'),
            'step': 'password',
            'error': None,
            'login': '',
            'shop': None,
            'qr_svg': None,
            'secret': None,
            'uri': None,
            'ticket': None,
            'codes': None,
            'csrf_field': CSRF_FIELD,
            'csrf': csrf,
            'action': request.path,
            }, **values)
    if values['qr_svg']:
        values['qr_svg'] = Markup(values['qr_svg'])
    body = _get_template().generate(**values).render(
        'html', doctype='html5', encoding='utf-8')
    response = Response(body, status=status, headers=HEADERS,
        content_type='text/html; charset=utf-8')
    if new_cookie or not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(CSRF_COOKIE, csrf, max_age=3600,
            path='/%s/staff/' % values['database'], httponly=True,
            samesite='Strict', secure=request.is_secure)
    return response


def _csrf_ok(request):
    cookie = request.cookies.get(CSRF_COOKIE, '')
    field = request.form.get(CSRF_FIELD, '')
    return bool(cookie) and hmac.compare_digest(
        cookie.encode('utf-8', 'replace'), field.encode('utf-8', 'replace'))


@app.route('/<database_name>/staff/2fa', methods={'GET', 'HEAD', 'POST'})
def enrol(request, database_name):
    try:
        return _enrol(request, database_name)
    except NotFound:
        return not_found()


# Read by trytond's dispatcher instead of request.user_id
enrol.max_request_size = 16 * 1024


@with_pool
def _enrol(request, pool):
    try:
        pool.get('res.user.totp')
    except KeyError:  # staff_totp not activated in this database
        return not_found()
    database = pool.database_name
    base = {'database': database}
    if request.method != 'POST':
        return _render(request, base)
    if not same_origin(request) or not _csrf_ok(request):
        return _render(request, dict(base,
                error="Le formulaire a expiré : recommencez."), status=403)
    step = request.form.get('step')
    with Transaction().start(database, 0,
            context={'_request': request.context, 'language': 'fr'}
            ) as transaction:
        if step == 'confirm':
            response = _confirm(request, pool, base)
        else:
            response = _password(request, pool, base)
        transaction.commit()
    return response


def _throttled(pool, login):
    LoginAttempt = pool.get('res.user.login.attempt')
    return (LoginAttempt.count_ip() > config.getint(
            'session', 'max_attempt_ip_network', default=300)
        or LoginAttempt.count(login) > config.getint(
            'session', 'max_attempt', default=5))


def _password(request, pool, base):
    User = pool.get('res.user')
    LoginAttempt = pool.get('res.user.login.attempt')
    login = request.form.get('login', '').strip()[:128]
    password = request.form.get('password', '')
    values = dict(base, login=login)
    if not login or not password:
        return _render(request, dict(values,
                error="Indiquez votre identifiant et votre mot de passe."),
            status=400)
    if _throttled(pool, login):
        LoginAttempt.add(login)
        return _render(request, dict(values,
                error="Trop d'essais : réessayez dans quelques minutes."),
            status=429)
    user_id = User._login_password(login, {'password': password})
    if not user_id:
        LoginAttempt.add(login)
        User._totp_audit_failure(login,
            'wrong password on the enrolment page', {})
        time.sleep(0.5)
        return _render(request, dict(values,
                error="Identifiant ou mot de passe incorrect."), status=401)
    LoginAttempt.remove(login)
    user = User(user_id)
    if User.totp_is_enabled(user_id):
        return _render(request, dict(values, step='already'))
    with Transaction().set_user(user_id), without_check_access():
        secret, uri = user.totp_start()
    return _render(request, dict(values, **_qr_values(
                pool.database_name, user, secret, uri)))


def _qr_values(database, user, secret, uri):
    return {
        'step': 'scan',
        'login': user.login,
        'shop': user.totp_shop_name(),
        'qr_svg': totp.qr_svg(uri),
        'secret': ' '.join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        'uri': uri,
        'ticket': make_ticket(database, user.id, secret),
        }


def _confirm(request, pool, base):
    User = pool.get('res.user')
    LoginAttempt = pool.get('res.user.login.attempt')
    database = pool.database_name
    ticket = request.form.get('ticket', '')
    parsed = ticket_user(ticket)
    expired = dict(base, error="La demande a expiré : recommencez "
        "avec votre identifiant et votre mot de passe.")
    if not parsed:
        return _render(request, expired, status=403)
    user_id, _ = parsed
    users = User.search([('id', '=', user_id)])
    if not users:
        return _render(request, expired, status=403)
    user, = users
    with without_check_access():
        pending = user.totp_pending()
    if not pending or not check_ticket(database, ticket, pending[0]):
        return _render(request, expired, status=403)
    secret, uri = pending
    if _throttled(pool, user.login):
        LoginAttempt.add(user.login)
        return _render(request, dict(base, login=user.login,
                error="Trop d'essais : réessayez dans quelques minutes."),
            status=429)
    code = request.form.get('code', '')
    try:
        with Transaction().set_user(user_id), without_check_access():
            codes = user.totp_confirm(code)
    except UserError:
        LoginAttempt.add(user.login)
        values = dict(base, **_qr_values(database, user, secret, uri))
        values['ticket'] = ticket
        values['error'] = ("Code incorrect. Tapez le code à 6 chiffres "
            "affiché maintenant par l'application (vérifiez l'heure du "
            "téléphone).")
        return _render(request, values, status=422)
    LoginAttempt.remove(user.login)
    return _render(request, dict(base, step='done', login=user.login,
            shop=user.totp_shop_name(), codes=codes))
