# Atelier workshop module: registration is declared in tryton.cfg.
