"The signature state of a quote, for the portal's quote page."
from trytond.exceptions import UserError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access

from .exceptions import SignatureError


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    @classmethod
    def esign_state(cls, sale, party=None, company=None):
        """Return what the quote page of `sale` needs to offer signing, as
        a dict:

        - signable (bool): `party` (party.party, None: not checked) of
          shop `company` (company.company, None: not checked) can sign it
          now (Signature.check_signable);
        - reason (str or None): why not, a SignatureError reason ('other',
          'signed', 'state', 'expired', 'render'), and message (str or
          None) saying it in the context language;
        - shown_hash (str or None): SHA-256 hex of the quote PDF shown,
          to post back with the signature (only when signable: it renders
          the PDF, see Signature.quote_pdf);
        - signed (bool), signature (esign.signature id or None),
          signed_pdf (ir.attachment id of the signed PDF or None),
          signer_name (str or None), signed_at (naive UTC datetime or
          None).
        """
        Signature = Pool().get('esign.signature')
        state = {
            'signable': False, 'reason': None, 'message': None,
            'shown_hash': None, 'signed': False, 'signature': None,
            'signed_pdf': None, 'signer_name': None, 'signed_at': None,
            }
        with without_check_access():
            sale = cls(sale.id)
            try:
                Signature.check_owner(sale, party=party, company=company)
            except SignatureError as exception:
                state.update(reason=exception.reason,
                    message=exception.message)
                return state
            signature = Signature.of_document(sale)
            if signature:
                state.update(signed=True, signature=signature.id,
                    signed_pdf=(signature.attachment.id
                        if signature.attachment else None),
                    signer_name=signature.signer_name,
                    signed_at=signature.signed_at)
            try:
                Signature.check_signable(sale, party=party, company=company)
                state['shown_hash'] = Signature.quote_pdf(sale)[1]
            except UserError as exception:
                # SignatureError, or the report's own rendering error
                state.update(message=exception.message,
                    reason=getattr(exception, 'reason', None) or 'render')
            else:
                state['signable'] = True
        return state
