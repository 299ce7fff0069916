"""PeriodicTask: a tick runs on at most one holder at a time across replicas (two tasks with their own engines on
one database stand for two replicas), a scheduled job runs once per interval across them (counted in the kit's
``periodic_runs`` table), skips are counted, a failing tick rolls back, and the loop runs when woken or busy."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_common.periodic import PERIODIC_RUNS_DDL, PeriodicTask
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
        await conn.execute(
            text("CREATE TABLE ticks (replica text NOT NULL, at timestamptz NOT NULL DEFAULT now())")
        )
        await conn.execute(text(PERIODIC_RUNS_DDL))
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


def skips(job: str, reason: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "kunruyi_periodic_skips_total", {"service": "kit", "job": job, "reason": reason}
        )
        or 0.0
    )


async def rows(sessionmaker: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessionmaker() as s:
        return list((await s.execute(text("SELECT replica FROM ticks ORDER BY replica"))).scalars())


async def runs_of(sessionmaker: async_sessionmaker[AsyncSession], job: str) -> int:
    async with sessionmaker() as s:
        runs = (await s.execute(text("SELECT runs FROM periodic_runs WHERE job = :j"), {"j": job})).scalar()
        return int(runs or 0)


async def wait_for_runs(sessionmaker: async_sessionmaker[AsyncSession], job: str, runs: int) -> None:
    """Until the job has run ``runs`` times in all (a generous deadline stands for "it never gets there")."""
    for _ in range(1200):
        if await runs_of(sessionmaker, job) >= runs:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{job} ran {await runs_of(sessionmaker, job)} times, expected {runs}")


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


INTERVAL_S = 0.3


async def test_two_replicas_run_a_scheduled_job_once_per_interval_and_one_takes_over_from_the_other(
    two_replicas: tuple[async_sessionmaker[AsyncSession], async_sessionmaker[AsyncSession]],
) -> None:
    sm_a, sm_b = two_replicas
    job = f"sweep-{uuid.uuid4().hex[:6]}"

    def tick_of(replica: str):  # type: ignore[no-untyped-def]
        async def tick(session: AsyncSession) -> None:
            # now() is the tick's transaction start, the time the run is recorded with.
            await session.execute(text("INSERT INTO ticks (replica) VALUES (:r)"), {"r": replica})

        return tick

    a, b = (
        PeriodicTask(
            service="kit",
            job=job,
            sessionmaker=sm,
            tick=tick_of(name),
            interval_s=INTERVAL_S,
            first_delay_s=0,
        )
        for name, sm in (("a", sm_a), ("b", sm_b))
    )
    a.start()
    b.start()
    try:
        await wait_for_runs(sm_a, job, 8)
        await a.stop()  # replica a goes away: b carries on alone
        after_a = await runs_of(sm_a, job)
        await wait_for_runs(sm_a, job, after_a + 3)
    finally:
        await a.stop()
        await b.stop()

    async with sm_a() as s:
        ticked = (await s.execute(text("SELECT replica, at FROM ticks ORDER BY at"))).all()
    runs = await runs_of(sm_a, job)
    assert len(ticked) == runs, "every run is counted in periodic_runs.runs, and only runs are"
    gaps = [
        (later.at - earlier.at).total_seconds() for earlier, later in zip(ticked, ticked[1:], strict=False)
    ]
    assert min(gaps) >= INTERVAL_S, f"two runs within one interval: gaps {gaps}"
    # Both replicas ticked on their own clocks every interval; each interval one of them ran the job and the
    # other found it not due (or running).
    assert ticks(job, "ran") == runs
    assert ticks(job, "skipped") == skips(job, "not_due") + skips(job, "held")
    assert ticks(job, "skipped") >= 1
    assert {r.replica for r in ticked[after_a:]} == {"b"}, "after a stopped, b ran the job"


async def test_woken_busy_and_direct_ticks_run_inside_the_interval_and_are_counted(
    two_replicas: tuple[async_sessionmaker[AsyncSession], async_sessionmaker[AsyncSession]],
) -> None:
    sm_a, _ = two_replicas
    job = f"scan-{uuid.uuid4().hex[:6]}"

    async def tick(session: AsyncSession) -> None:
        await session.execute(text("INSERT INTO ticks (replica) VALUES ('a')"))

    task = PeriodicTask(service="kit", job=job, sessionmaker=sm_a, tick=tick, interval_s=3600)
    assert await task.run_once(when_due=True) == ("ran", None), "never ran: due"
    assert await task.run_once(when_due=True) == ("skipped", None)
    assert task.last_skip == "not_due" and task.due_in is not None and 3500 < task.due_in <= 3600
    assert await task.run_once() == ("ran", None), "a direct call runs whenever the lock is free"
    assert await runs_of(sm_a, job) == 2

    committed = asyncio.Event()
    task.after_commit = committed.set
    task.start()
    try:
        task.wake()  # work was just committed: the woken tick runs although the job ran a moment ago
        await wait_for_runs(sm_a, job, 3)
    finally:
        await task.stop()
    assert await rows(sm_a) == ["a", "a", "a"]

    # again_when_busy: while the tick reports work done it runs again at once, inside the interval.
    busy_job = f"{job}-busy"
    left = [1, 1, 1, 0]

    async def busy(session: AsyncSession) -> int:
        return left.pop(0)

    busy_task = PeriodicTask(
        service="kit",
        job=busy_job,
        sessionmaker=sm_a,
        tick=busy,
        interval_s=3600,
        first_delay_s=0,
        again_when_busy=True,
    )
    busy_task.start()
    try:
        await wait_for_runs(sm_a, busy_job, 4)
    finally:
        await busy_task.stop()
    assert left == [] and await runs_of(sm_a, busy_job) == 4
    assert skips(busy_job, "not_due") == 0
