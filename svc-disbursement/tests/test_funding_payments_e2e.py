"""End to end through real processes: a selected talent's funding agreement, its registration milestone confirmed,
the release request retried (concurrently, with its Idempotency-Key, and again without one) → one disbursement →
the payment worker → the bank emulator (duplicate callbacks) → settled, paid exactly once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from disbursement_testkit import BankEmulator, ServiceProcess, make_uscc, wait_until
from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_today
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import migrated_database, principal_headers, staff

DEPT = "科技局"
M = 1_000_000


@pytest.fixture(scope="module")
def e2e(infra: Infra) -> Iterator[tuple[ServiceProcess, BankEmulator]]:
    db_url = migrated_database(infra, "kunruyi_disbursement", "disbursement_tranches_e2e")
    service = ServiceProcess(infra, db_url, bank_url="")
    bank = BankEmulator(f"{service.url}/api/v1/bank/callbacks", env={"KRY_BANK_LATENCY_MS": "20"})
    service.bank_url = bank.url
    service.start(bank_timeout_s="1").wait_ready(60)
    try:
        yield service, bank
    finally:
        service.stop()
        bank.stop()


def as_(service: ServiceProcess, role: str, subject: str) -> httpx.AsyncClient:
    who: Principal = staff(role, department=DEPT, subject=subject)
    return httpx.AsyncClient(base_url=service.url, headers=principal_headers(who), timeout=30)


async def ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()


async def test_a_retried_release_is_paid_once_by_the_bank(e2e: tuple[ServiceProcess, BankEmulator]) -> None:
    service, bank = e2e
    bank.control(duplicate_callbacks=True, out_of_order_callbacks=True, failure_rate=0.0, return_rate=0.0)
    today = local_today()
    uscc = make_uscc(9301)
    async with (
        as_(service, "officer", "kj-officer") as officer,
        as_(service, "reviewer", "kj-expert") as expert,
        as_(service, "approver", "kj-approver") as approver,
        as_(service, "finance", "kj-finance") as finance,
    ):
        program = await ok(
            await officer.post(
                "/api/v1/programs",
                json={
                    "code": f"E2E-{uuid.uuid4().hex[:6]}",
                    "title": "昆山双创人才",
                    "applicant_kind": "talent",
                },
            ),
            201,
        )
        call = await ok(
            await officer.post(
                f"/api/v1/programs/{program['id']}/calls",
                json={
                    "year": today.year,
                    "title": "端到端批次",
                    "opens_on": (today - timedelta(days=1)).isoformat(),
                    "closes_on": (today + timedelta(days=10)).isoformat(),
                    "categories": [{"code": "A", "title": "创业类", "quota": 1}],
                    "funding_levels": [{"code": "L1", "title": "一档", "max_amount_fen": 100 * M}],
                    "notice_days": 0,
                },
            ),
            201,
        )
        await ok(
            await officer.post(
                f"/api/v1/program-calls/{call['id']}/panel", json={"experts": [{"subject": "kj-expert"}]}
            )
        )
        application = await ok(
            await officer.post(
                f"/api/v1/program-calls/{call['id']}/applications",
                json={
                    "applicant_id": str(uuid.uuid4()),
                    "applicant_name": "周博士",
                    "company_uscc": uscc,
                    "company_name": "昆山周氏科技有限公司",
                    "category": "A",
                    "funding_level": "L1",
                    "requested_amount_fen": 50 * M,
                    "plan": "量产",
                },
            ),
            201,
        )
        await ok(
            await expert.post(f"/api/v1/program-applications/{application['id']}/scores", json={"score": 88}),
            201,
        )
        await ok(await officer.post(f"/api/v1/program-calls/{call['id']}/close"))
        await ok(await approver.post(f"/api/v1/program-calls/{call['id']}/selection", json={}))
        await ok(await approver.post(f"/api/v1/program-calls/{call['id']}/notice"))  # 0 days: over at once
        agreement = await ok(
            await officer.post(
                f"/api/v1/program-applications/{application['id']}/agreement",
                json={
                    "tranches": [
                        {"milestone": "company_registered", "amount_fen": 30 * M},
                        {"milestone": "first_revenue", "amount_fen": 20 * M},
                    ]
                },
            ),
            201,
        )
        await ok(
            await finance.post(
                "/api/v1/budgets",
                json={
                    "policy_code": agreement["policy_code"],
                    "fiscal_year": today.year,
                    "amount_fen": 100 * M,
                },
                headers={"Idempotency-Key": str(uuid.uuid4())},
            ),
            201,
        )
        base = f"/api/v1/funding-agreements/{agreement['id']}/tranches/1"
        await ok(await officer.post(f"{base}/confirm", json={"evidence": "营业执照已核验"}))

        key = {"Idempotency-Key": f"release-{agreement['id']}-1"}
        first = await ok(await approver.post(f"{base}/release", json={}, headers=key))
        disbursement_id = first["tranches"][0]["disbursement_id"]
        # The client retries: three times with its key at once, twice more without one.
        retried = await asyncio.gather(
            *[approver.post(f"{base}/release", json={}, headers=key) for _ in range(3)],
            *[approver.post(f"{base}/release", json={}) for _ in range(2)],
        )
        assert [r.status_code for r in retried] == [200, 200, 200, 409, 409], [r.text for r in retried]
        assert {r.json()["tranches"][0]["disbursement_id"] for r in retried[:3]} == {disbursement_id}
        assert {r.json()["code"] for r in retried[3:]} == {"tranche_already_released"}

        async def settled() -> list[dict[str, Any]] | None:
            items = (await ok(await approver.get("/api/v1/disbursements", params={"entity_id": uscc})))[
                "items"
            ]
            return items if items and all(i["status"] == "settled" for i in items) else None

        items = await wait_until(settled, within=60)
        assert [(i["id"], i["amount_fen"]) for i in items] == [(disbursement_id, 30 * M)]
        payment = bank.payment(items[0]["bank_reference"])
        assert payment is not None and payment["amount_fen"] == 30 * M
        view = await ok(await approver.get(f"/api/v1/funding-agreements/{agreement['id']}"))
        assert view["tranches"][0]["disbursement_status"] == "settled" and view["released_fen"] == 30 * M
        assert view["tranches"][1]["status"] == "pending"
        report = await ok(await finance.get("/api/v1/ledger/invariants"))
        assert report["ok"], report
