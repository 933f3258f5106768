"""Sentry, only when SENTRY_DSN is set (no call to sentry_sdk otherwise).

Errors that trytond logs (logger.exception in the dispatcher, the worker and
the cron) become Sentry events through sentry_sdk's logging integration.
Local variables and request bodies are never sent: they hold passwords,
session keys and gateway secrets.
"""
import os


def init_sentry(component):
    """Initialise sentry_sdk for `component` ('app', 'worker', 'cron') when
    SENTRY_DSN is set; return True when initialised. SENTRY_ENVIRONMENT,
    SENTRY_RELEASE and SENTRY_TRACES_SAMPLE_RATE (0 by default) are read
    too."""
    dsn = os.environ.get('SENTRY_DSN')
    if not dsn:
        return False
    import sentry_sdk
    sentry_sdk.init(
        dsn=dsn,
        environment=os.environ.get('SENTRY_ENVIRONMENT', 'production'),
        release=os.environ.get('SENTRY_RELEASE') or None,
        traces_sample_rate=float(
            os.environ.get('SENTRY_TRACES_SAMPLE_RATE', 0)),
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size='never',
        )
    sentry_sdk.set_tag('component', component)
    return True
