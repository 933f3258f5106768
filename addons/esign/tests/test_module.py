"""Tests of the signature journal (hashing, tamper detection of each kind)
and of signing a quote (refusals, stamped PDF, confirmation, audit)."""
import base64
import datetime
import hashlib
import io
import json
import time
from decimal import Decimal

from pdfminer.high_level import extract_text
from PIL import Image, ImageDraw

from trytond.modules.account.tests import create_chart
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.esign import image as signature_image
from trytond.modules.esign.exceptions import (
    ImmutableSignatureError, SignatureError)
from trytond.modules.esign.signature import GENESIS_HASH, sha256_hex
from trytond.modules.service_order.tests.tools import (
    create_service_product, create_stages)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction


def drawing(size=(300, 120), fmt='PNG', ink=True, mode='RGBA'):
    "Return the bytes of a signature-like image (a stroke on transparent)."
    image = Image.new(mode, size, (255, 255, 255, 0) if mode == 'RGBA'
        else 'white')
    if ink:
        draw = ImageDraw.Draw(image)
        draw.line([(10, 80), (60, 20), (120, 90), (200, 30), (280, 70)],
            fill=(0, 0, 0, 255) if mode == 'RGBA' else 'black', width=4)
    output = io.BytesIO()
    image.save(output, fmt)
    return output.getvalue()


def data_url(data, mime='image/png'):
    return 'data:%s;base64,%s' % (mime, base64.b64encode(data).decode())


class EsignTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Esign module"
    module = 'esign'
    extras = ['invoice_fr']

    # Helpers

    def _lock(self):
        """Take the journal lock first: Tryton restarts the transaction
        (the whole test) at the first lock, better before any work."""
        Pool().get('esign.signature').lock()

    def _entries(self, company, count=3):
        """Append `count` synthetic journal entries (no real quote) with
        their attachments; return them in journal order."""
        pool = Pool()
        Signature = pool.get('esign.signature')
        Party = pool.get('party.party')
        Attachment = pool.get('ir.attachment')
        Sale = pool.get('sale.sale')
        party, = Party.create([{'name': "Awa Diop",
                    'addresses': [('create', [{}])]}])
        sales = Sale.create([{
                    'party': party.id, 'company': company.id,
                    'currency': company.currency.id,
                    'invoice_address': party.addresses[0].id,
                    } for _ in range(count)])
        vlist = []
        for i, sale in enumerate(sales):
            signed = b'%PDF-signed-' + str(i).encode()
            attachment, = Attachment.create([{
                        'name': 'signed-%s.pdf' % i,
                        'resource': str(party), 'type': 'data',
                        'data': signed}])
            terms = "Conditions %s" % i
            vlist.append({
                    'company': company.id,
                    'document': str(sale),
                    'document_hash': sha256_hex(b'%PDF-' + bytes([i])),
                    'document_pdf': b'%PDF-' + bytes([i]),
                    'signer': party.id,
                    'signer_name': "Awa Diop",
                    'signer_email': 'awa@example.com',
                    'signed_at': datetime.datetime(2025, 3, 5, 13, 30, i,
                        123456),
                    'ip_address': '192.0.2.%s' % i,
                    'user_agent': 'Mozilla/5.0 (Test) é',
                    'terms_accepted': True,
                    'terms': terms,
                    'terms_hash': sha256_hex(terms),
                    'image': drawing(),
                    'signed_pdf': signed,
                    'signed_pdf_hash': sha256_hex(signed),
                    'attachment': attachment.id,
                    })
        Signature.create(vlist[:1])
        Signature.create(vlist[1:])
        return Signature.search([], order=[('sequence', 'ASC')])

    def _sql(self, query, *args):
        cursor = Transaction().connection.cursor()
        cursor.execute(query, args)

    def _kinds(self, problems):
        return sorted({(p.sequence, p.kind) for p in problems})

    def _setup_shop(self, company):
        "Chart of accounts, stages and a product; returns (stages, product)."
        create_chart(company)
        stages = create_stages(company)
        product = create_service_product(price=Decimal('80'),
            company=company)
        company.terms = "Paiement à la livraison. Garantie 3 mois."
        company.timezone = 'Europe/Paris'
        company.save()
        return stages, product

    def _quoted_order(self, company, stages, product, name="Awa Diop"):
        "A service order of a new customer with its quote in quotation."
        pool = Pool()
        Order = pool.get('service.order')
        Line = pool.get('service.order.line')
        Party = pool.get('party.party')
        party, = Party.create([{
                    'name': name, 'addresses': [('create', [{}])],
                    'contact_mechanisms': [('create', [{
                                    'type': 'email',
                                    'value': 'awa@example.com'}])],
                    }])
        order = Order(kind='service', party=party, stage=stages['intake'])
        line = Line(product=product, quantity=2)
        line.on_change_product()
        order.lines = [line]
        order.save()
        Order.quote([order])
        return Order(order.id)

    def _owner_user(self, company):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        user, = User.create([{
                    'login': 'owner', 'name': "Owner",
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'groups': [('add', [
                                ModelData.get_id('workshop', 'group_owner')])],
                    }])
        return user

    # The journal

    @with_transaction()
    def test_chain_hashing(self):
        "Entries are numbered and chained; the hash is the documented one"
        self._lock()
        pool = Pool()
        Signature = pool.get('esign.signature')
        company = create_company()
        with set_company(company):
            first, second, third = self._entries(company)
            self.assertEqual([e.sequence for e in (first, second, third)],
                [1, 2, 3])
            self.assertEqual(first.previous_hash, GENESIS_HASH)
            self.assertEqual(second.previous_hash, first.entry_hash)
            self.assertEqual(third.previous_hash, second.entry_hash)
            self.assertEqual(first.signed_at.microsecond, 0)
            # The docstring's serialisation, written out by hand
            array = ["atelier-esign/1", 1, company.id, str(first.document),
                first.document_hash, first.signer.id, "Awa Diop",
                'awa@example.com', '2025-03-05T13:30:00Z', '192.0.2.0',
                'Mozilla/5.0 (Test) é', True, first.terms_hash,
                hashlib.sha256(first.image).hexdigest(),
                first.signed_pdf_hash, '0' * 64]
            serialised = json.dumps(array, ensure_ascii=False,
                separators=(',', ':')).encode('utf-8')
            self.assertIn('(Test) é"'.encode('utf-8'), serialised)
            self.assertEqual(first.entry_hash,
                hashlib.sha256(serialised).hexdigest())
            self.assertEqual(Signature.verify_chain(), [])
            self.assertEqual(Signature.chain_head_hash(), third.entry_hash)

    @with_transaction()
    def test_immutable(self):
        "Nobody changes, copies or deletes entries, root included"
        self._lock()
        pool = Pool()
        Signature = pool.get('esign.signature')
        ModelAccess = pool.get('ir.model.access')
        company = create_company()
        with set_company(company):
            entry, = self._entries(company, 1)
            with self.assertRaises(ImmutableSignatureError):
                Signature.write([entry], {'signer_name': "Quelqu'un"})
            with self.assertRaises(ImmutableSignatureError):
                Signature.delete([entry])
            with self.assertRaises(ImmutableSignatureError):
                Signature.copy([entry])
            entry.signer_name = "Autre"
            with self.assertRaises(ImmutableSignatureError):
                entry.save()
            user = self._owner_user(company)
            with Transaction().set_user(user.id), \
                    Transaction().set_context(_check_access=True):
                access = ModelAccess.get_access(['esign.signature'])[
                    'esign.signature']
                self.assertEqual(Signature.search([]), [entry])
        self.assertEqual(access, {'read': True, 'write': False,
                'create': False, 'delete': False})

    @with_transaction()
    def test_tamper_changed_field(self):
        "A changed field is found, also when its own hash was recomputed"
        self._lock()
        pool = Pool()
        Signature = pool.get('esign.signature')
        company = create_company()
        with set_company(company):
            first, second, third = self._entries(company)
            self._sql('UPDATE esign_signature SET signer_name = ? '
                'WHERE id = ?', "Ama Diop", second.id)
            problems = Signature.verify_chain()
            self.assertEqual(self._kinds(problems), [(2, 'hash')])
            self.assertEqual(problems[0].id, second.id)
            self.assertIn(second.entry_hash, problems[0].detail)

            # The forger recomputes the entry's hash: the next link breaks
            values = {f: getattr(second, f) for f in [
                    'sequence', 'document', 'document_hash',
                    'signer_email', 'signed_at', 'ip_address',
                    'user_agent', 'terms_accepted', 'terms_hash', 'image',
                    'signed_pdf_hash', 'previous_hash']}
            values.update(company=company.id, signer=second.signer.id,
                signer_name="Ama Diop")
            forged = Signature.entry_digest(values)
            self._sql('UPDATE esign_signature SET entry_hash = ? '
                'WHERE id = ?', forged, second.id)
            self.assertEqual(self._kinds(Signature.verify_chain()),
                [(3, 'chain')])

            # Changed timestamp, acceptance or IP
            self._sql('UPDATE esign_signature SET entry_hash = ?, '
                'signer_name = ?, terms_accepted = ? WHERE id = ?',
                second.entry_hash, "Awa Diop", False, second.id)
            self.assertEqual(self._kinds(Signature.verify_chain()),
                [(2, 'hash')])

    @with_transaction()
    def test_tamper_deleted_row(self):
        "A deleted entry is found: numbering gap and broken link"
        self._lock()
        pool = Pool()
        Signature = pool.get('esign.signature')
        company = create_company()
        with set_company(company):
            first, second, third = self._entries(company)
            self._sql('DELETE FROM esign_signature WHERE id = ?', second.id)
            self.assertEqual(self._kinds(Signature.verify_chain()),
                [(3, 'chain'), (3, 'sequence')])
            # The last one deleted: not detectable from the table alone,
            # the head hash printed by esign-check changes.
            self._sql('DELETE FROM esign_signature WHERE id = ?', third.id)
            self.assertEqual(Signature.verify_chain(), [])
            self.assertEqual(Signature.chain_head_hash(), first.entry_hash)
            self._sql('DELETE FROM esign_signature WHERE id = ?', first.id)
            self.assertEqual(Signature.verify_chain(), [])

    @with_transaction()
    def test_tamper_reordered(self):
        "Entries moved in the journal are found"
        self._lock()
        pool = Pool()
        Signature = pool.get('esign.signature')
        company = create_company()
        with set_company(company):
            first, second, third = self._entries(company)
            # Swap the numbers of the first two entries
            self._sql('UPDATE esign_signature SET sequence = ? WHERE id = ?',
                -1, first.id)
            self._sql('UPDATE esign_signature SET sequence = ? WHERE id = ?',
                1, second.id)
            self._sql('UPDATE esign_signature SET sequence = ? WHERE id = ?',
                2, first.id)
            kinds = self._kinds(Signature.verify_chain())
            self.assertIn((1, 'hash'), kinds)
            self.assertIn((1, 'chain'), kinds)
            self.assertIn((2, 'order'), kinds)
            self.assertIn((2, 'chain'), kinds)

            # Swap whole rows' contents but their ids: ids go backwards
            self._sql('UPDATE esign_signature SET sequence = ? WHERE id = ?',
                -1, first.id)
            self._sql('UPDATE esign_signature SET sequence = ? WHERE id = ?',
                2, second.id)
            self._sql('UPDATE esign_signature SET sequence = ? WHERE id = ?',
                1, first.id)
            self.assertEqual(Signature.verify_chain(), [])
            self._sql('UPDATE esign_signature SET id = ? WHERE id = ?',
                -5, third.id)
            self.assertIn((3, 'order'),
                self._kinds(Signature.verify_chain()))

    @with_transaction()
    def test_tamper_forged_pdf(self):
        "A forged stored PDF, terms text or attached PDF is found"
        self._lock()
        pool = Pool()
        Signature = pool.get('esign.signature')
        Attachment = pool.get('ir.attachment')
        company = create_company()
        with set_company(company):
            first, second, third = self._entries(company)
            self._sql('UPDATE esign_signature SET signed_pdf = ? '
                'WHERE id = ?', b'%PDF-forged', first.id)
            self._sql('UPDATE esign_signature SET document_pdf = ? '
                'WHERE id = ?', b'%PDF-other quote', second.id)
            self._sql('UPDATE esign_signature SET terms = ? '
                'WHERE id = ?', "Conditions changées", third.id)
            self.assertEqual(self._kinds(Signature.verify_chain()), [
                    (1, 'signed_pdf'), (2, 'document_pdf'), (3, 'terms')])

            self._sql('UPDATE esign_signature SET signed_pdf = ?, '
                'document_pdf = ?, terms = ?', None, None, None)
            Attachment.write([third.attachment], {'data': b'%PDF-forged'})
            self._sql('UPDATE esign_signature SET attachment = NULL '
                'WHERE id = ?', first.id)
            kinds = self._kinds(Signature.verify_chain())
            self.assertIn((1, 'attachment'), kinds)
            self.assertIn((3, 'attachment'), kinds)
            self.assertNotIn((2, 'attachment'), kinds)

    # Signing

    def test_image_clean(self):
        "Real PNG and JPEG images pass, normalised to PNG; others do not"
        png = signature_image.clean(drawing())
        self.assertTrue(png.startswith(b'\x89PNG'))
        self.assertEqual(signature_image.clean(data_url(drawing())), png)
        jpeg = signature_image.clean(data_url(
                drawing(fmt='JPEG', mode='RGB'), 'image/jpeg'))
        self.assertTrue(jpeg.startswith(b'\x89PNG'))
        large = signature_image.clean(drawing(size=(3000, 1500)))
        with Image.open(io.BytesIO(large)) as image:
            self.assertLessEqual(image.size[0], 1200)

    @with_transaction()
    def test_image_refused(self):
        "Missing, fake, GIF, blank, tiny, huge or malformed images refused"
        gif = drawing(fmt='GIF', mode='RGB')
        for value, message in [
                (b'', 'Draw your signature'),
                ('', 'Draw your signature'),
                (b'not an image at all', 'PNG or JPEG'),
                (b'\x89PNG\r\n\x1a\n' + b'\0' * 200, 'PNG or JPEG'),
                (drawing()[:200], 'PNG or JPEG'),
                (gif, 'PNG or JPEG'),
                ('data:image/gif;base64,' + base64.b64encode(gif).decode(),
                    'PNG or JPEG'),
                ('data:image/png;base64,!!!', 'PNG or JPEG'),
                ('https://example.com/signature.png', 'PNG or JPEG'),
                (drawing(ink=False), 'empty'),
                (drawing(size=(10, 5)), 'pixels'),
                (drawing(size=(7000, 30)), 'pixels'),
                (b'\x89PNG' + b'0' * (6 * 1024 * 1024), 'at most'),
                ]:
            with self.subTest(message=message, value=value[:30]):
                with self.assertRaises(SignatureError) as cm:
                    signature_image.clean(value)
                self.assertIn(message, cm.exception.message)
                self.assertEqual(cm.exception.reason, 'image')

    @with_transaction()
    def test_quote_pdf_reproducible(self):
        """The same quote renders to the same bytes (also a second later);
        a change of the quote changes them"""
        pool = Pool()
        Signature = pool.get('esign.signature')
        Sale = pool.get('sale.sale')
        company = create_company()
        with set_company(company):
            stages, product = self._setup_shop(company)
            order = self._quoted_order(company, stages, product)
            pdf, digest = Signature.quote_pdf(order.sale)
            self.assertTrue(pdf.startswith(b'%PDF'))
            self.assertEqual(digest, hashlib.sha256(pdf).hexdigest())
            self.assertIn('Devis', extract_text(io.BytesIO(pdf)))
            time.sleep(1.1)
            self.assertEqual(Signature.quote_pdf(order.sale)[1], digest)
            sale = order.sale
            Sale.draft([sale])
            line, = sale.lines
            line.quantity = 3
            line.save()
            Sale.quote([sale])
            self.assertNotEqual(Signature.quote_pdf(Sale(sale.id))[1],
                digest)

            # Without a PDF report (no invoice_fr), esign's own quote
            fallback = Signature._fallback_quote_pdf(Sale(sale.id))
            text = extract_text(io.BytesIO(fallback))
            self.assertIn('Devis %s' % sale.number, text)
            self.assertIn('Garantie 3 mois', text)

    @with_transaction()
    def test_sign_quote(self):
        """Signing writes the entry, stamps and attaches the PDF, confirms
        the quote as staff approval does, audits and notifies; twice is
        refused"""
        self._lock()
        pool = Pool()
        Signature = pool.get('esign.signature')
        Sale = pool.get('sale.sale')
        Order = pool.get('service.order')
        Audit = pool.get('workshop.audit')
        Notification = pool.get('res.notification')
        company = create_company()
        with set_company(company):
            stages, product = self._setup_shop(company)
            owner = self._owner_user(company)
            order = self._quoted_order(company, stages, product)
            sale = order.sale
            party = order.party

            state = Sale.esign_state(sale, party=party, company=company)
            self.assertTrue(state['signable'], state)
            self.assertFalse(state['signed'])
            self.assertEqual(len(state['shown_hash']), 64)
            pdf, digest = Signature.quote_pdf(sale)
            self.assertEqual(state['shown_hash'], digest)

            signature = Signature.sign_quote(sale, party,
                "  Awa   Diop ", data_url(drawing()), True,
                state['shown_hash'].upper(), ip='203.0.113.7',
                user_agent='Mozilla/5.0 (Linux; Android 10)',
                email='awa.diop@example.com', company=company)

            self.assertEqual(signature.sequence, 1)
            self.assertEqual(signature.document, sale)
            self.assertEqual(signature.order, order)
            self.assertEqual(signature.document_hash, digest)
            self.assertEqual(bytes(signature.document_pdf), pdf)
            self.assertEqual(signature.signer, party)
            self.assertEqual(signature.signer_name, "Awa Diop")
            self.assertEqual(signature.signer_email, 'awa.diop@example.com')
            self.assertEqual(signature.ip_address, '203.0.113.7')
            self.assertTrue(signature.terms_accepted)
            self.assertEqual(signature.terms_hash,
                sha256_hex("Paiement à la livraison. Garantie 3 mois."))
            self.assertTrue(bytes(signature.image).startswith(b'\x89PNG'))
            self.assertLess(abs(datetime.datetime.utcnow()
                    - signature.signed_at), datetime.timedelta(minutes=1))

            # The stamped PDF: the quote's pages plus the stamp page
            signed = bytes(signature.signed_pdf)
            self.assertEqual(signature.signed_pdf_hash, sha256_hex(signed))
            text = extract_text(io.BytesIO(signed))
            self.assertIn('Signé électroniquement par Awa Diop le', text)
            self.assertIn(digest, text)
            self.assertIn('Devis', text)
            self.assertIn('203.0.113.7', text)
            self.assertIn('(Europe/Paris)', text)
            attachment = signature.attachment
            self.assertEqual(attachment.resource, order)
            self.assertEqual(bytes(attachment.data), signed)
            self.assertTrue(attachment.name.endswith('.pdf'))

            # Confirmed exactly as when staff approve
            order = Order(order.id)
            sale = Sale(sale.id)
            self.assertIn(sale.state, {'confirmed', 'processing'})
            self.assertTrue(order.quote_approved_at)
            self.assertIn("Awa Diop", order.quote_approval_note)
            self.assertTrue(sale.invoices)
            signed_row, = Audit.search([('action', '=', 'quote_signed')])
            self.assertEqual(signed_row.resource, order)
            self.assertIn(digest, signed_row.description)
            self.assertEqual(signed_row.company, company)
            self.assertEqual(len(Audit.search(
                        [('action', '=', 'quote_approved')])), 1)
            notification, = Notification.search([('user', '=', owner.id)])
            self.assertIn(order.number, notification.label)
            self.assertEqual(json.loads(notification.records), [order.id])

            state = Sale.esign_state(sale, party=party, company=company)
            self.assertFalse(state['signable'])
            self.assertEqual(state['reason'], 'signed')
            self.assertTrue(state['signed'])
            self.assertEqual(state['signature'], signature.id)
            self.assertEqual(state['signed_pdf'], attachment.id)
            self.assertEqual(state['signer_name'], "Awa Diop")

            # Signing twice: refused, one signature
            with self.assertRaises(SignatureError) as cm:
                Signature.sign_quote(sale, party, "Awa Diop", drawing(),
                    True, digest)
            self.assertEqual(cm.exception.reason, 'signed')
            self.assertEqual(Signature.search([], count=True), 1)
            self.assertEqual(Signature.verify_chain(), [])

    @with_transaction()
    def test_sign_refused(self):
        """Another customer or shop, no terms, no name, a bad image, a
        changed quote, a quote not in quotation or expired: refused, with
        nothing written"""
        self._lock()
        pool = Pool()
        Signature = pool.get('esign.signature')
        Sale = pool.get('sale.sale')
        Party = pool.get('party.party')
        Order = pool.get('service.order')
        company = create_company()
        other_company = create_company(name="Autre boutique")
        with set_company(other_company):
            stranger, = Party.create([{'name': "Awa Diop"}])
        with set_company(company):
            stages, product = self._setup_shop(company)
            order = self._quoted_order(company, stages, product)
            sale, party = order.sale, order.party
            other, = Party.create([{'name': "Kofi Mensah"}])
            digest = Sale.esign_state(sale, party=party)['shown_hash']
            good = {'full_name': "Awa Diop", 'image': drawing(),
                'accepted_terms': True, 'shown_hash': digest}

            def refused(reason, party=party, company=None, **changes):
                values = dict(good, **changes)
                with self.assertRaises(SignatureError) as cm:
                    Signature.sign_quote(sale, party, values['full_name'],
                        values['image'], values['accepted_terms'],
                        values['shown_hash'], company=company)
                self.assertEqual(cm.exception.reason, reason,
                    cm.exception.message)
                return cm.exception.message

            self.assertEqual(refused('other', party=other),
                "This quote is not yours.")
            refused('other', party=stranger)
            refused('other', company=other_company)
            self.assertEqual(
                Sale.esign_state(sale, party=other)['reason'], 'other')
            self.assertIsNone(
                Sale.esign_state(sale, party=other)['shown_hash'])
            self.assertIn('Accept the terms',
                refused('terms', accepted_terms=False))
            self.assertIn('full name', refused('name', full_name="  "))
            refused('name', full_name="x" * 201)
            refused('image', image=drawing(ink=False))
            refused('image', image=b'GIF89a')
            self.assertIn('changed since it was shown',
                refused('changed', shown_hash='0' * 64))
            refused('changed', shown_hash='')

            # The quote changes after it was shown
            Sale.draft([sale])
            self.assertEqual(
                Sale.esign_state(sale, party=party)['reason'], 'state')
            refused('state')
            line, = sale.lines
            line.unit_price = Decimal('70')
            line.save()
            Sale.quote([sale])
            refused('changed')

            # Expired
            sale.quotation_date = datetime.date.today() - \
                datetime.timedelta(days=400)
            sale.quotation_validity = datetime.timedelta(days=30)
            sale.save()
            self.assertIn('expired', refused('expired'))

            self.assertEqual(Signature.search([], count=True), 0)
            self.assertFalse(Order(order.id).quote_approved_at)


del ModuleTestCase
