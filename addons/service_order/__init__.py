# Atelier service order spine: registration is declared in tryton.cfg.
