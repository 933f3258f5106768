"""The customer's pages of the portal (sign-in required).

GET  /<db>/portal/                      home: open jobs, quotes to sign,
                                        amounts due, recent messages and
                                        documents
GET  /<db>/portal/jobs[?page=N]         the customer's jobs (all trades)
GET  /<db>/portal/jobs/<id>             a job: stage, timeline, trade
                                        sections, photos, documents,
                                        messages
POST /<db>/portal/jobs/<id>/messages    post a message to the job's thread
POST /<db>/portal/jobs/<id>/documents   upload a file (shop setting)
GET  /<db>/portal/quotes                the quotes
GET  /<db>/portal/quotes/<id>           a quote (QuotePage: esign's hook)
GET  /<db>/portal/quotes/<id>/pdf       its PDF (sale report)
GET  /<db>/portal/invoices              the invoices
GET  /<db>/portal/invoices/<id>         an invoice, pay button, payments
GET  /<db>/portal/invoices/<id>/pdf     its PDF (invoice report)
GET  /<db>/portal/documents             every shared document
GET  /<db>/portal/messages              the jobs' threads
GET  /<db>/portal/profile               contact data, preferences, language
POST /<db>/portal/profile               save them
GET  /<db>/portal/profile/export        download my data (JSON)

Ids of other customers or shops, malformed ids and unknown ones answer
the same 404 page (see access.py).
"""
import datetime
import json

from werkzeug.exceptions import NotFound
from werkzeug.utils import redirect

from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.tools.email_ import EmailNotValidError, validate_email
from trytond.transaction import Transaction

from . import access, texts
from .exceptions import UploadError
from .export import export_party
from .files import file_url, report_response
from .routing import current_request, portal_route  # noqa: F401
from .session import (
    CSRF_FIELD, HEADERS, check_csrf, csrf_token, database_name, language, portal_url,
    render_fragment, render_page, require_user, session_key)
from .upload import ACCEPT, check_upload
from .company import MAX_UPLOAD_MB

JOBS_PER_PAGE = 20
MAX_MESSAGE = 5000


def page_context(request, user, lang=None):
    """Return the values every portal fragment gets: `_` (translator),
    `url` (portal_url), `csrf_field`, `csrf` (the session's token), `lang`.
    Modules rendering their own fragments (esign) use it too."""
    lang = lang or language(request, user)
    session = session_key(request)
    return {
        '_': texts.translator(lang), 'url': portal_url, 'lang': lang,
        'csrf_field': CSRF_FIELD,
        'csrf': csrf_token(session) if session else None,
        }


def _page(request, pool, user, title, template, active=None, status=200,
        **values):
    lang = language(request, user)
    content = render_fragment(template,
        **dict(page_context(request, user, lang), **values))
    return render_page(request, pool, user, title, content, status=status,
        lang=lang, active=active)


class Formatter:
    "Dates and amounts of one customer: language and the shop's timezone."

    def __init__(self, user, lang):
        self.lang = lang
        self.tz = getattr(user.company, 'timezone', None)
        self._ = texts.translator(lang)

    def date(self, value):
        return texts.format_date(value, self.lang, self.tz)

    def amount(self, value, currency):
        return texts.format_amount(value, currency, self.lang)

    def size(self, value):
        return texts.format_size(value, self.lang)


def _kind(order, _):
    Order = Pool().get('service.order')
    label = dict(Order.kind.selection).get(order.kind, order.kind or '')
    return _(label)


def _summary(order, _):
    text = (order.description or '').strip().splitlines()
    text = text[0] if text else ''
    if len(text) > 80:
        text = text[:79] + '…'
    return text or _kind(order, _)


def job_item(order, fmt):
    "The dict of a job in lists."
    return {
        'url': portal_url('jobs/%d' % order.id),
        'number': order.number,
        'stage': order.stage.name,
        'summary': _summary(order, fmt._),
        'intake': fmt.date(order.intake_date.date()
            if order.intake_date else None),
        'promised': fmt.date(order.promised_date)
        if order.promised_date else None,
        }


def _quote_number(sale):
    return sale.number or sale.reference or str(sale.id)


def _message_item(message, user, fmt):
    mine = bool(message.email and message.email.lower() == user.email)
    return {
        'author': fmt._('You') if mine else (
            message.author or user.company.rec_name),
        'date': fmt.date(message.create_date),
        'iso': message.create_date.isoformat(timespec='minutes') + 'Z',
        'content': message.content,
        'staff': not mine,
        }


def _attachment_item(user, attachment, fmt):
    order = attachment.resource
    return {
        'url': file_url(user, attachment),
        'name': attachment.name,
        'job': order.number,
        'job_url': portal_url('jobs/%d' % order.id),
        'size': fmt.size(attachment.data_size),
        'date': fmt.date(attachment.create_date),
        }


def pay_link(pool, invoice):
    """Return the relative pay link (/<db>/pay/<token>) of `invoice` when
    payment_gateway is activated, the shop has a gateway and something is
    due; else None (pay at the shop)."""
    try:
        pool.get('payment.gateway')
    except KeyError:
        return None
    if (invoice.state == 'posted' and invoice.amount_to_pay > 0
            and getattr(invoice, 'pay_token', None)
            and getattr(invoice, 'has_gateway', False)):
        return '/%s/pay/%s' % (database_name(), invoice.pay_token)
    return None


@portal_route('/')
def home(request, pool):
    "The home page of the signed-in customer."
    user = require_user(request, pool)
    fmt = Formatter(user, language(request, user))
    _ = fmt._
    dues = []
    for invoice in access.invoices(user, due_only=True)[:10]:
        dues.append({
                'url': portal_url('invoices/%d' % invoice.id),
                'number': invoice.number,
                'amount_due': fmt.amount(
                    invoice.amount_to_pay, invoice.currency),
                'pay_url': pay_link(pool, invoice),
                })
    messages = []
    for message in reversed(access.messages(user, limit=5)):
        order = message.channel.resource
        content = message.content or ''
        messages.append({
                'url': portal_url('jobs/%d#messages' % order.id),
                'job': order.number,
                'author': _message_item(message, user, fmt)['author'],
                'date': fmt.date(message.create_date),
                'excerpt': content[:140] + ('…' if len(content) > 140 else ''),
                })
    return _page(request, pool, user, _('My customer area'), 'home.html',
        active='home',
        greeting=_('Hello %(name)s,', name=texts.first_name(user.party)),
        jobs=[job_item(o, fmt)
            for o in access.orders(user, open_only=True, limit=10)],
        quotes=[{
                'url': portal_url('quotes/%d' % s.id),
                'number': _quote_number(s),
                'amount': fmt.amount(s.total_amount, s.currency),
                'date': fmt.date(s.quotation_date or s.sale_date),
                } for s in access.quotes(user, waiting_only=True)[:10]],
        dues=dues, messages=messages,
        documents=[_attachment_item(user, a, fmt)
            for a in access.attachments(user, limit=5)])


@portal_route('/jobs')
def jobs(request, pool):
    "The customer's jobs, newest first, JOBS_PER_PAGE per page."
    user = require_user(request, pool)
    fmt = Formatter(user, language(request, user))
    page = access.parse_id(request.args.get('page', '1')) or 1
    page = min(page, 10000)
    found = access.orders(user, limit=JOBS_PER_PAGE + 1,
        offset=(page - 1) * JOBS_PER_PAGE)
    following = (portal_url('jobs?page=%d' % (page + 1))
        if len(found) > JOBS_PER_PAGE else None)
    previous = portal_url('jobs?page=%d' % (page - 1)) if page > 1 else None
    return _page(request, pool, user, fmt._('My jobs'), 'jobs.html',
        active='jobs',
        jobs=[job_item(o, fmt) for o in found[:JOBS_PER_PAGE]],
        previous=previous, following=following)


def job_page(request, pool, user, order, status=200, notice=None,
        error=None):
    "Render the page of job `order` (service.order of the customer)."
    lang = language(request, user)
    fmt = Formatter(user, lang)
    _ = fmt._
    company = user.company
    visible = access.attachments(user, [order])
    photos = [a for a in visible if access.is_image(a)]
    documents = [a for a in visible if not access.is_image(a)]
    amount_due = None
    if order.payment_state in {'not_paid', 'deposit_paid'} and order.amount_due:
        amount_due = fmt.amount(order.amount_due, order.currency)
    quote = None
    if order.sale and order.sale.state in access.QUOTE_STATES:
        quote = {'url': portal_url('quotes/%d' % order.sale.id),
            'number': _quote_number(order.sale)}
    invoices = [{'url': portal_url('invoices/%d' % i.id), 'number': i.number}
        for i in order.invoices if i.state in access.INVOICE_STATES
        and i.party == user.party]
    upload = None
    if company.portal_uploads:
        upload = {'action': portal_url('jobs/%d/documents' % order.id),
            'max_mb': min(company.portal_upload_max_mb or 10, MAX_UPLOAD_MB),
            'accept': ACCEPT}
    return _page(request, pool, user, _('Job %(number)s', number=order.number),
        'job.html', active='jobs', status=status, notice=notice, error=error,
        job={
            'stage': order.stage.name,
            'intake': fmt.date(order.intake_date),
            'promised': fmt.date(order.promised_date)
            if order.promised_date else None,
            'amount_due': amount_due,
            'description': order.description,
            },
        sections=order.get_portal_sections(lang),
        timeline=[{
                'stage': h.to_stage.name,
                'date': fmt.date(h.date),
                'iso': h.date.isoformat(timespec='minutes') + 'Z',
                } for h in order.history],
        photos=[{'url': file_url(user, a), 'name': a.name} for a in photos],
        documents=[_attachment_item(user, a, fmt) for a in documents],
        quote=quote, invoices=invoices, upload=upload,
        messages=[_message_item(m, user, fmt)
            for m in access.messages(user, [order], limit=100)],
        post_action=portal_url('jobs/%d/messages' % order.id),
        max_message=MAX_MESSAGE)


@portal_route('/jobs/<job_id>')
def job(request, pool, job_id):
    "A job of the customer."
    user = require_user(request, pool)
    order = access.order(user, job_id)
    if order is None:
        raise NotFound()
    notice = {
        'sent': texts.N_('Your message was sent to the shop.'),
        'uploaded': texts.N_('Your file was sent to the shop.'),
        'signed': texts.N_('Your quote is signed. Thank you!'),
        }.get(request.args.get('done'))
    _ = texts.translator(language(request, user))
    return job_page(request, pool, user, order,
        notice=_(notice) if notice else None)


@portal_route('/jobs/<job_id>/messages', methods=('POST',))
def job_message(request, pool, job_id):
    """Post the form's `content` to the job's discussion as the customer
    (ir.chat.message, public, authored by the account's email); staff
    following the job are notified as for any message."""
    Channel = pool.get('ir.chat.channel')
    Message = pool.get('ir.chat.message')
    user = require_user(request, pool)
    check_csrf(request, session_key(request))
    order = access.order(user, job_id)
    if order is None:
        raise NotFound()
    _ = texts.translator(language(request, user))
    content = (request.form.get('content') or '').strip()
    if not content:
        return job_page(request, pool, user, order, status=400,
            error=_('Write your message before sending it.'))
    if len(content) > MAX_MESSAGE:
        return job_page(request, pool, user, order, status=400,
            error=_('Your message is too long (%(max)s characters at most).',
                max=MAX_MESSAGE))
    channel = Channel._get_channel(order)
    message = Message(channel=channel, email=user.email, audience='public',
        content=content)
    message.save()
    Channel.dispatch_message(message,
        lambda follower: follower == user.email)
    return redirect(portal_url('jobs/%d?done=sent#messages' % order.id),
        code=303)


def _upload_refused(request, pool, user, order, reason, status):
    _ = texts.translator(language(request, user))
    limit = min(user.company.portal_upload_max_mb or 10, MAX_UPLOAD_MB)
    errors = {
        'size': _('This file is too large: %(size)s MB at most.',
            size=limit),
        'type': _('This type of file is not accepted: send a PDF, JPEG, '
            'PNG or WebP file.'),
        'empty': _('Choose a file to send.'),
        }
    return job_page(request, pool, user, order, status=status,
        error=errors[reason])


def _too_large(request, pool, job_id):
    user = require_user(request, pool)
    order = access.order(user, job_id)
    if order is None:
        raise NotFound()
    return _upload_refused(request, pool, user, order, 'size', 413)


@portal_route('/jobs/<job_id>/documents', methods=('POST',),
    max_size=MAX_UPLOAD_MB * 1024 * 1024 + 64 * 1024, too_large=_too_large)
def job_upload(request, pool, job_id):
    """Store the form's `file` as an attachment of the job, shared with the
    customer, when the shop allows uploads: size within the shop's limit,
    type read from the content (upload.check_upload)."""
    Attachment = pool.get('ir.attachment')
    Audit = pool.get('workshop.audit')
    user = require_user(request, pool)
    check_csrf(request, session_key(request))
    order = access.order(user, job_id)
    if order is None or not user.company.portal_uploads:
        raise NotFound()
    _ = texts.translator(language(request, user))
    upload = request.files.get('file')
    data = upload.read(user.company.portal_upload_limit + 1) if upload else b''
    try:
        name, _mime = check_upload(data, upload.filename if upload else '',
            user.company.portal_upload_limit)
    except UploadError as error:
        status = {'size': 413, 'type': 415}.get(error.reason, 400)
        return _upload_refused(request, pool, user, order, error.reason,
            status)
    attachment, = Attachment.create([{
                'resource': str(order),
                'name': name,
                'type': 'data',
                'data': data,
                'portal_shared': True,
                'portal_uploaded_by': user.id,
                'description': _('Sent by the customer from the portal.'),
                }])
    Audit.log('portal_upload', [order], company=user.company,
        description='%s: %s (%s)' % (user.email, name, len(data)))
    return redirect(portal_url('jobs/%d?done=uploaded#documents' % order.id),
        code=303)


def _quote_status(sale, _):
    return {
        'quotation': _('Waiting for your approval'),
        'confirmed': _('Approved'),
        'processing': _('Approved'),
        'done': _('Done'),
        }.get(sale.state, sale.state)


@portal_route('/quotes')
def quotes(request, pool):
    "The customer's quotes."
    user = require_user(request, pool)
    fmt = Formatter(user, language(request, user))
    return _page(request, pool, user, fmt._('My quotes'), 'quotes.html',
        active='quotes', quotes=[{
                'url': portal_url('quotes/%d' % s.id),
                'number': _quote_number(s),
                'date': fmt.date(s.quotation_date or s.sale_date),
                'status': _quote_status(s, fmt._),
                'amount': fmt.amount(s.total_amount, s.currency),
                } for s in access.quotes(user)[:100]])


class QuotePage:
    """The page of one quote: its details, lines and PDF link, then the
    extra sections.

    Extra sections are dicts {'id': str, 'title': str or None,
    'content': Genshi stream, Markup or str (escaped)}, from:
    - the esign hook: when the module `esign` is activated in the database
      and `sale.sale` has a classmethod `portal_sign_form(sale, web_user)`,
      its result: a dict as above (missing 'id' is 'sign'), or a bare
      stream/Markup, or None for nothing;
    - `QuotePage.extra_sections`: functions(page) returning a dict or None
      that other modules may append.
    `page.request`, `page.pool`, `page.user`, `page.sale`, `page.lang` and
    `page.context` (page_context) are there for them.
    """
    template = 'quote.html'
    extra_sections = []

    def __init__(self, request, pool, user, sale):
        self.request = request
        self.pool = pool
        self.user = user
        self.sale = sale
        self.lang = language(request, user)
        self.fmt = Formatter(user, self.lang)
        self.context = page_context(request, user, self.lang)

    def title(self):
        return self.fmt._('Quote %(number)s', number=_quote_number(self.sale))

    def values(self):
        "The `quote` dict of quote.html."
        sale, fmt = self.sale, self.fmt
        Order = self.pool.get('service.order')
        orders = Order.search([('sale', '=', sale.id),
                ('party', '=', self.user.party.id),
                ('company', '=', self.user.company.id)], limit=1)
        return {
            'status': _quote_status(sale, fmt._),
            'date': fmt.date(sale.quotation_date or sale.sale_date),
            'job': {'url': portal_url('jobs/%d' % orders[0].id),
                'number': orders[0].number} if orders else None,
            'untaxed': fmt.amount(sale.untaxed_amount, sale.currency),
            'tax': fmt.amount(sale.tax_amount, sale.currency),
            'total': fmt.amount(sale.total_amount, sale.currency),
            'lines': [{
                    'description': line.description or (
                        line.product.rec_name if line.product else ''),
                    'quantity': texts.format_quantity(line.quantity,
                        self.lang),
                    'amount': fmt.amount(line.amount, sale.currency),
                    } for line in sale.lines if line.type == 'line'],
            'pdf_url': portal_url('quotes/%d/pdf' % sale.id),
            }

    def esign_section(self):
        "The section of esign's `Sale.portal_sign_form`, or None."
        try:
            self.pool.get('esign.signature')
        except KeyError:
            return None
        Sale = self.pool.get('sale.sale')
        hook = getattr(Sale, 'portal_sign_form', None)
        if hook is None:
            return None
        result = hook(self.sale, self.user)
        if result is None:
            return None
        if isinstance(result, dict):
            section = {'id': 'sign', 'title': None}
            section.update(result)
            return section
        return {'id': 'sign', 'title': None, 'content': result}

    def sections(self):
        "The extra sections (list of dicts), esign's first."
        sections = [self.esign_section()]
        sections += [func(self) for func in self.extra_sections]
        return [s for s in sections if s]

    def notice(self):
        "The confirmation of `?done=signed` (esign's redirect), or None."
        if self.request.args.get('done') == 'signed':
            return self.fmt._('Your quote is signed. Thank you!')
        return None

    def render(self, status=200):
        content = render_fragment(self.template, **dict(self.context,
                quote=self.values(), extra_sections=self.sections(),
                notice=self.notice()))
        return render_page(self.request, self.pool, self.user, self.title(),
            content, status=status, lang=self.lang, active='quotes')


@portal_route('/quotes/<sale_id>')
def quote(request, pool, sale_id):
    "A quote of the customer (QuotePage)."
    user = require_user(request, pool)
    sale = access.quote(user, sale_id)
    if sale is None:
        raise NotFound()
    return QuotePage(request, pool, user, sale).render()


@portal_route('/quotes/<sale_id>/pdf', readonly=False)
def quote_pdf(request, pool, sale_id):
    "The quote's document (the sale report, PDF with invoice_fr)."
    user = require_user(request, pool)
    sale = access.quote(user, sale_id)
    if sale is None:
        raise NotFound()
    return report_response(request, pool, 'sale.sale', sale,
        language(request, user), _quote_number(sale))


@portal_route('/invoices')
def invoices(request, pool):
    "The customer's invoices."
    user = require_user(request, pool)
    fmt = Formatter(user, language(request, user))
    return _page(request, pool, user, fmt._('My invoices'), 'invoices.html',
        active='invoices', invoices=[{
                'url': portal_url('invoices/%d' % i.id),
                'number': i.number,
                'date': fmt.date(i.invoice_date),
                'total': fmt.amount(i.total_amount, i.currency),
                'amount_due': fmt.amount(i.amount_to_pay, i.currency)
                if i.state == 'posted' and i.amount_to_pay > 0 else None,
                } for i in access.invoices(user)[:100]])


def payment_history(invoice, fmt):
    """Return the payments of `invoice` as dicts (date, description,
    amount), oldest first: its payment lines and the lines reconciled with
    it (customer's payments credit the receivable)."""
    lines = set(invoice.payment_lines or []) | set(
        invoice.reconciliation_lines or [])
    result = []
    for line in sorted(lines, key=lambda l: (l.date, l.id)):
        journal = line.move.journal if line.move else None
        result.append({
                'date': fmt.date(line.date),
                'description': journal.rec_name if journal else fmt._(
                    'Payment'),
                'amount': fmt.amount(line.credit - line.debit,
                    invoice.currency),
                })
    return result


@portal_route('/invoices/<invoice_id>')
def invoice(request, pool, invoice_id):
    "An invoice of the customer, its pay button and payments."
    Order = pool.get('service.order')
    user = require_user(request, pool)
    invoice = access.invoice(user, invoice_id)
    if invoice is None:
        raise NotFound()
    fmt = Formatter(user, language(request, user))
    due = invoice.amount_to_pay if invoice.state == 'posted' else 0
    pay_url = pay_link(pool, invoice)
    sales = [s.id for s in (getattr(invoice, 'sales', None) or [])]
    orders = Order.search([('sale', 'in', sales),
            ('party', '=', user.party.id),
            ('company', '=', user.company.id)]) if sales else []
    due_dates = [l.maturity_date for l in (invoice.lines_to_pay or [])
        if l.maturity_date]
    return _page(request, pool, user,
        fmt._('Invoice %(number)s', number=invoice.number), 'invoice.html',
        active='invoices', invoice={
            'date': fmt.date(invoice.invoice_date),
            'due_date': fmt.date(min(due_dates)) if due_dates and due > 0
            else None,
            'untaxed': fmt.amount(invoice.untaxed_amount, invoice.currency),
            'tax': fmt.amount(invoice.tax_amount, invoice.currency),
            'total': fmt.amount(invoice.total_amount, invoice.currency),
            'amount_due': fmt.amount(due, invoice.currency) if due > 0
            else None,
            'pay_url': pay_url,
            'pay_at_shop': due > 0 and not pay_url,
            'pdf_url': portal_url('invoices/%d/pdf' % invoice.id),
            'jobs': [{'url': portal_url('jobs/%d' % o.id),
                    'number': o.number} for o in orders],
            },
        payments=payment_history(invoice, fmt))


@portal_route('/invoices/<invoice_id>/pdf', readonly=False)
def invoice_pdf(request, pool, invoice_id):
    """The invoice's document (the account.invoice report as printed by
    staff; its stored revision once posted)."""
    user = require_user(request, pool)
    invoice = access.invoice(user, invoice_id)
    if invoice is None:
        raise NotFound()
    return report_response(request, pool, 'account.invoice', invoice,
        language(request, user), invoice.number or str(invoice.id))


@portal_route('/documents')
def documents(request, pool):
    "Every document the shop shared on the customer's jobs."
    user = require_user(request, pool)
    fmt = Formatter(user, language(request, user))
    return _page(request, pool, user, fmt._('My documents'),
        'documents.html', active='documents',
        documents=[_attachment_item(user, a, fmt)
            for a in access.attachments(user, limit=100)])


@portal_route('/messages')
def messages(request, pool):
    "The discussion threads of the customer's jobs, latest first."
    user = require_user(request, pool)
    fmt = Formatter(user, language(request, user))
    threads = {}
    for message in access.messages(user, limit=500):
        threads.setdefault(message.channel.resource.id, []).append(message)
    items = []
    for messages_ in sorted(threads.values(), key=lambda m: -m[-1].id):
        last = messages_[-1]
        order = last.channel.resource
        content = last.content or ''
        items.append({
                'url': portal_url('jobs/%d#messages' % order.id),
                'job': order.number,
                'count': fmt._('%(count)s messages', count=len(messages_))
                if len(messages_) > 1 else fmt._('1 message'),
                'author': _message_item(last, user, fmt)['author'],
                'date': fmt.date(last.create_date),
                'excerpt': content[:140] + ('…' if len(content) > 140 else ''),
                })
    return _page(request, pool, user, fmt._('My messages'), 'messages.html',
        active='messages', threads=items[:50])


def _profile_values(user):
    party = user.party
    phone = ''
    for mechanism in party.contact_mechanisms:
        if mechanism.type in {'mobile', 'phone'}:
            phone = mechanism.value
            break
    return {
        'name': party.name,
        'login': user.email,
        'email': party.email or '',
        'phone': phone or '',
        'notify_email': party.notify_by_email,
        'notify_sms': party.notify_by_sms,
        'notify_whatsapp': party.notify_by_whatsapp,
        'lang': texts.party_language(party, user.company) or '',
        }


def profile_page(request, pool, user, status=200, notice=None, error=None):
    _ = texts.translator(language(request, user))
    return _page(request, pool, user, _('My account'), 'profile.html',
        active='profile', status=status, notice=notice, error=error,
        profile=_profile_values(user), languages=texts.LANGUAGE_NAMES)


@portal_route('/profile')
def profile(request, pool):
    "Contact data, notification preferences and language."
    user = require_user(request, pool)
    notice = None
    if request.args.get('done') == 'saved':
        _ = texts.translator(language(request, user))
        notice = _('Your details are saved.')
    return profile_page(request, pool, user, notice=notice)


def _set_contact(party, types, value, new_type):
    "Update the party's first contact mechanism of `types` or add one."
    Mechanism = Pool().get('party.contact_mechanism')
    for mechanism in party.contact_mechanisms:
        if mechanism.type in types:
            if mechanism.value != value:
                mechanism.value = value
                mechanism.on_change_value()
                mechanism.save()
            return
    mechanism = Mechanism(party=party, type=new_type, value=value)
    mechanism.on_change_value()
    mechanism.save()


@portal_route('/profile', methods=('POST',))
def profile_post(request, pool):
    """Save the contact email and phone (an empty field keeps the current
    value; the sign-in email does not change), the notification
    preferences (checkboxes) and the language ('fr' or 'en')."""
    Party = pool.get('party.party')
    Lang = pool.get('ir.lang')
    Mechanism = pool.get('party.contact_mechanism')
    user = require_user(request, pool)
    check_csrf(request, session_key(request))
    _ = texts.translator(language(request, user))
    party = user.party
    email = (request.form.get('email') or '').strip()[:254]
    phone = (request.form.get('phone') or '').strip()[:40]
    if email:
        try:
            validate_email(email)
        except EmailNotValidError:
            return profile_page(request, pool, user, status=400,
                error=_('This email address is not valid.'))
    if phone:
        probe = Mechanism(party=party, type='mobile', value=phone)
        if probe._parse_phonenumber(phone) is None:
            return profile_page(request, pool, user, status=400,
                error=_('This phone number is not valid.'))
    lang = request.form.get('lang')
    values = {
        'notify_by_email': bool(request.form.get('notify_email')),
        'notify_by_sms': bool(request.form.get('notify_sms')),
        'notify_by_whatsapp': bool(request.form.get('notify_whatsapp')),
        }
    if lang in texts.LANGUAGES:
        with Transaction().set_context(active_test=False):
            langs = Lang.search([('code', '=', lang)], limit=1)
        if langs:
            values['lang'] = langs[0].id
    Party.write([party], values)
    if email and email != party.email:
        _set_contact(party, {'email'}, email, 'email')
    if phone:
        _set_contact(party, {'mobile', 'phone'}, phone, 'mobile')
    return redirect(portal_url('profile?done=saved'), code=303)


@portal_route('/<path:rest>', methods=('GET', 'POST'))
def unknown(request, pool, rest):
    "Any other path of the portal: the same 404 page."
    raise NotFound()


@portal_route('/profile/export', readonly=False)
def profile_export(request, pool):
    """Download my data: a JSON file of everything the shop holds about the
    customer (export.export_party), audited."""
    Audit = pool.get('workshop.audit')
    user = require_user(request, pool)
    data = export_party(user)
    Audit.log('portal_export', [user.party], company=user.company,
        description=user.email)
    body = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True,
        default=str).encode('utf-8')
    filename = 'mes-donnees-%s.json' % datetime.date.today().isoformat()
    headers = dict(HEADERS)
    headers['Content-Disposition'] = 'attachment; filename="%s"' % filename
    return Response(body, status=200, headers=headers,
        content_type='application/json; charset=utf-8')
