"""Audit of the documents around an order: quotes and invoices sent by
email from the client's email button, deleted quotes and invoices."""
from trytond.pool import Pool, PoolMeta

# model of the sent record → audit action
SENT_ACTIONS = {
    'sale.sale': 'quote_sent',
    'account.invoice': 'invoice_sent',
    }


class Email(metaclass=PoolMeta):
    __name__ = 'ir.email'

    @classmethod
    def send(cls, to='', cc='', bcc='', subject='', body='', files=None,
            record=None, reports=None, attachments=None):
        """Send as upstream does (arguments of ir.email.send), then audit a
        quote (`quote_sent`) or invoice (`invoice_sent`) sent this way with
        its recipients and subject."""
        email = super().send(to=to, cc=cc, bcc=bcc, subject=subject,
            body=body, files=files, record=record, reports=reports,
            attachments=attachments)
        if record and record[0] in SENT_ACTIONS:
            pool = Pool()
            Audit = pool.get('workshop.audit')
            document = pool.get(record[0])(record[1])
            Audit.log(SENT_ACTIONS[record[0]], [document],
                description="To: %s; %s" % (to, subject))
        return email


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    @classmethod
    def delete(cls, sales):
        Pool().get('workshop.audit').log_deletion(sales)
        super().delete(sales)


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    @classmethod
    def delete(cls, invoices):
        Pool().get('workshop.audit').log_deletion(invoices)
        super().delete(invoices)
