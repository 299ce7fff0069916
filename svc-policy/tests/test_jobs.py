"""免申即享 runs and publication re-evaluations as background jobs: chunked, leased, resumable by another replica,
cancellable, and never determining an entitlement twice whatever dies when."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date
from typing import Any

import pytest
from kunruyi_common.clock import local_today
from kunruyi_launcher.testing import dying_mid_chunk, expire_job_lease, savepoint_sessionmaker, staff
from kunruyi_policy.catalog import repository as catalog
from kunruyi_policy.demo.synthetic import synthetic_enterprises
from kunruyi_policy.entitlements.service import bulk_candidates, period_of, settle_candidates
from kunruyi_policy.jobs.kinds import KINDS
from kunruyi_policy.jobs.service import JobKind
from kunruyi_policy.jobs.worker import JobWorker
from kunruyi_policy.models import BackgroundJob
from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

COMPANIES = 3000
CHUNK = 400
OFFICER = staff("officer", department="科技局")


async def hold_companies(session: AsyncSession, n: int = COMPANIES) -> list[str]:
    """``n`` synthetic companies in the read model (ids sort in the order they are generated)."""
    ids = [f"91320583JOB{i:07d}" for i in range(n)]
    rows = []
    # a share of them newly certified this year: one-off awards, exclusion groups and stacking caps all apply
    profiles = synthetic_enterprises(n, seed=7, certified_in=local_today().year)
    for uscc, profile in zip(ids, profiles, strict=True):
        rows.append(
            {"entity_type": "enterprise", "entity_id": uscc, "name": "", "profile": json.dumps(profile)}
        )
    await session.execute(
        text(
            "INSERT INTO entity_profiles (entity_type, entity_id, name, profile) "
            "VALUES (:entity_type, :entity_id, :name, CAST(:profile AS jsonb))"
        ),
        rows,
    )
    return ids


def worker(session: AsyncSession, owner: str, kinds: dict[str, JobKind] | None = None) -> JobWorker:
    """A replica's job worker, inside the test's transaction (each of its commits a savepoint)."""
    assert isinstance(session.bind, AsyncConnection)
    return JobWorker(
        savepoint_sessionmaker(session.bind), owner=owner, chunk_size=CHUNK, lease_s=60, kinds=kinds
    )


async def job_row(session: AsyncSession, job_id: str) -> BackgroundJob:
    job = await session.get(BackgroundJob, uuid.UUID(job_id), populate_existing=True)
    assert job is not None
    return job


async def determined(session: AsyncSession, prefix: str = "91320583JOB") -> tuple[list[Any], list[Any]]:
    """The entitlements of the synthetic companies, and the entitlement events staged for them."""
    rows = (
        await session.execute(
            text(
                "SELECT id, policy_code, entity_id, period FROM entitlements WHERE entity_id LIKE :p ORDER BY id"
            ),
            {"p": prefix + "%"},
        )
    ).all()
    events = (
        await session.execute(
            text(
                "SELECT envelope->>'id' FROM outbox_events WHERE type = 'kunruyi.policy.entitlement.determined' "
                "AND envelope->'data'->>'entity_id' LIKE :p"
            ),
            {"p": prefix + "%"},
        )
    ).all()
    return rows, events


async def expected_keys(session: AsyncSession, at: date) -> set[tuple[str, str, str]]:
    """What one uninterrupted pass over the whole read model would determine (nothing recorded)."""
    policies = await catalog.compiled_in_force(session, at, mode="automatic")
    counts = {
        "entities": 0,
        "evaluations": 0,
        "eligible": 0,
        "vectorised_policies": 0,
        "row_by_row_policies": 0,
    }
    settled = await settle_candidates(session, await bulk_candidates(session, policies, at, counts), at)
    return {(c.compiled.meta.code, c.entity_id, period_of(at)) for c in settled}


async def test_a_run_killed_twice_is_finished_by_other_replicas_each_entitlement_once(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    await hold_companies(session)
    expected = await expected_keys(session, local_today())
    assert len(expected) > 1000  # a run with plenty to determine
    async with client(OFFICER) as c:
        started = await c.post("/api/v1/entitlement-runs", json={})
    assert started.status_code == 202
    job_id = started.json()["job_id"]
    progress: list[int] = []

    # replica A: two chunks committed, then killed in the middle of its third
    a = worker(session, "replica-a")
    assert await a.run_once(max_chunks=2) == uuid.UUID(job_id)
    progress.append((await job_row(session, job_id)).done)
    dying_a = worker(session, "replica-a", kinds=dying_mid_chunk(KINDS))
    with pytest.raises(asyncio.CancelledError):
        await dying_a.step(uuid.UUID(job_id))
    held = await job_row(session, job_id)
    progress.append(held.done)
    assert held.status == "running" and held.lease_owner == "replica-a" and held.done == 2 * CHUNK

    # replica B finds nothing to take while A's lease holds; once it expired, B resumes after A's second chunk
    b = worker(session, "replica-b")
    assert await b.run_once() is None
    await expire_job_lease(session, job_id)
    assert await b.claim() == uuid.UUID(job_id)
    for _ in range(3):
        assert await b.step(uuid.UUID(job_id)) == "more"
        progress.append((await job_row(session, job_id)).done)
    # A comes back (a stalled process, not a dead one): its lease is gone, it writes nothing
    assert await a.step(uuid.UUID(job_id)) == "lost"
    # B killed mid-chunk too; replica C takes over and finishes
    with pytest.raises(asyncio.CancelledError):
        await worker(session, "replica-b", kinds=dying_mid_chunk(KINDS)).step(uuid.UUID(job_id))
    await expire_job_lease(session, job_id)
    c_worker = worker(session, "replica-c")
    assert await c_worker.claim() == uuid.UUID(job_id)
    while (step := await c_worker.step(uuid.UUID(job_id))) == "more":
        progress.append((await job_row(session, job_id)).done)
    assert step == "finished"

    job = await job_row(session, job_id)
    progress.append(job.done)
    assert job.status == "succeeded" and job.done == job.total == COMPANIES and job.lease_owner is None
    assert progress == sorted(progress) and progress[0] == 2 * CHUNK  # done never went back
    assert job.chunks == -(-COMPANIES // CHUNK)  # every committed chunk once; the two killed ones redone
    rows, events = await determined(session)
    keys = [(code, entity, period) for _, code, entity, period in rows]
    assert len(keys) == len(set(keys)) == len(expected) and set(keys) == expected
    assert sorted(e[0] for e in events) == sorted(str(r[0]) for r in rows)  # one event per entitlement
    async with client(OFFICER) as c:
        run = (await c.get(f"/api/v1/entitlement-runs/{started.json()['id']}")).json()
        shown = (await c.get(f"/api/v1/jobs/{job_id}")).json()
    assert run["status"] == "completed" and run["counts"]["determined"] == len(expected)
    assert run["counts"]["entities"] == COMPANIES and run["counts"]["settled"] == len(expected)
    assert shown["status"] == "succeeded" and shown["done"] == shown["total"] == COMPANIES
    assert shown["rate_per_s"] > 0 and shown["eta_s"] == 0


async def test_a_cancelled_run_stops_keeps_what_it_committed_and_can_be_started_again(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    await hold_companies(session, 1200)
    async with client(OFFICER) as c:
        started = (await c.post("/api/v1/entitlement-runs", json={})).json()
        job_id = started["job_id"]
        a = worker(session, "replica-a")
        await a.run_once(max_chunks=1)
        running = (await c.get(f"/api/v1/jobs/{job_id}")).json()
        cancelled = await c.post(f"/api/v1/jobs/{job_id}/cancel")
        again = await c.post(f"/api/v1/jobs/{job_id}/cancel")
        run = (await c.get(f"/api/v1/entitlement-runs/{started['id']}")).json()
        after_cancel = len((await determined(session))[0])
        step = await a.step(uuid.UUID(job_id))
        after_step = len((await determined(session))[0])
        listed = (await c.get("/api/v1/jobs", params={"status": "cancelled"})).json()
        missing = await c.get(f"/api/v1/jobs/{uuid.uuid4()}")
        restarted = await c.post("/api/v1/entitlement-runs", json={})
        ran = await worker(session, "replica-b").run_once()
        finished = (await c.get(restarted.headers["location"])).json()
    assert running["status"] == "running" and running["done"] == CHUNK and running["total"] == 1200
    assert running["rate_per_s"] is not None and running["eta_s"] is not None
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["done"] == CHUNK
    assert again.status_code == 409 and again.json()["code"] == "job_not_cancellable"
    assert run["status"] == "cancelled"
    # the worker's next chunk sees the cancellation and writes nothing
    assert step == "lost" and after_step == after_cancel > 0
    assert job_id in {j["id"] for j in listed["items"]}
    assert missing.status_code == 404 and missing.json()["code"] == "job_not_found"
    # starting the same run again queues a new job for it; what the first one determined is not determined again
    assert restarted.status_code == 202 and restarted.json()["id"] == started["id"]
    assert restarted.json()["job_id"] != job_id and ran == uuid.UUID(restarted.json()["job_id"])
    assert finished["status"] == "succeeded" and finished["done"] == 1200
    rows, events = await determined(session)
    assert finished["counts"]["determined"] == len(rows) - after_cancel
    assert len(events) == len(rows) == len({(r[1], r[2], r[3]) for r in rows})


async def test_publishing_an_automatic_policy_queues_its_re_evaluation(
    client, session: AsyncSession, run_jobs
) -> None:  # type: ignore[no-untyped-def]
    await hold_companies(session, 900)
    new = {
        "code": "KS-T-JOB",
        "title": "后台任务测试奖励",
        "legal_source": "昆科规〔2025〕9号",
        "department_code": "sci_tech",
        "theme_code": "innovation_rd",
        "policy_type": "奖补",
        "beneficiary": "enterprise",
        "mode": "automatic",
        "valid_from": "2024-01-01",
    }
    rules = {
        "criteria": [
            {
                "id": "staff",
                "label": "职工不少于1000人",
                "kind": "data",
                "rule": {">=": [{"var": "employees"}, 1000]},
            }
        ],
        "amount": 10_000 * 100,
    }
    async with client(OFFICER) as c:
        assert (await c.post("/api/v1/policies", json=new)).status_code == 201
        assert (await c.put("/api/v1/policies/KS-T-JOB/draft", json=rules)).status_code == 200
        published = await c.post("/api/v1/policies/KS-T-JOB/publish", json={"effective_from": "2024-01-01"})
        before = len((await determined(session))[0])
        ran = await run_jobs(chunk_size=250)
        job = (await c.get(published.json()["evaluation_job_url"])).json()
    # the re-evaluation belongs to the policy's department: another department's staff neither read nor cancel it
    row = await job_row(session, published.json()["evaluation_job_id"])
    assert row.department == "科技局"
    async with client(staff("officer", department="人社局", subject="rs-officer")) as c:
        refused = await c.get(published.json()["evaluation_job_url"])
    assert refused.status_code == 403 and refused.json()["code"] == "other_department"
    # nothing was evaluated inside the publishing request
    assert published.status_code == 200 and before == 0
    assert ran == [uuid.UUID(published.json()["evaluation_job_id"])]
    assert job["kind"] == "policy_evaluation" and job["status"] == "succeeded"
    assert job["total"] == job["done"] == 900 and job["chunks"] == 4
    rows, _ = await determined(session)
    large = sum(1 for p in synthetic_enterprises(900, seed=7) if p["employees"] >= 1000)
    assert {r[1] for r in rows} == {"KS-T-JOB"} and len(rows) == job["counts"]["determined"] == large > 0


async def test_two_replicas_never_claim_the_same_job(engine: AsyncEngine, demo_catalog_loaded: int) -> None:
    """With real concurrent transactions: a job one replica is claiming is skipped by the other, not waited for."""
    job_id = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(
            insert(BackgroundJob).values(
                id=job_id,
                kind="policy_evaluation",
                subject="policy:KS-NONE:1",
                params={"policy_code": "KS-NONE", "evaluation_date": local_today().isoformat()},
                status="queued",
                total=0,
                done=0,
                chunks=0,
                counts={},
                attempts=0,
            )
        )
    try:
        async with AsyncSession(engine) as first, AsyncSession(engine) as second:
            from kunruyi_policy.jobs import repository

            async with first.begin():
                claimed = await repository.claim(first, "replica-a", 60)
                assert claimed is not None and claimed.id == job_id
                async with second.begin():
                    # the row is locked by A's open transaction: B skips it at once
                    other = await asyncio.wait_for(repository.claim(second, "replica-b", 60), timeout=10)
                    assert other is None or other.id != job_id
            async with second.begin():
                # committed, A's lease holds: still not B's
                again = await repository.claim(second, "replica-b", 60)
                assert again is None or again.id != job_id
                owner = (
                    await second.execute(select(BackgroundJob.lease_owner).where(BackgroundJob.id == job_id))
                ).scalar_one()
        assert owner == "replica-a"
    finally:
        async with engine.begin() as conn:
            await conn.execute(delete(BackgroundJob).where(BackgroundJob.id == job_id))
