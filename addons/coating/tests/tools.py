"Helpers for coating scenarios (proteus)."
from proteus import Model
from proteus.config import get_config
from trytond.modules.company.tests.tools import create_company


def create_shop(config=None):
    """Create the company like upstream create_company, its party being
    created by root: the workshop party rule refuses clients a party that
    belongs to no shop yet."""
    if not config:
        config = get_config()
    Party = Model.get('party.party', config=config)
    user = config.user
    config.user = 0
    try:
        party = Party(name='Thermolaquage Diop')
        party.save()
        party_id = party.id
    finally:
        config.user = user
    return create_company(party=Party(party_id), config=config)
