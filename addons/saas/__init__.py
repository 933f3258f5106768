# Atelier saas module: registration is declared in tryton.cfg.
# Routes are global to the server: importing them registers them on
# trytond.wsgi.app (they answer 404 where saas is not activated).
from . import routes  # noqa: F401
