"""50 approvals at once against a budget that fits exactly 30: the database, not Python, decides who gets it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from kunruyi_common.app import create_service_app
from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_disbursement.disbursements.service import create_disbursement
from kunruyi_disbursement.main import build_spec
from kunruyi_disbursement.settings import Settings
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import migrated_database, principal_headers, staff
from sqlalchemy.ext.asyncio import AsyncEngine

AMOUNT = 100_000
POLICY = "KS-CONC-001"


@pytest.fixture(scope="module")
async def committed_app(infra: Infra) -> AsyncIterator[tuple[FastAPI, AsyncEngine]]:
    db_url = await asyncio.to_thread(
        migrated_database, infra, "kunruyi_disbursement", "disbursement_concurrency"
    )
    settings = Settings(database_url=db_url, nats_url=infra.nats_url, run_background_workers=False)
    app = create_service_app(build_spec(), settings)
    engine = create_engine(db_url, pool_size=30)
    # No lifespan here: the app gets a real pool and every request its own session and transaction.
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.after_commit = lambda: None
    yield app, engine
    await engine.dispose()


def http(app: FastAPI, *roles: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://svc",
        headers=principal_headers(staff(*roles, department="科技局", subject=f"{roles[0]}-1")),
    )


async def test_fifty_concurrent_approvals_reserve_exactly_thirty(
    committed_app: tuple[FastAPI, AsyncEngine],
) -> None:
    app, engine = committed_app
    async with http(app, "finance") as c:
        resp = await c.post(
            "/api/v1/budgets",
            headers={"Idempotency-Key": "fund-conc-30"},
            json={
                "policy_code": POLICY,
                "fiscal_year": 2026,
                "amount_fen": 30 * AMOUNT,
                "policy": {"title": "并发测试政策", "department": "科技局", "mode": "automatic"},
            },
        )
        assert resp.status_code == 201, resp.text
    ids: list[str] = []
    async with create_sessionmaker(engine)() as session, session.begin():
        for i in range(50):
            d = await create_disbursement(
                session,
                mode="automatic",
                policy_code=POLICY,
                policy_version=1,
                department="科技局",
                district=None,
                entity_type="enterprise",
                entity_id=f"E{i:04d}",
                period="2026",
                amount_fen=AMOUNT,
                entitlement_id=f"ent-{i}",
                approved_by="system:auto",
                needs_approval=True,
            )
            assert d is not None
            ids.append(str(d.id))

    async with http(app, "approver") as c:
        responses = await asyncio.gather(*(c.post(f"/api/v1/disbursements/{i}/approve") for i in ids))
        assert [r.status_code for r in responses] == [200] * 50, [
            r.text for r in responses if r.status_code != 200
        ]
        statuses = [r.json()["status"] for r in responses]
        assert statuses.count("reserved") == 30
        assert statuses.count("awaiting_budget") == 20
        again = await c.post(f"/api/v1/disbursements/{ids[0]}/approve")
        assert again.status_code == 409 and again.json()["code"] == "invalid_transition"

    async with http(app, "finance") as c:
        queue = (
            await c.get("/api/v1/disbursements", params={"status": "awaiting_budget", "limit": 100})
        ).json()
        assert len(queue["items"]) == 20 and queue["counts"]["awaiting_budget"] == 20
        budget: dict[str, Any] = (await c.get(f"/api/v1/ledger/accounts/budget:{POLICY}:2026")).json()
        assert budget["available_fen"] == 0 and budget["debits_pending"] == 30 * AMOUNT
        invariants = (await c.get("/api/v1/ledger/invariants")).json()
        assert invariants["ok"], invariants
        # Topping up for 5 more continues the oldest five waiting, in the top-up's own unit of work.
        top_up = await c.post(
            "/api/v1/budgets",
            json={"policy_code": POLICY, "fiscal_year": 2026, "amount_fen": 5 * AMOUNT},
            headers={"Idempotency-Key": "top-up-conc-5"},
        )
        assert top_up.json()["resumed_disbursements"] == 5
        assert (await c.get("/api/v1/ledger/invariants")).json()["ok"]
