"""Fixtures for the policy service's tests: its real migrations on a fresh database of the run's shared PostgreSQL
and NATS (the ``infra`` fixture of kunruyi_launcher.pytest_plugin), a session rolled back after each test on top of
the demo catalog, and an HTTP client through the app bound to that session."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from fastapi import FastAPI
from kunruyi_common.app import create_service_app
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import migrated_database, rollback_session, service_fixtures
from kunruyi_policy.main import build_spec
from kunruyi_policy.settings import Settings
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession


@pytest.fixture(scope="session")
def db_url(infra: Infra) -> str:
    return migrated_database(infra, "kunruyi_policy", "policy")


@pytest.fixture(scope="session")
def settings(db_url: str, infra: Infra) -> Settings:
    return Settings(database_url=db_url, nats_url=infra.nats_url, run_background_workers=False)


@pytest.fixture(scope="session")
async def demo_catalog_loaded(engine: AsyncEngine) -> int:
    """The demo catalog, committed once per run; tests write inside rolled-back sessions on top of it."""
    from kunruyi_policy.demo.catalog import demo_catalog
    from kunruyi_policy.demo.seed import seed_policies, seed_taxonomy

    async with AsyncSession(engine, expire_on_commit=False) as s:
        await seed_taxonomy(s)
        added = await seed_policies(s, demo_catalog())
        await s.commit()
    return added


@pytest.fixture
async def session(engine: AsyncEngine, demo_catalog_loaded: int) -> AsyncIterator[AsyncSession]:
    async with rollback_session(engine) as s:
        yield s


@pytest.fixture(scope="session")
def app(settings: Settings) -> FastAPI:
    return create_service_app(build_spec(), settings)


# The engine and the client are the shared ones; the session and the app above are this service's own.
_shared = service_fixtures()
engine, client = _shared.engine, _shared.client


@pytest.fixture
def run_jobs(session: AsyncSession) -> Callable[..., Awaitable[list[uuid.UUID]]]:
    """``await run_jobs()``: the background jobs queued so far, worked to their end by a job worker inside the
    test's transaction (what a replica's worker does once the request committed); returns the jobs it ran."""

    async def run(**options: Any) -> list[uuid.UUID]:
        from kunruyi_launcher.testing import savepoint_sessionmaker
        from kunruyi_policy.jobs.worker import JobWorker

        await session.flush()
        connection = session.bind
        assert isinstance(connection, AsyncConnection)
        worker = JobWorker(savepoint_sessionmaker(connection), **options)
        ran = []
        while (job_id := await worker.run_once()) is not None:
            ran.append(job_id)
        return ran

    return run
