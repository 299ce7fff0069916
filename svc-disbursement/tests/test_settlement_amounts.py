"""A bank callback that reports a settlement of another amount than the one instructed is never booked: the payment
stays in flight with the error recorded (and audited), the ledger untouched; the instructed amount then settles it once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from disbursement_testkit import make_uscc, sign
from kunruyi_disbursement.disbursements.service import create_disbursement
from kunruyi_disbursement.settings import DEV_BANK_CALLBACK_SECRET
from kunruyi_launcher.testing import staff
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

POLICY = "KS-AMOUNT-001"


async def in_flight(client, session: AsyncSession, n: int) -> list[Any]:  # type: ignore[no-untyped-def]
    async with client(staff("finance", department="科技局")) as c:
        resp = await c.post(
            "/api/v1/budgets",
            json={
                "policy_code": POLICY,
                "fiscal_year": 2026,
                "amount_fen": 1_000_000,
                "policy": {"title": "金额核对测试", "department": "科技局", "mode": "automatic"},
            },
            headers={"Idempotency-Key": "fund-amount-test"},
        )
        assert resp.status_code == 201, resp.text
    rows = []
    for i in range(n):
        d = await create_disbursement(
            session,
            mode="automatic",
            policy_code=POLICY,
            policy_version=1,
            department=None,
            district=None,
            entity_type="enterprise",
            entity_id=make_uscc(8300 + i),
            period="2026",
            amount_fen=100_000,
            entitlement_id=f"ent-amount-{i}",
            approved_by="system:auto",
        )
        assert d is not None and d.status == "reserved"
        rows.append(d)
    # The worker is not running here: put them in flight as it would.
    await session.execute(
        text("UPDATE disbursements SET status = 'instructed' WHERE id = ANY(:ids)"),
        {"ids": [d.id for d in rows]},
    )
    return rows


def update(reference: Any, amount_fen: int) -> dict[str, Any]:
    return {"reference": str(reference), "status": "settled", "sequence": 2, "amount_fen": amount_fen}


async def post_callback(c: Any, payload: Any) -> Any:
    body = json.dumps(payload).encode()
    resp = await c.post(
        "/api/v1/bank/callbacks",
        content=body,
        headers={"x-bank-signature": sign(body, DEV_BANK_CALLBACK_SECRET)},
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.mark.parametrize("batched", [False, True])
async def test_a_settlement_of_another_amount_is_not_booked(
    client, session: AsyncSession, batched: bool
) -> None:  # type: ignore[no-untyped-def]
    wrong, right = await in_flight(client, session, 2)
    async with client(staff("finance", department="科技局")) as c:
        if batched:
            result = await post_callback(
                c, {"events": [update(wrong.reservation_id, 1), update(right.reservation_id, 100_000)]}
            )
            assert [r["outcome"] for r in result["results"]] == ["amount_mismatch", "applied"]
        else:
            assert (await post_callback(c, update(wrong.reservation_id, 1)))["outcome"] == "amount_mismatch"
            assert (await post_callback(c, update(right.reservation_id, 100_000)))["outcome"] == "applied"
        held = (await c.get(f"/api/v1/disbursements/{wrong.id}")).json()
        paid = (await c.get(f"/api/v1/disbursements/{right.id}")).json()
        assert held["status"] == "instructed" and paid["status"] == "settled"
        budget = (await c.get(f"/api/v1/ledger/accounts/budget:{POLICY}:2026")).json()
        # One settled, one still reserved: nothing booked for the misreported payment.
        assert budget["debits_posted"] == 100_000 and budget["debits_pending"] == 100_000
        assert (await c.get("/api/v1/ledger/invariants")).json()["ok"]
        # The bank then reports the instructed amount: settled once.
        assert (await post_callback(c, update(wrong.reservation_id, 100_000)))["outcome"] == "applied"
        assert (await c.get(f"/api/v1/disbursements/{wrong.id}")).json()["status"] == "settled"
    error = (
        await session.execute(text("SELECT action FROM audit_log WHERE action = 'payment.amount_mismatch'"))
    ).scalars()
    assert list(error) == ["payment.amount_mismatch"]
