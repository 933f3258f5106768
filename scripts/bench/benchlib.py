"""Helpers shared by the benchmarks of scripts/bench (not a benchmark).

Import it after the script has re-executed itself in .venv (see the top of
each benchmark); it imports nothing of trytond at module level, so the
TRYTOND_* environment can still be set before trytond reads its
configuration.
"""
import math
import os
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
VENV = os.path.join(ROOT, '.venv')
DEFAULT_POSTGRESQL = 'postgresql://postgres@127.0.0.1:5432/'


def free_port():
    "Return a TCP port (int) free on 127.0.0.1 at the time of the call."
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def postgresql_uri(*names):
    """Return the URI (str) of a PostgreSQL server that answers, or None.

    The URI is the first environment variable of `names` that is set and
    starts with 'postgresql', else DEFAULT_POSTGRESQL (the local server,
    user postgres, trust). When that server does not answer: None, and a
    line on stdout when it came from a variable (the caller asked for that
    server, so no other is tried)."""
    try:
        import psycopg
    except ImportError:
        return None
    candidates = [(n, os.environ.get(n)) for n in names]
    candidates = [(n, u) for n, u in candidates
        if u and u.startswith('postgresql')]
    name, uri = (candidates or [(None, DEFAULT_POSTGRESQL)])[0]
    try:
        psycopg.connect(uri, dbname='postgres', connect_timeout=3).close()
    except Exception as exception:
        if name:
            print("%s=%s does not answer (%s)" % (
                    name, uri, exception.__class__.__name__))
        return None
    return uri


def pg_execute(uri, sql, dbname='postgres'):
    "Run `sql` (str) in autocommit on database `dbname` of server `uri`."
    import psycopg
    with psycopg.connect(uri, dbname=dbname, autocommit=True,
            connect_timeout=10) as conn:
        conn.execute(sql)


def pg_database_exists(uri, name):
    "Return whether database `name` exists on the server `uri` (bool)."
    import psycopg
    with psycopg.connect(uri, dbname='postgres', connect_timeout=10) as conn:
        return bool(conn.execute(
                'SELECT 1 FROM pg_database WHERE datname = %s',
                (name,)).fetchone())


def trytond_admin(db, environ, *args, passfile=None):
    """Run `trytond-admin -d db args...` with `environ`; exit the script
    with the end of its output when it fails. `passfile` (path) gives the
    admin password for --all on a new database (TRYTONPASSFILE)."""
    env = dict(environ)
    if passfile:
        env['TRYTONPASSFILE'] = passfile
    result = subprocess.run(
        [os.path.join(VENV, 'bin', 'trytond-admin'), '-d', db] + list(args),
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode:
        print(result.stdout[-4000:])
        sys.exit("trytond-admin %s failed" % ' '.join(args))


def wait_for_port(port, process, log=None, timeout=120):
    """Wait until 127.0.0.1:`port` accepts connections; exit the script
    (printing the end of `log`, an open file, if given) when `process`
    (subprocess.Popen) ends first or after `timeout` seconds."""
    deadline = time.time() + timeout
    while True:
        try:
            socket.create_connection(('127.0.0.1', port), 1).close()
            return
        except OSError:
            if time.time() > deadline or process.poll() is not None:
                if log is not None:
                    log.flush()
                    log.seek(0)
                    print(''.join(log.readlines()[-40:]))
                sys.exit("the server did not start")
            time.sleep(0.2)


def stop(process, timeout=15):
    "Terminate `process` (subprocess.Popen), killing it after `timeout` s."
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def retrying(func):
    """Return func(extras), run again with the locks Tryton asks for
    (TransactionError.fix) until it passes."""
    from trytond.transaction import TransactionError
    extras = {}
    while True:
        try:
            return func(extras)
        except TransactionError as exception:
            exception.fix(extras)


class TOTPCodes:
    """The TOTP codes (pyotp, 6 digits, 30 s) of a user's two-factor secret
    for its sign-ins: a step is used once (staff_totp refuses a replay),
    within the step either side of now that the server accepts."""

    def __init__(self, secret, last_step=0):
        import pyotp
        self.totp = pyotp.TOTP(secret)
        self.last = last_step or 0
        self.lock = threading.Lock()

    def next(self):
        "Return a code (str) valid now, of a step after the last used."
        import datetime
        with self.lock:
            while True:
                now = self.totp.timecode(
                    datetime.datetime.now(datetime.timezone.utc))
                step = max(now - 1, self.last + 1)
                if step <= now + 1:
                    self.last = step
                    return self.totp.generate_otp(step)
                time.sleep(1)


def percentile(values, fraction):
    """Return the `fraction` (0-1) percentile of `values` (sorted list of
    numbers) by the nearest-rank rule (the smallest value with at least
    that fraction of the values at or below it), or None for an empty
    list."""
    if not values:
        return None
    rank = math.ceil(fraction * len(values))
    return values[max(rank, 1) - 1]


def machine():
    "Return 'N cores, load average a b c' of this machine (str)."
    load = ' '.join('%.2f' % v for v in os.getloadavg())
    return '%d cores, load average %s' % (os.cpu_count() or 0, load)
