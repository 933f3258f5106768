"""Prometheus metrics of the app: requests and latency counted in each
gunicorn worker, queue and error figures read from the databases at scrape
time.

With several gunicorn workers, set PROMETHEUS_MULTIPROC_DIR to an empty
directory before start (scripts/serve-prod and the image do): every worker
writes its counters there and /metrics, in whichever worker answers, adds
them up (prometheus_client multiprocess mode; gunicorn_conf.py marks dead
workers). Without it each worker reports only its own requests.
"""
import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram,
    generate_latest)
from prometheus_client.core import GaugeMetricFamily

from . import probes

MULTIPROCESS = bool(os.environ.get('PROMETHEUS_MULTIPROC_DIR'))

REQUESTS = Counter('atelier_http_requests',
    "HTTP requests answered, by method and status code",
    ['method', 'status'])
LATENCY = Histogram('atelier_http_request_duration_seconds',
    "Time to answer an HTTP request (until the body is returned), seconds",
    ['method'],
    buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))


class DatabaseCollector:
    "Gauges read from each preloaded database when /metrics is scraped."

    def collect(self):
        gauges = {
            'up': ("atelier_database_up",
                "1 when the database answers, else 0"),
            'pending': ("atelier_queue_pending",
                "Queued tasks due and not yet taken by a worker"),
            'scheduled': ("atelier_queue_scheduled",
                "Queued tasks due later (delayed or retried)"),
            'oldest_pending': ("atelier_queue_oldest_pending_seconds",
                "Age of the oldest due task not yet taken, seconds"),
            'failed': ("atelier_queue_failed_tasks",
                "Tasks taken but never finished after ATELIER_TASK_STALE s"
                " (raised, or rescheduled after a database error)"),
            'cron': ("atelier_cron_last_success_timestamp_seconds",
                "Unix time of the last cron run that ended well"),
            }
        families = {key: GaugeMetricFamily(name, doc, labels=['database'])
            for key, (name, doc) in gauges.items()}
        errors = GaugeMetricFamily('atelier_errors_open',
            "Open ir.error rows (user errors raised by tasks and crons)",
            labels=['database', 'origin'])
        for name in probes.database_names():
            try:
                with probes.connect(name) as conn, conn.cursor() as cursor:
                    stats = probes.queue_stats(cursor)
                    by_origin = probes.open_errors(cursor)
                    cron = probes.last_cron(cursor)
            except Exception:
                families['up'].add_metric([name], 0)
                continue
            families['up'].add_metric([name], 1)
            for key in ['pending', 'scheduled', 'oldest_pending', 'failed']:
                families[key].add_metric([name], stats[key])
            if cron is not None:
                families['cron'].add_metric([name], cron)
            for origin in sorted(set(by_origin) | {'ir.queue', 'ir.cron'}):
                errors.add_metric([name, origin], by_origin.get(origin, 0))
        yield from families.values()
        yield errors


def registry():
    "The registry to expose: this process's or all workers' metrics."
    if MULTIPROCESS:
        from prometheus_client import multiprocess
        result = CollectorRegistry()
        multiprocess.MultiProcessCollector(result)
    else:
        from prometheus_client import REGISTRY
        result = CollectorRegistry()
        result.register(_Forward(REGISTRY))
    result.register(DatabaseCollector())
    return result


class _Forward:
    "Expose the default registry's metrics inside another registry."

    def __init__(self, source):
        self.source = source

    def collect(self):
        return self.source.collect()


def expose():
    "(body bytes, content type) of the text exposition format."
    return generate_latest(registry()), CONTENT_TYPE_LATEST


def observe(method, status, started):
    """Count one request: `method` str, `status` the WSGI status line or
    code, `started` its time.perf_counter() at arrival."""
    code = str(status).split(' ', 1)[0]
    REQUESTS.labels(method, code).inc()
    LATENCY.labels(method).observe(time.perf_counter() - started)
