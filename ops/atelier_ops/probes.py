"""What the health check and the metrics read from each database.

The probes open their own short-lived connection (psycopg, `connect_timeout`
seconds) with the parameters trytond would use, rather than take one from
trytond's pool: the pool waits up to `[database] timeout` for a connection
when the server is gone, and a health check must answer quickly.

The queue (`ir_queue`, see trytond/ir/queue_.py and trytond/worker.py):

- pending: not dequeued and due (no `scheduled_at` or in the past);
- scheduled: not dequeued, due later (retries and delayed tasks);
- failed: dequeued but never finished for more than `ATELIER_TASK_STALE`
  seconds (300 by default). A task that raised rolls back the transaction
  that would set `finished_at`, so its row stays like this; when it failed
  on a database error the worker also pushes a new row, scheduled later.
  A task that runs longer than the threshold is counted too.
- open errors: `ir_error` rows in state open by origin (`ir.queue`,
  `ir.cron`): the user errors that tasks and crons raised. Crons that fail
  on anything else are only logged (and sent to Sentry when configured).

Timestamps in these tables are naive UTC (trytond runs with TZ=UTC).
"""
import csv
import io
import os

import psycopg

QUEUE_SQL = """
SELECT
    count(*) FILTER (WHERE dequeued_at IS NULL
        AND (scheduled_at IS NULL OR scheduled_at <= %(now)s)),
    count(*) FILTER (WHERE dequeued_at IS NULL AND scheduled_at > %(now)s),
    coalesce(extract(epoch FROM %(now)s - min(enqueued_at) FILTER (
        WHERE dequeued_at IS NULL
        AND (scheduled_at IS NULL OR scheduled_at <= %(now)s))), 0),
    count(*) FILTER (WHERE dequeued_at IS NOT NULL AND finished_at IS NULL
        AND dequeued_at < %(now)s - make_interval(secs => %(stale)s)),
    count(*) FILTER (WHERE finished_at IS NOT NULL)
FROM ir_queue
"""
ERRORS_SQL = """
SELECT split_part(origin, ',', 1), count(*) FROM ir_error
WHERE state = 'open' GROUP BY 1
"""
CRON_SQL = "SELECT extract(epoch FROM max(ended)) FROM ir_cron_log"
NOW = "timezone('UTC', now())"


def database_names():
    """The names in TRYTOND_DATABASE_NAMES (comma separated, read as CSV as
    trytond.application does): list of str, maybe empty."""
    names = os.environ.get('TRYTOND_DATABASE_NAMES', '')
    return [n for n in next(csv.reader(io.StringIO(names)), []) if n]


def connect(name, timeout=3):
    """A new autocommit psycopg connection to database `name` with trytond's
    parameters (`[database] uri`). Raises psycopg.OperationalError when the
    server does not answer within `timeout` seconds."""
    from trytond import backend
    params = backend.Database._connection_params(name)
    conninfo = params.pop('conninfo')
    return psycopg.connect(conninfo, connect_timeout=timeout,
        autocommit=True, **params)


def queue_stats(cursor, stale=None):
    """Queue figures of the database of `cursor`: dict with pending,
    scheduled, failed, finished (row counts) and oldest_pending (seconds
    since the oldest due task was enqueued, 0 when none)."""
    if stale is None:
        stale = int(os.environ.get('ATELIER_TASK_STALE', 300))
    cursor.execute(QUEUE_SQL.replace('%(now)s', NOW), {'stale': stale})
    pending, scheduled, oldest, failed, finished = cursor.fetchone()
    return {'pending': pending, 'scheduled': scheduled, 'failed': failed,
        'finished': finished, 'oldest_pending': float(oldest)}


def open_errors(cursor):
    "Open ir.error rows by origin model: dict {'ir.queue': n, 'ir.cron': n}."
    cursor.execute(ERRORS_SQL)
    return {origin or 'none': count for origin, count in cursor.fetchall()}


def last_cron(cursor):
    "Unix time (float) of the last cron run that ended well, or None."
    cursor.execute(CRON_SQL)
    value, = cursor.fetchone()
    return float(value) if value is not None else None


def health():
    """Check every preloaded database: (ok, report). `report` is a dict
    {'status': 'ok'|'error', 'databases': {name: {...}}, 'reasons': [str]}.
    A database fails when its pool is not loaded in this process, when it
    does not answer, or when its oldest due task waits more than
    ATELIER_HEALTH_QUEUE_MAX_AGE seconds (900 by default: the worker is
    down or overwhelmed)."""
    from trytond.pool import Pool
    max_age = float(os.environ.get('ATELIER_HEALTH_QUEUE_MAX_AGE', 900))
    loaded = set(Pool.database_list())
    names = database_names()
    report = {'databases': {}, 'reasons': []}
    if not names:
        report['reasons'].append("no database: set TRYTOND_DATABASE_NAMES")
    for name in names:
        entry = report['databases'][name] = {'loaded': name in loaded}
        if name not in loaded:
            report['reasons'].append("%s: pool not loaded" % name)
        try:
            with connect(name) as conn, conn.cursor() as cursor:
                cursor.execute('SELECT 1')
                entry['queue'] = queue_stats(cursor)
        except psycopg.Error as error:
            entry['database'] = 'unreachable'
            report['reasons'].append("%s: database unreachable: %s" % (
                    name, str(error).strip().splitlines()[0]))
            continue
        entry['database'] = 'ok'
        if entry['queue']['oldest_pending'] > max_age:
            report['reasons'].append(
                "%s: queue backlog: oldest due task waits %d s" % (
                    name, entry['queue']['oldest_pending']))
    ok = not report['reasons']
    report['status'] = 'ok' if ok else 'error'
    return ok, report
