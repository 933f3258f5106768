# Atelier coating module: registration is declared in tryton.cfg.
