"""Flow 1 (免申即享), with svc-disbursement killed twice while it runs.

A partner registers an enterprise (a valid USCC) and its talent in 一企一档; the enterprise gains the 高新技术企业
qualification this year. svc-policy, fed by svc-talent's events, finds it eligible for 高新技术企业认定奖励
(KS-KJ-001, ¥300,000) and determines the entitlement; svc-disbursement takes the event, queues the payment for an
approver (above the auto-approval limit), reserves the seeded budget, instructs the bank emulator and records the
settlement; staff see it settled, and the enterprise's public 昆e服 page lists the award without its amount or
payment status.

svc-disbursement is SIGKILLed once while the entitlement event is in flight and once right after the approval,
and restarted each time: the flow still finishes with exactly one disbursement per policy and exactly one
payment at the bank.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.timeout(900)

POLICY = "KS-KJ-001"
TITLE = "高新技术企业认定奖励"
AMOUNT_FEN = 30_000_000


def _restart(platform: Any, name: str) -> None:
    app = platform.apps[name]
    app.kill()
    assert app.process.poll() is not None
    app.start()
    app.wait_ready(120)


def test_an_enterprise_gets_its_award_without_applying(driver: Any, phone: Any, artifacts_dir: Path) -> None:
    platform = driver.platform
    name = "昆山免申芯片科技有限公司"
    uscc = driver.register_enterprise(name=name, district="高新区", industry_chain="集成电路")
    talent = driver.partner.post(
        "/api/v1/talents",
        json={
            "name": "李博士",
            "id_number": driver.new_resident_id(),
            "education": "doctor",
            "employer_uscc": uscc,
            "expertise": "模拟芯片设计",
        },
    )
    assert talent.status_code == 201, talent.text
    assert talent.json()["employer"]["uscc"] == uscc
    qualification = driver.partner.post(
        f"/api/v1/enterprises/{uscc}/qualifications",
        json={"kind": "high_tech", "level": "national", "granted_on": f"{date.today().year}-10-15"},
    )
    assert qualification.status_code == 201, qualification.text

    # svc-policy's read model has the new qualification and the policy applies: the entitlement is determined
    # in the same unit of work (its event is now on its way to svc-disbursement).
    def eligible() -> dict[str, Any] | None:
        resp = driver.partner.post(
            "/api/v1/policy-calculator?detail=full",
            json={"entity_type": "enterprise", "entity_id": uscc, "policy_codes": [POLICY]},
        )
        assert resp.status_code == 200, resp.text
        result: dict[str, Any] = resp.json()["results"][0]
        return result if result["status"] == "eligible" else None

    result = driver.eventually(eligible, f"{POLICY} eligible for {uscc}")
    assert result["amount_fen"] == AMOUNT_FEN
    assert [c["state"] for c in result["criteria"]] == ["pass"]

    # Crash svc-disbursement while the event is in flight; while it is down the gateway answers 503 at once.
    platform.apps["disbursement"].kill()
    down = driver.partner.get("/api/v1/disbursements", params={"entity_id": uscc})
    assert down.status_code == 503, down.text
    platform.apps["disbursement"].start()
    platform.apps["disbursement"].wait_ready(120)

    def disbursements() -> list[dict[str, Any]]:
        resp = driver.partner.get("/api/v1/disbursements", params={"entity_id": uscc, "limit": 200})
        assert resp.status_code == 200, resp.text
        items: list[dict[str, Any]] = resp.json()["items"]
        return items

    def ours() -> dict[str, Any] | None:
        return next((d for d in disbursements() if d["policy_code"] == POLICY), None)

    pending = driver.eventually(ours, f"the {POLICY} disbursement")
    assert pending["status"] == "pending_approval", pending
    assert pending["amount_fen"] == AMOUNT_FEN
    assert pending["mode"] == "automatic" and pending["period"] == str(date.today().year)

    # An approver releases it; then svc-disbursement dies again with the payment in flight.
    approved = driver.as_staff(
        "approver", "POST", f"/api/v1/disbursements/{pending['id']}/approve", "科技局"
    )  # an approver of the policy's department
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] in ("reserved", "instructing", "instructed", "settled"), approved.text
    _restart(platform, "disbursement")

    settled = driver.eventually(
        lambda: (d := ours()) is not None and d["status"] == "settled" and d, f"{POLICY} settled", timeout=120
    )
    assert settled["id"] == pending["id"]
    assert settled["settled_at"]

    # Nothing lost, nothing doubled: one disbursement per policy, one payment at the bank for its reference.
    codes = [d["policy_code"] for d in disbursements()]
    assert codes.count(POLICY) == 1
    assert len(codes) == len(set(codes)), codes
    bank = driver.emulator("bank")
    payment = httpx.get(f"{bank}/payments/{settled['bank_reference']}", timeout=10).json()
    assert payment["status"] == "settled"
    assert payment["amount_fen"] == AMOUNT_FEN
    assert payment["payee"]["entity_id"] == uscc
    statement = httpx.get(f"{bank}/statements/{payment['settled_at'][:10]}", timeout=10).json()
    assert [e["reference"] for e in statement["entries"]].count(settled["bank_reference"]) == 1

    # Staff see the payment as settled, for the amount the bank paid.
    seen_by_staff = driver.as_staff("finance", "GET", f"/api/v1/disbursements/{settled['id']}", "科技局")
    assert seen_by_staff.status_code == 200, seen_by_staff.text
    assert seen_by_staff.json()["status"] == "settled"
    assert seen_by_staff.json()["amount_fen"] == AMOUNT_FEN

    # The enterprise scans its 昆e服 code. The page is public (the code is posted at the company): it lists what
    # the company qualifies for, then what needs a person's confirmation (largest awards first in each), each
    # labelled as the calculator decided, under the calculator's counts; no amount, no payment status.
    token = driver.service_code("enterprise", uscc, name, "集成电路")
    phone.goto(f"{driver.url}/q/{token}")
    phone.get_by_role("heading", name="直达政策").wait_for()
    calculated = driver.partner.post(
        "/api/v1/policy-calculator?detail=full", json={"entity_type": "enterprise", "entity_id": uscc}
    ).json()
    order = {"eligible": 0, "needs_confirmation": 1}
    shown = sorted(
        (r for r in calculated["results"] if r["status"] in order),
        key=lambda r: (order[r["status"]], -(r["amount_fen"] or 0)),
    )[:20]
    labels = {"eligible": "符合条件", "needs_confirmation": "需人工确认"}
    badges = phone.locator("#policies > ul").first.locator(".badge").all_inner_texts()
    assert badges == [labels[r["status"]] for r in shown], badges
    assert badges[0] == "符合条件"  # at least the award this flow paid
    summary = phone.locator("#policy-summary").inner_text()
    assert f"符合条件 {calculated['summary']['eligible']} 项" in summary, summary
    policies = phone.locator("#policies").inner_text()
    assert TITLE in policies, policies
    for money in ("¥", "300,000", "已兑付", "兑付情况"):
        assert money not in policies, (money, policies)
    phone.screenshot(path=str(artifacts_dir / "e2e-flow1-payment.png"), full_page=True)
