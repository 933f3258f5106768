"Import of customers and devices from CSV (addons/repair/customer_import.py)."
import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.repair.customer_import import (
    ImportFileError, import_file, normalize_email, normalize_phone,
    read_rows, rejects_csv)
from trytond import backend
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_CACHE, _db_cache_file, activate_module, with_transaction)

DATA = os.path.join(os.path.dirname(__file__), 'data')
HEADER_FR = ('Nom;Prénom;Téléphone;Email;Adresse;Code postal;Ville;'
    'Marque;Modèle;IMEI;Numéro de série')
HELENE = ("Martin;Hélène;06 12 34 56 78;helene@example.fr;"
    "3 Rue de l'Église;75004;Paris;Apple;iPhone 12;352099001761481;")


class ReadRowsTestCase(unittest.TestCase):
    "Parsing of the file, without database"

    def test_utf8_comma(self):
        "UTF-8 without BOM, comma separated, English headers"
        parsed = read_rows(
            b'Name,First Name,Phone,EMAIL\nDupont,Jean,0612345678,j@d.fr\n')
        self.assertEqual(parsed.encoding, 'utf-8')
        self.assertEqual(parsed.delimiter, ',')
        self.assertEqual(parsed.unknown_columns, [])
        row, = parsed.rows
        self.assertEqual(row.line, 2)
        self.assertEqual(row.values, {'name': 'Dupont', 'first_name': 'Jean',
                'phone': '0612345678', 'email': 'j@d.fr'})

    def test_utf8_bom_semicolon(self):
        "UTF-8 with BOM, semicolon separated, French headers with accents"
        data = ('\ufeff' + HEADER_FR + '\n' + HELENE + '\n').encode('utf-8')
        parsed = read_rows(data)
        self.assertEqual(parsed.encoding, 'utf-8-sig')
        self.assertEqual(parsed.delimiter, ';')
        self.assertEqual(len(parsed.columns), 11)
        row, = parsed.rows
        self.assertEqual(row.values['name'], 'Martin')
        self.assertEqual(row.values['first_name'], 'Hélène')
        self.assertEqual(row.values['address'], "3 Rue de l'Église")
        self.assertEqual(row.values['serial'], '')

    def test_cp1252(self):
        "Windows-1252 (French Excel) keeps its accents"
        data = (HEADER_FR + '\r\n' + HELENE + '\r\n').encode('cp1252')
        with self.assertRaises(UnicodeDecodeError):
            data.decode('utf-8')
        parsed = read_rows(data)
        self.assertEqual(parsed.encoding, 'cp1252')
        self.assertEqual(parsed.rows[0].values['first_name'], 'Hélène')
        self.assertEqual(
            parsed.rows[0].values['address'], "3 Rue de l'Église")

    def test_headers_ignore_case_and_accents(self):
        "Headers match without case, accents or punctuation"
        parsed = read_rows(
            'NOM;prenom;TELEPHONE;E-mail;code POSTAL;modele;numero de serie\n'
            'a;b;c;d;e;f;g\n'.encode('utf-8'))
        self.assertEqual(set(parsed.columns), {'name', 'first_name', 'phone',
                'email', 'zip', 'model', 'serial'})

    def test_unknown_column(self):
        "An unknown column, or a second one of a field, is reported"
        parsed = read_rows(b'nom;Fidelite;name;;ville\nDupont;3;X;;Lyon\n')
        self.assertEqual(parsed.unknown_columns, ['Fidelite', 'name'])
        self.assertEqual(parsed.rows[0].values,
            {'name': 'Dupont', 'city': 'Lyon'})

    def test_line_numbers(self):
        "Line numbers are physical lines: blank lines, quoted line breaks"
        parsed = read_rows(
            b'nom,adresse\nA,"1 rue X\nBat B"\n\nB,\n,\n"C",2\n')
        self.assertEqual(
            [(r.line, r.values['name']) for r in parsed.rows],
            [(2, 'A'), (5, 'B'), (7, 'C')])
        self.assertEqual(parsed.rows[0].values['address'], '1 rue X\nBat B')

    def test_missing_name_column(self):
        "A file without a name column is refused"
        with self.assertRaises(ImportFileError) as cm:
            read_rows(b'prenom;telephone\nJean;0612345678\n')
        self.assertEqual(cm.exception.kind, 'no_name_column')

    def test_empty(self):
        "Empty files are refused"
        for data in [b'', b'\xef\xbb\xbf', b'\r\n  \n']:
            with self.subTest(data=data):
                with self.assertRaises(ImportFileError) as cm:
                    read_rows(data)
                self.assertEqual(cm.exception.kind, 'empty')

    def test_binary(self):
        "Binary garbage and UTF-16 are refused"
        png = b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00'
        utf16 = 'nom;prénom\nDupont;Jean\n'.encode('utf-16')
        garbage = bytes(range(256)) * 4
        for data in [png, utf16, garbage, b'nom\nA\x81\x8d\n']:
            with self.subTest(data=data[:8]):
                with self.assertRaises(ImportFileError) as cm:
                    read_rows(data)
                self.assertIn(cm.exception.kind, {'binary', 'encoding'})

    def test_normalize_phone(self):
        "Phones become E.164 with the shop's region as default"
        self.assertEqual(normalize_phone('06 12 34 56 78', 'FR'),
            ('+33612345678', True))
        self.assertEqual(normalize_phone('01.42.68.53.00', 'FR'),
            ('+33142685300', False))
        self.assertEqual(normalize_phone('+33 6 12 34 56 78', 'SN')[0],
            '+33612345678')
        self.assertEqual(normalize_phone('77 123 45 67', 'SN')[0],
            '+221771234567')
        for value in ['12345', '06 12 34', 'abc', '+33 0 00 00 00 00']:
            with self.subTest(value=value):
                with self.assertRaises(ValueError):
                    normalize_phone(value, 'FR')

    def test_normalize_email(self):
        "E-mail addresses are checked strictly"
        self.assertEqual(normalize_email(' Jean.Dupont+sav@Example.FR '),
            'Jean.Dupont+sav@example.fr')
        for value in ['jean', 'jean@example', 'jean@@example.fr',
                'jean dupont@example.fr', 'jean@exa_mple.fr', '@example.fr',
                'jean.@example.fr', 'jean@example.fr.', 'jean@-x.fr']:
            with self.subTest(value=value):
                with self.assertRaises(ValueError):
                    normalize_email(value)


class ImportTestCase(unittest.TestCase):
    "Import into a shop's database"

    @classmethod
    def setUpClass(cls):
        activate_module('repair')

    def count(self, company):
        pool = Pool()
        Party = pool.get('party.party')
        Device = pool.get('repair.device')
        Mechanism = pool.get('party.contact_mechanism')
        Address = pool.get('party.address')
        # the shop's own party belongs to the shop: not a customer
        domain = [('party.company', '=', company.id),
            ('party', '!=', company.party.id)]
        return {
            'parties': Party.search_count([('company', '=', company.id),
                    ('id', '!=', company.party.id)]),
            'devices': Device.search_count([('company', '=', company.id)]),
            'contacts': Mechanism.search_count(domain),
            'addresses': Address.search_count(domain),
            }

    def run_import(self, company, text, encoding='utf-8'):
        with set_company(company):
            return import_file(company, text.encode(encoding))

    @with_transaction()
    def test_import_and_merge(self):
        "Rows create customers; duplicates merge; same file twice: nothing"
        pool = Pool()
        Party = pool.get('party.party')
        Audit = pool.get('workshop.audit')
        company = create_company()
        text = '\n'.join([HEADER_FR, HELENE,
                # same e-mail: merged, with a second device
                "Martin;Hélène;;HELENE@example.fr;;;;Samsung;S21;;SN-1",
                # same full name without accents: merged, same device
                "MARTIN;helene;;;;;;Apple;iPhone 12;35-209900-176148-1;",
                "Dupont;;+33 1 42 68 53 00;;;;;;;;",
                # same phone written differently: merged
                "Durand;Paul;01 42 68 53 00;;;;;;;;",
                ]) + '\n'
        parsed, result = self.run_import(company, text, 'cp1252')
        self.assertEqual(
            (result.imported, result.merged, result.rejected), (2, 3, 0))
        self.assertEqual(self.count(company), {'parties': 2, 'devices': 2,
                'contacts': 3, 'addresses': 1})
        helene, = Party.search([('name', '=', 'Hélène Martin')])
        self.assertEqual(helene.company, company)
        self.assertEqual(
            sorted((m.type, m.value_compact)
                for m in helene.contact_mechanisms),
            [('email', 'helene@example.fr'), ('mobile', '+33612345678')])
        address, = helene.addresses
        self.assertEqual((address.street, address.postal_code, address.city),
            ("3 Rue de l'Église", '75004', 'Paris'))
        Device = pool.get('repair.device')
        self.assertEqual(sorted((d.brand, d.imei, d.serial_number)
                for d in Device.search([('party', '=', helene.id)])),
            [('Apple', '352099001761481', None), ('Samsung', None, 'SN-1')])
        audit, = Audit.search([('action', '=', 'import')])
        self.assertIn('imported 2, merged 3, rejected 0', audit.description)
        self.assertEqual(audit.company, company)

        before = self.count(company)
        _, again = self.run_import(company, text, 'cp1252')
        self.assertEqual(
            (again.imported, again.merged, again.rejected), (0, 5, 0))
        self.assertEqual(self.count(company), before)

    @with_transaction()
    def test_rejects(self):
        "Invalid lines are refused with their line number and reason"
        company = create_company()
        text = '\n'.join([
                'nom;prenom;telephone;email;imei;fidelite',
                'Dupont;Jean;0612345678;jean@example.fr;;oui',
                'Petit;Anne;12345;;;',
                'Leroy;Marc;;marc@example;;',
                '',
                'Moreau;Luc;;;352099001761482;',
                ';Sans nom;0612345679;;;',
                'Roux;;0000;bad;1234;',
                ]) + '\n'
        parsed, result = self.run_import(company, text)
        self.assertEqual(parsed.unknown_columns, ['fidelite'])
        self.assertEqual(
            (result.imported, result.merged, result.rejected), (1, 0, 5))
        self.assertEqual(self.count(company)['parties'], 1)
        self.assertEqual(self.count(company)['devices'], 0)
        reasons = {line: reason for line, reason, _ in result.rejects}
        self.assertEqual(sorted(reasons), [3, 4, 6, 7, 8])
        self.assertIn('12345', reasons[3])
        self.assertIn('marc@example', reasons[4])
        self.assertIn('352099001761482', reasons[6])
        self.assertIn('name is missing', reasons[7])
        self.assertEqual(reasons[8].count('; '), 2)  # phone, email and IMEI

        rows = list(csv.reader(io.StringIO(
                    rejects_csv(parsed, result.rejects).decode('utf-8-sig')),
                delimiter=';'))
        self.assertEqual(rows[0][2:], parsed.header)
        self.assertEqual(len(rows), 6)
        self.assertEqual(rows[1][0], '3')
        self.assertEqual(rows[1][2:], ['Petit', 'Anne', '12345', '', '', ''])

    @with_transaction()
    def test_imei_of_another_customer(self):
        "An IMEI is never two devices of the shop"
        company = create_company()
        text = ('nom;imei\nDupont;352099001761481\n'
            'Durand;352099001761481\nDupont;352099001761481\n')
        _, result = self.run_import(company, text)
        self.assertEqual(
            (result.imported, result.merged, result.rejected), (1, 1, 1))
        self.assertEqual(result.rejects[0][0], 3)
        self.assertEqual(self.count(company)['devices'], 1)

    @with_transaction()
    def test_another_shop_not_matched(self):
        "Customers of another shop are never matched"
        pool = Pool()
        Party = pool.get('party.party')
        Device = pool.get('repair.device')
        shop_a = create_company('Shop A')
        shop_b = create_company('Shop B', currency=shop_a.currency)
        text = ('nom;prenom;email;telephone;imei\n'
            'Dupont;Jean;jean@example.fr;0612345678;352099001761481\n')
        _, result = self.run_import(shop_b, text)
        self.assertEqual(result.imported, 1)
        counts_b = self.count(shop_b)

        _, result = self.run_import(shop_a, text)
        self.assertEqual(
            (result.imported, result.merged, result.rejected), (1, 0, 0))
        self.assertEqual(self.count(shop_b), counts_b)
        self.assertEqual(self.count(shop_a), counts_b)
        party_a, = Party.search([('company', '=', shop_a.id),
                ('name', '=', 'Jean Dupont')])
        device_a, = Device.search([('company', '=', shop_a.id)])
        self.assertEqual(device_a.party, party_a)

    @with_transaction()
    def test_unreadable_file_imports_nothing(self):
        "A refused file imports nothing"
        company = create_company()
        before = self.count(company)
        for data in [b'', b'prenom;email\nJean;j@example.fr\n',
                b'\x00\x01\x02garbage\xff']:
            with self.subTest(data=data), set_company(company):
                with self.assertRaises(ImportFileError):
                    import_file(company, data)
        self.assertEqual(self.count(company), before)

    @with_transaction()
    def test_wizard(self):
        "The wizard imports and offers the rejects"
        pool = Pool()
        CustomerImport = pool.get('repair.customer_import', type='wizard')
        company = create_company()
        data = ('name,email,colour\nDupont,jean@example.fr,red\n'
            'Durand,bad,blue\n').encode('utf-8')
        with set_company(company):
            session_id, _, _ = CustomerImport.create()
            result = CustomerImport.execute(session_id, {
                    'start': {'file': data, 'filename': 'clients.csv'},
                    }, 'import_')
            CustomerImport.delete(session_id)
        values = result['view']['defaults']
        self.assertEqual(
            (values['imported'], values['merged'], values['rejected']),
            (1, 0, 1))
        self.assertEqual(values['unknown_columns'], 'colour')
        self.assertEqual(values['rejects_filename'], 'clients.csv.rejects.csv')
        self.assertIn(b'Durand,bad,blue', values['rejects'])
        self.assertEqual(self.count(company)['parties'], 1)


class ScriptTestCase(unittest.TestCase):
    "scripts/import against a SQLite copy of the cached test database"

    @classmethod
    def setUpClass(cls):
        activate_module('repair')
        cache = DB_CACHE and _db_cache_file(DB_CACHE, 'repair')
        if backend.name != 'sqlite' or not cache or not os.path.exists(cache):
            raise unittest.SkipTest("needs SQLite and DB_CACHE")
        cls.directory = tempfile.mkdtemp()
        shutil.copy(cache, os.path.join(cls.directory, 'atelier.sqlite'))
        cls.env = dict(os.environ, TRYTOND_DATABASE__PATH=cls.directory,
            TRYTOND_DATABASE__URI='sqlite://')
        cls.env.pop('TRYTOND_DATABASE_NAMES', None)
        subprocess.run([sys.executable, os.path.join(DATA, 'setup_shops.py'),
                'atelier', 'Shop A', 'Shop B'],
            env=cls.env, check=True, capture_output=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.directory)

    def run_script(self, *args):
        script = os.path.join(
            DATA, '..', '..', '..', '..', 'scripts', 'import')
        return subprocess.run([script] + list(args), env=self.env,
            capture_output=True, text=True, timeout=300)

    def test_script(self):
        "Import, re-import, refused file, choice of shop"
        filename = os.path.join(self.directory, 'clients.csv')
        shutil.copy(os.path.join(DATA, 'customers.csv'), filename)

        result = self.run_script(filename)
        self.assertEqual(result.returncode, 2)
        self.assertIn('Shop A, Shop B', result.stderr)

        result = self.run_script(filename, '--shop', 'Shop A')
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(),
            'imported 1, merged 1, rejected 2')
        self.assertIn('Fidélité', result.stderr)
        with open(filename + '.rejects.csv', encoding='utf-8-sig') as file:
            rows = list(csv.reader(file, delimiter=';'))
        self.assertEqual([r[0] for r in rows[1:]], ['4', '5'])
        self.assertEqual(rows[1][2:4], ['Petit', 'Anne'])

        result = self.run_script(filename, '--shop', 'Shop A', '--db',
            'atelier')
        self.assertEqual(result.stdout.strip(),
            'imported 0, merged 2, rejected 2')

        result = self.run_script(filename, '--shop', 'Shop B')
        self.assertEqual(result.stdout.strip(),
            'imported 1, merged 1, rejected 2')

        with open(filename, 'wb') as file:
            file.write(b'prenom;ville\nJean;Paris\n')
        result = self.run_script(filename, '--shop', 'Shop A')
        self.assertEqual(result.returncode, 1)
        self.assertIn('"nom"', result.stderr)
        self.assertEqual(result.stdout, '')


if __name__ == '__main__':
    unittest.main()
