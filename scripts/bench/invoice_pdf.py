#!/usr/bin/env python3
"""Time the PDF rendering of one invoice: ours (HTML → WeasyPrint, module
invoice_fr) against Tryton's stock report (account_invoice/invoice.fodt
converted by LibreOffice).

usage: scripts/bench/invoice_pdf.py [--runs N] [--lo-runs N]

Builds a throw-away SQLite database (in memory, template cached in a
temporary directory) with invoice_fr activated, a French shop and one
posted invoice of two lines, then renders the invoice N times with each
report (bypassing the stored report cache) and prints the median times in
milliseconds and their ratio. If LibreOffice (`soffice`, Debian package
libreoffice-writer-nogui) is not installed, says the comparison is
unavailable. Exit code 0, or 1 if our rendering fails.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
VENV = os.path.join(ROOT, '.venv')
if (os.path.exists(os.path.join(VENV, 'bin', 'python'))
        and os.path.realpath(sys.prefix) != os.path.realpath(VENV)):
    python = os.path.join(VENV, 'bin', 'python')
    os.execv(python, [python, os.path.abspath(__file__)] + sys.argv[1:])

import argparse  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402


def build_database():
    "Create the database, a French shop and a posted invoice; return ids."
    from proteus import Model
    from trytond.modules.invoice_fr.shop_setup import (
        create_repair_products, setup_french_shop)
    from trytond.tests.tools import activate_modules

    config = activate_modules('invoice_fr')
    company = setup_french_shop(
        config, "Répar'Phone Bench", siret='73282932000074',
        vat_number='FR44732829320', street="12 rue de la République",
        postal_code='69002', city="Lyon", email='bench@example.com',
        legal_mentions="SARL au capital de 10 000 € — RCS Lyon 732 829 320")
    products = create_repair_products(config, company)
    Party = Model.get('party.party')
    Invoice = Model.get('account.invoice')
    customer = Party(name="Garage Martin SARL")
    customer.save()
    invoice = Invoice(type='out', party=customer)
    for name, quantity in [("Main d'œuvre", 2), ("Écran iPhone 12", 1)]:
        line = invoice.lines.new()
        line.product = products[name]
        line.quantity = quantity
        line.unit_price = products[name].template.list_price
    invoice.save()
    invoice.click('post')
    return config.database_name, config.user, company.id, invoice.id


def median_ms(function, runs):
    "Run `function` `runs` times; return the median duration in ms."
    durations = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        durations.append((time.perf_counter() - start) * 1000)
    return statistics.median(durations)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=20,
        help="renderings of our report (default 20)")
    parser.add_argument('--lo-runs', type=int, default=5,
        help="renderings of the stock report (default 5)")
    args = parser.parse_args()

    cache = tempfile.mkdtemp(prefix='atelier-bench-')
    os.environ.setdefault('DB_CACHE', cache)
    os.environ.setdefault('DB_NAME', ':memory:')
    try:
        dbname, user, company_id, invoice_id = build_database()

        from trytond.pool import Pool
        from trytond.transaction import Transaction
        pool = Pool(dbname)
        with Transaction().start(dbname, 0, context={
                    'company': company_id, 'companies': [company_id],
                    'language': 'fr'}) as transaction:
            ActionReport = pool.get('ir.action.report')
            InvoiceReport = pool.get('account.invoice', type='report')
            ours, = ActionReport.search([
                    ('report_name', '=', 'account.invoice')])
            stock, = ActionReport.create([{
                        'name': "Invoice (stock)",
                        'model': 'account.invoice',
                        'report_name': 'account.invoice',
                        'report': 'account_invoice/invoice.fodt',
                        'template_extension': 'odt',
                        'extension': 'pdf',
                        'single': True,
                        }])

            def render(action):
                # Render and convert without the invoice's stored report.
                def run():
                    with Transaction().set_context(address_with_party=True):
                        records = InvoiceReport._get_records(
                            [invoice_id], 'account.invoice', {})
                        context = InvoiceReport.get_context(
                            records, {}, {'action_id': action.id})
                        data = InvoiceReport.render(action, context)
                        ext, content = InvoiceReport.convert(action, data)
                    if ext != 'pdf' or not bytes(content).startswith(b'%PDF'):
                        raise RuntimeError(
                            "%s rendered as %s, not PDF" % (action.report, ext))
                    return len(content)
                return run

            try:
                size = render(ours)()
                ours_ms = median_ms(render(ours), args.runs)
            except Exception as exception:
                print("our invoice PDF failed: %s" % exception)
                return 1
            print("invoice_fr (HTML → WeasyPrint): median %.1f ms over %d "
                "runs, %d bytes" % (ours_ms, args.runs, size))

            if not shutil.which('soffice'):
                print("stock report (invoice.fodt → LibreOffice): "
                    "comparison unavailable, soffice is not installed "
                    "(apt-get install libreoffice-writer-nogui)")
            else:
                try:
                    size = render(stock)()
                    stock_ms = median_ms(render(stock), args.lo_runs)
                except Exception as exception:
                    print("stock report (invoice.fodt → LibreOffice): "
                        "comparison unavailable: %s" % exception)
                else:
                    print("stock (invoice.fodt → LibreOffice): median %.1f ms "
                        "over %d runs, %d bytes" % (
                            stock_ms, args.lo_runs, size))
                    print("ratio stock / ours: %.1f×" % (stock_ms / ours_ms))
            transaction.rollback()
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
