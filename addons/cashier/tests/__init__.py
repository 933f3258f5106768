"""Tests of cashier: `python -m unittest trytond.modules.cashier.tests`
runs the unit tests and the proteus scenario."""
import unittest


def load_tests(loader, tests, pattern):
    from . import test_module, test_scenario
    suite = unittest.TestSuite()
    for module in [test_module, test_scenario]:
        suite.addTests(loader.loadTestsFromModule(module, pattern=pattern))
    return suite
