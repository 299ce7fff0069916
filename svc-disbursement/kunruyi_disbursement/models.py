"""The disbursement service's metadata: the kit's tables here, the service's own in ``tables.py``."""

from __future__ import annotations

from kunruyi_common.db import Base as CommonBase
from kunruyi_common.db import new_metadata
from kunruyi_common.events import event_tables
from kunruyi_common.idempotency import idempotency_table


class Base(CommonBase):
    __abstract__ = True
    metadata = new_metadata()


outbox_events, inbox_events = event_tables(Base.metadata)
idempotency_keys = idempotency_table(Base.metadata)

# The service's tables register on this metadata when imported (alembic and the app both import this module).
from kunruyi_disbursement import tables as _tables  # noqa: E402,F401
