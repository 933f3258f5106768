"""Audit of exports and deletions of shop data, for every model, and the
record rules applied to exports.

Registered on every ModelStorage through tryton.cfg's [register_mixin], so
models added by any module later are covered without code of their own.
Only what a user asks for is audited: calls made with access checks on
(RPC, the REST API, the clients' export and delete), not the deletions and
reads that code does on its own behalf (root, crons, the queue, or internal
calls without access checks). A deletion that cascades to other records is
one audit row for the records the user deleted.
"""
from trytond.pool import Pool
from trytond.transaction import Transaction

# Models never audited: the audit itself, and Tryton's own bookkeeping of
# sessions and caches that users' calls create and delete as a side effect.
SKIPPED = {
    'workshop.audit', 'ir.session', 'ir.session.wizard', 'ir.cache',
    'res.user.login.attempt', 'res.user.device', 'ir.queue',
    'web.user.session', 'ir.ui.view_tree_width', 'ir.ui.view_tree_state',
    'ir.ui.view_search',
    }


def _audited(cls):
    """Whether calls on `cls` now are a user's action on shop data: the
    model has a `company` field, access checks are on and the user is not
    root, and no audited deletion is already running (its cascade)."""
    transaction = Transaction()
    return (cls.__name__ not in SKIPPED
        and 'company' in cls._fields
        and transaction.user
        and transaction.context.get('_check_access')
        and not transaction.context.get('_audit_deletion'))


class ExportDeleteAuditMixin:
    "Write a workshop.audit row for each export and deletion by a user."
    __slots__ = ()

    @classmethod
    def delete(cls, records):
        """Delete `records`, first auditing them (action 'deletion', one
        row per record) when a user asks for it; the cascade it triggers
        is not audited again."""
        if records and _audited(cls):
            Pool().get('workshop.audit').log_deletion(records)
            with Transaction().set_context(_audit_deletion=True):
                return super().delete(records)
        return super().delete(records)

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        """Export as the parent does, after checking that the user may
        read `records` (AccessError otherwise), then audit it (action 'export': model,
        number of rows and fields) when a user exported rows. The clients'
        export_data_domain goes through here too (ModelStorage)."""
        transaction = Transaction()
        if records and transaction.user and transaction.context.get(
                '_check_access'):
            # RPC instantiates the ids it is given without applying the
            # record rules, and the export reads them through instances:
            # read them once under the rules first (AccessError when one
            # is another shop's), as `read` would.
            cls.read([r.id for r in records], ['id'])
        result = super().export_data(records, fields_names, header=header)
        if records and _audited(cls):
            _log_export(cls, len(records), fields_names)
        return result


def _log_export(Model, count, fields_names):
    "One audit row: `count` rows of Model exported with `fields_names`."
    Audit = Pool().get('workshop.audit')
    Audit.log('export', [], description="%s: %d rows (%s)" % (
            Model.__names__()['model'], count,
            ', '.join(fields_names)[:500]))
