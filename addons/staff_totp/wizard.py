"""Wizards of two-factor sign-in in the back office.

- `staff_totp.manage` (button in the preferences, menu Workshop ▸
  Two-Factor Sign-in): always for the signed-in user. Not enrolled: the QR
  code and the secret of a new pending secret, a code to confirm, then the
  10 recovery codes shown once. Enrolled: new recovery codes or disable
  (refused for Owners and Admins), each after a valid code.
- `staff_totp.reset` (Owners and Admins; also on the user form for the
  administrator): reset the two-factor sign-in of a user of the shop who
  lost the phone; audited.
"""
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import totp


def _current_user():
    User = Pool().get('res.user')
    return User(Transaction().user)


class ManageStart(ModelView):
    "Two-Factor Sign-in Enrolment"
    __name__ = 'staff_totp.manage.enrol'

    required = fields.Boolean("Required", readonly=True)
    qr_code = fields.Binary("QR Code", readonly=True)
    secret = fields.Char("Secret", readonly=True,
        help="Type it in the app if it cannot read the QR code.")
    code = fields.Char("Code", required=True,
        help="The 6-digit code the app shows now.")


class ManageCode(ModelView):
    "Two-Factor Sign-in Settings"
    __name__ = 'staff_totp.manage.enabled'

    required = fields.Boolean("Required", readonly=True)
    recovery_left = fields.Integer("Recovery Codes Left", readonly=True)
    code = fields.Char("Code", required=True,
        help="A 6-digit code of the app, or a recovery code.")


class ManageDone(ModelView):
    "Two-Factor Sign-in Done"
    __name__ = 'staff_totp.manage.done'

    message = fields.Text("Message", readonly=True)
    recovery_codes = fields.Text("Recovery Codes", readonly=True,
        states={'invisible': ~Eval('recovery_codes')})


class Manage(Wizard):
    "Two-Factor Sign-in"
    __name__ = 'staff_totp.manage'

    start = StateTransition()
    enrol = StateView('staff_totp.manage.enrol',
        'staff_totp.manage_enrol_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Confirm", 'confirm', 'tryton-ok', default=True),
            ])
    confirm = StateTransition()
    enabled = StateView('staff_totp.manage.enabled',
        'staff_totp.manage_enabled_view_form', [
            Button("Cancel", 'end', 'tryton-cancel', default=True),
            Button("New Recovery Codes", 'regenerate', 'tryton-refresh'),
            Button("Disable", 'disable', 'tryton-delete',
                states={'invisible': Eval('required', False)}),
            ])
    regenerate = StateTransition()
    disable = StateTransition()
    done = StateView('staff_totp.manage.done',
        'staff_totp.manage_done_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_start(self):
        user = _current_user()
        with without_check_access():
            if user.totp_is_enabled(user.id):
                return 'enabled'
            return 'enrol'

    def default_enrol(self, fields):
        user = _current_user()
        with without_check_access():
            pending = user.totp_pending()
            if not pending:
                pending = user.totp_start()
        secret, uri = pending
        return {
            'required': user.totp_is_required(user.id),
            'qr_code': totp.qr_png(uri),
            'secret': ' '.join(
                secret[i:i + 4] for i in range(0, len(secret), 4)),
            }

    def transition_confirm(self):
        user = _current_user()
        with without_check_access():
            codes = user.totp_confirm(self.enrol.code)
        self._codes = codes
        self._message = gettext('staff_totp.msg_wizard_enabled')
        return 'done'

    def default_enabled(self, fields):
        user = _current_user()
        with without_check_access():
            return {
                'required': user.totp_is_required(user.id),
                'recovery_left': user._totp_recovery_left(
                    [user.id]).get(user.id, 0),
                }

    def transition_regenerate(self):
        user = _current_user()
        with without_check_access():
            self._codes = user.totp_regenerate(self.enabled.code)
        self._message = gettext('staff_totp.msg_wizard_regenerated')
        return 'done'

    def transition_disable(self):
        user = _current_user()
        with without_check_access():
            user.totp_disable(self.enabled.code)
        self._codes = None
        self._message = gettext('staff_totp.msg_wizard_disabled')
        return 'done'

    def default_done(self, fields):
        codes = getattr(self, '_codes', None)
        return {
            'message': getattr(self, '_message', ''),
            'recovery_codes': '\n'.join(codes) if codes else None,
            }


class ResetStart(ModelView):
    "Reset Two-Factor Sign-in"
    __name__ = 'staff_totp.reset.start'

    company = fields.Many2One('company.company', "Shop", readonly=True)
    user = fields.Many2One('res.user', "User", required=True,
        domain=[('companies', 'in', [Eval('company', -1)])],
        help="The user of the shop who lost the phone or the codes.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')


class Reset(Wizard):
    "Reset Two-Factor Sign-in"
    __name__ = 'staff_totp.reset'

    start = StateView('staff_totp.reset.start',
        'staff_totp.reset_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Reset", 'reset', 'tryton-ok', default=True),
            ])
    reset = StateTransition()

    def default_start(self, fields):
        values = {'company': Transaction().context.get('company')}
        if (Transaction().context.get('active_model') == 'res.user'
                and Transaction().context.get('active_id')):
            values['user'] = Transaction().context['active_id']
        return values

    def transition_reset(self):
        User = Pool().get('res.user')
        by = _current_user()
        with without_check_access():
            User.totp_reset([User(self.start.user.id)], by=by)
        return 'end'
