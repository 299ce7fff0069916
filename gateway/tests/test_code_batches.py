"""Bulk 昆e服 codes as a background job: 202 and the job at once; any replica's worker issues the codes in chunks
(each chunk one transaction with its codes and their events); a replica that disappears mid-batch is taken over
after its lease, every code issued exactly once, progress never going back; a cancelled batch stops; a bad item is
a problem+json naming its field, and nothing is queued."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from kunruyi_common.jobs import JobWorker
from kunruyi_common.validators import build_uscc
from kunruyi_gateway.jobs.worker import KINDS, job_worker
from kunruyi_gateway.settings import Settings
from kunruyi_launcher.testing import dying_mid_chunk, expire_job_lease
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

CHUNK = 5


@pytest.fixture
async def batch_gateway(serve_gateway: Any, gateway_settings: Settings) -> AsyncIterator[Any]:
    """A gateway whose own job worker is off: the test plays the replicas."""
    settings = gateway_settings.model_copy(
        update={"run_background_workers": False, "public_base_url": "https://kunruyi.example"}
    )
    async with serve_gateway(settings) as served:
        yield served


def replica(engine: AsyncEngine, settings: Settings, owner: str, **options: Any) -> JobWorker:
    return job_worker(async_sessionmaker(engine, expire_on_commit=False), settings, owner=owner, **options)


def companies(n: int) -> list[dict[str, Any]]:
    tag = uuid.uuid4().hex[:4].upper().replace("I", "1").replace("O", "0")
    return [
        {
            "kind": "enterprise",
            "target": build_uscc(f"B{tag}{i:03d}"),
            "name": f"昆山批量示范{tag}第{i}号有限公司",
            "industry_chain": "光电显示" if i % 2 else None,
        }
        for i in range(n)
    ]


async def row(engine: AsyncEngine, sql: str, **params: Any) -> Any:
    async with engine.begin() as conn:
        return (await conn.execute(text(sql), params)).one()


async def start(c: httpx.AsyncClient, auth: dict[str, str], items: list[dict[str, Any]]) -> dict[str, Any]:
    answer = await c.post("/api/v1/service-codes/batches", json={"items": items}, headers=auth)
    assert answer.status_code == 202, answer.text
    body: dict[str, Any] = answer.json()
    assert answer.headers["location"] == body["url"] == f"/api/v1/service-codes/batches/{body['id']}"
    assert body["status"] == "queued" and body["total"] == len(items) and body["done"] == 0
    return body


async def test_a_batch_whose_replica_disappears_is_finished_by_another_each_code_once(
    batch_gateway, staff_token, engine: AsyncEngine, gateway_settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    items = companies(23)
    auth = {"Authorization": f"Bearer {staff_token('officer', sub='officer-batch-1')}"}
    settings = gateway_settings.model_copy(update={"code_batch_chunk_size": CHUNK})
    async with httpx.AsyncClient(base_url=batch_gateway.url) as c:
        job = await start(c, auth, items)
        job_id = uuid.UUID(job["id"])
        progress: list[int] = []

        async def done() -> int:
            shown = (await c.get(job["url"], headers=auth)).json()
            progress.append(shown["done"])
            return int(shown["done"])

        a = replica(engine, settings, "replica-a")
        assert await a.run_once(max_chunks=2) == job_id
        assert await done() == 2 * CHUNK
        with pytest.raises(asyncio.CancelledError):
            await replica(engine, settings, "replica-a", kinds=dying_mid_chunk(KINDS)).step(job_id)
        assert await done() == 2 * CHUNK, "the chunk in flight is lost, not half-written"

        b = replica(engine, settings, "replica-b")
        assert await b.run_once() is None, "A's lease still holds"
        async with engine.begin() as conn:
            await expire_job_lease(conn, job_id)
        assert await b.claim() == job_id
        while (step := await b.step(job_id)) == "more":
            await done()
        assert step == "finished"
        assert await a.step(job_id) == "lost", "A, back from a stall, issues nothing"
        assert await done() == len(items)
        assert progress == sorted(progress), "progress never goes back"

        shown = (await c.get(job["url"], headers=auth)).json()
        assert shown["status"] == "succeeded" and shown["status_label"] == "已完成"
        assert shown["total"] == shown["done"] == len(items) and shown["eta_s"] == 0
        assert shown["counts"] == {"issued": len(items)} and shown["chunks"] == -(-len(items) // CHUNK)
        download = await c.get(shown["codes_url"], headers=auth)
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    sheet = list(csv.DictReader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert sorted(r["统一社会信用代码/编号"] for r in sheet) == sorted(i["target"] for i in items)
    assert all(r["二维码地址"].startswith("https://kunruyi.example/q/") for r in sheet)
    assert {r["产业链"] for r in sheet} == {"", "新型显示"}  # the alias stored by its taxonomy name

    codes, targets = await row(
        engine,
        "SELECT count(*), count(DISTINCT target) FROM service_codes WHERE batch_job_id = :i",
        i=job_id,
    )
    events, distinct = await row(
        engine,
        "SELECT count(*), count(DISTINCT subject) FROM outbox_events WHERE type LIKE '%service_code.issued' "
        "AND subject IN (SELECT id::text FROM service_codes WHERE batch_job_id = :i)",
        i=job_id,
    )
    assert codes == targets == len(items), "each company's code issued exactly once"
    assert events == distinct == len(items), "one issued event per code"


async def test_a_cancelled_batch_stops_and_keeps_the_codes_already_issued(
    batch_gateway, staff_token, engine: AsyncEngine, gateway_settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    # cancelled by its own department's staff (test_code_departments.py)
    auth = {"Authorization": f"Bearer {staff_token('officer', dept='科技局', sub='officer-batch-2')}"}
    settings = gateway_settings.model_copy(update={"code_batch_chunk_size": CHUNK})
    async with httpx.AsyncClient(base_url=batch_gateway.url) as c:
        job = await start(c, auth, companies(12))
        job_id = uuid.UUID(job["id"])
        a = replica(engine, settings, "replica-a")
        await a.run_once(max_chunks=1)
        running = (await c.get(job["url"], headers=auth)).json()
        cancelled = await c.post(f"{job['url']}/cancel", headers=auth)
        again = await c.post(f"{job['url']}/cancel", headers=auth)
        assert await a.step(job_id) == "lost"
        assert await replica(engine, settings, "replica-b").run_once() is None
        shown = (await c.get(job["url"], headers=auth)).json()
        download = await c.get(shown["codes_url"], headers=auth)
    assert running["status"] == "running" and running["done"] == CHUNK and running["rate_per_s"] > 0
    assert cancelled.status_code == 200 and cancelled.json()["status_label"] == "已取消"
    assert again.status_code == 409 and again.json()["code"] == "job_not_cancellable"
    assert shown["status"] == "cancelled" and shown["done"] == CHUNK
    (issued,) = await row(engine, "SELECT count(*) FROM service_codes WHERE batch_job_id = :i", i=job_id)
    assert issued == CHUNK and len(download.text.strip().splitlines()) == 1 + CHUNK


async def test_a_bad_item_is_a_problem_naming_its_field_and_nothing_is_queued(
    batch_gateway, staff_token, engine: AsyncEngine
) -> None:  # type: ignore[no-untyped-def]
    subject = f"officer-batch-{uuid.uuid4().hex[:6]}"
    auth = {"Authorization": f"Bearer {staff_token('officer', sub=subject)}"}
    items = companies(4)
    items[1]["target"] = "91320583XXXXXXXXXX"
    items[2]["industry_chain"] = "火星产业"
    items[3]["target"] = items[0]["target"]
    async with httpx.AsyncClient(base_url=batch_gateway.url) as c:
        refused = await c.post("/api/v1/service-codes/batches", json={"items": items}, headers=auth)
        empty = await c.post("/api/v1/service-codes/batches", json={"items": []}, headers=auth)
        unknown = await c.get(f"/api/v1/service-codes/batches/{uuid.uuid4()}", headers=auth)
    assert refused.status_code == 422 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )
    problem = refused.json()
    assert problem["code"] == "code_batch_rejected" and problem["field"] == "items[1].target"
    assert [e["field"] for e in problem["errors"]] == [
        "items[1].target",
        "items[2].industry_chain",
        "items[3].target",
    ]
    assert all(e["message"] for e in problem["errors"])
    assert empty.status_code == 422 and "items" in empty.json()["errors"][0]["field"]
    assert unknown.status_code == 404 and unknown.json()["code"] == "job_not_found"
    (queued,) = await row(engine, "SELECT count(*) FROM background_jobs WHERE created_by = :s", s=subject)
    assert queued == 0
