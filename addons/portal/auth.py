"""Sign-in, sign-in links, passwords and sign-out of the portal.

GET  /<db>/portal/login              sign-in page (password, or ask a link)
POST /<db>/portal/login              sign in with email and password
POST /<db>/portal/login/link         email a one-time sign-in link (15 min)
GET  /<db>/portal/link/<token>       confirm page of a sign-in link
POST /<db>/portal/link/<token>       use the link: signed in, 303 home
GET  /<db>/portal/password/<token>   choose a password (invitation, reset)
POST /<db>/portal/password/<token>   set it: signed in, 303 home
GET  /<db>/portal/reset              ask a password link
POST /<db>/portal/reset              email it
POST /<db>/portal/logout             sign out (this session)
POST /<db>/portal/logout-all         sign out everywhere (every session)

Every POST checks its CSRF token first. Sign-in failures follow upstream's
throttling (`web.user.authenticate`); link and reset requests are limited
per email (LINK_MAX_EMAIL) and per IP network (LINK_MAX_IP) within
`[session] timeout` (5 min), through the same attempt table. Link and
reset requests answer the same page whether or not an account exists (no
account enumeration: OWASP Authentication cheat sheet).
"""
import datetime

from werkzeug.utils import redirect

import trytond.config as config
from trytond.exceptions import RateLimitException
from trytond.pool import Pool
from trytond.res.user import PasswordError
from trytond.transaction import Transaction

from . import texts
from .routing import portal_route
from .session import (
    anonymous_session, check_csrf, csrf_token, current_user, delete_cookie,
    keep_anonymous_session, language, portal_url, pre_session_key,
    render_fragment, render_page, safe_next, session_key, start_session,
    COOKIE, CSRF_FIELD)
from .user import clean_email

#: Link and reset requests allowed per email within [session] timeout.
LINK_MAX_EMAIL = 3
#: Link and reset requests allowed per IP network within [session] timeout.
LINK_MAX_IP = 20
LINK_PREFIX = 'portal-link:'


def _values(request, lang, csrf):
    return {'_': texts.translator(lang), 'url': portal_url,
        'csrf_field': CSRF_FIELD, 'csrf': csrf, 'lang': lang}


def _anonymous(request, lang, title, template, status=200, company=None,
        **values):
    "Render an anonymous page with a pre-session CSRF token."
    key, new = anonymous_session(request)
    content = render_fragment(template,
        **dict(_values(request, lang, csrf_token(key)), **values))
    response = render_page(request, Pool(), None, title, content,
        status=status, lang=lang, company=company)
    if new:
        keep_anonymous_session(request, response, key)
    return response


def _message(request, lang, title, paragraphs, links=(), status=200,
        company=None, css=''):
    content = render_fragment('message.html',
        **dict(_values(request, lang, None), paragraphs=paragraphs,
            links=list(links), css=css))
    return render_page(request, Pool(), None, title, content, status=status,
        lang=lang, company=company)


def login_page(request, lang, error=None, notice=None, email='', status=200,
        next_=None):
    _ = texts.translator(lang)
    return _anonymous(request, lang, _('Sign in to your customer area'),
        'login.html', status=status, error=error, notice=notice,
        email=email, next=safe_next(next_))


def _signed_in(request, pool, user, method, next_=None):
    "Open the session of `user` and answer the 303 to `next_` or home."
    Audit = pool.get('workshop.audit')
    User = pool.get('web.user')
    response = redirect(safe_next(next_) or portal_url(), code=303)
    start_session(request, pool, user, response)
    User.write([user], {'portal_last_sign_in': datetime.datetime.now()})
    Audit.log('portal_sign_in', [user], company=user.company,
        description=method)
    return response


@portal_route('/login', methods=('GET',))
def login(request, pool):
    "The sign-in page; a signed-in customer goes home."
    if current_user(request, pool):
        return redirect(portal_url(), code=303)
    return login_page(request, language(request),
        next_=request.args.get('next'))


@portal_route('/login', methods=('POST',))
def login_post(request, pool):
    """Sign in with `email` and `password` (form fields): 303 to `next` or
    home; the page again with an error otherwise (429 when throttled)."""
    User = pool.get('web.user')
    lang = language(request)
    _ = texts.translator(lang)
    check_csrf(request, pre_session_key(request))
    email = clean_email(request.form.get('email', ''))[:254]
    password = request.form.get('password', '')[:1024]
    next_ = request.form.get('next')
    if not email or not password:
        return login_page(request, lang, status=400, email=email,
            error=_('Enter your email address and your password.'),
            next_=next_)
    try:
        user = User.authenticate(email, password)
    except RateLimitException:
        return login_page(request, lang, status=429, email=email,
            error=_('Too many attempts. Wait a few minutes, or ask for a '
                'sign-in link by email.'), next_=next_)
    if (user is None or not user.party
            or user.party.company != user.company):
        return login_page(request, lang, status=401, email=email,
            error=_('Wrong email address or password.'), next_=next_)
    return _signed_in(request, pool, user, 'password', next_)


def _rate_limited(pool, email):
    """Record a link or reset request of `email`; return True if it is
    beyond the limits per email or per IP network."""
    Attempt = pool.get('web.user.authenticate.attempt')
    key = LINK_PREFIX + email
    over = Attempt.count(key) >= config.getint(
        'portal', 'link_max_email', default=LINK_MAX_EMAIL)
    if not over:
        table = Attempt.__table__()
        cursor = Transaction().connection.cursor()
        _, network = Transaction().remote_address()
        cursor.execute(*table.select(table.id,
                where=(table.login.like(LINK_PREFIX + '%'))
                & (table.ip_network == (str(network) if network else None))
                & (table.create_date >= Attempt.delay())))
        over = len(cursor.fetchall()) >= config.getint(
            'portal', 'link_max_ip', default=LINK_MAX_IP)
    Attempt.add(key)
    return over


def _send_tokens(pool, email, purpose):
    "Issue a token of `purpose` to each account of `email` and queue emails."
    User = pool.get('web.user')
    Token = pool.get('portal.token')
    Email = pool.get('portal.email')
    emails = []
    for user in User.find(email):
        if not user.party or user.party.company != user.company:
            continue
        raw, token = Token.issue(user, purpose)
        emails.append(Email.create_for_token(user, token, raw))
    Email.queue(emails)


def _request_token(request, pool, purpose):
    lang = language(request)
    _ = texts.translator(lang)
    check_csrf(request, pre_session_key(request))
    email = clean_email(request.form.get('email', ''))[:254]
    if '@' not in email:
        if purpose == 'login':
            return login_page(request, lang, status=400,
                error=_('Enter your email address.'))
        return reset_page(request, lang, status=400,
            error=_('Enter your email address.'))
    if _rate_limited(pool, email):
        return _message(request, lang, _('Too many requests'), [
                _('Several links were already asked for this address. '
                    'Wait a few minutes before asking again, and check your '
                    'spam folder.')],
            links=[(portal_url('login'), _('Back to sign-in'))],
            status=429, css='alert')
    _send_tokens(pool, email, purpose)
    if purpose == 'login':
        text = _('If an account exists for %(email)s, a sign-in link has '
            'been sent to it. It is valid for 15 minutes and works once.',
            email=email)
    else:
        text = _('If an account exists for %(email)s, a link to choose a '
            'new password has been sent to it.', email=email)
    return _message(request, lang, _('Check your inbox'), [text,
            _('Nothing received? Check your spam folder, or ask the shop.')],
        links=[(portal_url('login'), _('Back to sign-in'))])


@portal_route('/login/link', methods=('POST',))
def login_link(request, pool):
    "Email a one-time sign-in link to the accounts of the form's `email`."
    return _request_token(request, pool, 'login')


def _invalid_link(request, lang):
    _ = texts.translator(lang)
    return _message(request, lang, _('Link no longer valid'), [
            _('This link does not exist, has expired or was already used.')],
        links=[(portal_url('login'), _('Ask for a new link'))], status=404,
        css='alert')


@portal_route('/link/<token>', methods=('GET',))
def link(request, pool, token):
    """The page of an emailed sign-in link: a button that signs in (a GET
    never uses the link, so mail scanners that open links cannot burn
    it)."""
    Token = pool.get('portal.token')
    lang = language(request)
    _ = texts.translator(lang)
    found = Token.lookup(token, ['login'])
    if found is None:
        return _invalid_link(request, lang)
    lang = language(request, found.user)
    _ = texts.translator(lang)
    return _anonymous(request, lang, _('Sign in'), 'confirm.html',
        company=found.company,
        text=_('Sign in to your customer area of %(shop)s.',
            shop=found.company.rec_name),
        action=portal_url('link/%s' % token), button=_('Sign in'))


@portal_route('/link/<token>', methods=('POST',))
def link_post(request, pool, token):
    "Use the sign-in link `token` once: signed in, 303 home."
    Token = pool.get('portal.token')
    User = pool.get('web.user')
    check_csrf(request, pre_session_key(request))
    user = Token.consume(token, ['login'])
    if user is None:
        return _invalid_link(request, language(request))
    if not user.email_valid:
        User.write([user], {'email_valid': True})
    return _signed_in(request, pool, user, 'link')


def password_length():
    "The minimum password length (`[password] length`, at least 8)."
    return max(8, config.getint('password', 'length', default=8))


def _password_page(request, lang, token, found, error=None, status=200):
    _ = texts.translator(lang)
    if found.purpose == 'invite':
        title = _('Welcome to your customer area')
        text = _('Choose the password of your customer area of %(shop)s.',
            shop=found.company.rec_name)
    else:
        title = _('Choose a new password')
        text = _('Choose the new password of your customer area of '
            '%(shop)s.', shop=found.company.rec_name)
    return _anonymous(request, lang, title, 'password.html', status=status,
        company=found.company, text=text, error=error,
        action=portal_url('password/%s' % token), email=found.user.email,
        min_length=password_length())


@portal_route('/password/<token>', methods=('GET',))
def password(request, pool, token):
    "The form to choose a password from an invitation or reset link."
    Token = pool.get('portal.token')
    found = Token.lookup(token, ['invite', 'reset'])
    if found is None:
        return _invalid_link(request, language(request))
    return _password_page(request, language(request, found.user), token,
        found)


@portal_route('/password/<token>', methods=('POST',))
def password_post(request, pool, token):
    """Set the password (`password`, `confirm`) of the link's account: the
    link is used, the account's other sessions are closed, a new one is
    opened (303 home). A refused password shows the form again and keeps
    the link."""
    Token = pool.get('portal.token')
    User = pool.get('web.user')
    ResUser = pool.get('res.user')
    Audit = pool.get('workshop.audit')
    check_csrf(request, pre_session_key(request))
    found = Token.lookup(token, ['invite', 'reset'])
    if found is None:
        return _invalid_link(request, language(request))
    user = found.user
    lang = language(request, user)
    _ = texts.translator(lang)
    value = request.form.get('password', '')
    confirm = request.form.get('confirm', '')
    error = None
    if len(value) < password_length():
        error = _('The password must have at least %(length)s characters.',
            length=password_length())
    elif len(value) > 1024:
        error = _('This password is too long.')
    elif value != confirm:
        error = _('The two passwords are different.')
    else:
        try:
            ResUser.validate_password(value, [user])
        except PasswordError:
            error = _('This password is not accepted (too common, or your '
                'email address). Choose another one.')
    if error:
        return _password_page(request, lang, token, found, error=error,
            status=400)
    user = Token.consume(token, ['invite', 'reset'])
    if user is None:
        return _invalid_link(request, lang)
    User.sign_out_everywhere([user])
    User.write([user], {'password': value, 'email_valid': True})
    Audit.log('portal_password', [user], company=user.company,
        description=found.purpose)
    return _signed_in(request, pool, user, found.purpose)


def reset_page(request, lang, error=None, status=200):
    _ = texts.translator(lang)
    return _anonymous(request, lang, _('Forgot your password?'),
        'email_form.html', status=status, error=error,
        text=_('Enter the email address of your customer area: we email you '
            'a link to choose a new password.'),
        action=portal_url('reset'), button=_('Email me a link'))


@portal_route('/reset', methods=('GET',))
def reset(request, pool):
    "The form to ask a password link."
    return reset_page(request, language(request))


@portal_route('/reset', methods=('POST',))
def reset_post(request, pool):
    "Email a password link to the accounts of the form's `email`."
    return _request_token(request, pool, 'reset')


def _signed_out(request, pool, lang, text):
    _ = texts.translator(lang)
    response = _message(request, lang, _('Signed out'), [text],
        links=[(portal_url('login'), _('Sign in again'))])
    delete_cookie(response, request, COOKIE)
    return response


@portal_route('/logout', methods=('POST',))
def logout(request, pool):
    "Sign out: this session is deleted and its cookie cleared."
    Session = pool.get('web.user.session')
    key = session_key(request)
    user = current_user(request, pool)
    lang = language(request, user)
    if user is None:  # no session: nothing to protect
        return redirect(portal_url('login'), code=303)
    check_csrf(request, key)
    Session.remove(key)
    _ = texts.translator(lang)
    return _signed_out(request, pool, lang, _('You are signed out.'))


@portal_route('/logout-all', methods=('POST',))
def logout_all(request, pool):
    "Sign out everywhere: every session of the account is deleted."
    User = pool.get('web.user')
    Audit = pool.get('workshop.audit')
    user = current_user(request, pool)
    if user is None:
        return redirect(portal_url('login'), code=303)
    check_csrf(request, session_key(request))
    lang = language(request, user)
    User.sign_out_everywhere([user])
    Audit.log('portal_sign_out_all', [user], company=user.company,
        description=user.email)
    _ = texts.translator(lang)
    return _signed_out(request, pool, lang,
        _('You are signed out on every device.'))
