"""gunicorn settings for Atelier (`gunicorn -c .../gunicorn_conf.py
atelier_ops.wsgi:app`), from the environment:

ATELIER_BIND (0.0.0.0:8000), GUNICORN_WORKERS (2), GUNICORN_THREADS (4),
GUNICORN_TIMEOUT (120 s: reports and imports are slow).

The app is loaded once in the master (preload_app) so the pools of the
databases are built once and shared by the forked workers; trytond closes
its connections after loading, so no connection crosses the fork.
"""
import os

bind = os.environ.get('ATELIER_BIND', '0.0.0.0:8000')
workers = int(os.environ.get('GUNICORN_WORKERS', 2))
threads = int(os.environ.get('GUNICORN_THREADS', 4))
timeout = int(os.environ.get('GUNICORN_TIMEOUT', 120))
preload_app = True
accesslog = '-'
# Behind the reverse proxy: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get('FORWARDED_ALLOW_IPS', '127.0.0.1')


def child_exit(server, worker):
    "Drop a dead worker's live gauges from the multiprocess metrics."
    if os.environ.get('PROMETHEUS_MULTIPROC_DIR'):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)


# gunicorn's control socket defaults to one path per user (~/.gunicorn),
# shared by every instance: serve-prod gives each stack its own.
if os.environ.get('GUNICORN_CONTROL_SOCKET'):
    control_socket = os.environ['GUNICORN_CONTROL_SOCKET']
else:
    no_control_socket = True
