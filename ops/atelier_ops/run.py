"""`atelier-worker` and `atelier-cron`: trytond-worker and trytond-cron
with Sentry initialised first (when SENTRY_DSN is set). They take the same
arguments as the trytond commands."""
import sys

from .sentry import init_sentry


def worker():
    "Run trytond-worker (queue tasks) with Sentry; returns its exit code."
    init_sentry('worker')
    from trytond.cli.worker import main
    return main()


def cron():
    "Run trytond-cron (ir.cron) with Sentry; returns its exit code."
    init_sentry('cron')
    from trytond.cli.cron import main
    return main()


if __name__ == '__main__':
    sys.exit({'worker': worker, 'cron': cron}[sys.argv.pop(1)]())
