"""Shop-floor scan page: GET /<database>/shopfloor/scan?code=<number>.

A small server-rendered page (no JavaScript) with one text field: a QR
label read by a scanner (which types the code) or by a phone camera, or a
number typed by hand, opens the job: its number, the customer's first
name, its stage, powder, parts, batch and the stages it may move to next.

Access: Tryton's own sign-in of the request (`request.user_id`: HTTP basic
authentication with a res.user login and password through
`security.login` → `User.get_login`, with its rate limit on failed
attempts, or a Tryton session header); the job or part is looked up among the user's shops only, with
the user's access rules on. The full offline tablet mode comes later.

Every failure of the database or module (unknown database, coating_batch
not activated) answers 404, not 500.
"""
import re
from urllib.parse import parse_qs, urlparse

from genshi.template import MarkupTemplate
from werkzeug.exceptions import NotFound

from trytond.modules.service_order.notification import first_name
from trytond.modules.service_order.routes import HEADERS, not_found
from trytond.protocols.wrappers import Response, with_pool
from trytond.tools import file_open
from trytond.transaction import Transaction
from trytond.wsgi import app

_CODE = re.compile(r'^[\w./ -]{1,64}$')
_template = None


def _get_template():
    global _template
    if _template is None:
        with file_open('coating_batch/scan.html', mode='rb') as fp:
            _template = MarkupTemplate(fp, filename='scan.html')
    return _template


def clean_code(value):
    """Return the job or part number in `value`: the text typed or scanned,
    stripped; from a scanned URL, its `code` parameter. None if it cannot
    be a number."""
    value = (value or '').strip()
    if '://' in value:
        value = (parse_qs(urlparse(value).query).get('code') or [''])[0]
        value = value.strip()
    if not _CODE.match(value):
        return None
    return value


def unauthorized():
    headers = dict(HEADERS)
    headers['WWW-Authenticate'] = 'Basic realm="Atelier", charset="UTF-8"'
    return Response(
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        '<title>Connexion requise</title></head><body>'
        '<h1>Connexion requise</h1><p>Identifiez-vous avec votre compte '
        'Tryton.</p></body></html>\n', status=401, headers=headers,
        content_type='text/html; charset=utf-8')


def _not_found_page(func):
    def wrapper(request, *args, **kwargs):
        try:
            return func(request, *args, **kwargs)
        except NotFound:
            return not_found()
    wrapper.__name__ = func.__name__
    return wrapper


def find_job(pool, code, companies):
    """Return the service.order numbered `code`, or owning the coating part
    numbered `code`, among `companies` (ids), or None."""
    Order = pool.get('service.order')
    Part = pool.get('coating.part')
    orders = Order.search([
            ('company', 'in', companies),
            ('number', '=', code),
            ], limit=1)
    if orders:
        return orders[0]
    parts = Part.search([
            ('order.company', 'in', companies),
            ('number', '=', code),
            ], limit=1)
    if parts:
        return parts[0].order
    return None


def job_values(job):
    "Return the context of scan.html for `job` (no personal data beyond the first name)."
    batches = [b for b in job.coating_batches if b.state != 'cancelled']
    return {
        'id': job.id,
        'number': job.number,
        'shop': job.company.rec_name,
        'customer': first_name(job.party),
        'stage': job.stage.name,
        'powder': job.powder.rec_name if job.powder else None,
        'coats': job.coats,
        'cure': ("%s °C, %s min" % (job.cure_temperature, job.cure_minutes)
            if job.cure_temperature else None),
        'batch': batches[-1].number if batches else None,
        'promised_date': (job.promised_date.strftime('%d/%m/%Y')
            if job.promised_date else None),
        'parts': [{
                'number': p.number, 'description': p.description,
                'quantity': p.quantity,
                } for p in job.coating_parts],
        'next_stages': [s.name for s in job.stage.next_stages],
        }


@app.route('/<database_name>/shopfloor/scan', methods={'GET', 'HEAD'})
@_not_found_page
@with_pool
def scan(request, pool):
    "Render the scan form and the job matching `code`."
    try:
        pool.get('coating.batch')
    except KeyError:  # coating_batch not activated in this database
        return not_found()
    # Tryton's own sign-in of the request (security.login for basic
    # authentication, with its rate limit; or a session header), only now
    # that the database is known to exist and to have the module.
    user_id = request.user_id
    if not user_id:
        return unauthorized()
    with Transaction().start(pool.database_name, user_id, readonly=True,
            context={'_request': request.context}) as transaction:
        return _render(request, pool, transaction, user_id)


# Read by trytond's dispatcher instead of request.user_id, which would sign
# in before the route checks the database (503 for an unknown one).
scan.max_request_size = 64 * 1024


def _render(request, pool, transaction, user_id):
    User = pool.get('res.user')
    user = User(user_id)
    companies = [c.id for c in user.companies]
    raw = request.args.get('code', '')
    code = clean_code(raw)
    job, searched = None, bool(raw.strip())
    with transaction.set_context(
            company=user.company.id if user.company else None,
            companies=companies, _check_access=True):
        if code and companies:
            job = find_job(pool, code, companies)
        values = {
            'database': pool.database_name,
            'code': raw.strip()[:64],
            'searched': searched,
            'job': job_values(job) if job else None,
            }
        body = _get_template().generate(**values).render(
            'html', doctype='html5', encoding='utf-8')
    return Response(body, status=200 if job or not searched else 404,
        headers=HEADERS, content_type='text/html; charset=utf-8')
