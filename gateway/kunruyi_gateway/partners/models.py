from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_gateway.db_base import Base


class AppKey(Base):
    __tablename__ = "partner_app_keys"

    app_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    # A `limits` rate string such as "600/minute".
    rate: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="active")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AppKeySecret(Base):
    """One secret of a key. A rotation adds a new row and gives the previous one an expiry (the overlap)."""

    __tablename__ = "partner_app_key_secrets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_key: Mapped[str] = mapped_column(
        ForeignKey("partner_app_keys.app_key", ondelete="CASCADE"), index=True
    )
    secret_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class UsedNonce(Base):
    """Nonces seen in the last ``nonce_ttl_s``: in PostgreSQL so every replica and restart shares them."""

    __tablename__ = "partner_nonces"
    __table_args__ = (Index("ix_partner_nonces_expires_at", "expires_at"),)

    app_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RateWindow(Base):
    """A partner key's current fixed window (``bucket`` = app key and rate): counted in PostgreSQL in the same
    statement that claims the nonce, so every replica enforces one shared rate per key."""

    __tablename__ = "partner_rate_windows"
    __table_args__ = (Index("ix_partner_rate_windows_expires_at", "expires_at"),)

    bucket: Mapped[str] = mapped_column(String(160), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
