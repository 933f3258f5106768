# Atelier powder_stock module: registration is declared in tryton.cfg.
# Routes are global to the server: importing them registers them on
# trytond.wsgi.app.
from . import routes  # noqa: F401
