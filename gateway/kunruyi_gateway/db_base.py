"""The gateway's declarative base and metadata; domain modules declare their models against it."""

from __future__ import annotations

from kunruyi_common.db import Base as CommonBase
from kunruyi_common.db import new_metadata


class Base(CommonBase):
    __abstract__ = True
    metadata = new_metadata()
