"""The matching service's declarative base and metadata, with the kit's outbox, inbox, idempotency and
periodic-run tables.
Domain models import ``Base`` from here; :mod:`kunruyi_matching.models` gathers every domain's models onto it."""

from __future__ import annotations

from kunruyi_common.db import Base as CommonBase
from kunruyi_common.db import new_metadata
from kunruyi_common.events import event_tables
from kunruyi_common.idempotency import idempotency_table
from kunruyi_common.periodic import periodic_runs_table


class Base(CommonBase):
    __abstract__ = True
    metadata = new_metadata()


outbox_events, inbox_events = event_tables(Base.metadata)
idempotency_keys = idempotency_table(Base.metadata)
periodic_runs = periodic_runs_table(Base.metadata)
