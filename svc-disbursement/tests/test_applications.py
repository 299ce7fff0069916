"""申报: validation, one per (policy, applicant, period), the review workflow step by step, 补正, attachments."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from disbursement_testkit import make_uscc, sign
from kunruyi_disbursement.settings import DEV_BANK_CALLBACK_SECRET
from kunruyi_launcher.testing import partner, staff
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

POLICY = "KS-APP-001"
USCC = make_uscc(5001)


async def setup_policy(client, notice_days: int = 0) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("finance", department="科技局")) as c:
        resp = await c.post(
            "/api/v1/budgets",
            headers={"Idempotency-Key": f"setup-{POLICY}-{notice_days}"},
            json={
                "policy_code": POLICY,
                "fiscal_year": 2026,
                "amount_fen": 10_000_000,
                "policy": {
                    "title": "高新技术企业认定奖励",
                    "department": "科技局",
                    "district": "玉山镇",
                    "mode": "application",
                    "max_amount_fen": 500_000,
                    "valid_from": "2025-01-01",
                    "valid_to": "2026-12-31",
                    "notice_days": notice_days,
                },
            },
        )
        assert resp.status_code == 201, resp.text


def application(**overrides: Any) -> dict[str, Any]:
    return {
        "policy_code": POLICY,
        "applicant_type": "enterprise",
        "applicant_id": USCC,
        "period": "2026",
        "amount_fen": 300_000,
        "channel": "yiqilaiban",
        "external_ref": "YQLB-2026-0001",
        **overrides,
    }


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"amount_fen": 0}, "amount_fen", "validation_error"),
        ({"amount_fen": -1}, "amount_fen", "validation_error"),
        ({"amount_fen": 1000.5}, "amount_fen", "validation_error"),
        ({"amount_fen": 100.0}, "amount_fen", "validation_error"),
        ({"amount_fen": 500_001}, "amount_fen", "amount_over_cap"),
        ({"policy_code": "KS-NOPE"}, "policy_code", "unknown_policy"),
        ({"period": "2027"}, "period", "period_outside_validity"),
        ({"period": "2024-12"}, "period", "period_outside_validity"),
        ({"period": "26"}, "period", "validation_error"),
        ({"applicant_id": "91320583000000000X"}, "applicant_id", "invalid_uscc"),
    ],
)
async def test_bad_applications_are_422_naming_the_field(
    client,
    overrides: dict[str, Any],
    field: str,  # type: ignore[no-untyped-def]
    code: str,
) -> None:
    await setup_policy(client)
    async with client(partner("disbursement:write")) as c:
        resp = await c.post("/api/v1/applications", json=application(**overrides))
    assert resp.status_code == 422, resp.text
    assert resp.json()["field"] == field and resp.json()["code"] == code


async def test_review_workflow_from_submission_to_payment(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    await setup_policy(client)
    async with client(partner("disbursement:write")) as c:
        created = await c.post("/api/v1/applications", json=application(), headers={"Idempotency-Key": "a-1"})
        assert created.status_code == 201, created.text
        app_id = created.json()["id"]
        assert created.json()["status"] == "submitted" and created.json()["allowed_next"] == ["accepted"]
        assert (
            await c.post("/api/v1/applications", json=application(), headers={"Idempotency-Key": "a-1"})
        ).json() == created.json()
        duplicate = await c.post("/api/v1/applications", json=application(amount_fen=1000))
        assert duplicate.status_code == 409 and duplicate.json()["code"] == "application_exists"
        upload = await c.post(
            f"/api/v1/applications/{app_id}/attachments",
            files={"file": ("审计报告.pdf", b"%PDF-1.7 audited", "application/pdf")},
        )
        assert (
            upload.status_code == 201
            and upload.json()["sha256"] == hashlib.sha256(b"%PDF-1.7 audited").hexdigest()
        )

    async def step(role: str, to_status: str, expect: int = 200) -> dict[str, Any]:
        async with client(
            staff(role, department="科技局", subject=f"{role}-{to_status}", name="张审核")
        ) as c:
            resp = await c.post(
                f"/api/v1/applications/{app_id}/steps",
                json={"to_status": to_status, "comment": f"{to_status} 意见"},
            )
        assert resp.status_code == expect, resp.text
        return dict(resp.json())

    out_of_order = await step("reviewer", "first_review", 409)
    assert out_of_order["code"] == "invalid_transition" and out_of_order["allowed_next"] == ["accepted"]
    assert (await step("reviewer", "accepted"))["status"] == "accepted"
    await step("officer", "first_review", 403)  # 初审 is a reviewer's
    await step("reviewer", "first_review")
    async with client(staff("reviewer", department="科技局")) as c:
        returned = await c.post(
            f"/api/v1/applications/{app_id}/return", json={"comment": "补充 2025 年审计报告"}
        )
        assert returned.json()["status"] == "supplement_required"
    async with client(partner("disbursement:write")) as c:
        assert (await c.post(f"/api/v1/applications/{app_id}/resubmit")).json()["status"] == "submitted"
    for role, stage in [
        ("officer", "accepted"),
        ("reviewer", "first_review"),
        ("reviewer", "second_review"),
        ("reviewer", "public_notice"),
    ]:
        await step(role, stage)
    async with client(staff("officer", department="科技局")) as c:
        objection = await c.post(
            f"/api/v1/applications/{app_id}/objections",
            json={"objector": "匿名", "content": "研发费用口径存疑"},
        )
        assert objection.status_code == 201 and len(objection.json()["objections"]) == 1
    await step("reviewer", "approved", 403)  # 审定 is an approver's
    approved = await step("approver", "approved")
    assert approved["status"] == "approved" and approved["disbursement_id"]

    async with client(staff("officer", department="科技局")) as c:
        disbursement = (await c.get(f"/api/v1/disbursements/{approved['disbursement_id']}")).json()
        assert disbursement["status"] == "reserved" and disbursement["mode"] == "application"
        # The bank settles it (the worker is not running here: put it in flight by hand, then call back).
        await session.execute(
            text("UPDATE disbursements SET status = 'instructed' WHERE id = :id"),
            {"id": approved["disbursement_id"]},
        )
        body = json.dumps(
            {
                "reference": disbursement["bank_reference"],
                "status": "settled",
                "sequence": 2,
                "amount_fen": 300_000,
            }
        ).encode()
        callback = await c.post(
            "/api/v1/bank/callbacks",
            content=body,
            headers={"x-bank-signature": sign(body, DEV_BANK_CALLBACK_SECRET)},
        )
        assert callback.json()["outcome"] == "applied"
        detail = (await c.get(f"/api/v1/applications/{app_id}")).json()
    assert detail["status"] == "paid"
    actions = [(s["from_status"], s["to_status"]) for s in detail["steps"]]
    assert actions[0] == (None, "submitted") and actions[-1] == ("approved", "paid")
    assert ("first_review", "supplement_required") in actions
    assert all(s["actor"] and s["at"] for s in detail["steps"])
    assert detail["attachments"][0]["sha256"] == hashlib.sha256(b"%PDF-1.7 audited").hexdigest()
    events = (
        (
            await session.execute(
                text(
                    "SELECT envelope->'data'->>'status' FROM outbox_events "
                    "WHERE type = 'kunruyi.disbursement.application.status_changed' AND subject = :s ORDER BY seq"
                ),
                {"s": app_id},
            )
        )
        .scalars()
        .all()
    )
    assert events == [s["to_status"] for s in detail["steps"]]


async def test_public_notice_must_run_its_days_and_reject_needs_a_reason(client) -> None:  # type: ignore[no-untyped-def]
    await setup_policy(client, notice_days=7)
    async with client(partner("disbursement:write")) as c:
        app_id = (await c.post("/api/v1/applications", json=application())).json()["id"]
    for role, stage in [
        ("officer", "accepted"),
        ("reviewer", "first_review"),
        ("reviewer", "second_review"),
        ("reviewer", "public_notice"),
    ]:
        async with client(staff(role, department="科技局", subject=f"{role}-{stage}")) as c:
            assert (
                await c.post(f"/api/v1/applications/{app_id}/steps", json={"to_status": stage})
            ).status_code == 200
    async with client(staff("approver", department="科技局")) as c:
        early = await c.post(f"/api/v1/applications/{app_id}/steps", json={"to_status": "approved"})
        assert early.status_code == 409 and early.json()["code"] == "notice_period_running"
        assert (await c.post(f"/api/v1/applications/{app_id}/reject", json={"reason": ""})).status_code == 422
        rejected = await c.post(
            f"/api/v1/applications/{app_id}/reject", json={"reason": "公示期收到实名异议，经核实不符合条件"}
        )
        assert rejected.json()["status"] == "rejected"
        again = await c.post(f"/api/v1/applications/{app_id}/steps", json={"to_status": "approved"})
        assert again.status_code == 409
