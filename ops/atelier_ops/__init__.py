"""Atelier in production: the WSGI app for gunicorn (`atelier_ops.wsgi:app`),
its gunicorn settings (`atelier_ops/gunicorn_conf.py`), the health and
metrics probes of the databases (`probes`), and the queue worker and cron
started with Sentry (`atelier-worker`, `atelier-cron`).
"""
