"""The policy service's declarative base and metadata; each domain's ``models.py`` declares its tables against it
(``kunruyi_policy/models.py`` gathers them)."""

from __future__ import annotations

from kunruyi_common.db import Base as CommonBase
from kunruyi_common.db import new_metadata


class Base(CommonBase):
    __abstract__ = True
    metadata = new_metadata()
