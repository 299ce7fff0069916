"""The calculator's revision watch: a replica answers from the catalog it compiled for a revision token it read
less than ``max_age_s`` ago (no database round trip per answer), so a catalog write committed elsewhere is seen at
most that much later, one committed through this replica at once, and a transaction's own writes always."""

import asyncio
from datetime import date
from types import SimpleNamespace

from kunruyi_common.db import AfterCommitHooks
from kunruyi_policy.calculator.endpoints import watch_catalog_revision
from kunruyi_policy.catalog.repository import REVISION_WATCH, RevisionWatch, compiled_in_force
from kunruyi_policy.models import Policy
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

AT = date(2025, 6, 1)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def titles(engine: AsyncEngine, watch: RevisionWatch) -> dict[str, str]:
    """What a fresh request of a replica with ``watch`` compiles: policy code → title."""
    async with AsyncSession(engine) as session:
        policies = await compiled_in_force(session, AT, beneficiary="enterprise", watch=watch)
        return {meta.code: meta.title for meta, _ in policies}


async def retitle(engine: AsyncEngine, code: str, title: str) -> None:
    """Another replica (another connection) renames a policy and commits."""
    async with AsyncSession(engine) as other:
        await other.execute(update(Policy).where(Policy.code == code).values(title=title))
        await other.commit()


async def test_a_write_elsewhere_is_seen_once_the_token_read_is_older_than_the_bound(
    engine: AsyncEngine, demo_catalog_loaded: int
) -> None:
    clock = Clock()
    watch = RevisionWatch(max_age_s=1.0, clock=clock)
    before = await titles(engine, watch)
    code = next(iter(sorted(before)))
    original = before[code]
    try:
        await retitle(engine, code, "改名后的政策（测试）")
        clock.now += 0.4  # within the bound (and under half of it): the catalog compiled before
        assert (await titles(engine, watch))[code] == original
        clock.now += 0.7
        assert (await titles(engine, watch))[code] == "改名后的政策（测试）"  # past it: the write is seen

        # a commit through this replica: its after-commit hook forgets the token, the next answer sees the write
        await retitle(engine, code, "再次改名（测试）")
        watch.forget()
        assert (await titles(engine, watch))[code] == "再次改名（测试）"
    finally:
        await retitle(engine, code, original)
        watch.forget()
    assert (await titles(engine, watch))[code] == original


async def test_a_transaction_sees_its_own_catalog_writes_whatever_the_watch_holds(
    engine: AsyncEngine, demo_catalog_loaded: int
) -> None:
    watch = RevisionWatch(max_age_s=3600.0, clock=Clock())
    before = await titles(engine, watch)
    code = next(iter(sorted(before)))
    async with AsyncSession(engine) as session:
        await session.execute(update(Policy).where(Policy.code == code).values(title="未提交的改名"))
        policies = await compiled_in_force(session, AT, beneficiary="enterprise", watch=watch)
        assert {m.code: m.title for m, _ in policies}[code] == "未提交的改名"
        await session.rollback()
    assert (await titles(engine, watch))[code] == before[code]
    async with AsyncSession(engine) as session:
        assert (await session.execute(select(Policy.title).where(Policy.code == code))).scalar() == before[
            code
        ]


async def test_without_a_bound_every_answer_reads_the_token(
    engine: AsyncEngine, demo_catalog_loaded: int
) -> None:
    watch = RevisionWatch(max_age_s=0.0, clock=Clock())
    before = await titles(engine, watch)
    code = next(iter(sorted(before)))
    try:
        await retitle(engine, code, "立即可见（测试）")
        assert (await titles(engine, watch))[code] == "立即可见（测试）"
    finally:
        await retitle(engine, code, before[code])


async def test_answers_arriving_together_share_one_read_and_a_half_aged_token_is_refreshed_without_waiting() -> (
    None
):
    clock = Clock()
    watch = RevisionWatch(max_age_s=1.0, clock=clock)
    reads: list[str] = []
    gate = asyncio.Event()

    def reader(token: str, fail: bool = False):  # type: ignore[no-untyped-def]
        async def read() -> str:
            reads.append(token)
            await gate.wait()
            if fail:
                raise ConnectionError("database restarting")
            return token

        return read

    together = [asyncio.create_task(watch.token("db", reader("t1"))) for _ in range(16)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*together) == ["t1"] * 16
    assert reads == ["t1"]

    # half the bound later, one answer reads the token again while the others keep answering with the one held
    clock.now += 0.6
    gate.clear()
    refreshing = asyncio.create_task(watch.token("db", reader("t2")))
    await asyncio.sleep(0)
    assert await watch.token("db", reader("unused")) == "t1"
    gate.set()
    assert await refreshing == "t2"
    assert await watch.token("db", reader("unused")) == "t2"
    assert reads == ["t1", "t2"]

    # a read that fails fails its own answer; those waiting for it read for themselves
    clock.now += 2.0
    gate.clear()
    failing = asyncio.create_task(watch.token("db", reader("t3", fail=True)))
    await asyncio.sleep(0)
    waiting = asyncio.create_task(watch.token("db", reader("t4")))
    await asyncio.sleep(0)
    gate.set()
    assert isinstance((await asyncio.gather(failing, return_exceptions=True))[0], ConnectionError)
    assert await waiting == "t4"


async def test_the_app_takes_the_bound_from_its_settings_and_forgets_the_token_after_its_commits() -> None:
    hooks = AfterCommitHooks()
    app = SimpleNamespace(
        state=SimpleNamespace(settings=SimpleNamespace(calculator_catalog_max_age_s=0.25), after_commit=hooks)
    )
    saved = REVISION_WATCH.max_age_s
    try:
        await watch_catalog_revision(app)  # type: ignore[arg-type]
        assert REVISION_WATCH.max_age_s == 0.25
        REVISION_WATCH.saw("db", "token", REVISION_WATCH.clock(), REVISION_WATCH.generation)
        assert REVISION_WATCH.recent("db") == "token"
        hooks()  # a commit of this replica
        assert REVISION_WATCH.recent("db") is None
        # a read begun before that commit is not kept
        generation = REVISION_WATCH.generation
        hooks()
        REVISION_WATCH.saw("db", "older", REVISION_WATCH.clock(), generation)
        assert REVISION_WATCH.recent("db") is None
    finally:
        REVISION_WATCH.max_age_s = saved
        REVISION_WATCH.forget()
