"""Flow 3: an application (申报) forwarded by 一企来办.

The portal emulator signs the application and posts it to the gateway's /integrations/yiqilaiban/applications
(twice: a portal retry must not make a second application). Staff move it through the policy's review stages
with their own tokens — 受理 (officer), 初审 and 复审 (reviewer), 公示 (reviewer), 审定 (approver) — the approval
reserves the budget, the bank emulator settles, the application becomes 已拨付, and the portal has received
every status through its signed callback.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.timeout(900)

POLICY = "KS-SB-012"  # 工业企业研发投入后补助 (25 % of R&D): application, no public-notice wait
DEPARTMENT = "工信局"  # the policy's department: only its staff move the application
AMOUNT_FEN = 500_000_00
STAGE_ROLE = {
    "accepted": "officer",
    "first_review": "reviewer",
    "second_review": "reviewer",
    "public_notice": "reviewer",
    "approved": "approver",
}


def test_an_application_from_yiqilaiban_is_reviewed_paid_and_reported_back(driver: Any) -> None:
    portal = driver.emulator("yiqilaiban")
    uscc = driver.new_uscc()
    number = f"YQLB-E2E-{uscc[-8:]}"
    forwarded = httpx.post(
        f"{portal}/_control/forward-application",
        json={
            "application_number": number,
            "policy_code": POLICY,
            "applicant_type": "enterprise",
            "applicant_id": uscc,
            "period": str(date.today().year),
            "amount_fen": AMOUNT_FEN,
            "duplicate": True,
            "gateway_url": driver.url,
        },
        timeout=60,
    )
    assert forwarded.status_code == 200, forwarded.text
    answers = forwarded.json()["answers"]
    assert [a["status"] for a in answers] in ([201, 200], [201, 201]), answers
    platform_ids = {a["body"]["platform"]["id"] for a in answers}
    assert len(platform_ids) == 1, answers  # the portal's retry is the same application
    app_id = platform_ids.pop()
    first = answers[0]["body"]["platform"]
    assert first["channel"] == "yiqilaiban" and first["external_ref"] == number
    assert first["status"] == "submitted"

    listed = driver.as_staff(
        "reviewer", "GET", "/api/v1/applications", DEPARTMENT, params={"applicant_id": uscc}
    )
    assert listed.status_code == 200, listed.text
    assert [a["id"] for a in listed.json()["items"]] == [app_id]

    app = first
    while app["allowed_next"]:
        stage = app["allowed_next"][0]
        # Staff of the policy's department, one person per stage (初审, 复审 and 审定 are three people).
        step = driver.as_staff(
            STAGE_ROLE[stage],
            "POST",
            f"/api/v1/applications/{app_id}/steps",
            DEPARTMENT,
            subject=f"e2e-{stage}",
            json={"to_status": stage, "comment": f"端到端：{stage}"},
        )
        assert step.status_code == 200, f"{stage}: {step.text}"
        app = step.json()
        assert app["status"] == stage
    assert app["status"] == "approved" and app["disbursement_id"]
    assert "public_notice" in app["workflow"]

    def paid() -> dict[str, Any] | None:
        resp = driver.as_staff("reviewer", "GET", f"/api/v1/applications/{app_id}", DEPARTMENT)
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        return body if body["status"] == "paid" else None

    detail = driver.eventually(paid, f"application {number} paid", timeout=120)
    payment = driver.as_staff("finance", "GET", f"/api/v1/disbursements/{app['disbursement_id']}", DEPARTMENT)
    assert payment.status_code == 200, payment.text
    assert payment.json()["status"] == "settled" and payment.json()["amount_fen"] == AMOUNT_FEN
    bank = httpx.get(f"{driver.emulator('bank')}/payments/{payment.json()['bank_reference']}", timeout=10)
    assert bank.json()["status"] == "settled"
    assert detail["application_number"]

    # Every status reached the portal, in order, each accepted once.
    expected = ["submitted", *app["workflow"]]

    def reported() -> list[str] | None:
        received = httpx.get(f"{portal}/_control/received", timeout=10).json()["status_callbacks"]
        ours = [
            c["data"]["status"]
            for c in received
            if c["data"].get("application_number") == number and c["outcome"] == "accepted"
        ]
        return ours if set(expected) <= set(ours) else None

    statuses = driver.eventually(reported, f"status callbacks for {number}", timeout=120)
    assert sorted(statuses) == sorted(expected), statuses  # each status once (deliveries may overtake)


def test_an_application_without_an_amount_gets_the_calculators(driver: Any) -> None:
    """A company applies without naming an amount: svc-disbursement asks svc-policy's calculator (over REST, with
    the company's 一企一档 figures as svc-policy learned them from svc-talent's events) and records that amount and
    where it came from; a company that does not qualify is told which condition it fails."""
    uscc = driver.register_enterprise(name="昆山算额智能装备有限公司", industry_chain="智能制造")
    year = date.today().year - 1
    figures = driver.partner.request(
        "PUT",
        f"/api/v1/enterprises/{uscc}/figures/{year}",
        json={
            "revenue_fen": 50_000_000_00,
            "rd_expense_fen": 2_000_000_00,  # 200 万元 → 25 % is 50 万元, under the 100 万元 cap
            "tax_paid_fen": 300_000_00,
            "high_tech_revenue_ratio": 0.5,
        },
    )
    assert figures.status_code == 200, figures.text

    def calculated() -> dict[str, Any] | None:
        resp = driver.partner.post(
            "/api/v1/policy-calculator?detail=full",
            json={"entity_type": "enterprise", "entity_id": uscc, "policy_codes": [POLICY]},
        )
        result: dict[str, Any] = resp.json()["results"][0] if resp.status_code == 200 else {}
        return result if result.get("amount_fen") == 50_000_000 else None

    expected = driver.eventually(calculated, "svc-policy to know the new figures")
    assert expected["status"] == "needs_confirmation"  # 立项验收 is for the reviewers to confirm

    applied = driver.as_staff(
        "officer",
        "POST",
        "/api/v1/applications",
        DEPARTMENT,
        json={
            "policy_code": POLICY,
            "applicant_type": "enterprise",
            "applicant_id": uscc,
            "period": str(year),
        },
    )
    assert applied.status_code == 201, applied.text
    body = applied.json()
    assert body["amount_fen"] == 50_000_000 and body["amount_source"] == "computed", body

    poorer = driver.register_enterprise(name="昆山未达标商贸有限公司", industry_chain="智能制造")

    def known(entity_id: str) -> bool:
        resp = driver.partner.post(
            "/api/v1/policy-calculator?detail=full",
            json={"entity_type": "enterprise", "entity_id": entity_id, "policy_codes": [POLICY]},
        )
        return resp.status_code == 200

    # The registration reaches svc-policy as an event: apply once it knows the company (else "no profile yet").
    driver.eventually(lambda: known(poorer), "svc-policy to know the second company")
    refused = driver.as_staff(
        "officer",
        "POST",
        "/api/v1/applications",
        DEPARTMENT,
        json={
            "policy_code": POLICY,
            "applicant_type": "enterprise",
            "applicant_id": poorer,
            "period": str(year),
        },
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "not_eligible", refused.text
    assert "研发费用" in refused.text  # the failed condition, named
    assert refused.json()["field"] == "amount_fen"
