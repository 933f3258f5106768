# Atelier cashier module: registration is declared in tryton.cfg.
