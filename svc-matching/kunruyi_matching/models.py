"""The matching service's tables. Each domain module adds its models to this metadata."""

from __future__ import annotations

from kunruyi_common.db import Base as CommonBase
from kunruyi_common.db import new_metadata
from kunruyi_common.events import event_tables


class Base(CommonBase):
    __abstract__ = True
    metadata = new_metadata()


outbox_events, inbox_events = event_tables(Base.metadata)

# Each domain's tables register on this metadata when imported (alembic and the app both import this module).
from kunruyi_matching.broker import models as _broker_models  # noqa: E402,F401
from kunruyi_matching.challenge import models as _challenge_models  # noqa: E402,F401
from kunruyi_matching.demand import models as _demand_models  # noqa: E402,F401
from kunruyi_matching.engagement import models as _engagement_models  # noqa: E402,F401
from kunruyi_matching.supply import models as _supply_models  # noqa: E402,F401
