"""Shop-floor weighing page: /<database>/shopfloor/weigh.

A small server-rendered page (no JavaScript), in the style of
coating_batch's scan page:

- GET without code: one field for the box label (a scanner types the code
  of the QR label; a phone camera gives a URL whose `code` parameter is
  read; or type it);
- GET ?code=BOX-00012: the box (powder, format, tare, state) and a field
  for the gross weight, typed or read from a scale that types like a
  keyboard (a comma or a point for decimals);
- POST code + gross: the weighing is recorded (powder.weighing.record)
  and the page shows the result: net weight, theoretical figure, gap in kg
  and %, the powder's new reliability score; a refused weighing shows the
  reason (422), with nothing recorded.

The theoretical figure is shown only after the weighing, so that it
cannot bias the reading.

Access: Tryton's own sign-in of the request (`request.user_id`: HTTP basic
authentication with a res.user login and password through
`security.login`, with its rate limit on failed attempts, or a Tryton
session header); the box is looked up among the user's shops only, with the
user's access rules on: another shop's box is not found (404). A POST whose
Origin (or Referer) names another site is refused (403): the browser would
send the basic credentials along with a forged form.

Every failure of the database or module (unknown database, powder_stock
not activated) answers 404, not 500.
"""
import re
from urllib.parse import parse_qs, urlparse

from genshi.template import MarkupTemplate
from werkzeug.exceptions import NotFound

from trytond.exceptions import UserError
from trytond.modules.service_order.routes import HEADERS
from trytond.protocols.wrappers import Response, with_pool
from trytond.tools import file_open
from trytond.transaction import Transaction, TransactionError
from trytond.wsgi import app

_CODE = re.compile(r'^[\w./ -]{1,64}$')
_NUMBER = re.compile(r'^[+-]?\d{1,6}([.,]\d{1,4})?$')
_template = None

NOT_FOUND_BODY = (
    '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<title>Page introuvable</title></head>'
    '<body style="font-family:sans-serif;margin:2em;color:#1a1a1a">'
    '<h1>Page introuvable</h1>'
    '<p>Cette page n\'existe pas sur ce serveur.</p></body></html>\n'
    ).encode('utf-8')


def _get_template():
    global _template
    if _template is None:
        with file_open('powder_stock/weigh.html', mode='rb') as fp:
            _template = MarkupTemplate(fp, filename='weigh.html')
    return _template


def not_found():
    "Return the 404 page of a database or module that is not there."
    return Response(NOT_FOUND_BODY, status=404, headers=HEADERS,
        content_type='text/html; charset=utf-8')


def unauthorized():
    headers = dict(HEADERS)
    headers['WWW-Authenticate'] = 'Basic realm="Atelier", charset="UTF-8"'
    return Response(
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        '<title>Connexion requise</title></head><body>'
        '<h1>Connexion requise</h1><p>Identifiez-vous avec votre compte '
        'Tryton.</p></body></html>\n', status=401, headers=headers,
        content_type='text/html; charset=utf-8')


def forbidden():
    return Response(
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        '<title>Refusé</title></head><body><h1>Refusé</h1><p>Ce formulaire '
        'ne vient pas de cette page.</p></body></html>\n', status=403,
        headers=HEADERS, content_type='text/html; charset=utf-8')


def clean_code(value):
    """Return the box label code in `value`: the text typed or scanned,
    stripped; from a scanned URL, its `code` parameter. None if it cannot
    be a code."""
    value = (value or '').strip()
    if '://' in value:
        value = (parse_qs(urlparse(value).query).get('code') or [''])[0]
        value = value.strip()
    if not _CODE.match(value):
        return None
    return value


def parse_weight(value):
    """Return the weight typed in kg as a float ('12,5', '12.5', ' 12 ';
    at most 4 decimals), or None when it is not a number."""
    value = (value or '').strip().replace('\u202f', '').replace(' ', '')
    if not _NUMBER.match(value):
        return None
    return float(value.replace(',', '.'))


def same_origin(request):
    """Return whether a POST comes from this site: its Origin header, else
    its Referer, names the request's host; a request with neither (not a
    browser) passes."""
    source = request.headers.get('Origin') or request.headers.get('Referer')
    if not source or source == 'null':
        return not source
    return urlparse(source).netloc == request.host


def _not_found_page(func):
    def wrapper(request, *args, **kwargs):
        try:
            return func(request, *args, **kwargs)
        except NotFound:
            return not_found()
    wrapper.__name__ = func.__name__
    return wrapper


def find_box(pool, code, companies):
    """Return the powder.box labelled `code` among `companies` (ids), or
    None."""
    Box = pool.get('powder.box')
    boxes = Box.search([
            ('company', 'in', companies),
            ('code', '=', code),
            ], limit=1)
    return boxes[0] if boxes else None


def fr_kg(value, digits=3):
    "Return `value` in kg the French way: 12,35 (None: —)."
    if value is None:
        return '—'
    text = ('%.*f' % (digits, value)).rstrip('0').rstrip('.')
    if text in {'-0', ''}:
        text = '0'
    return text.replace('.', ',').replace('-', '−')


def box_values(box):
    "Return the context of weigh.html for `box` (nothing theoretical)."
    states = dict(box.fields_get(['state'])['state']['selection'])
    return {
        'code': box.code,
        'shop': box.company.rec_name,
        'powder': box.product.rec_name,
        'capacity': fr_kg(box.capacity),
        'tare': fr_kg(box.tare),
        'state': states.get(box.state, box.state),
        'location': box.location.rec_name if box.location else None,
        'weighable': box.state in {'sealed', 'opened'},
        }


def weighing_values(weighing):
    "Return the result part of weigh.html for `weighing`."
    return {
        'gross': fr_kg(weighing.gross),
        'net': fr_kg(weighing.net),
        'theoretical': fr_kg(weighing.theoretical),
        'gap': ('+' if weighing.gap > 0 else '') + fr_kg(weighing.gap),
        'gap_pct': (('+' if weighing.gap_pct > 0 else '')
            + fr_kg(weighing.gap_pct, 1) + ' %'
            if weighing.gap_pct is not None else '—'),
        'reliability': fr_kg(weighing.reliability_after, 1),
        'corrected': bool(weighing.move),
        }


@app.route('/<database_name>/shopfloor/weigh',
    methods={'GET', 'HEAD', 'POST'})
@_not_found_page
@with_pool
def weigh(request, pool):
    "Render the weighing form, the box matching `code`, or the result."
    try:
        pool.get('powder.box')
    except KeyError:  # powder_stock not activated in this database
        return not_found()
    # Tryton's own sign-in of the request, only now that the database is
    # known to exist and to have the module.
    user_id = request.user_id
    if not user_id:
        return unauthorized()
    posted = request.method == 'POST'
    if posted and not same_origin(request):
        return forbidden()
    extras = {}
    while True:
        try:
            with Transaction().start(pool.database_name, user_id,
                    readonly=not posted, context={'_request': request.context},
                    **extras) as transaction:
                return _render(request, pool, transaction, user_id, posted)
        except TransactionError as exception:
            # the weighing locks its box: start again with the lock taken
            # at the start of the transaction, as Tryton's dispatcher does
            exception.fix(extras)


# Read by trytond's dispatcher instead of request.user_id, which would sign
# in before the route checks the database (503 for an unknown one).
weigh.max_request_size = 64 * 1024


def _render(request, pool, transaction, user_id, posted):
    User = pool.get('res.user')
    Weighing = pool.get('powder.weighing')
    user = User(user_id)
    companies = [c.id for c in user.companies]
    form = request.form if posted else request.args
    raw = form.get('code', '')
    raw_gross = form.get('gross', '')
    code = clean_code(raw)
    searched = bool(raw.strip())
    language = user.language.code if user.language else 'fr'
    box, result, error = None, None, None
    status = 200
    with transaction.set_context(
            company=user.company.id if user.company else None,
            companies=companies, language=language, _check_access=True):
        if code and companies:
            box = find_box(pool, code, companies)
        if searched and not box:
            status = 404
        elif box and posted:
            gross = parse_weight(raw_gross)
            try:
                if gross is None:
                    Weighing.refuse(box, 'gross', gross=raw_gross.strip())
                weighing = Weighing.record(box, gross)
            except UserError as exception:
                transaction.rollback()
                error = exception.message
                status = 422
            else:
                result = weighing_values(weighing)
                box = box.__class__(box.id)
        values = {
            'database': pool.database_name,
            'code': raw.strip()[:64],
            'gross': raw_gross.strip()[:16] if error else '',
            'searched': searched,
            'box': box_values(box) if box else None,
            'box_id': box.id if box else None,
            'result': result,
            'error': error,
            }
        body = _get_template().generate(**values).render(
            'html', doctype='html5', encoding='utf-8')
    return Response(body, status=status, headers=HEADERS,
        content_type='text/html; charset=utf-8')
