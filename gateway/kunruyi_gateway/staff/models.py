"""Session tokens signed out before they expire (a denylist kept only until each token's own expiry)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_gateway.db_base import Base


class RevokedToken(Base):
    """A gateway-issued session token (苏商通 or 统一身份认证 sign-in for apps) its holder signed out. Every replica
    checks it on each request bearing such a token; the nonce sweep deletes a row once the token has expired."""

    __tablename__ = "revoked_tokens"
    __table_args__ = (Index("ix_revoked_tokens_expires_at", "expires_at"),)

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
