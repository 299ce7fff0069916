"""Server-side web sessions: one row per signed-in browser (companies, talents, staff)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_gateway.db_base import Base


class WebSessionRow(Base):
    """A signed-in browser. The cookie carries an opaque random id; only its SHA-256 is stored, so a copy of the
    table signs nobody in. Signing out deletes the row."""

    __tablename__ = "web_sessions"
    __table_args__ = (
        Index("ix_web_sessions_expires_at", "expires_at"),
        Index("ix_web_sessions_subject", "kind", "subject"),
    )

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # company | talent | staff
    kind: Mapped[str] = mapped_column(String(16))
    # company: USCC; talent: svc-talent's talent id; staff: the identity provider's subject.
    subject: Mapped[str] = mapped_column(String(120))
    display_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    department: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # How the browser signed in (sushangtong, identity, staff-oidc …).
    method: Mapped[str] = mapped_column(String(32))
    # The synchronizer token every form and htmx request of this session must echo.
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The absolute end (created + absolute lifetime); the idle end is last_seen_at + idle lifetime.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
