"""Checks of our views that Tryton's generic module tests do not make but
the web client (sao 8.0) relies on."""
import os
import unittest

from lxml import etree

from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

ADDONS = os.path.join(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))), 'addons')
# Every Atelier module, so that a new module's views are checked too.
MODULES = sorted(m for m in os.listdir(ADDONS)
    if os.path.exists(os.path.join(ADDONS, m, 'tryton.cfg')))


class ViewTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        activate_module(MODULES)

    @with_transaction()
    def test_list_datetime_widget(self):
        """A DateTime column of a list view names widget="date" or "time":
        sao 8.0 has no list column for a bare datetime and stops."""
        pool = Pool()
        View = pool.get('ir.ui.view')
        checked = 0
        for view in View.search([
                    ('module', 'in', MODULES), ('model', '!=', None)]):
            Model = pool.get(view.model)
            arch = etree.fromstring(view.arch.encode('utf-8'))
            if arch.tag not in {'tree', 'data'}:
                continue
            if arch.tag == 'data' and view.inherit.type != 'tree':
                continue
            for node in arch.iter('field'):
                field = Model._fields.get(node.get('name'))
                if field is None:
                    continue
                checked += 1
                if field._type in {'datetime', 'timestamp'}:
                    with self.subTest(view=view.name, field=field.name):
                        self.assertIn(node.get('widget'), {'date', 'time'})
        self.assertGreater(checked, 20)
