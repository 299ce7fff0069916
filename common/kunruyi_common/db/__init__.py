"""Async SQLAlchemy 2 engine, the metadata naming convention and the request-scoped unit of work.

Services never commit. The request's unit of work (:data:`SessionDep`) commits when the endpoint returns without
error and rolls back otherwise; after a commit it runs the app's :class:`AfterCommitHooks` (the outbox relay's
wake-up, and whatever a service registers, e.g. its payment worker's) so the committed work is picked up promptly.
An endpoint that only reads takes :data:`ReadSessionDep` instead: nothing to commit, no hooks to run.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

logger = logging.getLogger("kunruyi.db")

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


class AfterCommitHooks:
    """What runs after a unit of work commits — never after a rollback: wake-ups of the outbox relay and of a
    service's workers. The app keeps one list (``app.state.after_commit``); the request's unit of work, the event
    consumers and the periodic tasks call it after each commit, and a service adds its own with :meth:`register`.

    A hook only nudges background work (it must be quick and must not fail the request that committed): one that
    raises is logged and the others still run."""

    def __init__(self, *hooks: Callable[[], object]) -> None:
        self._hooks: list[Callable[[], object]] = list(hooks)

    def register(self, hook: Callable[[], object]) -> None:
        self._hooks.append(hook)

    def __call__(self) -> None:
        for hook in self._hooks:
            try:
                hook()
            except Exception:
                logger.exception("after-commit hook %r failed", hook)


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The unit of work for one request: commit on success, roll back on any error; after a commit only, the
    app's after-commit hooks."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()
            on_commit: Callable[[], object] | None = getattr(request.app.state, "after_commit", None)
            if on_commit is not None:
                on_commit()


# scope="function": the commit runs before the response is sent, so a failed commit is reported to the caller
# instead of a success for a change that was rolled back.
SessionDep = Annotated[AsyncSession, Depends(get_db_session, scope="function")]


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The unit of work for a request that only reads (a calculation, a search): its transaction is rolled back at
    the end — no commit round trip, and no after-commit hooks waking the outbox relay for a request that wrote
    nothing. Anything written through it is discarded, so an endpoint that writes must take :data:`SessionDep`."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        finally:
            await session.rollback()


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
