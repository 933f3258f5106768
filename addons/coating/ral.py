"RAL Classic colours: reference data shared by every shop."
import re

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.model.exceptions import ValidationError

_HEX = re.compile(r'^#[0-9a-fA-F]{6}$')


class RAL(ModelSQL, ModelView):
    """RAL Colour

    The RAL Classic register (RAL gGmbH, RAL 840-HR): a 4-digit code and a
    name. `hex` is an approximate sRGB value, for screens only: a colour is
    checked against the physical RAL chart, never against the screen.
    """
    __name__ = 'coating.ral'
    _rec_name = 'code'

    code = fields.Char("Code", required=True, size=8,
        help="The RAL Classic number, like 7016.")
    name = fields.Char("Name", required=True, translate=True)
    hex = fields.Char("Colour", size=7,
        help="Approximate screen colour, hexadecimal like #293133.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_uniq', Unique(t, t.code), 'coating.msg_ral_code_unique'),
            ]
        cls._order = [('code', 'ASC'), ('id', 'ASC')]

    def get_rec_name(self, name):
        return 'RAL %s %s' % (self.code, self.name)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        if isinstance(value, str) and value.upper().startswith('RAL'):
            value = value[3:].strip()
        return [bool_op,
            ('code', operator, value),
            ('name', operator, value),
            ]

    @classmethod
    def validate_fields(cls, colours, field_names):
        super().validate_fields(colours, field_names)
        if not field_names or 'hex' in field_names:
            for colour in colours:
                if colour.hex and not _HEX.match(colour.hex):
                    raise ValidationError(gettext(
                            'coating.msg_ral_invalid_hex',
                            hex=colour.hex, code=colour.code))
