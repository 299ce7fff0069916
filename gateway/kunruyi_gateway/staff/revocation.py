"""Signing out a gateway-issued session token before it expires: a denylist in PostgreSQL, shared by every replica,
each row kept only until its token would have expired anyway."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_gateway.staff.models import RevokedToken


class TokenRevocations:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def is_revoked(self, jti: str) -> bool:
        async with self.sessionmaker() as db:
            return (
                await db.execute(select(RevokedToken.jti).where(RevokedToken.jti == jti))
            ).first() is not None

    async def revoke(self, jti: str, subject: str, expires_at: datetime) -> None:
        async with self.sessionmaker() as db, db.begin():
            await db.execute(
                insert(RevokedToken)
                .values(jti=jti, subject=subject[:120], expires_at=expires_at)
                .on_conflict_do_nothing(index_elements=[RevokedToken.jti])
            )

    async def purge_expired(self) -> int:
        async with self.sessionmaker() as db, db.begin():
            result = await db.execute(delete(RevokedToken).where(RevokedToken.expires_at < datetime.now(UTC)))
        return int(getattr(result, "rowcount", 0) or 0)
