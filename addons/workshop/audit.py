"""Audit trail: who did what, when, on which record, for critical actions.

Rows are written by code only (without access checks, so every role leaves a
trace); no group may write or delete them (see audit.xml).
"""
import datetime

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

ACTIONS = [
    ('stage', "Stage Change"),
    ('quote', "Quote Generated"),
    ('quote_sent', "Quote Sent"),
    ('quote_approved', "Quote Approved"),
    ('invoice', "Invoice Generated"),
    ('invoice_sent', "Invoice Sent"),
    ('payment', "Payment"),
    ('override', "Override"),
    ('deletion', "Deletion"),
    ('export', "Export"),
    ('import', "Import"),
    ]


class Audit(ModelSQL, ModelView):
    "Audit Trail Entry"
    __name__ = 'workshop.audit'

    company = fields.Many2One(
        'company.company', "Shop", readonly=True, ondelete='CASCADE')
    timestamp = fields.DateTime("Timestamp", readonly=True, required=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    action = fields.Selection(ACTIONS, "Action", readonly=True, required=True)
    resource = fields.Reference(
        "Record", selection='get_resources', readonly=True)
    resource_name = fields.Char("Record Name", readonly=True)
    description = fields.Text("Description", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('timestamp', 'DESC'), ('id', 'DESC')]

    @classmethod
    def get_resources(cls):
        Model = Pool().get('ir.model')
        return [(None, '')] + Model.get_name_items()

    @classmethod
    def log(cls, action, records, description='', company=None):
        """Write one audit row per record and return the rows.

        action: a key of ACTIONS; records: a list of model instances (empty:
        one row without record); description: free text; company: a
        company.company instance or id used when a record has no `company`
        field (default: the context company).
        """
        return cls.log_entries(action,
            [(r, description) for r in (records or [None])], company=company)

    @classmethod
    def log_entries(cls, action, entries, company=None):
        """Write the audit rows of `entries`, a list of (record or None,
        description), in one create, and return them. See `log`."""
        transaction = Transaction()
        if company is None:
            company = transaction.context.get('company')
        company = getattr(company, 'id', company)
        now = datetime.datetime.now()
        rows = []
        for record, description in entries:
            rec_company = getattr(record, 'company', None)
            rows.append({
                    'company': getattr(rec_company, 'id', rec_company)
                    or company,
                    'timestamp': now,
                    'user': transaction.user or None,
                    'action': action,
                    'resource': str(record) if record else None,
                    'resource_name': record.rec_name if record else None,
                    'description': description,
                    })
        with transaction.set_context(_check_access=False):
            return cls.create(rows)

    @classmethod
    def log_deletion(cls, records):
        """Audit the deletion of records; call it before deleting them.
        Nothing is written inside a deletion already audited by
        audit_mixin (its cascade)."""
        if records and not Transaction().context.get('_audit_deletion'):
            cls.log('deletion', records,
                description=records[0].__names__()['model'])
