"""Async SQLAlchemy 2 engine, the metadata naming convention and the request-scoped unit of work.

Services never commit. The request's unit of work (:data:`SessionDep`) commits when the endpoint returns without
error and rolls back otherwise; after a commit it wakes the outbox relay so events leave promptly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    """Declarative base for a service's models. Each service subclasses it with its own metadata."""

    __abstract__ = True


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        echo=echo,
        connect_args={"server_settings": {"timezone": "UTC", "application_name": "kunruyi"}},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The unit of work for one request: commit on success, roll back on any error."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()
            on_commit: Callable[[], Any] | None = getattr(request.app.state, "after_commit", None)
            if on_commit is not None:
                on_commit()


# scope="function": the commit runs before the response is sent, so a failed commit is reported to the caller
# instead of a success for a change that was rolled back.
SessionDep = Annotated[AsyncSession, Depends(get_db_session, scope="function")]
