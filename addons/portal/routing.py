"""The decorator of every portal route: /<database>/portal/...

It answers the one 404 page when the database is unknown, when the module
is not activated in it, or when the route raises werkzeug NotFound; the
403 page for a refused form (Forbidden); it sets the request size limit
so that trytond does not try a Tryton sign-in before the route runs.
"""
import threading
from functools import wraps

from werkzeug.exceptions import Forbidden, NotFound, RequestEntityTooLarge

from trytond.protocols.wrappers import with_pool, with_transaction
from trytond.wsgi import app

from .session import forbidden, not_found

#: Request body limit of the portal's forms (bytes); uploads set theirs.
FORM_MAX_SIZE = 64 * 1024
_local = threading.local()


def current_request():
    """Return the request the current portal route is answering (for hooks
    such as `Sale.portal_sign_form` that get no request), or None outside
    a portal route."""
    return getattr(_local, 'request', None)


def portal_route(rule, methods=('GET',), readonly=None,
        max_size=FORM_MAX_SIZE, too_large=None):
    """Register `func(request, pool, **view_args)` on
    '/<database_name>/portal' + `rule` for `methods`, in a transaction
    (`readonly` None: read-only for GET, read-write for POST).

    too_large: a function(request, pool, **view_args) answering a body
    above `max_size` (default: the 404 page is not right, so 413 text).
    """
    def decorator(func):
        @wraps(func)
        def in_transaction(request, pool, *args, **kwargs):
            try:
                pool.get('portal.token')
            except KeyError:  # portal not activated in this database
                raise NotFound()
            try:
                return func(request, pool, *args, **kwargs)
            except RequestEntityTooLarge:
                if too_large is None:
                    raise
                return too_large(request, pool, *args, **kwargs)

        transactional = with_pool(
            with_transaction(readonly=readonly)(in_transaction))

        @wraps(func)
        def endpoint(request, *args, **kwargs):
            _local.request = request
            try:
                return transactional(request, *args, **kwargs)
            except NotFound:
                return not_found(request)
            except Forbidden:
                return forbidden(request)
            finally:
                _local.request = None
        endpoint.max_request_size = max_size
        app.route('/<database_name>/portal' + rule,
            methods=set(methods))(endpoint)
        return func
    return decorator
