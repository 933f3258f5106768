"""Emails of the subscription to a shop's owner (activation link, trial
reminders, end of trial, plan changes, suspension, storage warnings, and
the billing's invoices, payment reminders, reactivation and cancellation).

Recorded as `saas.email` rows in the transaction that decides them and
sent after commit (`__queue__.send`); each attempt records its outcome and
failures are retried by a cron with the service order notifications'
back-off (service_order.notification: STATES, MAX_ATTEMPTS, retry_delay).
The activation link is kept only until sent (the body holds `{link}`).
"""
import datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

import trytond.config as config
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import PoolMeta
from trytond.sendmail import send_message
from trytond.transaction import without_check_access
from trytond.url import host

from trytond.modules.service_order.notification import (
    MAX_ATTEMPTS, STATES, retry_delay)

KINDS = [
    ('activation', "Activation"),
    ('trial_reminder', "Trial Reminder"),
    ('trial_ended', "Trial Ended"),
    ('plan_chosen', "Plan Chosen"),
    ('plan_changed', "Plan Changed"),
    ('suspended', "Suspended"),
    ('storage_warning', "Storage Warning"),
    ('invoice', "Subscription Invoice"),
    ('payment_reminder', "Payment Reminder"),
    ('reactivated', "Reactivated After Payment"),
    ('cancellation', "Cancellation Requested"),
    ('subscription_ended', "Subscription Ended"),
    ]

#: (subject, body) per kind and language; %(name)s values from the caller
#: plus `shop`.
TEXTS = {
    'fr': {
        'activation': ("Bienvenue sur Atelier : activez %(shop)s",
            "Bonjour,\n\nLa boutique %(shop)s est créée, avec 30 jours "
            "d'essai de l'offre Pro.\n\nChoisissez votre mot de passe en "
            "suivant ce lien (valable %(hours)s heures, une seule fois) :\n"
            "{link}\n\nVotre identifiant est votre adresse e-mail."),
        'trial_reminder': ("%(shop)s : jour %(day)s de votre essai",
            "Bonjour,\n\nVotre essai d'Atelier en est au jour %(day)s ; "
            "il reste %(days_left)s jours. Choisissez une offre dans "
            "Atelier ▸ Abonnement ▸ Choisir une offre pour continuer sans "
            "interruption."),
        'trial_ended': ("%(shop)s : votre essai est terminé",
            "Bonjour,\n\nL'essai de %(shop)s est terminé. Vos données "
            "restent consultables en lecture seule ; choisissez une offre "
            "(Atelier ▸ Abonnement ▸ Choisir une offre) pour de nouveau "
            "les modifier."),
        'plan_chosen': ("%(shop)s : offre %(plan)s activée",
            "Bonjour,\n\nL'offre %(plan)s est active pour %(shop)s. "
            "Merci !"),
        'plan_changed': ("%(shop)s : changement de votre offre",
            "Bonjour,\n\nL'opérateur a modifié %(record)s : %(changes)s."),
        'suspended': ("%(shop)s : compte suspendu",
            "Bonjour,\n\nLe compte de %(shop)s est suspendu (%(reason)s). "
            "Vos données restent consultables en lecture seule."),
        'storage_warning': ("%(shop)s : stockage utilisé à %(percent)s %%",
            "Bonjour,\n\nLes photos et fichiers de %(shop)s occupent "
            "%(used)s Go sur %(quota)s Go (%(percent)s %%). Au-delà, les "
            "nouveaux fichiers seront refusés."),
        'invoice': ("%(shop)s : facture %(number)s de votre abonnement",
            "Bonjour,\n\nVoici la facture %(number)s de votre abonnement "
            "Atelier (%(description)s) : %(amount)s TTC, à régler au plus "
            "tard le %(due)s.\n\n%(how_to_pay)s"),
        'payment_reminder': ("%(shop)s : facture %(number)s impayée",
            "Bonjour,\n\nLa facture %(number)s de %(amount)s, échue le "
            "%(due)s, n'est pas réglée (%(days)s jours de retard). Sans "
            "paiement, %(shop)s passera en lecture seule le "
            "%(suspension_date)s ; aucune donnée ne sera supprimée."
            "\n\n%(how_to_pay)s"),
        'reactivated': ("%(shop)s : paiement reçu, compte réactivé",
            "Bonjour,\n\nMerci : la facture %(number)s est réglée et "
            "%(shop)s est de nouveau pleinement utilisable."),
        'cancellation': ("%(shop)s : résiliation enregistrée",
            "Bonjour,\n\nLa résiliation de l'abonnement de %(shop)s est "
            "enregistrée. La boutique reste utilisable jusqu'au %(end)s "
            "inclus (fin de la période payée), puis passe en lecture "
            "seule ; aucune donnée n'est supprimée. Pour rester, "
            "choisissez de nouveau une offre avant cette date."),
        'subscription_ended': ("%(shop)s : abonnement terminé",
            "Bonjour,\n\nL'abonnement de %(shop)s est terminé depuis le "
            "%(date)s. Vos données restent consultables en lecture seule ; "
            "choisissez une offre (Atelier ▸ Abonnement ▸ Choisir une "
            "offre) pour reprendre."),
        },
    'en': {
        'activation': ("Welcome to Atelier: activate %(shop)s",
            "Hello,\n\nThe shop %(shop)s is created, with a 30-day trial "
            "of the Pro plan.\n\nChoose your password with this link "
            "(valid %(hours)s hours, once):\n{link}\n\n"
            "Your login is your email address."),
        'trial_reminder': ("%(shop)s: day %(day)s of your trial",
            "Hello,\n\nYour Atelier trial is at day %(day)s; %(days_left)s "
            "days left. Choose a plan in Atelier ▸ Subscription ▸ Choose "
            "a Plan to carry on without interruption."),
        'trial_ended': ("%(shop)s: your trial has ended",
            "Hello,\n\nThe trial of %(shop)s has ended. Your data stays "
            "readable; choose a plan (Atelier ▸ Subscription ▸ Choose a "
            "Plan) to change it again."),
        'plan_chosen': ("%(shop)s: plan %(plan)s active",
            "Hello,\n\nThe plan %(plan)s is active for %(shop)s. "
            "Thank you!"),
        'plan_changed': ("%(shop)s: your plan changed",
            "Hello,\n\nThe operator changed %(record)s: %(changes)s."),
        'suspended': ("%(shop)s: account suspended",
            "Hello,\n\nThe account of %(shop)s is suspended (%(reason)s). "
            "Your data stays readable."),
        'storage_warning': ("%(shop)s: storage %(percent)s %% used",
            "Hello,\n\nThe photos and files of %(shop)s take %(used)s GB "
            "of %(quota)s GB (%(percent)s %%). Beyond, new files will be "
            "refused."),
        'invoice': ("%(shop)s: invoice %(number)s of your subscription",
            "Hello,\n\nHere is the invoice %(number)s of your Atelier "
            "subscription (%(description)s): %(amount)s including tax, "
            "due on %(due)s.\n\n%(how_to_pay)s"),
        'payment_reminder': ("%(shop)s: invoice %(number)s unpaid",
            "Hello,\n\nThe invoice %(number)s of %(amount)s, due on "
            "%(due)s, is unpaid (%(days)s days late). Without payment, "
            "%(shop)s becomes read-only on %(suspension_date)s; no data "
            "will be deleted.\n\n%(how_to_pay)s"),
        'reactivated': ("%(shop)s: payment received, account reactivated",
            "Hello,\n\nThank you: the invoice %(number)s is paid and "
            "%(shop)s is fully usable again."),
        'cancellation': ("%(shop)s: cancellation recorded",
            "Hello,\n\nThe cancellation of the subscription of %(shop)s "
            "is recorded. The shop stays usable until %(end)s included "
            "(the end of the paid period), then becomes read-only; no data "
            "is deleted. To stay, choose a plan again before that day."),
        'subscription_ended': ("%(shop)s: subscription ended",
            "Hello,\n\nThe subscription of %(shop)s ended on %(date)s. "
            "Your data stays readable; choose a plan (Atelier ▸ "
            "Subscription ▸ Choose a Plan) to carry on."),
        },
    }


class _Values(dict):
    "Missing values print as '' instead of raising."
    def __missing__(self, key):
        return ''


class Email(ModelSQL, ModelView):
    "SaaS Email"
    __name__ = 'saas.email'

    company = fields.Many2One('company.company', "Shop", required=True,
        readonly=True, ondelete='CASCADE')
    kind = fields.Selection(KINDS, "Kind", required=True, readonly=True)
    recipient = fields.Char("Recipient", readonly=True)
    language = fields.Char("Language", readonly=True)
    subject = fields.Char("Subject", readonly=True)
    body = fields.Text("Body", readonly=True)
    link = fields.Char("Link", readonly=True, strip=False)
    link_expires_at = fields.DateTime("Link Expires At", readonly=True)
    state = fields.Selection(STATES, "State", required=True, readonly=True)
    attempts = fields.Integer("Attempts", required=True, readonly=True)
    next_attempt_at = fields.DateTime("Next Attempt At", readonly=True)
    last_error = fields.Text("Last Error", readonly=True)
    sent_at = fields.DateTime("Sent At", readonly=True)
    message_id = fields.Char("Message-ID", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_attempts(cls):
        return 0

    @classmethod
    def create_for_shop(cls, shop, kind, link=None, expires_at=None,
            **values):
        """Record (not send) the email `kind` to the owner of `shop`
        (saas.shop) in the owner's language (French unless English)."""
        owner = shop.owner
        lang = 'en' if (owner and owner.language
            and owner.language.code.startswith('en')) else 'fr'
        subject, body = TEXTS[lang][kind]
        values = _Values(values, shop=shop.company.rec_name)
        recipient = shop.owner_email or (owner.email if owner else None)
        with without_check_access():
            email, = cls.create([{
                        'company': shop.company.id,
                        'kind': kind,
                        'recipient': recipient,
                        'language': lang,
                        'subject': subject % values,
                        'body': body % values,
                        'link': link,
                        'link_expires_at': expires_at,
                        'state': 'pending' if recipient else 'cancelled',
                        }])
        return email

    @classmethod
    def queue(cls, emails):
        "Queue the sending of the pending `emails` after commit."
        emails = [e for e in emails if e.state == 'pending']
        if emails:
            cls.__queue__.send(emails)

    def get_message(self):
        msg = EmailMessage()
        msg['From'] = formataddr(("Atelier", config.get('email', 'from')))
        msg['To'] = self.recipient
        msg['Subject'] = self.subject
        msg['Message-ID'] = self.message_id
        msg['Auto-Submitted'] = 'auto-generated'
        msg.set_content((self.body or '').replace('{link}', self.link or ''))
        return msg

    @classmethod
    def send(cls, emails):
        """Send the pending or failed `emails` through `[email] uri`,
        recording each outcome; a link expired before sending cancels its
        email. Never raises for a send error."""
        now = datetime.datetime.now
        for email in cls.browse(emails):
            if email.state not in {'pending', 'failed'}:
                continue
            if email.link_expires_at and email.link_expires_at <= now():
                email.state = 'cancelled'
                email.link = None
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
        "Cron: send again the due pending and failed emails."
        now = datetime.datetime.now()
        with without_check_access():
            emails = cls.search([
                    ('state', 'in', ['pending', 'failed']),
                    ('attempts', '<', MAX_ATTEMPTS),
                    ['OR', ('next_attempt_at', '=', None),
                        ('next_attempt_at', '<=', now)],
                    ])
        cls.send(emails)


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('saas.email|retry_failed', "Retry Failed SaaS Emails"),
                ('saas.shop|run_trial', "Trial Reminders and Ends"),
                ('saas.shop|update_storage', "Measure Shops' Storage"),
                ('saas.shop|run_billing', "Subscription Billing and Dunning"),
                ])
