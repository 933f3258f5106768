"""Customer notifications sent when an order enters a stage flagged notify.

Entering such a stage records one `service.order.notification` per order in
the same transaction as the stage change, then queues its sending
(`__queue__`): the message leaves only if the stage change commits. Each
attempt records its outcome; failed messages are retried by a cron with
exponential back-off until MAX_ATTEMPTS, then stay visible as failed.
"""
import datetime
import html
import re
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.sendmail import send_message
from trytond.transaction import Transaction, without_check_access
from trytond.url import host

MAX_ATTEMPTS = 8
RETRY_BASE_DELAY = datetime.timedelta(minutes=5)
RETRY_MAX_DELAY = datetime.timedelta(hours=12)
STATES = [
    ('pending', "Pending"),
    ('sent', "Sent"),
    ('failed', "Failed"),
    ('cancelled', "Cancelled"),
    ]
DEFAULT_COLOUR = '#1f4e79'
_COLOUR = re.compile(r'^#[0-9a-fA-F]{6}$')
_PLACEHOLDER = re.compile(r'\{(\w+)\}')


def first_name(party):
    """Return the first word of the party's name (the customer's first name
    as written at the counter), or an empty string. Never more: pages and
    messages seen outside the shop show no other personal data."""
    name = (party.name or '').strip() if party else ''
    return name.split()[0] if name else ''


def retry_delay(attempts):
    """Return the timedelta to wait after `attempts` failed attempts (>= 1):
    5 minutes doubled at each failure, capped at 12 hours."""
    delay = RETRY_BASE_DELAY * (2 ** max(attempts - 1, 0))
    return min(delay, RETRY_MAX_DELAY)


def shop_colour(company):
    "Return the shop's primary colour as #rrggbb, or the default colour."
    colour = getattr(company, 'primary_colour', None) or ''
    return colour if _COLOUR.match(colour) else DEFAULT_COLOUR


def text_colour(background):
    """Return '#ffffff' or '#000000', whichever has the higher WCAG 2
    contrast ratio on `background` (#rrggbb)."""
    def channel(value):
        value /= 255
        return (value / 12.92 if value <= 0.03928
            else ((value + 0.055) / 1.055) ** 2.4)
    r, g, b = (int(background[i:i + 2], 16) for i in (1, 3, 5))
    luminance = (0.2126 * channel(r) + 0.7152 * channel(g)
        + 0.0722 * channel(b))
    white = 1.05 / (luminance + 0.05)
    black = (luminance + 0.05) / 0.05
    return '#ffffff' if white >= black else '#000000'


class _SafeDict(dict):
    "Mapping for str.format_map that leaves unknown placeholders as typed."
    def __missing__(self, key):
        return '{%s}' % key


def render_template(template, values):
    """Return `template` with its {placeholders} replaced by `values`
    (a dict of str). Unknown placeholders are left as typed; a template
    that str.format_map refuses (stray brace, format spec) falls back to
    plain {name} substitution instead of failing the stage change."""
    if not template:
        return ''
    try:
        return template.format_map(_SafeDict(values))
    except (ValueError, AttributeError, IndexError, KeyError, TypeError):
        return _PLACEHOLDER.sub(
            lambda m: values.get(m.group(1), m.group(0)), template)


class Notification(ModelSQL, ModelView):
    "Service Order Notification"
    __name__ = 'service.order.notification'

    company = fields.Many2One(
        'company.company', "Shop", required=True, readonly=True)
    order = fields.Many2One(
        'service.order', "Order", required=True, readonly=True,
        ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))])
    stage = fields.Many2One(
        'service.order.stage', "Stage", readonly=True, ondelete='SET NULL')
    channel = fields.Selection([
            ('email', "Email"),
            ], "Channel", required=True, readonly=True)
    recipient = fields.Char("Recipient", readonly=True)
    subject = fields.Char("Subject", readonly=True)
    body = fields.Text("Body", readonly=True)
    body_html = fields.Text("HTML Body", readonly=True)
    state = fields.Selection(STATES, "State", required=True, readonly=True,
        sort=False)
    attempts = fields.Integer("Attempts", required=True, readonly=True)
    next_attempt_at = fields.DateTime("Next Attempt At", readonly=True)
    last_error = fields.Text("Last Error", readonly=True)
    sent_at = fields.DateTime("Sent At", readonly=True)
    message_id = fields.Char("Message-ID", readonly=True)
    key = fields.Char("Idempotency Key", required=True, readonly=True,
        help="One message per order, stage change and channel.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_constraints += [
            ('key_unique', Unique(t, t.key),
                'service_order.msg_notification_key_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality()),
                    (t.next_attempt_at, Index.Range())),
                })
        cls.__access__.add('order')
        cls._buttons.update({
                'retry': {
                    'invisible': ~Eval('state').in_(['failed', 'cancelled']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_channel(cls):
        return 'email'

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_attempts(cls):
        return 0

    @classmethod
    def _placeholders(cls, order, stage):
        """Return the dict of placeholder → str for `order` entering
        `stage`; {customer} is the first name only."""
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get(order.party.lang.code if order.party.lang else None)
        amount_due = order.amount_due or 0
        return {
            'number': order.number or '',
            'shop': order.company.rec_name,
            'customer': first_name(order.party),
            'stage': stage.name or '',
            'tracking_url': order.tracking_url or '',
            'promised_date': (lang.strftime(order.promised_date)
                if order.promised_date else '-'),
            'amount_due': lang.currency(amount_due, order.currency),
            }

    @classmethod
    def _html(cls, order, body, tracking_url):
        """Return the HTML alternative of `body` (plain text, escaped here)
        in the shop's colour, with a button to `tracking_url`."""
        colour = shop_colour(order.company)
        fg = text_colour(colour)
        shop = html.escape(order.company.rec_name)
        paragraphs = ''.join(
            '<p style="margin:0 0 1em">%s</p>' % html.escape(p).replace(
                '\n', '<br>')
            for p in body.split('\n\n') if p.strip())
        button = ''
        if tracking_url:
            button = ('<p><a href="%s" style="display:inline-block;'
                'padding:.6em 1.2em;background:%s;color:%s;'
                'text-decoration:none;border-radius:4px">'
                'Suivre ma commande</a></p>') % (
                html.escape(tracking_url, quote=True), colour, fg)
        return ('<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
            '<title>%(shop)s</title></head>'
            '<body style="margin:0;font-family:Arial,sans-serif;'
            'color:#1a1a1a;background:#ffffff">'
            '<div style="background:%(colour)s;color:%(fg)s;padding:1em">'
            '<strong style="font-size:1.2em">%(shop)s</strong></div>'
            '<div style="padding:1em;max-width:36em">%(body)s%(button)s</div>'
            '</body></html>') % {
            'shop': shop, 'colour': colour, 'fg': fg,
            'body': paragraphs, 'button': button,
            }

    @classmethod
    def _key(cls, order, stage, channel):
        """Return the idempotency key of the message of `order` entering
        `stage`: it names the stage history row, so one stage change gives
        at most one message per channel."""
        History = Pool().get('service.order.stage.history')
        entries = History.search([
                ('order', '=', order.id), ('to_stage', '=', stage.id),
                ], order=[('id', 'DESC')], limit=1)
        entry = entries[0].id if entries else 0
        return '%s:%s:%s:%s' % (order.id, stage.id, entry, channel)

    @classmethod
    def create_for_stage_changes(cls, changes):
        """Record the email of each (order, from, to) change whose `to`
        stage notifies; return the notifications created.

        The template is the stage's, read in the customer's language. A
        customer without email gets a cancelled notification that says
        why, so that staff see the message was not sent.
        """
        Stage = Pool().get('service.order.stage')
        vlist = []
        for order, _, to in changes:
            if not to.notify:
                continue
            language = order.party.lang.code if order.party.lang else None
            with Transaction().set_context(language=language):
                stage = Stage(to.id)
                values = cls._placeholders(order, stage)
                subject = render_template(stage.email_subject, values)
                body = render_template(stage.email_body, values)
            subject = ' '.join((subject or stage.name or '').split())
            recipient = order.party.email
            vlist.append({
                    'company': order.company.id,
                    'order': order.id,
                    'stage': stage.id,
                    'channel': 'email',
                    'recipient': recipient,
                    'subject': subject,
                    'body': body,
                    'body_html': cls._html(
                        order, body, values['tracking_url']),
                    'state': 'pending' if recipient else 'cancelled',
                    'last_error': (None if recipient else gettext(
                            'service_order.msg_notification_no_email',
                            party=first_name(order.party))),
                    'key': cls._key(order, stage, 'email'),
                    })
        with without_check_access():
            return cls.create(vlist)

    def get_message(self):
        """Return the EmailMessage of this notification: text body with an
        HTML alternative, From the `[email] from` configuration with the
        shop's name, and the Message-ID recorded on the notification."""
        msg = EmailMessage()
        from_ = config.get('email', 'from')
        msg['From'] = formataddr((self.company.rec_name, from_))
        msg['To'] = self.recipient
        msg['Subject'] = self.subject
        msg['Message-ID'] = self.message_id
        msg['Auto-Submitted'] = 'auto-generated'
        msg.set_content(self.body or '')
        if self.body_html:
            msg.add_alternative(self.body_html, subtype='html')
        return msg

    @classmethod
    def send(cls, notifications):
        """Send the pending or failed `notifications` through the SMTP
        server of the `[email] uri` configuration, one by one.

        Called from the queue after the stage change commits, by the
        retry cron and by the Retry button. Each outcome is saved: sent
        sets sent_at; an error increments attempts, stores last_error and
        schedules next_attempt_at (see retry_delay) until MAX_ATTEMPTS.
        Never raises for a send error.
        """
        now = datetime.datetime.now
        for notification in cls.browse(notifications):
            if notification.state not in {'pending', 'failed'}:
                continue
            if not notification.recipient:
                notification.recipient = notification.order.party.email
                if not notification.recipient:
                    notification.state = 'cancelled'
                    notification.last_error = gettext(
                        'service_order.msg_notification_no_email',
                        party=first_name(notification.order.party))
                    notification._save()
                    continue
            if not notification.message_id:
                notification.message_id = make_msgid(domain=host())
            notification.attempts = (notification.attempts or 0) + 1
            try:
                send_message(notification.get_message(), strict=True)
            except Exception as exception:
                notification.state = 'failed'
                notification.last_error = (
                    '%s: %s' % (type(exception).__name__, exception))[:1000]
                notification.next_attempt_at = (
                    now() + retry_delay(notification.attempts)
                    if notification.attempts < MAX_ATTEMPTS else None)
            else:
                notification.state = 'sent'
                notification.sent_at = now()
                notification.next_attempt_at = None
                notification.last_error = None
            notification._save()

    def _save(self):
        "Save without access check: only send and the buttons write."
        with without_check_access():
            self.save()

    @classmethod
    def retry_failed(cls):
        """Cron: send again the pending and failed notifications whose
        next attempt is due and that have fewer than MAX_ATTEMPTS."""
        now = datetime.datetime.now()
        notifications = cls.search([
                ('state', 'in', ['pending', 'failed']),
                ('attempts', '<', MAX_ATTEMPTS),
                ['OR',
                    ('next_attempt_at', '=', None),
                    ('next_attempt_at', '<=', now),
                    ],
                ], order=[('next_attempt_at', 'ASC NULLS FIRST')])
        cls.send(notifications)

    @classmethod
    @ModelView.button
    def retry(cls, notifications):
        """Send failed or cancelled notifications again now, whatever
        their attempts (staff decided); a cancelled one is sent if the
        customer now has an email."""
        to_send = [n for n in notifications
            if n.state in {'failed', 'cancelled'}]
        with without_check_access():
            cls.write(to_send, {
                    'state': 'pending', 'next_attempt_at': None})
        cls.__queue__.send(to_send)


class Order(metaclass=PoolMeta):
    __name__ = 'service.order'

    notifications = fields.One2Many(
        'service.order.notification', 'order', "Notifications",
        readonly=True)

    @classmethod
    def copy(cls, orders, default=None):
        default = default.copy() if default else {}
        default.setdefault('notifications', None)
        return super().copy(orders, default=default)

    @classmethod
    def _stage_changed(cls, changes):
        "Record and queue the customer emails of the stages entered."
        super()._stage_changed(changes)
        Notification = Pool().get('service.order.notification')
        notifications = Notification.create_for_stage_changes(changes)
        to_send = [n for n in notifications if n.state == 'pending']
        if to_send:
            Notification.__queue__.send(to_send)


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('service.order.notification|retry_failed',
                "Retry Failed Customer Notifications"))
