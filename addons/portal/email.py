"""The portal's emails (invitation, sign-in link, password reset), recorded
and sent after commit like the service order notifications.

Each email is a `portal.email` row written in the transaction that issues
its token, then queued (`__queue__.send`): it leaves only if that
transaction commits; every attempt records its outcome, failures are
retried by a cron with the notifications' back-off until MAX_ATTEMPTS or
until the link expires. The body is stored with a `{link}` placeholder:
the link itself (the one-time secret) is kept in `link` only until the
email is sent or given up, then erased, so the table never holds a usable
secret afterwards.
"""
import datetime
import html
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

import trytond.config as config
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval
from trytond.sendmail import send_message
from trytond.transaction import Transaction, without_check_access
from trytond.url import host, http_host

from trytond.modules.service_order.notification import (
    MAX_ATTEMPTS, STATES, first_name, retry_delay, shop_colour, text_colour)

from . import texts
from .token import PURPOSES, timeout

PATHS = {
    'login': 'link/%s',
    'invite': 'password/%s',
    'reset': 'password/%s',
    }


def link_url(database, purpose, raw):
    "Return the absolute URL of the emailed link of token `raw`."
    return '%s/%s/portal/%s' % (http_host().rstrip('/'), database,
        PATHS[purpose] % raw)


class Email(ModelSQL, ModelView):
    "Portal Email"
    __name__ = 'portal.email'

    company = fields.Many2One(
        'company.company', "Shop", required=True, readonly=True,
        ondelete='CASCADE')
    user = fields.Many2One(
        'web.user', "Account", required=True, readonly=True,
        ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))])
    kind = fields.Selection(PURPOSES, "Kind", required=True, readonly=True)
    recipient = fields.Char("Recipient", readonly=True)
    language = fields.Char("Language", readonly=True)
    subject = fields.Char("Subject", readonly=True)
    body = fields.Text("Body", readonly=True,
        help="The text sent, the link shown as {link}.")
    link = fields.Char("Link", readonly=True, strip=False)
    link_expires_at = fields.DateTime("Link Expires At", readonly=True)
    state = fields.Selection(STATES, "State", required=True, readonly=True,
        sort=False)
    attempts = fields.Integer("Attempts", required=True, readonly=True)
    next_attempt_at = fields.DateTime("Next Attempt At", readonly=True)
    last_error = fields.Text("Last Error", readonly=True)
    sent_at = fields.DateTime("Sent At", readonly=True)
    message_id = fields.Char("Message-ID", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality()),
                    (t.next_attempt_at, Index.Range())),
                })

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_attempts(cls):
        return 0

    @classmethod
    def create_for_token(cls, user, token, raw):
        """Record (not send) the email of `token` (portal.token, raw value
        `raw`) to `user` (web.user), in the language of the account's
        party (French by default); return the portal.email."""
        party = user.party
        lang = texts.party_language(party, user.company) or texts.DEFAULT
        _ = texts.translator(lang)
        lifetime = timeout(token.purpose)
        values = {
            'shop': user.company.rec_name,
            'customer': first_name(party),
            'minutes': int(lifetime.total_seconds() // 60),
            'days': max(1, round(lifetime.total_seconds() / 86400)),
            'link': '{link}',
            }
        subject, body = texts.email_texts(token.purpose, _)
        with without_check_access():
            email, = cls.create([{
                        'company': user.company.id,
                        'user': user.id,
                        'kind': token.purpose,
                        'recipient': user.email,
                        'language': lang,
                        'subject': subject % values,
                        'body': body % values,
                        'link': link_url(Transaction().database.name,
                            token.purpose, raw),
                        'link_expires_at': token.expires_at,
                        'state': 'pending' if user.email else 'cancelled',
                        }])
        return email

    @classmethod
    def queue(cls, emails):
        "Queue the sending of the pending `emails` after commit."
        emails = [e for e in emails if e.state == 'pending']
        if emails:
            cls.__queue__.send(emails)

    def get_body(self):
        "Return the text body with its link (empty once erased)."
        return (self.body or '').replace('{link}', self.link or '')

    def get_html(self):
        """Return the HTML alternative: the text escaped, in the shop's
        colour, with a button to the link."""
        colour = shop_colour(self.company)
        fg = text_colour(colour)
        _ = texts.translator(self.language or texts.DEFAULT)
        shop = html.escape(self.company.rec_name)
        link = html.escape(self.link or '', quote=True)
        paragraphs = ''.join(
            '<p style="margin:0 0 1em">%s</p>' % html.escape(p).replace(
                '\n', '<br>').replace('{link}', link)
            for p in (self.body or '').split('\n\n') if p.strip())
        button = ('<p><a href="%s" style="display:inline-block;'
            'padding:.6em 1.2em;background:%s;color:%s;'
            'text-decoration:none;border-radius:4px">%s</a></p>') % (
            link, colour, fg, html.escape(texts.email_button(self.kind, _)))
        return ('<!DOCTYPE html><html lang="%(lang)s"><head>'
            '<meta charset="utf-8"><title>%(shop)s</title></head>'
            '<body style="margin:0;font-family:Arial,sans-serif;'
            'color:#1a1a1a;background:#ffffff">'
            '<div style="background:%(colour)s;color:%(fg)s;padding:1em">'
            '<strong style="font-size:1.2em">%(shop)s</strong></div>'
            '<div style="padding:1em;max-width:36em">%(button)s%(body)s</div>'
            '</body></html>') % {
            'lang': self.language or texts.DEFAULT, 'shop': shop,
            'colour': colour, 'fg': fg, 'body': paragraphs, 'button': button,
            }

    def get_message(self):
        """Return the EmailMessage: From the `[email] from` address with the
        shop's name, text body with an HTML alternative."""
        msg = EmailMessage()
        msg['From'] = formataddr(
            (self.company.rec_name, config.get('email', 'from')))
        msg['To'] = self.recipient
        msg['Subject'] = self.subject
        msg['Message-ID'] = self.message_id
        msg['Auto-Submitted'] = 'auto-generated'
        msg.set_content(self.get_body())
        msg.add_alternative(self.get_html(), subtype='html')
        return msg

    @classmethod
    def send(cls, emails):
        """Send the pending or failed `emails` through `[email] uri`, one by
        one, recording each outcome (see service_order.notification:
        same states, attempts and back-off). An email whose link has
        expired is cancelled instead. The link is erased once sent or
        given up. Never raises for a send error."""
        now = datetime.datetime.now
        for email in cls.browse(emails):
            if email.state not in {'pending', 'failed'}:
                continue
            if email.link_expires_at and email.link_expires_at <= now():
                email.state = 'cancelled'
                email.last_error = 'The link expired before it was sent.'
                email.link = None
                email.next_attempt_at = None
                email._save()
                continue
            if not email.message_id:
                email.message_id = make_msgid(domain=host())
            email.attempts = (email.attempts or 0) + 1
            try:
                send_message(email.get_message(), strict=True)
            except Exception as exception:
                email.state = 'failed'
                email.last_error = (
                    '%s: %s' % (type(exception).__name__, exception))[:1000]
                if email.attempts < MAX_ATTEMPTS:
                    email.next_attempt_at = now() + retry_delay(
                        email.attempts)
                else:
                    email.next_attempt_at = None
                    email.link = None
            else:
                email.state = 'sent'
                email.sent_at = now()
                email.next_attempt_at = None
                email.last_error = None
                email.link = None
            email._save()

    def _save(self):
        with without_check_access():
            self.save()

    @classmethod
    def retry_failed(cls):
        """Cron: send again the pending and failed emails that are due,
        have fewer than MAX_ATTEMPTS and whose link is still valid."""
        now = datetime.datetime.now()
        with without_check_access():
            emails = cls.search([
                    ('state', 'in', ['pending', 'failed']),
                    ('attempts', '<', MAX_ATTEMPTS),
                    ['OR',
                        ('next_attempt_at', '=', None),
                        ('next_attempt_at', '<=', now),
                        ],
                    ])
        cls.send(emails)


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('portal.email|retry_failed', "Retry Failed Portal Emails"),
                ('portal.token|clean', "Delete Expired Portal Links"),
                ])
