"Customer devices: phones, tablets, computers left for repair."
from stdnum import imei as stdnum_imei
from stdnum.exceptions import ValidationError as StdnumError

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.model.exceptions import ValidationError
from trytond.pyson import Eval
from trytond.transaction import Transaction


def normalize_imei(value):
    """Return the 15-digit IMEI of `value` (spaces and dashes allowed).

    Raises ValueError with the reason when the IMEI is invalid; the check
    digit is the Luhn digit of 3GPP TS 23.003 (python-stdnum `imei`).
    A 16-digit IMEISV has no check digit and is accepted as is.
    """
    try:
        return stdnum_imei.validate(value)
    except StdnumError as exception:
        raise ValueError(str(exception)) from exception


class Device(ModelSQL, ModelView):
    "Device"
    __name__ = 'repair.device'

    company = fields.Many2One('company.company', "Shop", required=True)
    party = fields.Many2One(
        'party.party', "Owner", required=True, ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))],
        context={'company': Eval('company', -1)}, depends={'company'})
    device_type = fields.Selection([
            ('phone', "Phone"),
            ('tablet', "Tablet"),
            ('laptop', "Laptop"),
            ('desktop', "Desktop"),
            ('console', "Console"),
            ('other', "Other"),
            ], "Type", required=True)
    brand = fields.Char("Brand")
    model = fields.Char("Model")
    serial_number = fields.Char("Serial Number")
    imei = fields.Char("IMEI", size=16)
    orders = fields.One2Many('service.order', 'device', "Repairs",
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('imei_company_uniq', Unique(t, t.company, t.imei),
                'repair.msg_device_imei_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.imei, Index.Equality(cardinality='high'))))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_device_type(cls):
        return 'phone'

    def get_rec_name(self, name):
        label = ' '.join(filter(None, [self.brand, self.model])) or '?'
        ident = self.imei or self.serial_number
        return '%s (%s)' % (label, ident) if ident else label

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        return [bool_op,
            ('brand', operator, value),
            ('model', operator, value),
            ('imei', operator, value),
            ('serial_number', operator, value),
            ]

    @fields.depends('imei')
    def on_change_imei(self):
        if self.imei:
            try:
                self.imei = normalize_imei(self.imei)
            except ValueError:
                pass

    @classmethod
    def validate_fields(cls, devices, field_names):
        super().validate_fields(devices, field_names)
        if not field_names or 'imei' in field_names:
            for device in devices:
                if device.imei:
                    try:
                        normalize_imei(device.imei)
                    except ValueError as exception:
                        raise ValidationError(gettext(
                                'repair.msg_device_invalid_imei',
                                imei=device.imei,
                                reason=str(exception))) from exception

    @classmethod
    def create(cls, vlist):
        vlist = [v.copy() for v in vlist]
        for values in vlist:
            if values.get('imei'):
                try:
                    values['imei'] = normalize_imei(values['imei'])
                except ValueError:
                    pass  # refused with its reason by validate_fields
        return super().create(vlist)
