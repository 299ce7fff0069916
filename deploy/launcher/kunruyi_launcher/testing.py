"""Helpers for service tests: a migrated database per service, a session rolled back after each test, and an
HTTP client into the app (through its real routing, errors and unit of work) bound to that session's transaction.

The client runs the app's real unit of work (:func:`kunruyi_common.db.get_db_session`): each request gets its own
session whose transaction is a savepoint inside the test's outer transaction, so a request that succeeds commits
(releases) its savepoint and runs the app's after-commit hooks, and one that fails rolls back to it — exactly what
production does with a real transaction, and the test still sees every committed change on its own session."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from typing import Any, NamedTuple

import httpx
import pytest
import pytest_asyncio
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from kunruyi_common.app import ServiceSpec, create_service_app
from kunruyi_common.auth import INTERNAL_TOKEN_HEADER, Principal, mint_internal_token
from kunruyi_common.db import create_engine
from kunruyi_common.db.migrations import alembic_config, upgrade_head
from kunruyi_common.jobs import Chunk, JobKind
from kunruyi_common.reencrypt import EncryptedColumn
from kunruyi_common.settings import DEV_INTERNAL_TOKEN_SECRET, ServiceSettings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from kunruyi_launcher.infra import ensure_databases, with_database
from kunruyi_launcher.stack import Infra, run_coroutine


def migrated_database(infra: Infra, package: str, name: str) -> str:
    """A fresh database ``test_<name>`` migrated to head by the service's real alembic history."""
    db = f"test_{name}"
    run_coroutine(ensure_databases(infra.database_admin_url, [db], recreate=True))
    url: str = with_database(infra.database_admin_url, db)
    upgrade_head(package, url)
    return url


async def database_at(infra: Infra, package: str, name: str, revision: str) -> tuple[Config, str]:
    """A fresh database ``test_<name>`` migrated by the service's real alembic history up to ``revision``: for a data
    migration's test, which writes the rows the next revision must change and then goes on with the config. Returns
    the config and the database's plain PostgreSQL URL (for asyncpg)."""
    db = f"test_{name}"
    await ensure_databases(infra.database_admin_url, [db], recreate=True)
    url: str = with_database(infra.database_admin_url, db)
    cfg = alembic_config(package, url)
    # alembic's env runs its own event loop: run it from a worker thread.
    await asyncio.to_thread(command.upgrade, cfg, revision)
    return cfg, url.replace("postgresql+asyncpg://", "postgresql://")


@asynccontextmanager
async def rollback_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session whose commits are savepoints inside one outer transaction that is always rolled back."""
    async with engine.connect() as conn:
        outer = await conn.begin()
        session = AsyncSession(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield session
        finally:
            await session.close()
            if outer.is_active:
                await outer.rollback()


def production_secrets(settings_cls: type[ServiceSettings]) -> dict[str, str]:
    """Fresh random values for every required secret of ``settings_cls`` (base64 of 32 bytes, valid for every key
    kind), for tests that run an app outside development mode."""
    return {
        name: base64.b64encode(os.urandom(32)).decode()
        for name in settings_cls.secret_fields(include_optional=False)
    }


def principal_headers(principal: Principal, secret: str = DEV_INTERNAL_TOKEN_SECRET) -> dict[str, str]:
    return {INTERNAL_TOKEN_HEADER: mint_internal_token(principal, secret, ttl_s=3600)}


def staff(
    *roles: str, department: str | None = None, subject: str = "officer-1", name: str = "测试员"
) -> Principal:
    return Principal(kind="staff", subject=subject, name=name, roles=list(roles), department=department)


def partner(*scopes: str, subject: str = "demo-partner") -> Principal:
    return Principal(kind="partner", subject=subject, scopes=list(scopes))


# The deferred constraints (and constraint triggers) of the database, as they are at the start of a transaction.
_INITIALLY_DEFERRED = text(
    "SELECT string_agg(quote_ident(n.nspname) || '.' || quote_ident(c.conname), ', ') "
    "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.condeferred"
)


class SavepointSession(Session):
    """A request's session inside the test's transaction. Releasing a savepoint does not check deferred
    constraints the way a real COMMIT does, so :meth:`commit` checks them first (``SET CONSTRAINTS ALL IMMEDIATE``)
    and then puts the initially deferred ones back: a commit-time failure is reported to the request's unit of
    work as in production, and later requests of the same test still defer."""

    def commit(self) -> None:
        if self.in_transaction():
            self.flush()
            conn = self.connection()
            deferred = conn.execute(_INITIALLY_DEFERRED).scalar_one()
            if deferred:
                conn.exec_driver_sql("SET CONSTRAINTS ALL IMMEDIATE")
                conn.exec_driver_sql(f"SET CONSTRAINTS {deferred} DEFERRED")
        super().commit()


def savepoint_sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Production's sessionmaker (:func:`kunruyi_common.db.create_sessionmaker`: no expiry on commit, autoflush) on
    the test's connection: every session's transaction is a savepoint in the test's outer transaction."""
    return async_sessionmaker(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=True,
        sync_session_class=SavepointSession,
    )


@asynccontextmanager
async def api_client(
    app: FastAPI, session: AsyncSession, principal: Principal | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """A client into ``app`` whose requests run the real unit of work inside ``session``'s transaction (see the
    module's docstring). What the test added to ``session`` is flushed before each request, so the app sees it."""
    connection = session.bind
    if not isinstance(connection, AsyncConnection):
        raise TypeError("api_client needs a session bound to a connection (rollback_session)")
    saved = getattr(app.state, "sessionmaker", None)
    app.state.sessionmaker = savepoint_sessionmaker(connection)

    async def flush_arranged(_request: httpx.Request) -> None:
        await session.flush()

    headers = principal_headers(principal, app.state.settings.internal_token_secret) if principal else {}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            headers=headers,
            event_hooks={"request": [flush_arranged]},
        ) as client:
            yield client
    finally:
        if saved is None:
            del app.state.sessionmaker
        else:
            app.state.sessionmaker = saved


class ServiceFixtures(NamedTuple):
    engine: Any
    session: Any
    app: Any
    client: Any


def service_fixtures() -> ServiceFixtures:
    """The fixtures every service's tests share — ``engine, session, app, client = service_fixtures()`` in its
    conftest, which provides ``db_url``, ``settings`` and ``service_spec`` (a conftest that builds its own session or
    app takes only the others: ``shared = service_fixtures(); engine, client = shared.engine, shared.client``).
    A factory, not plugin fixtures: each conftest must own its session-scoped engine and app, since one test run
    covers every service's database."""

    @pytest_asyncio.fixture(scope="session", loop_scope="session")
    async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
        eng = create_engine(db_url, pool_size=5)
        yield eng
        await eng.dispose()

    @pytest_asyncio.fixture(loop_scope="session")
    async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
        async with rollback_session(engine) as s:
            yield s

    @pytest.fixture(scope="session")
    def app(service_spec: ServiceSpec, settings: ServiceSettings) -> FastAPI:
        return create_service_app(service_spec, settings)

    @pytest.fixture
    def client(
        app: FastAPI, session: AsyncSession
    ) -> Callable[[Principal | None], AbstractAsyncContextManager[httpx.AsyncClient]]:
        """``async with client(staff("officer")) as c: ...`` — calls go through the app, writes roll back."""

        def make(principal: Principal | None = None) -> AbstractAsyncContextManager[httpx.AsyncClient]:
            return api_client(app, session, principal)

        return make

    return ServiceFixtures(engine, session, app, client)


class KeyRotation:
    """An app's PII key rotation on a database of its own, committed for real (``reencrypt`` runs in its own
    transactions): the app under chosen keys, clients whose requests commit, and the key ids found in each of the
    app's declared encrypted columns."""

    def __init__(
        self,
        spec: ServiceSpec,
        settings: ServiceSettings,
        engine: AsyncEngine,
        columns: Sequence[EncryptedColumn],
    ) -> None:
        self._spec, self._settings, self.engine, self.columns = spec, settings, engine, list(columns)

    def settings(self, key: str, retired: Sequence[str] = ()) -> ServiceSettings:
        return self._settings.model_copy(update={"pii_key": key, "pii_retired_keys": ",".join(retired)})

    def app(self, key: str, retired: Sequence[str] = ()) -> FastAPI:
        return create_service_app(self._spec, self.settings(key, retired))

    @asynccontextmanager
    async def client(self, app: FastAPI, principal: Principal) -> AsyncIterator[httpx.AsyncClient]:
        """A client whose requests commit for real: the rotation's phases (and the reencrypt command, on its own
        connection) must see what earlier requests wrote. The requests run the real unit of work as savepoints of
        one transaction, committed when the client closes."""
        async with self.engine.connect() as conn:
            outer = await conn.begin()
            session = AsyncSession(
                bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
            )
            try:
                async with api_client(app, session, principal) as c:
                    yield c
                await session.close()
                await outer.commit()
            finally:
                if outer.is_active:
                    await outer.rollback()

    async def key_ids(self) -> dict[str, set[str]]:
        """Each declared column's label → the key ids of its ciphertexts."""
        out: dict[str, set[str]] = {}
        async with self.engine.connect() as conn:
            for col in self.columns:
                value = f"{col.column} ->> '{col.json_key}'" if col.json_key else col.column
                rows = await conn.execute(
                    text(f"SELECT split_part({value}, '.', 2) FROM {col.table} WHERE {value} IS NOT NULL")
                )
                out[col.label] = {r[0] for r in rows}
        return out


def key_rotation_fixtures(package: str, name: str, columns: Sequence[EncryptedColumn]) -> tuple[Any, Any]:
    """``rotation_db, rotation = key_rotation_fixtures("kunruyi_<app>", "<app>_rotation", ENCRYPTED_COLUMNS)`` in a
    test module (beside the conftest's ``settings`` and ``service_spec``): a fresh database per module and a
    :class:`KeyRotation` on it."""

    @pytest.fixture(scope="module")
    def rotation_db(infra: Infra) -> str:
        return migrated_database(infra, package, name)

    @pytest_asyncio.fixture(loop_scope="session")
    async def rotation(
        rotation_db: str, settings: ServiceSettings, service_spec: ServiceSpec
    ) -> AsyncIterator[KeyRotation]:
        engine = create_engine(rotation_db, pool_size=2)
        try:
            yield KeyRotation(
                service_spec, settings.model_copy(update={"database_url": rotation_db}), engine, columns
            )
        finally:
            await engine.dispose()

    return rotation_db, rotation


async def wait_for_job(
    client: httpx.AsyncClient, url: str, *, timeout_s: float = 60.0, interval_s: float = 0.2
) -> dict[str, Any]:
    """Poll a background job (``GET /api/v1/jobs/{id}``, the URL a 202 answer gives) until it ends (succeeded,
    failed or cancelled) and return it; an ``AssertionError`` naming its last state when it does not end in time.
    ``done`` is checked never to go down on the way."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    last: dict[str, Any] = {}
    while True:
        answer = await client.get(url)
        assert answer.status_code == 200, answer.text
        job: dict[str, Any] = answer.json()
        assert job["done"] >= last.get("done", 0), f"done went down: {last['done']} → {job['done']}"
        last = job
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        if loop.time() > deadline:
            raise AssertionError(f"job {url} did not end in {timeout_s} s: {job}")
        await asyncio.sleep(interval_s)


def dying_mid_chunk(kinds: Mapping[str, JobKind]) -> dict[str, JobKind]:
    """``kinds`` whose next chunk does all its work and then the replica dies before the commit: what a SIGKILL of
    the job's worker looks like to the kit's job mechanism (the chunk's transaction never commits)."""

    def dying(kind: JobKind) -> JobKind:
        async def chunk_then_die(session: AsyncSession, job: Any, limit: int) -> Chunk:
            await kind.chunk(session, job, limit)
            raise asyncio.CancelledError  # the replica is gone: its transaction never commits

        return replace(kind, chunk=chunk_then_die)

    return {name: dying(kind) for name, kind in kinds.items()}


async def expire_job_lease(db: AsyncSession | AsyncConnection, job_id: object) -> None:
    """What the passing of a job's lease without a heartbeat looks like to the other replicas."""
    await db.execute(
        text(
            "UPDATE background_jobs SET lease_expires_at = clock_timestamp() - interval '1 second' WHERE id = :i"
        ),
        {"i": str(job_id)},
    )
