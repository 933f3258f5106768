"""Electronic signature of quotes and the signature journal.

A customer signs a quote (`sale.sale` in state quotation) on the portal by
drawing or uploading a signature image, typing their full name and ticking
the acceptance of the shop's terms. `Signature.sign_quote` is the only way
in: it checks the quote is theirs and unchanged since it was shown, writes
one journal entry, stores the quote PDF stamped "Signé électroniquement
par ..." and confirms the quote exactly as staff do (the service order's
`approve_quote`).

This is a simple electronic signature in the sense of Regulation (EU)
No 910/2014 (eIDAS), art. 3 (10) and art. 25 (1): it may not be denied
legal effect or admissibility as evidence because it is electronic. Under
the French Code civil, art. 1366, an electronic writing has the same
evidential value as paper if its author can be identified and it is made
and kept in conditions that guarantee its integrity; art. 1367 requires a
reliable identification process guaranteeing its link with the document.
The journal serves both: who (party, typed name, email, IP address, user
agent, the signed-in account through the caller), what (the SHA-256 of the
exact PDF shown) and when (UTC), in entries chained by their hashes so that
a change, deletion or reordering is detected by `verify_chain`
(scripts/esign-check).

The journal is global to the database (one chain for every shop), each
entry belonging to one shop (`company`, global rule). Entries are
immutable: write, copy and delete are refused to everyone, root included.
A chain of hashes shows tampering by anyone who cannot recompute every
later hash; against someone with write access to the database who does,
record the last hash printed by scripts/esign-check elsewhere (an email,
the backup log) from time to time.
"""
import datetime
import hashlib
import hmac
import json
import unicodedata
from collections import namedtuple

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from trytond.modules.service_order.routes import french_date

from . import image as signature_image
from .document import append_pages, data_uri, render, reproducible_fonts
from .exceptions import ImmutableSignatureError, SignatureError

#: Format tag, first item of the hashed array (see Signature.entry_digest).
HASH_FORMAT = 'atelier-esign/1'
#: previous_hash of the first entry of a database.
GENESIS_HASH = '0' * 64
#: Longest typed full name accepted, in characters.
MAX_NAME = 200
#: Longest user agent kept, in characters.
MAX_USER_AGENT = 512

#: One finding of Signature.verify_chain: the entry's id and sequence
#: (None when the finding is about the journal as a whole), a kind among
#: 'sequence' (entries missing before it), 'order' (ids not increasing with
#: sequence), 'chain' (previous_hash is not the hash of the entry before),
#: 'hash' (a hashed field changed), 'document_pdf', 'signed_pdf', 'terms'
#: (a stored file or text no longer has its recorded hash), 'attachment'
#: (the signed PDF attached to the job is missing or differs), and a
#: translated detail (str).
Problem = namedtuple('Problem', ['id', 'sequence', 'kind', 'detail'])


def sha256_hex(data):
    """Return the SHA-256 of `data` (bytes, or str encoded as UTF-8) as 64
    lowercase hexadecimal characters."""
    if isinstance(data, str):
        data = data.encode('utf-8')
    return hashlib.sha256(bytes(data or b'')).hexdigest()


def clean_name(value):
    """Return the typed full name `value` normalised as stored and hashed:
    Unicode NFC, white space collapsed to single spaces, stripped.

    Raises SignatureError when it is empty or longer than MAX_NAME."""
    name = ' '.join(unicodedata.normalize('NFC', value or '').split())
    if not name:
        raise SignatureError(gettext('esign.msg_name_required'),
            reason='name')
    if len(name) > MAX_NAME:
        raise SignatureError(gettext('esign.msg_name_too_long',
                max=MAX_NAME), reason='name')
    return name


def _utc_text(value):
    "Return the naive UTC datetime `value` as 'YYYY-MM-DDTHH:MM:SSZ'."
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return value.strftime('%Y-%m-%dT%H:%M:%SZ')


class Signature(ModelSQL, ModelView):
    "Quote Signature"
    __name__ = 'esign.signature'
    __string__ = "Quote Signature"

    company = fields.Many2One(
        'company.company', "Shop", required=True, readonly=True,
        ondelete='RESTRICT')
    sequence = fields.Integer("Number", readonly=True,
        help="Position in the signature journal of the database, from 1.")
    document = fields.Reference("Document", selection=[
            ('sale.sale', "Quote"),
            ], required=True, readonly=True)
    order = fields.Many2One('service.order', "Service Order", readonly=True,
        ondelete='RESTRICT')
    document_hash = fields.Char("Document SHA-256", size=64, required=True,
        readonly=True,
        help="SHA-256 of the quote PDF shown to and signed by the customer.")
    document_pdf = fields.Binary("Quote PDF", readonly=True,
        filename='document_filename')
    document_filename = fields.Function(
        fields.Char("Quote File Name"), 'get_filenames')
    signer = fields.Many2One('party.party', "Signer", required=True,
        readonly=True, ondelete='RESTRICT',
        context={'company': Eval('company', -1)}, depends={'company'})
    signer_name = fields.Char("Typed Full Name", required=True,
        readonly=True)
    signer_email = fields.Char("Signer Email", readonly=True)
    signed_at = fields.DateTime("Signed At (UTC)", required=True,
        readonly=True)
    ip_address = fields.Char("IP Address", readonly=True)
    user_agent = fields.Char("User Agent", readonly=True)
    terms_accepted = fields.Boolean("Terms Accepted", readonly=True)
    terms = fields.Text("Terms", readonly=True,
        help="The shop's terms as shown to the customer.")
    terms_hash = fields.Char("Terms SHA-256", size=64, readonly=True)
    image = fields.Binary("Signature Image", required=True, readonly=True)
    signed_pdf = fields.Binary("Signed PDF", required=True, readonly=True,
        filename='signed_filename')
    signed_filename = fields.Function(
        fields.Char("Signed File Name"), 'get_filenames')
    signed_pdf_hash = fields.Char("Signed PDF SHA-256", size=64,
        required=True, readonly=True)
    attachment = fields.Many2One('ir.attachment', "Attachment",
        readonly=True, ondelete='RESTRICT',
        help="The signed PDF attached to the job (or the quote).")
    previous_hash = fields.Char("Previous Entry Hash", size=64,
        readonly=True)
    entry_hash = fields.Char("Entry Hash", size=64, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('sequence', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_constraints += [
            ('sequence_unique', Unique(t, t.sequence),
                'esign.msg_sequence_unique'),
            ('previous_hash_unique', Unique(t, t.previous_hash),
                'esign.msg_chain_fork'),
            ('entry_hash_unique', Unique(t, t.entry_hash),
                'esign.msg_chain_fork'),
            ('document_unique', Unique(t, t.document),
                'esign.msg_document_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.company, Index.Equality()),
                    (t.signed_at, Index.Range())),
                Index(t, (t.document_hash, Index.Equality())),
                })

    def get_rec_name(self, name):
        return gettext('esign.msg_rec_name', sequence=self.sequence,
            name=self.signer_name)

    @classmethod
    def get_filenames(cls, signatures, names):
        result = {n: {} for n in names}
        for signature in signatures:
            number = getattr(signature.document, 'number', None) or ''
            for name in names:
                suffix = '-signe' if name == 'signed_filename' else ''
                result[name][signature.id] = 'devis-%s%s.pdf' % (
                    number or signature.id, suffix)
        return result

    # The journal is append-only.

    @classmethod
    def write(cls, *args):
        if any(args[::2]):
            raise ImmutableSignatureError(gettext('esign.msg_immutable'))

    @classmethod
    def delete(cls, signatures):
        if signatures:
            raise ImmutableSignatureError(gettext('esign.msg_immutable'))

    @classmethod
    def copy(cls, signatures, default=None):
        if signatures:
            raise ImmutableSignatureError(gettext('esign.msg_immutable'))
        return []

    @classmethod
    def create(cls, vlist):
        """Append entries to the journal, in order, and return them.

        `sequence`, `previous_hash` and `entry_hash` are computed here,
        with the table locked (on PostgreSQL, LOCK ... IN EXCLUSIVE MODE at
        the start of the transaction, taken through Tryton's restart; on
        SQLite the database serialises writers), so that two concurrent
        signatures cannot both follow the same entry; the unique
        constraints on sequence and previous_hash are the backstop.
        `signed_at` loses its microseconds (it is hashed to the second).
        """
        cls.lock()
        sequence, previous = cls._chain_head()
        vlist = [v.copy() for v in vlist]
        for values in vlist:
            sequence += 1
            values['sequence'] = sequence
            values['previous_hash'] = previous
            values['signed_at'] = values['signed_at'].replace(microsecond=0)
            if not isinstance(values['document'], str):
                values['document'] = str(values['document'])
            values['entry_hash'] = previous = cls.entry_digest(values)
        return super().create(vlist)

    @classmethod
    def _chain_head(cls):
        "Return (sequence, entry_hash) of the last entry, or (0, GENESIS)."
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.sequence, table.entry_hash,
                order_by=[table.sequence.desc], limit=1))
        row = cursor.fetchone()
        return (row[0], row[1]) if row else (0, GENESIS_HASH)

    @classmethod
    def entry_digest(cls, values):
        """Return the hash of a journal entry (64 lowercase hex characters).

        `values` maps field names to their stored values (ids for
        company and signer, "sale.sale,<id>" for document, bytes for
        image, naive UTC datetime or ISO text for signed_at).

        entry_hash = SHA-256 of the UTF-8 bytes of the JSON array, in
        this order:

         0. "atelier-esign/1"   format tag (HASH_FORMAT)
         1. sequence            int, 1 for the database's first entry
         2. company             int, company.company id
         3. document            str, "sale.sale,<id>"
         4. document_hash       str, SHA-256 hex of the quote PDF shown
         5. signer              int, party.party id
         6. signer_name         str, the typed name (see clean_name)
         7. signer_email        str, "" when none
         8. signed_at           str, UTC, "YYYY-MM-DDTHH:MM:SSZ"
         9. ip_address          str, "" when none
        10. user_agent          str, "" when none
        11. terms_accepted      true or false
        12. terms_hash          str, SHA-256 hex of the terms' UTF-8 text
        13. image               str, SHA-256 hex of the stored PNG bytes
        14. signed_pdf_hash     str, SHA-256 hex of the stamped PDF
        15. previous_hash       str, entry_hash of entry sequence - 1,
                                GENESIS_HASH ("0" * 64) for the first

        serialised as Python's json.dumps(array, ensure_ascii=False,
        separators=(',', ':')): no white space, non-ASCII characters as
        UTF-8, only '"', '\\' and control characters escaped.
        """
        def text(name):
            return values.get(name) or ''

        def ident(name):
            value = values.get(name)
            return int(getattr(value, 'id', value))

        array = [
            HASH_FORMAT,
            int(values['sequence']),
            ident('company'),
            str(values['document']),
            text('document_hash'),
            ident('signer'),
            text('signer_name'),
            text('signer_email'),
            _utc_text(values['signed_at']),
            text('ip_address'),
            text('user_agent'),
            bool(values.get('terms_accepted')),
            text('terms_hash'),
            sha256_hex(values.get('image')),
            text('signed_pdf_hash'),
            text('previous_hash'),
            ]
        return sha256_hex(json.dumps(
                array, ensure_ascii=False, separators=(',', ':')))

    # Verification

    @classmethod
    def verify_chain(cls):
        """Recompute the whole journal of the database and return the list
        of Problem found (empty: intact), in journal order.

        Reads the table directly, sequence by sequence, 50 entries at a
        time: every entry's hash from its fields (a changed field), the
        link of each entry to the one before (a deleted, inserted or moved
        entry), the numbering from 1 without gaps, ids increasing with
        sequence (reordering), the stored quote PDF, signed PDF and terms
        against their recorded hashes (forged files) and the signed PDF
        attached to the job against the recorded hash.
        """
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.id,
                order_by=[table.sequence.asc, table.id.asc]))
        ids = [r[0] for r in cursor]
        columns = ['id', 'sequence', 'company', 'document', 'document_hash',
            'document_pdf', 'signer', 'signer_name', 'signer_email',
            'signed_at', 'ip_address', 'user_agent', 'terms_accepted',
            'terms', 'terms_hash', 'image', 'signed_pdf', 'signed_pdf_hash',
            'attachment', 'previous_hash', 'entry_hash']
        problems = []
        previous = {'sequence': 0, 'entry_hash': GENESIS_HASH, 'id': 0}
        position = {id_: i for i, id_ in enumerate(ids)}

        def problem(row, kind, message, **kwargs):
            problems.append(Problem(row['id'], row['sequence'], kind,
                    gettext('esign.msg_check_%s' % message, **kwargs)))

        for sub_ids in grouped_slice(ids, 50):
            sub_ids = list(sub_ids)
            cursor.execute(*table.select(
                    *[getattr(table, c) for c in columns],
                    where=table.id.in_(sub_ids)))
            rows = sorted((dict(zip(columns, r)) for r in cursor),
                key=lambda r: position[r['id']])
            for row in rows:
                for name in ['image', 'document_pdf', 'signed_pdf']:
                    if row[name] is not None:
                        row[name] = bytes(row[name])
                sequence = row['sequence']
                if sequence != previous['sequence'] + 1:
                    problem(row, 'sequence', 'sequence',
                        previous=previous['sequence'])
                if row['id'] < previous['id']:
                    problem(row, 'order', 'order', previous=previous['id'])
                if row['previous_hash'] != previous['entry_hash']:
                    problem(row, 'chain', 'chain',
                        stored=row['previous_hash'],
                        expected=previous['entry_hash'],
                        previous=previous['sequence'])
                try:
                    digest = cls.entry_digest(row)
                except (TypeError, ValueError, KeyError) as exception:
                    digest = str(exception)
                if digest != row['entry_hash']:
                    problem(row, 'hash', 'hash', stored=row['entry_hash'],
                        computed=digest)
                if sha256_hex(row['document_pdf']) != row['document_hash']:
                    problem(row, 'document_pdf', 'document_pdf')
                if sha256_hex(row['signed_pdf']) != row['signed_pdf_hash']:
                    problem(row, 'signed_pdf', 'signed_pdf')
                if sha256_hex(row['terms']) != row['terms_hash']:
                    problem(row, 'terms', 'terms')
                attachments = Attachment.search(
                    [('id', '=', row['attachment'])]
                    ) if row['attachment'] else []
                if not attachments:
                    problem(row, 'attachment', 'attachment_missing')
                elif (sha256_hex(attachments[0].data)
                        != row['signed_pdf_hash']):
                    problem(row, 'attachment', 'attachment')
                previous = row
        return problems

    @classmethod
    def chain_head_hash(cls):
        "Return the entry_hash of the last entry (GENESIS_HASH if none)."
        return cls._chain_head()[1]

    # Signing

    @classmethod
    def _order_of(cls, sale):
        "Return the service.order whose quote is `sale`, or None."
        Order = Pool().get('service.order')
        orders = Order.search([('sale', '=', sale.id)], limit=1)
        return orders[0] if orders else None

    @classmethod
    def of_document(cls, sale):
        "Return the signature of `sale` (a sale.sale), or None."
        with without_check_access():
            signatures = cls.search([('document', '=', str(sale))], limit=1)
        return signatures[0] if signatures else None

    @classmethod
    def check_owner(cls, sale, party=None, company=None):
        """Raise SignatureError (reason 'other') unless quote `sale` is of
        customer `party` (party.party) and shop `company`
        (company.company), and the party is not another shop's. None skips
        the check of that argument."""
        if party is not None and (sale.party != party
                or (getattr(party, 'company', None)
                    and party.company != sale.company)):
            raise SignatureError(gettext('esign.msg_other_quote'),
                reason='other')
        if company is not None and sale.company != company:
            raise SignatureError(gettext('esign.msg_other_quote'),
                reason='other')

    @classmethod
    def check_signable(cls, sale, party=None, company=None):
        """Raise SignatureError (with `reason` set) unless `sale` can be
        signed now by `party` (a party.party) for shop `company` (a
        company.company): checked in this order so that someone else's quote
        tells nothing more:

        - 'other': the quote is not the party's, or not the shop's, or the
          party belongs to another shop;
        - 'signed': it already has a signature;
        - 'state': it is not in the sale workflow's quotation state;
        - 'expired': its validity (quotation_expire) is over (the sale
          workflow would refuse to confirm it).
        None for party or company skips that check (staff views)."""
        Date = Pool().get('ir.date')
        cls.check_owner(sale, party=party, company=company)
        if cls.of_document(sale):
            raise SignatureError(gettext('esign.msg_already_signed',
                    quote=sale.rec_name), reason='signed')
        if sale.state != 'quotation':
            raise SignatureError(gettext('esign.msg_not_quotation',
                    quote=sale.rec_name), reason='state')
        with Transaction().set_context(company=sale.company.id):
            today = Date.today()
        if sale.quotation_expire and sale.quotation_expire < today:
            raise SignatureError(gettext('esign.msg_quote_expired',
                    quote=sale.rec_name,
                    date=french_date(sale.quotation_expire)),
                reason='expired')

    @classmethod
    def document_language(cls, sale):
        "Return the code of the quote's language: the customer's, else fr."
        party = sale.party
        return party.lang.code if party and party.lang else 'fr'

    @classmethod
    def quote_pdf(cls, sale):
        """Return (pdf, sha256) of quote `sale` as shown to the customer:
        the PDF bytes of the `sale.sale` report (invoice_fr's French quote
        when active) and their SHA-256 hex digest.

        Rendered as root in the customer's language with the shop as
        company, so that every caller (portal page, signing, staff) gets
        the same bytes for the same quote (see document.py on
        reproducibility). When the report does not give a PDF (the stock
        OpenDocument report, without invoice_fr), esign's own minimal quote
        (quote.html) is rendered instead. Raises SignatureError or the
        report's error when rendering fails."""
        pool = Pool()
        SaleReport = pool.get('sale.sale', type='report')
        transaction = Transaction()
        with transaction.set_user(0), transaction.set_context(
                language=cls.document_language(sale),
                company=sale.company.id, _check_access=False):
            reproducible_fonts()
            extension, content = SaleReport.execute([sale.id], {})[:2]
            content = bytes(content)
            if extension != 'pdf' or not content.startswith(b'%PDF'):
                content = cls._fallback_quote_pdf(pool.get('sale.sale')(
                        sale.id))
        return content, sha256_hex(content)

    @classmethod
    def _fallback_quote_pdf(cls, sale):
        "Return the PDF of esign's own quote template for `sale`."
        from trytond.modules.service_order.routes import french_amount
        return render('quote.html', sale=sale, amount=french_amount,
            date=french_date, terms=cls.shop_terms(sale))

    @classmethod
    def shop_terms(cls, sale):
        """Return the shop's terms (company.terms, workshop) as shown with
        quote `sale`: in the customer's language, '' when none."""
        Company = Pool().get('company.company')
        with Transaction().set_context(
                language=cls.document_language(sale)):
            return Company(sale.company.id).terms or ''

    @classmethod
    def sign_quote(cls, sale, party, full_name, image, accepted_terms,
            shown_hash, ip=None, user_agent=None, email=None, company=None):
        """Sign quote `sale` (sale.sale) for customer `party` (party.party)
        and return the new esign.signature.

        full_name: the name the customer typed (str); image: the signature
        as PNG or JPEG bytes or a data URL (see image.clean);
        accepted_terms: the terms checkbox (bool); shown_hash: the SHA-256
        hex of the quote PDF the page showed (esign_state/quote_pdf); ip,
        user_agent: of the request (str); email: the signed-in account's
        email (default: the party's); company: the shop of the signed-in
        account (default: not checked beyond the party's shop).

        Refuses with SignatureError (clear message, `reason` set) a quote
        that is not theirs, already signed, not in quotation or expired
        (check_signable), terms not accepted ('terms'), an empty name
        ('name'), an invalid image ('image'), or a quote whose PDF
        rendered now differs from what was shown ('changed').

        Then, in the caller's transaction: writes the journal entry with
        the quote PDF and the signed PDF (the quote followed by a stamp page
        "Signé électroniquement par <name> le <date> à <heure>" in the
        shop's timezone, with the image and the document hash), attaches
        the signed PDF to the service order (the sale without one),
        approves the quote as staff would (service.order.approve_quote:
        the sale is confirmed and processed, the approval audited; a sale
        without service order is confirmed and processed directly), audits
        'quote_signed' and notifies the shop's staff (res.notification).

        The journal table is locked first (see create): two attempts at
        once are serialised and the second finds the quote signed.
        """
        pool = Pool()
        Sale = pool.get('sale.sale')
        Order = pool.get('service.order')
        Attachment = pool.get('ir.attachment')
        Audit = pool.get('workshop.audit')
        # Tryton starts the transaction again for each lock first asked:
        # ask for them before any work. Sale.process locks the sale.
        cls.lock()
        Sale.lock([sale])
        transaction = Transaction()
        with without_check_access(), transaction.set_context(
                company=sale.company.id, companies=[sale.company.id]):
            sale = Sale(sale.id)
            cls.check_signable(sale, party=party, company=company)
            name = clean_name(full_name)
            if not accepted_terms:
                raise SignatureError(gettext('esign.msg_terms_required'),
                    reason='terms')
            png = signature_image.clean(image)
            pdf, digest = cls.quote_pdf(sale)
            if not hmac.compare_digest(digest,
                    (shown_hash or '').strip().lower()):
                raise SignatureError(gettext('esign.msg_quote_changed',
                        quote=sale.rec_name), reason='changed')
            terms = cls.shop_terms(sale)
            order = cls._order_of(sale)
            now = datetime.datetime.now(datetime.timezone.utc).replace(
                tzinfo=None, microsecond=0)
            values = {
                'company': sale.company.id,
                'document': str(sale),
                'order': order.id if order else None,
                'document_hash': digest,
                'document_pdf': pdf,
                'signer': party.id,
                'signer_name': name,
                'signer_email': ((email or party.email or '').strip()
                    or None),
                'signed_at': now,
                'ip_address': (ip or '')[:64] or None,
                'user_agent': (user_agent or '')[:MAX_USER_AGENT] or None,
                'terms_accepted': True,
                'terms': terms,
                'terms_hash': sha256_hex(terms),
                'image': png,
                }
            signed_pdf = cls._signed_pdf(sale, pdf, values)
            values['signed_pdf'] = signed_pdf
            values['signed_pdf_hash'] = sha256_hex(signed_pdf)
            attachment, = Attachment.create([
                    cls._attachment_values(sale, order, values)])
            values['attachment'] = attachment.id
            signature, = cls.create([values])
            note = gettext('esign.msg_approval_note', name=name,
                sequence=signature.sequence)
            if order:
                Order.approve_quote([order], note=note)
            else:
                Sale.confirm([sale])
                Sale.process([sale])
            Audit.log('quote_signed', [order or sale],
                description=gettext('esign.msg_audit',
                    name=name, quote=sale.rec_name, hash=digest,
                    sequence=signature.sequence))
            cls._notify_staff(signature, sale, order)
        return signature

    @classmethod
    def _attachment_values(cls, sale, order, values):
        """Return the values of the ir.attachment of the signed PDF of
        `sale`, on `order` (service.order) or on the sale without one;
        `values` are the journal entry's (signed_pdf, signer_name,
        document_hash...). Extended by the portal integration (shared
        with the customer)."""
        return {
            'name': gettext('esign.msg_attachment_name',
                quote=sale.number or sale.id),
            'resource': str(order or sale),
            'type': 'data',
            'data': values['signed_pdf'],
            'description': gettext('esign.msg_attachment_description',
                name=values['signer_name'], hash=values['document_hash']),
            }

    @classmethod
    def _signed_pdf(cls, sale, pdf, values):
        """Return the signed PDF: the quote `pdf` followed by the stamp
        page made from the entry `values` (French, the shop's timezone)."""
        company = sale.company
        tz = getattr(company, 'timezone', None)
        stamp = render('stamp.html',
            quote=sale.number or str(sale.id),
            shop=company.rec_name,
            colour=getattr(company, 'primary_colour', None) or '#1f4e79',
            name=values['signer_name'],
            when=french_date(values['signed_at'], tz),
            tz=tz or 'UTC',
            image=data_uri(values['image']),
            email=values['signer_email'],
            ip=values['ip_address'],
            user_agent=values['user_agent'],
            document_hash=values['document_hash'],
            terms=bool(values['terms']),
            terms_hash=values['terms_hash'])
        return append_pages(pdf, stamp, metadata={
                '/Subject': "Devis %s signé électroniquement par %s" % (
                    sale.number or sale.id, values['signer_name']),
                '/Keywords': 'sha256:%s' % values['document_hash'],
                })

    @classmethod
    def _staff_to_notify(cls, company):
        """Return the active res.user of shop `company` in the Owner, Admin
        or Technician role (workshop groups)."""
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        groups = [ModelData.get_id('workshop', 'group_%s' % g)
            for g in ['owner', 'admin', 'technician']]
        with without_check_access():
            return User.search([
                    ('companies', '=', company.id),
                    ('groups', 'in', groups),
                    ])

    @classmethod
    def _notify_staff(cls, signature, sale, order):
        """Tell the shop's staff (see _staff_to_notify) that the quote is
        signed: one res.notification each (the bell of the web client),
        in their language, opening the job (or the quote)."""
        pool = Pool()
        Notification = pool.get('res.notification')
        ModelData = pool.get('ir.model.data')
        record = order or sale
        action = (ModelData.get_id('service_order', 'act_order') if order
            else ModelData.get_id('sale', 'act_sale_form'))
        vlist = []
        for user in cls._staff_to_notify(sale.company):
            language = user.language.code if user.language else None
            with Transaction().set_context(language=language):
                vlist.append({
                        'user': user.id,
                        'label': gettext('esign.msg_notification_label',
                            record=record.rec_name),
                        'description': gettext(
                            'esign.msg_notification_description',
                            name=signature.signer_name,
                            quote=sale.rec_name),
                        'icon': 'tryton-ok',
                        'model': record.__name__,
                        'records': json.dumps([record.id]),
                        'action': action,
                        })
        if vlist:
            with without_check_access():
                Notification.create(vlist)
