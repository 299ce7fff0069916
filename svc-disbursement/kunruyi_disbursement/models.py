"""The disbursement service's metadata (alembic's ``target_metadata``): every table is declared in ``tables.py``."""

from __future__ import annotations

from kunruyi_common.db import Base as CommonBase

# The talent-program, funding-agreement and name tables are declared in their modules, on the same metadata.
import kunruyi_disbursement.agreements.tables
import kunruyi_disbursement.directory.tables
import kunruyi_disbursement.programs.tables  # noqa: F401
from kunruyi_disbursement.tables import idempotency_keys, inbox_events, outbox_events
from kunruyi_disbursement.tables import metadata as service_metadata


class Base(CommonBase):
    __abstract__ = True
    metadata = service_metadata


__all__ = ["Base", "idempotency_keys", "inbox_events", "outbox_events"]
