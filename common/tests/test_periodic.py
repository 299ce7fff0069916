"""PeriodicTask: a tick runs on at most one holder at a time across replicas (two tasks with their own engines on
one database stand for two replicas), skips are counted, a failing tick rolls back, and the loop runs when woken."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_common.periodic import PeriodicTask
from kunruyi_launcher.infra import ensure_databases, with_database
from kunruyi_launcher.stack import Infra
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


@pytest.fixture
async def db_url(infra: Infra) -> str:
    name = f"test_periodic_{uuid.uuid4().hex[:8]}"
    await ensure_databases(infra.database_admin_url, [name], recreate=True)
    url = with_database(infra.database_admin_url, name)
    engine = create_engine(url, pool_size=1)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE ticks (replica text NOT NULL)"))
    await engine.dispose()
    return url


@pytest.fixture
async def two_replicas(
    db_url: str,
) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], async_sessionmaker[AsyncSession]]]:
    a, b = create_engine(db_url, pool_size=2), create_engine(db_url, pool_size=2)
    yield create_sessionmaker(a), create_sessionmaker(b)
    await a.dispose()
    await b.dispose()


def ticks(job: str, outcome: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "kunruyi_periodic_ticks_total", {"service": "kit", "job": job, "outcome": outcome}
        )
        or 0.0
    )


async def rows(sessionmaker: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessionmaker() as s:
        return list((await s.execute(text("SELECT replica FROM ticks ORDER BY replica"))).scalars())


async def test_a_tick_runs_on_one_replica_at_a_time_and_the_other_skips(
    two_replicas: tuple[async_sessionmaker[AsyncSession], async_sessionmaker[AsyncSession]],
) -> None:
    sm_a, sm_b = two_replicas
    job = f"scan-{uuid.uuid4().hex[:6]}"
    inside = asyncio.Event()
    release = asyncio.Event()

    def tick_of(replica: str, hold: bool):  # type: ignore[no-untyped-def]
        async def tick(session: AsyncSession) -> int:
            await session.execute(text("INSERT INTO ticks VALUES (:r)"), {"r": replica})
            if hold:
                inside.set()
                await release.wait()
            return 1

        return tick

    a = PeriodicTask(service="kit", job=job, sessionmaker=sm_a, tick=tick_of("a", True), interval_s=3600)
    b = PeriodicTask(service="kit", job=job, sessionmaker=sm_b, tick=tick_of("b", False), interval_s=3600)

    running = asyncio.create_task(a.run_once())
    await inside.wait()  # replica a is inside its tick, holding the job's lock
    assert await b.run_once() == ("skipped", None)
    assert await b.run_once() == ("skipped", None)
    release.set()
    assert await running == ("ran", 1)
    assert await rows(sm_a) == ["a"], "the tick ran once, on the replica that held the lock"
    assert (ticks(job, "ran"), ticks(job, "skipped")) == (1.0, 2.0)

    # The lock went with a's transaction: the next tick can run anywhere.
    assert await b.run_once() == ("ran", 1)
    assert await rows(sm_a) == ["a", "b"]
    assert ticks(job, "ran") == 2.0


async def test_other_jobs_and_non_exclusive_tasks_are_not_held_up(
    two_replicas: tuple[async_sessionmaker[AsyncSession], async_sessionmaker[AsyncSession]],
) -> None:
    sm_a, sm_b = two_replicas
    job = f"held-{uuid.uuid4().hex[:6]}"
    inside, release = asyncio.Event(), asyncio.Event()

    async def hold(session: AsyncSession) -> None:
        await session.execute(text("SELECT 1"))
        inside.set()
        await release.wait()

    async def quick(session: AsyncSession) -> str:
        return "done"

    holder = PeriodicTask(service="kit", job=job, sessionmaker=sm_a, tick=hold, interval_s=3600)
    running = asyncio.create_task(holder.run_once())
    await inside.wait()
    try:
        other_job = PeriodicTask(
            service="kit", job=f"{job}-other", sessionmaker=sm_b, tick=quick, interval_s=1
        )
        assert await other_job.run_once() == ("ran", "done")
        everywhere = PeriodicTask(
            service="kit", job=job, sessionmaker=sm_b, tick=quick, interval_s=1, exclusive=False
        )
        assert await everywhere.run_once() == ("ran", "done")
    finally:
        release.set()
        await running


async def test_a_failing_tick_rolls_back_and_is_counted(
    two_replicas: tuple[async_sessionmaker[AsyncSession], async_sessionmaker[AsyncSession]],
) -> None:
    sm_a, _ = two_replicas
    job = f"broken-{uuid.uuid4().hex[:6]}"
    woken: list[bool] = []

    async def broken(session: AsyncSession) -> int:
        await session.execute(text("INSERT INTO ticks VALUES ('half')"))
        raise RuntimeError("the scan broke")

    task = PeriodicTask(
        service="kit",
        job=job,
        sessionmaker=sm_a,
        tick=broken,
        interval_s=3600,
        after_commit=lambda: woken.append(True),
    )
    assert await task.run_once() == ("failed", None)
    assert await rows(sm_a) == [], "nothing half-written"
    assert woken == [], "no after-commit hook without a commit"
    assert ticks(job, "failed") == 1.0


async def test_the_loop_ticks_when_woken_and_then_runs_the_after_commit_hooks(
    two_replicas: tuple[async_sessionmaker[AsyncSession], async_sessionmaker[AsyncSession]],
) -> None:
    sm_a, _ = two_replicas
    job = f"loop-{uuid.uuid4().hex[:6]}"
    committed = asyncio.Event()

    async def tick(session: AsyncSession) -> int:
        await session.execute(text("INSERT INTO ticks VALUES ('loop')"))
        return 1

    task = PeriodicTask(
        service="kit", job=job, sessionmaker=sm_a, tick=tick, interval_s=3600, after_commit=committed.set
    )
    task.start()
    try:
        task.wake()  # instead of waiting an hour
        await committed.wait()
    finally:
        await task.stop()
    assert await rows(sm_a) == ["loop"], "the hook ran after the tick's commit"
    assert ticks(job, "ran") == 1.0
