"""Print the translatable strings of a module as a .po template (English
msgstr), from a database where only it and its dependencies are active.

Usage (SQLite, no server): DB_NAME=:memory: TRYTOND_DATABASE__URI=sqlite:// \
    .venv/bin/python scripts/po_template.py MODULE OUT.po
Compare with the module's locale/fr.po to find missing French texts.
"""
import sys
from trytond.tests.test_tryton import activate_module, DB_NAME
from trytond.transaction import Transaction
from trytond.pool import Pool
module = sys.argv[1]
activate_module([module])
with Transaction().start(DB_NAME, 0) as t:
    pool = Pool()
    Lang = pool.get('ir.lang')
    Translation = pool.get('ir.translation')
    fr, = Lang.search([('code', '=', 'fr')])
    Set = pool.get('ir.translation.set', type='wizard')
    sid, _, _ = Set.create()
    Set(sid).transition_set_()
    data = Translation.translation_export('en', module)
    open(sys.argv[2], 'wb').write(data if isinstance(data, bytes) else data.encode())
