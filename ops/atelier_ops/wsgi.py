"""The WSGI app for gunicorn: `gunicorn -c ops/atelier_ops/gunicorn_conf.py
atelier_ops.wsgi:app`.

Importing this module imports `trytond.application`, which reads
TRYTOND_CONFIG and preloads the pools of TRYTOND_DATABASE_NAMES (a request
never waits for a pool to load). Around trytond's app it answers:

- `GET /health`: 200 and a JSON report when every preloaded database
  answers, has its pool loaded and no task waits too long in its queue;
  503 with the same report and its `reasons` otherwise (probes.health).
- `GET /metrics`: Prometheus text format (metrics.py).

and counts every request (method, status, latency). A database named
"health" or "metrics" would be hidden by these paths.
"""
import json
import time

from trytond.application import app as trytond_app

from . import metrics, probes
from .sentry import init_sentry

METHODS = {'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'}


def _health(environ, start_response):
    ok, report = probes.health()
    body = json.dumps(report, indent=1).encode()
    start_response('200 OK' if ok else '503 Service Unavailable', [
            ('Content-Type', 'application/json'),
            ('Cache-Control', 'no-store'),
            ('Content-Length', str(len(body)))])
    return [body]


def _metrics(environ, start_response):
    body, content_type = metrics.expose()
    start_response('200 OK', [('Content-Type', content_type),
            ('Content-Length', str(len(body)))])
    return [body]


ROUTES = {'/health': _health, '/metrics': _metrics}


def app(environ, start_response):
    """WSGI callable: our two paths, else trytond's app; each request is
    counted with its status once the response has started."""
    started = time.perf_counter()
    method = environ.get('REQUEST_METHOD', 'GET').upper()
    label = method if method in METHODS else 'other'
    status = ['500']

    def recording_start_response(status_line, headers, exc_info=None):
        status[0] = status_line
        return start_response(status_line, headers, exc_info)

    handler = None
    if method in {'GET', 'HEAD'}:
        handler = ROUTES.get(environ.get('PATH_INFO', ''))
    try:
        return (handler or trytond_app)(environ, recording_start_response)
    finally:
        metrics.observe(label, status[0], started)


# Sentry after the pools: trytond.application refuses to start when other
# threads run, and sentry_sdk starts its transport thread.
init_sentry('app')
