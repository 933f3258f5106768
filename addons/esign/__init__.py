# Atelier esign module: registration is declared in tryton.cfg.
