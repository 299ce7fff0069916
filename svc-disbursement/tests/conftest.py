"""Fixtures for the disbursement service's tests: its real migrations on a fresh database, a session rolled back after
each test, and an HTTP client through the app bound to that session."""

from __future__ import annotations

import sys
from pathlib import Path

# The end-to-end helpers (disbursement_testkit.py) sit beside this file.
sys.path.insert(0, str(Path(__file__).parent))

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest
from fastapi import FastAPI
from kunruyi_common.app import create_service_app
from kunruyi_common.auth import Principal
from kunruyi_common.db import create_engine
from kunruyi_disbursement.main import build_spec
from kunruyi_disbursement.settings import Settings
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import api_client, migrated_database, rollback_session
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession


@pytest.fixture(scope="session")
def db_url(infra: Infra) -> str:
    return migrated_database(infra, "kunruyi_disbursement", "disbursement")


@pytest.fixture(scope="session")
def settings(db_url: str, infra: Infra) -> Settings:
    return Settings(database_url=db_url, nats_url=infra.nats_url, run_background_workers=False)


@pytest.fixture(scope="session")
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(db_url, pool_size=5)
    yield eng
    await eng.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with rollback_session(engine) as s:
        yield s


@pytest.fixture(scope="session")
def app(settings: Settings) -> FastAPI:
    return create_service_app(build_spec(), settings)


@pytest.fixture
def client(
    app: FastAPI, session: AsyncSession
) -> Callable[[Principal | None], AbstractAsyncContextManager[httpx.AsyncClient]]:
    """``async with client(staff("officer")) as c: ...`` — calls go through the app, writes roll back."""

    def make(principal: Principal | None = None) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        return api_client(app, session, principal)

    return make
