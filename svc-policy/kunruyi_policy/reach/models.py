"""Which application policies an entity is known to be in reach of (announced once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_policy.db_base import Base


class PolicyReach(Base):
    """Which application policies an entity is already known to be in reach of (reach/): a policy newly in reach
    is announced once (``kunruyi.policy.reach.gained``); it is announced again only after the entity fell out of
    reach (the row is removed then)."""

    __tablename__ = "policy_reach"
    entity_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    policy_code: Mapped[str] = mapped_column(String(60), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    gained_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
