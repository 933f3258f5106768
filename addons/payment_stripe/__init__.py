# Atelier payment_stripe module: registration is declared in tryton.cfg.
# The webhook route registers itself on import.
from . import routes  # noqa: F401
