"""The trades' own sections of the portal's job page (registered only when
repair or coating is activated: `[register repair]`, `[register coating]`
in tryton.cfg)."""
from trytond.pool import PoolMeta

from . import texts


class RepairOrder(metaclass=PoolMeta):
    __name__ = 'service.order'

    def get_portal_sections(self, language='fr'):
        """Add the repaired device: brand and model, the fault reported,
        the accessories left and the warranty end (never the IMEI or the
        serial number: the customer knows them, a page may be seen by
        someone else)."""
        sections = super().get_portal_sections(language)
        if self.kind != 'repair':
            return sections
        _ = texts.translator(language)
        rows = []
        if self.device:
            name = ' '.join(filter(None, [self.device.brand, self.device.model]))
            if name:
                rows.append((_('Device'), name))
        if self.fault:
            rows.append((_('Reported fault'), self.fault))
        if self.accessories:
            rows.append((_('Accessories left'), self.accessories))
        if self.warranty_until:
            rows.append((_('Warranty until'),
                    texts.format_date(self.warranty_until, language)))
        if rows:
            sections.append((_('Repair'), rows))
        return sections


class CoatingOrder(metaclass=PoolMeta):
    __name__ = 'service.order'

    def get_portal_sections(self, language='fr'):
        "Add the powder (colour, finish) and the parts of a coating job."
        sections = super().get_portal_sections(language)
        if self.kind != 'coating':
            return sections
        _ = texts.translator(language)
        rows = []
        if self.powder:
            rows.append((_('Powder'), self.powder.rec_name))
        if self.coats:
            rows.append((_('Coats'), str(self.coats)))
        for part in self.coating_parts:
            rows.append((_('Part %(number)s', number=part.number or ''),
                    '%s × %s' % (part.quantity, part.description)))
        if rows:
            sections.append((_('Coating'), rows))
        return sections
