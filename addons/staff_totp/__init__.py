# Atelier staff_totp module: registration is declared in tryton.cfg.
# Routes are global to the server: importing them registers them.
from . import routes  # noqa: F401
