"""Signing quotes on the customer portal (registered only when the module
portal is activated: `[register portal]` in tryton.cfg).

GET  /<db>/portal/quotes/<sale id>/sign        the signing form
POST /<db>/portal/quotes/<sale id>/sign        sign (Signature.sign_quote),
                                               303 to the job page
GET  /<db>/portal/quotes/<sale id>/signed.pdf  the signed PDF

The quote page shows the section of `Sale.portal_sign_form` (a link to the
form, or who signed and the signed PDF) and the job page a "Quote
signature" section (`get_portal_sections`). The signed PDF attached to the
job is shared with the customer (its Documents).

The form posts: `csrf_token`, `shown_hash` (hidden, the SHA-256 of the
quote PDF shown), `signature` (hidden, the PNG data URL the canvas script
writes) or `signature_file` (an uploaded PNG or JPEG: without JavaScript,
or instead of drawing), `full_name` and `accept_terms` (checkbox, "1").
The party, shop and quote come from the session and the database, never
from the form. The drawing script is the portal's only JavaScript; the
page's Content-Security-Policy allows it by a per-response nonce.

The POST is not a `portal_route`: signing locks the journal table (see
Signature.create) and a signature being written elsewhere in the database
makes Tryton's lock attempt fail after a few tries; the route then starts
again, for up to about BUSY_SECONDS, before answering 503.
"""
import io
import random
import secrets
import time

from genshi.core import Markup
from werkzeug.exceptions import Forbidden, NotFound
from werkzeug.utils import redirect, send_file

from trytond import backend
from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.protocols.wrappers import Response, with_pool, with_transaction
from trytond.transaction import Transaction
from trytond.wsgi import app

from trytond.modules.portal import access, texts
from trytond.modules.portal.files import FILE_HEADERS
from trytond.modules.portal.pages import page_context
from trytond.modules.portal.routing import current_request, portal_route
from trytond.modules.portal.session import (
    HEADERS, check_csrf, forbidden, language, not_found, portal_url,
    render_fragment, render_page, require_user, session_key)

from .exceptions import SignatureError
from .image import MAX_BYTES

#: Request body limit of the signing form: the largest image plus its
#: base64 data URL and the other fields (bytes).
MAX_REQUEST = 2 * MAX_BYTES + 64 * 1024
#: How long the POST keeps trying when the journal is locked (seconds).
BUSY_SECONDS = 20
BUSY_BODY = (
    '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<title>Réessayez</title></head>'
    '<body style="font-family:sans-serif;margin:2em;color:#1a1a1a">'
    '<h1>Réessayez dans un instant</h1>'
    '<p>Beaucoup de signatures sont en cours : votre devis n\'est pas '
    'encore signé. Revenez en arrière et envoyez le formulaire à nouveau.'
    '</p><p lang="en">Many signatures are being recorded: your quote is not '
    'signed yet. Go back and send the form again.</p></body></html>\n'
    ).encode('utf-8')

#: The canvas script: draw with a pointer, keep the PNG data URL in the
#: hidden `signature` field, "Clear" empties both. No '<' or '&' in it.
SIGN_SCRIPT = """
(function () {
  var pad = document.getElementById('esign-draw');
  var canvas = document.getElementById('esign-pad');
  var field = document.getElementById('esign-drawn');
  var clear = document.getElementById('esign-clear');
  if (!pad || !canvas.getContext) { return; }
  pad.hidden = false;
  var ctx = canvas.getContext('2d');
  var drawing = false, drawn = false, last = null;
  var ratio = window.devicePixelRatio || 1;
  var box = canvas.getBoundingClientRect();
  canvas.width = Math.round(box.width * ratio);
  canvas.height = Math.round(box.height * ratio);
  ctx.scale(ratio, ratio);
  ctx.lineWidth = 2.5;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.strokeStyle = '#000';
  function at(event) {
    var r = canvas.getBoundingClientRect();
    return {x: event.clientX - r.left, y: event.clientY - r.top};
  }
  canvas.addEventListener('pointerdown', function (event) {
    drawing = true;
    last = at(event);
    canvas.setPointerCapture(event.pointerId);
    event.preventDefault();
  });
  canvas.addEventListener('pointermove', function (event) {
    if (!drawing) { return; }
    var p = at(event);
    ctx.beginPath();
    ctx.moveTo(last.x, last.y);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
    last = p;
    drawn = true;
    event.preventDefault();
  });
  function end() {
    if (drawing) {
      drawing = false;
      if (drawn) { field.value = canvas.toDataURL('image/png'); }
    }
  }
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  clear.addEventListener('click', function () {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    drawn = false;
    field.value = '';
  });
})();
"""


def texts_of(lang):
    """Return the words of the signing pages in `lang` ('fr' or 'en'), a
    dict of str from ir.message (locale/fr.po)."""
    names = ['section_title', 'can_sign', 'sign_link', 'read_quote',
        'download_quote', 'fingerprint', 'signature_legend', 'draw_label',
        'canvas_alt', 'clear', 'upload_label', 'name_label', 'terms_title',
        'no_terms', 'accept', 'submit', 'legal', 'back', 'download_signed']
    values = {'upload_label': {'size': MAX_BYTES // (1024 * 1024)}}
    with Transaction().set_context(language=lang):
        return {n: gettext('esign.msg_portal_%s' % n, **values.get(n, {}))
            for n in names}


def _signed_text(signature, user, lang):
    "'Signed electronically by <name> on <date>' in `lang`."
    with Transaction().set_context(language=lang):
        return gettext('esign.msg_portal_signed', name=signature.signer_name,
            date=texts.format_date(signature.signed_at, lang,
                getattr(user.company, 'timezone', None)))


def _activated(pool):
    "Raise NotFound unless portal and esign are activated in the database."
    try:
        pool.get('portal.token')
        pool.get('esign.signature')
    except KeyError:
        raise NotFound()


def _customer_quote(request, pool, sale_id):
    "Return (web.user, sale.sale) of the request, or raise NotFound."
    _activated(pool)
    user = require_user(request, pool)
    # The portal keeps the account on the request: read it again in this
    # transaction, which may be a restart of the one that read it (locks).
    user = user.__class__(user.id)
    sale = access.quote(user, sale_id)
    if sale is None:
        raise NotFound()
    return user, sale


def _done_url(sale):
    "Where a signed quote sends the customer: its job, else the quote."
    Signature = Pool().get('esign.signature')
    order = Signature._order_of(sale)
    if order:
        return portal_url('jobs/%d?done=signed' % order.id)
    return portal_url('quotes/%d?done=signed' % sale.id)


def sign_page(request, pool, user, sale, status=200, error=None, form=None):
    """Return the Response of the signing form of `sale` for `user`
    (web.user), with `error` (str) shown and `form` (the posted values:
    full_name, accept_terms) kept; or the page saying why it cannot be
    signed."""
    Sale = pool.get('sale.sale')
    Signature = pool.get('esign.signature')
    lang = language(request, user)
    with Transaction().set_context(language=lang):
        state = Sale.esign_state(sale, party=user.party,
            company=user.company)
        title = gettext('esign.msg_portal_sign_title',
            number=sale.number or sale.id)
    words = texts_of(lang)
    context = page_context(request, user, lang)
    nonce = secrets.token_urlsafe(16)
    form = form or {}
    values = dict(context,
        t=words, error=error or (None if state['signable']
            else state['message']),
        signable=state['signable'],
        action=portal_url('quotes/%d/sign' % sale.id),
        quote_url=portal_url('quotes/%d' % sale.id),
        pdf_url=portal_url('quotes/%d/pdf' % sale.id),
        shown_hash=state['shown_hash'],
        terms=Signature.shop_terms(sale) if state['signable'] else '',
        full_name=form.get('full_name', ''),
        accepted=bool(form.get('accept_terms')),
        nonce=nonce, script=Markup(SIGN_SCRIPT))
    content = render_fragment('esign/templates/sign.html', **values)
    csp = HEADERS['Content-Security-Policy'] + (
        "; script-src 'nonce-%s'" % nonce)
    return render_page(request, pool, user, title, content, status=status,
        lang=lang, active='quotes',
        headers={'Content-Security-Policy': csp})


@portal_route('/quotes/<sale_id>/sign')
def sign_form(request, pool, sale_id):
    "The signing form of a quote of the customer."
    user, sale = _customer_quote(request, pool, sale_id)
    if pool.get('esign.signature').of_document(sale):
        return redirect(portal_url('quotes/%d' % sale.id), code=303)
    return sign_page(request, pool, user, sale)


def _posted_image(request):
    """Return the signature of the form: the uploaded file's bytes (at most
    MAX_BYTES + 1 read) when one was chosen, else the drawn data URL."""
    upload = request.files.get('signature_file')
    if upload is not None and upload.filename:
        upload.stream.seek(0)  # read again when the transaction restarts
        return upload.stream.read(MAX_BYTES + 1)
    return request.form.get('signature', '')


def _sign(request, pool, sale_id):
    "Sign the quote in the route's transaction; return the Response."
    user, sale = _customer_quote(request, pool, sale_id)
    check_csrf(request, session_key(request))
    Signature = pool.get('esign.signature')
    form = request.form
    lang = language(request, user)
    try:
        with Transaction().set_context(language=lang):
            Signature.sign_quote(sale, user.party,
                form.get('full_name', ''), _posted_image(request),
                form.get('accept_terms') == '1', form.get('shown_hash', ''),
                ip=request.remote_addr,
                user_agent=request.headers.get('User-Agent'),
                email=user.email, company=user.company)
    except SignatureError as exception:
        Transaction().rollback()  # the records' caches go with it
        user, sale = user.__class__(user.id), sale.__class__(sale.id)
        if exception.reason == 'signed':  # signed meanwhile: same result
            return redirect(_done_url(sale), code=303)
        if exception.reason == 'other':
            raise NotFound()
        status = 409 if exception.reason in {'changed', 'state'} else 422
        return sign_page(request, pool, user, sale, status=status,
            error=exception.message, form=form)
    return redirect(_done_url(sale), code=303)


_sign_transaction = with_transaction(readonly=False)(_sign)


@with_pool
def _sign_until_free(request, pool, sale_id):
    """Sign in a transaction (_sign), starting again while another
    signature holds the journal's lock, up to BUSY_SECONDS; then 503."""
    deadline = time.monotonic() + BUSY_SECONDS
    attempt = 0
    while True:
        try:
            return _sign_transaction(request, pool, sale_id=sale_id)
        except backend.DatabaseOperationalError:
            attempt += 1
            if time.monotonic() > deadline:
                return Response(BUSY_BODY, status=503,
                    headers=dict(HEADERS, **{'Retry-After': '5'}),
                    content_type='text/html; charset=utf-8')
            time.sleep(min(0.2 * attempt, 1.5) * random.uniform(0.5, 1.5))


@app.route('/<database_name>/portal/quotes/<sale_id>/sign',
    methods={'POST'})
def sign(request, database_name, sale_id):
    "POST of the signing form (see _sign_until_free)."
    try:
        return _sign_until_free(request, database_name, sale_id=sale_id)
    except NotFound:
        return not_found(request)
    except Forbidden:
        return forbidden(request)


sign.max_request_size = MAX_REQUEST


@portal_route('/quotes/<sale_id>/signed.pdf')
def signed_pdf(request, pool, sale_id):
    "The signed PDF of a quote of the customer."
    user, sale = _customer_quote(request, pool, sale_id)
    signature = pool.get('esign.signature').of_document(sale)
    if signature is None:
        raise NotFound()
    name = 'devis-%s-signe.pdf' % ''.join(c if c.isalnum() or c in '-_'
        else '_' for c in (sale.number or str(sale.id)))
    response = send_file(io.BytesIO(bytes(signature.signed_pdf)),
        request.environ, mimetype='application/pdf', as_attachment=True,
        download_name=name, max_age=0, etag=False, conditional=False)
    response.headers.update(FILE_HEADERS)
    return response


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    @classmethod
    def portal_sign_form(cls, sale, web_user):
        """Return the signature section of the portal's quote page of
        `sale` for `web_user`: a dict with 'id', 'title' and 'content' (a
        Genshi stream): who signed and the signed PDF, or a link to the
        signing form, or why it cannot be signed (expired, no PDF); None
        when there is nothing to say (a quote approved at the counter)."""
        Signature = Pool().get('esign.signature')
        request = current_request()
        lang = language(request, web_user) if request else texts.DEFAULT
        with Transaction().set_context(language=lang):
            state = cls.esign_state(sale, party=web_user.party,
                company=web_user.company)
        if not (state['signed'] or state['signable']
                or state['reason'] in {'expired', 'render'}):
            return None
        words = texts_of(lang)
        signed = None
        if state['signed']:
            signed = _signed_text(Signature(state['signature']), web_user,
                lang)
        content = render_fragment('esign/templates/section.html',
            t=words, signed=signed, signable=state['signable'],
            message=None if state['signed'] else state['message'],
            sign_url=portal_url('quotes/%d/sign' % sale.id),
            signed_url=portal_url('quotes/%d/signed.pdf' % sale.id))
        return {'id': 'sign', 'title': words['section_title'],
            'content': content}


class Order(metaclass=PoolMeta):
    __name__ = 'service.order'

    def get_portal_sections(self, language='fr'):
        """Add "Quote signature" when the job's quote was signed online:
        who, when (the shop's timezone) and the quote's SHA-256."""
        sections = super().get_portal_sections(language)
        Signature = Pool().get('esign.signature')
        signature = Signature.of_document(self.sale) if self.sale else None
        if signature is None:
            return sections
        tz = getattr(self.company, 'timezone', None)
        with Transaction().set_context(language=language):
            sections.append((gettext('esign.msg_portal_job_title'), [
                        (gettext('esign.msg_portal_job_signer'),
                            signature.signer_name),
                        (gettext('esign.msg_portal_job_date'),
                            texts.format_date(signature.signed_at, language,
                                tz)),
                        (gettext('esign.msg_portal_fingerprint'),
                            signature.document_hash),
                        ]))
        return sections


class Signature(metaclass=PoolMeta):
    __name__ = 'esign.signature'

    @classmethod
    def _attachment_values(cls, sale, order, values):
        "The signed PDF on the job is shared with the customer."
        values = super()._attachment_values(sale, order, values)
        values['portal_shared'] = True
        return values
