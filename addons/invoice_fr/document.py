"""French invoices and quotes rendered from HTML to PDF with WeasyPrint.

The invoice carries the mentions required in France by the Code de commerce
(art. L441-9, L441-10, D441-5) and the Code général des impôts (art. 242
nonies A of annexe II); the quote carries the same seller identity, the VAT
breakdown, its validity and a signature box ("Bon pour accord").
"""
import base64
import datetime as dt
import os
from collections import OrderedDict
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

try:
    import weasyprint
except ImportError:
    weasyprint = None

_CSS_PATH = os.path.join(os.path.dirname(__file__), 'document.css')
_css = None

#: Identifier types that make a customer a business (SIREN, SIRET, EU VAT).
BUSINESS_IDENTIFIER_TYPES = {'fr_siren', 'fr_siret', 'eu_vat'}

#: Fixed recovery indemnity owed by a business debtor paying late, in EUR
#: (Code de commerce, art. L441-10 II and D441-5).
RECOVERY_INDEMNITY = Decimal(40)


class RenderError(ValidationError):
    "A French document could not be rendered to PDF."


def document_css():
    "Return the shared stylesheet of the invoice and quote templates."
    global _css
    if _css is None:
        with open(_CSS_PATH, encoding='utf-8') as fp:
            _css = fp.read()
    return _css


def is_business(party):
    """Return True if `party` is a business customer: it has a SIREN, a
    SIRET or an intra-community VAT number (party.identifier types
    fr_siren, fr_siret, eu_vat). Business customers are owed the mention of
    the 40 € recovery indemnity (Code de commerce, art. L441-9 I and
    D441-5)."""
    if not party:
        return False
    return any(i.type in BUSINESS_IDENTIFIER_TYPES
        for i in party.identifiers)


def party_identifier(party, *types):
    "Return the code of the first identifier of `party` of one of `types`."
    if not party:
        return None
    for identifier in party.identifiers:
        if identifier.type in types:
            return identifier.code
    return None


class FrenchDocumentMixin:
    "Helpers and strict PDF conversion shared by the invoice and the quote."
    __slots__ = ()

    @classmethod
    def _lang(cls):
        return Pool().get('ir.lang').get('fr')

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        lang = cls._lang()

        def amount(value, currency):
            "French money: 1 234,56 €"
            if value is None:
                return ''
            return lang.currency(value, currency, symbol=True, grouping=True)

        def number(value, digits=None):
            "French number, trailing zeros of quantities removed."
            if value is None:
                return ''
            if digits is None:
                value = Decimal(str(value)).normalize()
                exponent = value.as_tuple().exponent
                digits = max(-exponent, 0) if isinstance(exponent, int) else 0
            return lang.format_number(value, digits=digits, grouping=True)

        def percent(rate):
            "A tax rate (0.2) as a French percentage (20 %)."
            if rate is None:
                return ''
            return number(Decimal(str(rate)) * 100) + '\u00a0%'

        def date(value):
            "A date as dd/mm/yyyy."
            return value.strftime('%d/%m/%Y') if value else ''

        context.update({
                'css': document_css(),
                'amount': amount,
                'number': number,
                'percent': percent,
                'fdate': date,
                'is_business': is_business,
                'party_identifier': party_identifier,
                'seller': cls.seller,
                'recovery_indemnity': RECOVERY_INDEMNITY,
                })
        return context

    @classmethod
    def seller(cls, company):
        """Return a dict describing the shop issuing the document: name,
        address lines, SIRET, VAT number, legal mentions (legal form, share
        capital, RCS — Code de commerce art. R123-237), logo as data URI,
        primary colour."""
        Address = Pool().get('party.address')
        party = company.party
        address = party.address_get(type='invoice') if party else None
        lines = []
        if address:
            # The name is printed apart, without the address_with_party
            # context of the stock reports.
            with Transaction().set_context(address_with_party=False):
                address = Address(address.id)
                lines = [l for l in address.full_address.splitlines()
                    if l.strip()]
        phone = email = None
        for mechanism in party.contact_mechanisms:
            if mechanism.type in {'phone', 'mobile'} and not phone:
                phone = mechanism.value
            elif mechanism.type == 'email' and not email:
                email = mechanism.value
        logo = None
        if getattr(company, 'logo', None):
            logo = 'data:image/png;base64,' + base64.b64encode(
                bytes(company.logo)).decode('ascii')
        return {
            'name': party.name,
            'address': lines,
            'siret': getattr(company, 'siret', None),
            'siren': party_identifier(party, 'fr_siren'),
            'vat': getattr(company, 'vat_number', None),
            'legal_mentions': getattr(company, 'legal_mentions', None) or '',
            'payment_terms_text': (
                getattr(company, 'payment_terms_text', None) or ''),
            'terms': getattr(company, 'terms', None) or '',
            'colour': getattr(company, 'primary_colour', None) or '#1f4e79',
            'logo': logo,
            'phone': phone,
            'email': email,
            }

    @classmethod
    def convert(cls, report, data, timeout=5 * 60, retry=5):
        """Convert the rendered HTML to PDF with WeasyPrint. Raises
        RenderError if WeasyPrint is missing or fails: unlike the stock
        conversion, it never falls back to returning the HTML."""
        if (report.template_extension not in {'html', 'xhtml'}
                or (report.extension or report.template_extension) != 'pdf'):
            return super().convert(report, data, timeout=timeout, retry=retry)
        if weasyprint is None:
            raise RenderError(gettext('invoice_fr.msg_weasyprint_missing'))
        try:
            pdf = weasyprint.HTML(
                string=data,
                url_fetcher=weasyprint.URLFetcher(
                    allowed_protocols={'data'}, fail_on_errors=True),
                ).write_pdf()
        except Exception as exception:
            raise RenderError(gettext(
                    'invoice_fr.msg_render_failed',
                    report=report.rec_name, error=str(exception))
                ) from exception
        if not pdf or not pdf.startswith(b'%PDF'):
            raise RenderError(gettext(
                    'invoice_fr.msg_render_failed',
                    report=report.rec_name, error="empty output"))
        return 'pdf', pdf

    @classmethod
    def tax_rows(cls, taxes):
        """Group tax lines by rate. `taxes` is an iterable of objects with
        `tax` (account.tax), `base` and `amount` (in the document currency).
        Returns a list of dicts rate, base, amount ordered by rate (CGI annexe
        II art. 242 nonies A, 13°: total per rate)."""
        rows = OrderedDict()
        for line in taxes:
            tax = line.tax
            if isinstance(tax, int):
                tax = Pool().get('account.tax')(tax)
            rate = tax.rate if tax and tax.type == 'percentage' else None
            row = rows.setdefault(rate, {
                    'rate': rate, 'name': tax.description if tax else '',
                    'base': Decimal(0), 'amount': Decimal(0)})
            row['base'] += line.base or 0
            row['amount'] += line.amount or 0
        return sorted(rows.values(), key=lambda r: r['rate'] or 0)

    @classmethod
    def line_rates(cls, line):
        """Return the sorted percentage rates applied to a document line,
        resolving parent taxes (like account_fr's "Taux Normal") into the
        child tax valid at the line's tax date."""
        pool = Pool()
        Tax = pool.get('account.tax')
        Date = pool.get('ir.date')
        if not line.taxes:
            return []
        date = getattr(line, 'tax_date', None) or Date.today()
        computed = Tax.compute(
            Tax.browse(line.taxes), line.unit_price or Decimal(1), 1, date)
        return sorted({c['tax'].rate for c in computed
                if c['tax'].type == 'percentage'})


class InvoiceReport(FrenchDocumentMixin, metaclass=PoolMeta):
    "French invoice (facture) in PDF."
    __name__ = 'account.invoice'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        invoice = context['invoice']
        context['tax_rows'] = cls.tax_rows(invoice.taxes)
        context['line_rates'] = cls.line_rates
        context['service_dates'] = cls.service_dates(invoice)
        context['due_dates'] = cls.due_dates(invoice)
        return context

    @classmethod
    def service_dates(cls, invoice):
        """Return the sorted dates of the service or delivery invoiced:
        the shipping date, else the sale date, of the invoice's sales, else
        the invoice date (Code de commerce art. L441-9 I, 3rd paragraph;
        CGI annexe II art. 242 nonies A, 9°)."""
        dates = set()
        for sale in getattr(invoice, 'sales', None) or []:
            date = sale.shipping_date or sale.sale_date
            if date:
                dates.add(date)
        if not dates and invoice.invoice_date:
            dates.add(invoice.invoice_date)
        return sorted(dates)

    @classmethod
    def due_dates(cls, invoice):
        """Return the list of (due date, amount) of the invoice, from its
        lines to pay once posted, else computed from its payment term
        (Code de commerce art. L441-9 I: date of payment)."""
        result = []
        lines = invoice.lines_to_pay
        if lines:
            sign = -1 if invoice.type == 'in' else 1
            for line in sorted(lines,
                    key=lambda l: l.maturity_date or dt.date.min):
                amount = line.amount_second_currency or (
                    line.debit - line.credit)
                result.append((line.maturity_date, sign * amount))
        elif invoice.payment_term and invoice.total_amount:
            date = invoice.invoice_date or dt.date.today()
            with Transaction().set_context(company=invoice.company.id):
                for date, amount in invoice.payment_term.compute(
                        invoice.total_amount, invoice.currency, date):
                    result.append((date, amount))
        elif invoice.invoice_date:
            result.append((invoice.invoice_date, invoice.total_amount))
        return result


class SaleReport(FrenchDocumentMixin, metaclass=PoolMeta):
    "French quote (devis) and order confirmation in PDF."
    __name__ = 'sale.sale'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['sale_tax_rows'] = lambda sale: cls.tax_rows(
            sale._get_taxes().values())
        context['line_rates'] = cls.line_rates
        return context
