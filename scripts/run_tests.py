"""Run one group of Atelier tests with unittest and write its counts.

Usage: run_tests.py GROUP RESULT_JSON
GROUP is `modules` (every addons/*/tests/test_*.py, scenarios included) or
`suite` (the cross-module tests in tests/). The database backend comes from
the environment (TRYTOND_DATABASE__URI, DB_NAME, DB_CACHE) set by
scripts/test before trytond is imported.
"""
import importlib.util
import json
import os
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def module_tests():
    "Yield dotted names of the test modules of every addon."
    addons = os.path.join(ROOT, 'addons')
    only = set(filter(None, os.environ.get('ATELIER_MODULES', '').split()))
    for module in sorted(os.listdir(addons)):
        if only and module not in only:
            continue
        tests = os.path.join(addons, module, 'tests')
        if not os.path.isdir(tests):
            continue
        for name in sorted(os.listdir(tests)):
            if name.startswith('test_') and name.endswith('.py'):
                yield 'trytond.modules.%s.tests.%s' % (module, name[:-3])


def suite_tests():
    "Yield dotted names of the cross-module tests in tests/."
    sys.path.insert(0, os.path.join(ROOT, 'tests'))
    for name in sorted(os.listdir(os.path.join(ROOT, 'tests'))):
        if name.startswith('test_') and name.endswith('.py'):
            yield name[:-3]


def main(group, result_path):
    loader = unittest.TestLoader()
    names = list(module_tests() if group == 'modules' else suite_tests())
    suite = unittest.TestSuite()
    for name in names:
        suite.addTests(loader.loadTestsFromName(name))
    result = unittest.TextTestRunner(verbosity=1, buffer=False).run(suite)
    failed = len(result.failures) + len(result.errors) + len(
        result.unexpectedSuccesses)
    skipped = len(result.skipped)
    counts = {
        'run': result.testsRun, 'failed': failed, 'skipped': skipped,
        'passed': result.testsRun - failed - skipped,
        }
    with open(result_path, 'w') as fp:
        json.dump(counts, fp)
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
