"""The 服务—需求—对策 lists' read models: needs turned into technology demands, and policy matches."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_talent.db_base import Base, now_column


class NeedDemand(Base):
    """A technology demand svc-matching received (its ``demand.submitted|approved`` events), kept for the need list
    (需求清单) — never read from svc-matching's tables. The title arrives masked by the producer."""

    __tablename__ = "need_demands"

    demand_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enterprise_uscc: Mapped[str] = mapped_column(String(18), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    industry_chain: Mapped[str] = mapped_column(String(40), nullable=False)
    technical_field: Mapped[str] = mapped_column(String(40), nullable=False)
    demand_type: Mapped[str] = mapped_column(String(20), nullable=False)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    lead_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    received_at: Mapped[datetime] = now_column()


class PolicyMatch(Base):
    """A policy svc-policy found a company or talent within reach of (its ``reach.gained`` events): the 对策清单's
    policies matched to the company; ``status`` ``lost`` once it fell out of reach (``reach.lost``)."""

    __tablename__ = "policy_matches"

    entity_type: Mapped[str] = mapped_column(String(12), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    policy_code: Mapped[str] = mapped_column(String(60), primary_key=True)
    policy_title: Mapped[str] = mapped_column(String(200), nullable=False)
    department: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    matched_at: Mapped[datetime] = now_column()
