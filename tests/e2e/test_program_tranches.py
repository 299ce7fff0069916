"""Talent program, staged funding, through the gateway: a talent registered in svc-talent applies to a call of
科技局's 昆山双创人才 program, is scored and selected; svc-talent adds the program to the talent's profile (class
follows); the funding agreement's first tranche is released on registration and paid by the bank emulator once,
a second release refused; a failed 绩效评估 ends the rest."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(300)

DEPT = "科技局"
M = 1_000_000


def test_selection_reaches_the_profile_and_the_first_tranche_is_paid_once(driver: Any) -> None:
    def staff(role: str, method: str, path: str, subject: str, **kwargs: Any) -> Any:
        return driver.as_staff(role, method, path, DEPT, subject=subject, **kwargs)

    uscc = driver.register_enterprise(name="昆山双创科技有限公司")
    talent = driver.partner.post(
        "/api/v1/talents",
        json={"name": "吴博士", "id_number": driver.new_resident_id(), "education": "master"},
    )
    assert talent.status_code == 201, talent.text
    talent_id = talent.json()["talent_id"]
    today = date.today()

    program = staff(
        "officer",
        "POST",
        "/api/v1/programs",
        "e2e-kj-officer",
        json={"code": f"E2E-SC-{uuid.uuid4().hex[:6]}", "title": "昆山双创人才", "applicant_kind": "talent"},
    )
    assert program.status_code == 201, program.text
    call = staff(
        "officer",
        "POST",
        f"/api/v1/programs/{program.json()['id']}/calls",
        "e2e-kj-officer",
        json={
            "year": today.year,
            "title": "端到端双创批次",
            "opens_on": (today - timedelta(days=1)).isoformat(),
            "closes_on": (today + timedelta(days=10)).isoformat(),
            "categories": [{"code": "A", "title": "创业类", "quota": 1}],
            "funding_levels": [{"code": "L1", "title": "一档", "max_amount_fen": 100 * M}],
            "notice_days": 0,
        },
    )
    assert call.status_code == 201, call.text
    call_id = call.json()["id"]
    panel = staff(
        "officer",
        "POST",
        f"/api/v1/program-calls/{call_id}/panel",
        "e2e-kj-officer",
        json={"experts": [{"subject": "e2e-kj-expert"}]},
    )
    assert panel.status_code == 200, panel.text
    application = driver.partner.post(
        f"/api/v1/program-calls/{call_id}/applications",
        json={
            "applicant_id": talent_id,
            "applicant_name": "吴博士",
            "company_uscc": uscc,
            "company_name": "昆山双创科技有限公司",
            "category": "A",
            "funding_level": "L1",
            "requested_amount_fen": 50 * M,
            "plan": "三年量产",
        },
    )
    assert application.status_code == 201, application.text
    application_id = application.json()["id"]
    scored = staff(
        "reviewer",
        "POST",
        f"/api/v1/program-applications/{application_id}/scores",
        "e2e-kj-expert",
        json={"score": 90},
    )
    assert scored.status_code == 201, scored.text
    assert (
        staff("officer", "POST", f"/api/v1/program-calls/{call_id}/close", "e2e-kj-officer").status_code
        == 200
    )
    selected = staff(
        "approver", "POST", f"/api/v1/program-calls/{call_id}/selection", "e2e-kj-approver", json={}
    )
    assert selected.status_code == 200, selected.text
    # A 公示 of 0 days is over at once: the agreement may be signed.
    noticed = staff("approver", "POST", f"/api/v1/program-calls/{call_id}/notice", "e2e-kj-approver")
    assert noticed.status_code == 200, noticed.text

    def profile() -> dict[str, Any] | None:
        body: dict[str, Any] = driver.partner.get(f"/api/v1/talents/{talent_id}").json()
        return body if body["programs"] else None

    seen = driver.eventually(profile, "the program on the talent's profile")
    assert [(p["name"], p["year"], p["funding_level"]) for p in seen["programs"]] == [
        ("昆山双创人才", today.year, "L1")
    ]
    assert seen["talent_class"] == "D"

    agreement = staff(
        "officer",
        "POST",
        f"/api/v1/program-applications/{application_id}/agreement",
        "e2e-kj-officer",
        json={
            "tranches": [
                {"milestone": "company_registered", "amount_fen": 30 * M},
                {"milestone": "assessment_passed", "assessment_year": today.year + 1, "amount_fen": 20 * M},
            ]
        },
    )
    assert agreement.status_code == 201, agreement.text
    agreement_id = agreement.json()["id"]
    funded = driver.as_staff(
        "finance",
        "POST",
        "/api/v1/budgets",
        DEPT,
        json={
            "policy_code": agreement.json()["policy_code"],
            "fiscal_year": today.year,
            "amount_fen": 100 * M,
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert funded.status_code == 201, funded.text
    base = f"/api/v1/funding-agreements/{agreement_id}/tranches"
    early = staff("approver", "POST", f"{base}/1/release", "e2e-kj-approver", json={})
    assert early.status_code == 409 and early.json()["code"] == "milestone_not_confirmed", early.text
    confirmed = staff(
        "officer", "POST", f"{base}/1/confirm", "e2e-kj-officer", json={"evidence": "营业执照已核验"}
    )
    assert confirmed.status_code == 200, confirmed.text
    released = staff("approver", "POST", f"{base}/1/release", "e2e-kj-approver", json={})
    assert released.status_code == 200, released.text
    again = staff("approver", "POST", f"{base}/1/release", "e2e-kj-approver", json={})
    assert again.status_code == 409 and again.json()["code"] == "tranche_already_released", again.text

    def paid() -> list[dict[str, Any]] | None:
        # Only the program's money: a 免申即享 entitlement of the same company (e.g. KS-RS-114, awaiting budget)
        # may be listed beside it.
        items: list[dict[str, Any]] = [
            i
            for i in driver.partner.get("/api/v1/disbursements", params={"entity_id": uscc}).json()["items"]
            if i["policy_code"].startswith("PROGRAM-")
        ]
        return items if items and all(i["status"] == "settled" for i in items) else None

    items = driver.eventually(paid, "the first tranche settled", timeout=120)
    assert [i["amount_fen"] for i in items] == [30 * M]

    failed = staff(
        "officer",
        "POST",
        f"/api/v1/funding-agreements/{agreement_id}/assessments",
        "e2e-kj-officer",
        json={"year": today.year + 1, "result": "fail", "reason": "营收未达目标", "consequence": "terminate"},
    )
    assert failed.status_code == 201, failed.text
    assert [t["status"] for t in failed.json()["tranches"]] == ["released", "cancelled"]
    ended = staff("approver", "POST", f"{base}/2/release", "e2e-kj-approver", json={})
    assert ended.status_code == 409 and ended.json()["code"] == "agreement_ended", ended.text
