"""A catalog import as a background job: the POST answers 202 with the job; the job checks the whole sheet, then
writes it a few rows a chunk (each chunk one transaction with its drafts and outbox rows). A replica that disappears
mid-import is taken over after its lease, every row written exactly once, progress never going back; a cancelled
import stops; a sheet with a bad row ends the job failed with the row report and nothing written."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from typing import Any

import pytest
from kunruyi_launcher.testing import dying_mid_chunk, expire_job_lease, savepoint_sessionmaker, staff
from kunruyi_policy.jobs.kinds import KINDS
from kunruyi_policy.jobs.service import JobKind
from kunruyi_policy.jobs.worker import JobWorker
from kunruyi_policy.models import BackgroundJob, Policy, PolicyVersion
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

OFFICER = staff("officer", department="科技局")
CHUNK = 4
NEW = 9
RENAMED = 5


def rows_of(csv_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff"))))


def as_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def worker(session: AsyncSession, owner: str, kinds: dict[str, JobKind] | None = None) -> JobWorker:
    """A replica's job worker inside the test's transaction, writing ``CHUNK`` rows a chunk."""
    assert isinstance(session.bind, AsyncConnection)
    return JobWorker(
        savepoint_sessionmaker(session.bind),
        owner=owner,
        lease_s=60,
        kinds=kinds,
        chunk_sizes={"catalog_import": CHUNK},
    )


async def done_of(session: AsyncSession, job_id: str) -> int:
    job = await session.get(BackgroundJob, uuid.UUID(job_id), populate_existing=True)
    assert job is not None
    return job.done


async def sheet(c: Any) -> tuple[bytes, list[str], list[str], int]:  # type: ignore[no-untyped-def]
    """The department's catalog with ``NEW`` new items and ``RENAMED`` retitled ones."""
    rows = rows_of((await c.get("/api/v1/policy-catalog/export", params={"format": "csv"})).text)
    assert len(rows) > RENAMED
    renamed = [r["政策编码"] for r in rows[:RENAMED]]
    for row in rows[:RENAMED]:
        row["政策名称"] += "（修订）"
    new = [
        dict(
            rows[-1], **{"政策编码": f"KS-KJ-JOB-{n:02d}", "政策名称": f"后台导入的新政策 {n}", "互斥组": ""}
        )
        for n in range(NEW)
    ]
    return as_csv([*rows, *new]), [r["政策编码"] for r in new], renamed, len(rows) + NEW


async def start(c: Any, content: bytes) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    answer = await c.post(
        "/api/v1/policy-catalog/imports", files={"file": ("catalog.csv", content)}, data={"dry_run": "false"}
    )
    assert answer.status_code == 202, answer.text
    body: dict[str, Any] = answer.json()
    assert answer.headers["location"] == body["url"] == f"/api/v1/jobs/{body['id']}"
    assert body["kind"] == "catalog_import" and body["status"] == "queued" and "input" not in body
    return body


async def written(
    session: AsyncSession, created: list[str], renamed: list[str]
) -> tuple[dict[str, int], int]:
    """Versions per new code (one policy row each, or absent), and the policy.updated events of the renamed."""
    versions = dict(
        (
            await session.execute(
                select(Policy.code, func.count(PolicyVersion.id))
                .join(PolicyVersion, PolicyVersion.policy_id == Policy.id)
                .where(Policy.code.in_(created))
                .group_by(Policy.code)
            )
        ).all()
    )
    updated = (
        await session.execute(
            text(
                "SELECT count(*) FROM outbox_events WHERE type LIKE '%.policy.updated' AND subject = ANY(:c)"
            ),
            {"c": renamed},
        )
    ).scalar_one()
    return {str(k): int(v) for k, v in versions.items()}, int(updated)


async def test_an_import_whose_replica_disappears_is_finished_by_another_each_row_once(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        content, created, renamed, total = await sheet(c)
        job_id = (await start(c, content))["id"]
    progress: list[int] = []

    # replica A checks the sheet and writes one chunk, then dies in the middle of its next chunk
    a = worker(session, "replica-a")
    assert await a.run_once(max_chunks=2) == uuid.UUID(job_id)
    progress.append(await done_of(session, job_id))
    with pytest.raises(asyncio.CancelledError):
        await worker(session, "replica-a", kinds=dying_mid_chunk(KINDS)).step(uuid.UUID(job_id))
    progress.append(await done_of(session, job_id))
    assert progress[1] == progress[0] == total - NEW - RENAMED + CHUNK  # unchanged rows + one chunk

    # B waits for A's lease, then resumes after A's last committed chunk
    b = worker(session, "replica-b")
    assert await b.run_once() is None
    await expire_job_lease(session, job_id)
    assert await b.claim() == uuid.UUID(job_id)
    while (step := await b.step(uuid.UUID(job_id))) == "more":
        progress.append(await done_of(session, job_id))
    assert step == "finished"
    assert await a.step(uuid.UUID(job_id)) == "lost", "A, back from a stall, writes nothing"
    progress.append(await done_of(session, job_id))
    assert progress == sorted(progress), "progress never goes back"

    versions, updated = await written(session, created, renamed)
    assert versions == dict.fromkeys(created, 1), "each new item created once, with one draft version"
    assert updated == RENAMED, "each retitled item updated (and its event staged) exactly once"
    async with client(OFFICER) as c:
        shown = (await c.get(f"/api/v1/jobs/{job_id}")).json()
        again = (
            await c.post(
                "/api/v1/policy-catalog/imports",
                files={"file": ("catalog.csv", content)},
                data={"dry_run": "true"},
            )
        ).json()
    assert shown["status"] == "succeeded" and shown["done"] == shown["total"] == total
    assert shown["rate_per_s"] > 0 and shown["eta_s"] == 0
    assert shown["counts"] == {
        "unchanged": total - NEW - RENAMED,
        "created": NEW,
        "catalog_updated": RENAMED,
        "drafted": 0,
    }
    report = shown["result"]
    assert report["written"] is True and report["errors"] == []
    assert report["created"] == created and sorted(report["catalog_updated"]) == sorted(renamed)
    assert again["created"] == [] and again["catalog_updated"] == [] and again["unchanged"] == total


async def test_a_cancelled_import_stops_and_keeps_only_its_committed_chunks(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        content, created, renamed, total = await sheet(c)
        job_id = (await start(c, content))["id"]
        a = worker(session, "replica-a")
        await a.run_once(max_chunks=2)  # the check, and one chunk of writes
        running = (await c.get(f"/api/v1/jobs/{job_id}")).json()
        cancelled = await c.post(f"/api/v1/jobs/{job_id}/cancel")
        again = await c.post(f"/api/v1/jobs/{job_id}/cancel")
        assert await a.step(uuid.UUID(job_id)) == "lost"
        assert await worker(session, "replica-b").run_once() is None, "no replica takes a cancelled job"
        shown = (await c.get(f"/api/v1/jobs/{job_id}")).json()
    assert running["status"] == "running" and 0 < running["done"] < total and running["eta_s"] is not None
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert again.status_code == 409 and again.json()["code"] == "job_not_cancellable"
    assert shown["status"] == "cancelled" and shown["done"] == running["done"]
    versions, updated = await written(session, created, renamed)
    # the writes go in row order: the retitled rows come first, then the new items
    assert updated == min(CHUNK, RENAMED) and sum(versions.values()) == max(0, CHUNK - RENAMED)


async def test_a_sheet_with_a_bad_row_ends_the_job_failed_with_the_row_report_and_nothing_written(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        rows = rows_of((await c.get("/api/v1/policy-catalog/export", params={"format": "csv"})).text)
        new = dict(rows[0], **{"政策编码": "KS-KJ-JOB-OK", "政策名称": "好的一行", "互斥组": ""})
        bad = dict(rows[1], **{"年度预算（分）": "500万元"})
        before = (await session.execute(select(func.count()).select_from(PolicyVersion))).scalar_one()
        job_id = (await start(c, as_csv([rows[0], bad, *rows[2:], new])))["id"]
        assert await worker(session, "replica-a").run_once() == uuid.UUID(job_id)
        shown = (await c.get(f"/api/v1/jobs/{job_id}")).json()
    assert shown["status"] == "failed" and shown["status_label"] == "失败" and shown["attempts"] == 0
    problem = shown["result"]["problem"]
    assert (
        problem["code"] == "catalog_sheet_rejected"
        and problem["status"] == 422
        and problem["field"] == "file"
    )
    assert [(e["row"], e["column"]) for e in problem["errors"]] == [(3, "年度预算（分）")]
    assert shown["result"]["errors"][0]["row"] == 3 and shown["result"]["written"] is False
    assert "1 处问题" in shown["error"]
    after = (await session.execute(select(func.count()).select_from(PolicyVersion))).scalar_one()
    assert (
        after == before
        and (await session.execute(select(Policy).where(Policy.code == "KS-KJ-JOB-OK"))).first() is None
    )
