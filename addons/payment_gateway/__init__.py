# Atelier payment_gateway module: registration is declared in tryton.cfg.
