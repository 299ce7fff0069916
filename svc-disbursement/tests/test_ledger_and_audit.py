"""Ledger rules through the API and in the database itself; idempotency keys; the audit chain's tamper check."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from kunruyi_launcher.testing import staff
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

LOCAL_POLICY = {
    "title": "研发投入奖励",
    "department": "科技局",
    "mode": "application",
    "max_amount_fen": 500_000,
    "valid_from": "2025-01-01",
    "valid_to": "2026-12-31",
    "notice_days": 0,
}


def funding(amount: int = 1_000_000, **extra: Any) -> dict[str, Any]:
    return {
        "policy_code": "KS-LEDGER-1",
        "fiscal_year": 2026,
        "amount_fen": amount,
        "policy": LOCAL_POLICY,
        "transfer_id": str(uuid.uuid4()),
        **extra,
    }


async def test_transfer_id_is_the_idempotency_key(client) -> None:  # type: ignore[no-untyped-def]
    transfer_id = str(uuid.uuid4())
    async with client(staff("finance", department="科技局")) as c:
        first = await c.post("/api/v1/budgets", json=funding(transfer_id=transfer_id))
        again = await c.post("/api/v1/budgets", json=funding(transfer_id=transfer_id))
        other = await c.post("/api/v1/budgets", json=funding(amount=2_000_000, transfer_id=transfer_id))
        assert first.status_code == 201 and first.json()["created"] is True
        assert again.status_code == 201 and again.json()["created"] is False
        assert again.json()["budget"]["available_fen"] == 1_000_000
        assert other.status_code == 409 and other.json()["code"] == "transfer_conflict"
        report = (await c.get("/api/v1/ledger/invariants")).json()
        assert (
            report["ok"]
            and report["total_debits_posted_fen"] == report["total_credits_posted_fen"] == 1_000_000
        )


async def test_idempotency_key_replays_and_refuses_other_bodies(client) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("finance", department="科技局")) as c:
        headers = {"Idempotency-Key": "fund-2026-01"}
        first = await c.post("/api/v1/budgets", json=funding(transfer_id=None), headers=headers)
        replay = await c.post("/api/v1/budgets", json=funding(transfer_id=None), headers=headers)
        conflict = await c.post("/api/v1/budgets", json=funding(amount=5, transfer_id=None), headers=headers)
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json() and replay.headers["Idempotent-Replayed"] == "true"
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_key_conflict"


@pytest.mark.parametrize("amount", [0, -100, 1.5, "abc"])
async def test_budget_amount_must_be_positive_whole_fen(client, amount: Any) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("finance", department="科技局")) as c:
        resp = await c.post("/api/v1/budgets", json=funding(amount=amount))
    assert resp.status_code == 422 and resp.json()["field"] == "amount_fen"


@pytest.mark.parametrize("year", ["2147483648", "17411237151704", "1999", "-1"])
async def test_budget_list_refuses_a_fiscal_year_out_of_range(client, year: str) -> None:  # type: ignore[no-untyped-def]
    # Found by schemathesis: a year beyond PostgreSQL's integer reached the query and answered 500.
    async with client(staff("finance")) as c:
        resp = await c.get("/api/v1/budgets", params={"fiscal_year": year})
    assert resp.status_code == 422 and resp.json()["field"] == "query.fiscal_year"


async def test_budget_needs_finance_and_a_known_policy(client) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("officer", department="科技局")) as c:
        assert (await c.post("/api/v1/budgets", json=funding())).status_code == 403
    async with client(staff("finance", department="科技局")) as c:
        resp = await c.post(
            "/api/v1/budgets",
            json={
                "policy_code": "NOPE",
                "fiscal_year": 2026,
                "amount_fen": 1,
                "transfer_id": str(uuid.uuid4()),
            },
        )
    assert resp.status_code == 422 and resp.json()["field"] == "policy_code"


async def test_budget_funding_without_an_idempotency_key_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    # A funding request that could not be told apart from its own retry would move the money twice.
    async with client(staff("finance", department="科技局")) as c:
        resp = await c.post("/api/v1/budgets", json=funding(transfer_id=None))
        assert resp.status_code == 422
        assert resp.json()["code"] == "idempotency_key_required" and resp.json()["field"] == "transfer_id"
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert (await c.get("/api/v1/ledger/accounts/budget:KS-LEDGER-1:2026")).status_code == 404


async def test_database_refuses_overdraft_and_edits_to_transfers(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("finance", department="科技局")) as c:
        assert (await c.post("/api/v1/budgets", json=funding(amount=100))).status_code == 201
    # Even a hand-written UPDATE cannot take the budget below zero, nor rewrite history.
    with pytest.raises(DBAPIError, match="budget_not_negative"):
        async with session.begin_nested():
            await session.execute(
                text("UPDATE ledger_accounts SET debits_pending = 101 WHERE kind = 'budget'")
            )
    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(text("UPDATE ledger_transfers SET amount_fen = 1"))


async def test_audit_chain_detects_altered_and_removed_entries(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("finance", department="科技局")) as c:
        for amount in (100, 200, 300):
            assert (await c.post("/api/v1/budgets", json=funding(amount=amount))).status_code == 201
        clean = (await c.get("/api/v1/audit/verify")).json()
        assert clean["ok"] and clean["entries_checked"] == 3
        # An insider with the database's superuser powers edits one amount…
        await session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        await session.execute(
            text("UPDATE audit_log SET data = jsonb_set(data, '{amount_fen}', '999') WHERE seq = 2")
        )
        altered = (await c.get("/api/v1/audit/verify")).json()
        assert not altered["ok"] and altered["problems"][0] == {
            "seq": 2,
            "problem": "altered",
            "detail": "内容与哈希不符",
        }
        # …or removes it entirely.
        await session.execute(text("DELETE FROM audit_log WHERE seq = 2"))
        removed = (await c.get("/api/v1/audit/verify")).json()
        assert not removed["ok"] and removed["problems"][0]["problem"] == "missing"
        await session.execute(text("DELETE FROM audit_log WHERE seq = 3"))
        truncated = (await c.get("/api/v1/audit/verify")).json()
        assert not truncated["ok"]
