"""All of the matching service's tables on one metadata (alembic and the app import this module): the base and
event tables from :mod:`kunruyi_matching.base`, then each domain's models, which register on it when imported.
Domain models import ``Base`` from ``base``, never from here, so no module imports one that imports it back."""

from __future__ import annotations

from kunruyi_matching.base import Base, inbox_events, outbox_events
from kunruyi_matching.broker import models as broker_models
from kunruyi_matching.challenge import models as challenge_models
from kunruyi_matching.demand import models as demand_models
from kunruyi_matching.engagement import models as engagement_models
from kunruyi_matching.financing import models as financing_models
from kunruyi_matching.supply import models as supply_models

__all__ = [
    "Base",
    "broker_models",
    "challenge_models",
    "demand_models",
    "engagement_models",
    "financing_models",
    "inbox_events",
    "outbox_events",
    "supply_models",
]
