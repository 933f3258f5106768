# Atelier repair vertical: registration is declared in tryton.cfg.
