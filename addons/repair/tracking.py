"Repair details on the public tracking page of service_order."
from trytond.pool import PoolMeta


class Order(metaclass=PoolMeta):
    __name__ = 'service.order'

    def get_tracking_details(self):
        """Add the device's brand and model (never its IMEI or serial
        number) to the tracking page of a repair."""
        details = super().get_tracking_details()
        if self.kind == 'repair' and self.device:
            name = ' '.join(filter(
                    None, [self.device.brand, self.device.model]))
            if name:
                details.append(("Appareil", name))
        return details
