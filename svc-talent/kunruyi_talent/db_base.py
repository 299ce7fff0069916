"""The talent service's declarative base and metadata; each domain's ``models.py`` declares its tables against it
(``kunruyi_talent/models.py`` gathers them)."""

from __future__ import annotations

import uuid
from datetime import datetime

from kunruyi_common.db import Base as CommonBase
from kunruyi_common.db import new_metadata
from sqlalchemy import DateTime, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column


class Base(CommonBase):
    __abstract__ = True
    metadata = new_metadata()


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)


def now_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
