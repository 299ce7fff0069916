"""Trust, item 4: money moves only by the policy's department, and by four eyes — through the gateway, with staff
tokens of the city's identity provider (the dev issuer), against the running services.

A 人社局 reviewer cannot move a 科技局 application (403 ``other_department``, nothing moves); the same 科技局
reviewer cannot take 初审 and 复审 (409 ``same_person``); a 人社局 officer cannot reject it; every refusal can be
read back from the audit log; 人社局 cannot read it either. A ticket of one department cannot be moved by another's officer.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(600)

POLICY = "KS-SB-032"  # 科技成果转化项目资助（二档）: an application policy of 科技局
DEPT = "科技局"
OTHER = "人社局"


def _problem(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers
    body: dict[str, Any] = resp.json()
    assert body["code"] == code, body
    return body


def test_another_department_cannot_move_an_application_and_one_person_cannot_review_twice(
    driver: Any,
) -> None:
    submitted = driver.partner.post(
        "/api/v1/applications",
        json={
            "policy_code": POLICY,
            "applicant_type": "enterprise",
            "applicant_id": driver.new_uscc(),
            "period": str(date.today().year),
            "amount_fen": 100_000,
        },
    )
    assert submitted.status_code == 201, submitted.text
    app_id = submitted.json()["id"]
    path = f"/api/v1/applications/{app_id}"

    def step(role: str, department: str, to: str, subject: str | None = None) -> Any:
        return driver.as_staff(
            role, "POST", f"{path}/steps", department, subject=subject, json={"to_status": to, "comment": to}
        )

    def status() -> str:
        resp = driver.as_staff("reviewer", "GET", path, DEPT)
        assert resp.status_code == 200, resp.text
        return str(resp.json()["status"])

    # 受理 by 科技局; then a 人社局 reviewer tries 初审 → refused, and the problem says whose the policy is.
    assert step("officer", DEPT, "accepted").status_code == 200
    refused = _problem(step("reviewer", OTHER, "first_review", "e2e-rs-reviewer"), 403, "other_department")
    assert refused["department"] == DEPT and refused["request_id"]
    assert status() == "accepted"

    # 初审 by one 科技局 reviewer; 复审 by the same person is refused, by a 人社局 reviewer too, by another 科技局 one not.
    assert step("reviewer", DEPT, "first_review", "e2e-kj-reviewer-a").status_code == 200
    same = _problem(step("reviewer", DEPT, "second_review", "e2e-kj-reviewer-a"), 409, "same_person")
    assert same["stages_taken"] == ["first_review"]
    _problem(step("reviewer", OTHER, "second_review", "e2e-rs-reviewer"), 403, "other_department")
    assert status() == "first_review"
    assert step("reviewer", DEPT, "second_review", "e2e-kj-reviewer-b").status_code == 200

    # 公示 and a terminal rejection by 人社局 are refused; nothing moved.
    _problem(step("reviewer", OTHER, "public_notice", "e2e-rs-reviewer"), 403, "other_department")
    rejected = driver.as_staff(
        "officer", "POST", f"{path}/reject", OTHER, subject="e2e-rs-officer", json={"reason": "不予通过"}
    )
    _problem(rejected, 403, "other_department")
    assert status() == "second_review"

    # An admin acts for every department.
    admin = driver.as_staff(
        "admin", "POST", f"{path}/steps", OTHER, subject="e2e-admin", json={"to_status": "public_notice"}
    )
    assert admin.status_code == 200 and admin.json()["status"] == "public_notice", admin.text

    # Every refusal is in the audit log.
    audit = driver.as_staff(
        "finance",
        "GET",
        "/api/v1/audit/entries",
        DEPT,
        params={"action": "access.refused", "entity_id": app_id},
    )
    assert audit.status_code == 200, audit.text
    logged = [(e["actor"], e["data"]["code"], e["data"]["refused"]) for e in reversed(audit.json()["items"])]
    assert logged == [
        ("e2e-rs-reviewer", "other_department", "application.first_review"),
        ("e2e-kj-reviewer-a", "same_person", "application.second_review"),
        ("e2e-rs-reviewer", "other_department", "application.second_review"),
        ("e2e-rs-reviewer", "other_department", "application.public_notice"),
        ("e2e-rs-officer", "other_department", "application.reject"),
    ]
    verified = driver.as_staff("finance", "GET", "/api/v1/audit/verify", DEPT)
    assert verified.status_code == 200 and verified.json()["ok"] is True, verified.text

    # Reading is the department's too: 人社局 is refused the application, and its list leaves it out.
    _problem(
        driver.as_staff("reviewer", "GET", path, OTHER, subject="e2e-rs-reviewer"), 403, "other_department"
    )

    def listed(department: str) -> set[str]:
        resp = driver.as_staff(
            "reviewer",
            "GET",
            "/api/v1/applications",
            department,
            params={"policy_code": POLICY, "limit": 200},
        )
        assert resp.status_code == 200, resp.text
        return {a["id"] for a in resp.json()["items"]}

    assert app_id in listed(DEPT) and app_id not in listed(OTHER)


def test_another_department_cannot_top_up_a_budget(driver: Any) -> None:
    def fund(department: str, key: str) -> Any:
        return driver.as_staff(
            "finance",
            "POST",
            "/api/v1/budgets",
            department,
            subject=f"e2e-finance-{department}",
            headers={"Idempotency-Key": key},
            json={"policy_code": POLICY, "fiscal_year": date.today().year, "amount_fen": 100},
        )

    _problem(fund(OTHER, "e2e-top-up-other"), 403, "other_department")
    assert fund(DEPT, "e2e-top-up-own").status_code == 201


def test_another_department_cannot_move_a_ticket(driver: Any) -> None:
    created = driver.partner.post(
        "/api/v1/tickets",
        json={
            "type": "政策咨询",
            "title": "人才政策咨询",
            "channel": "api",
            "requester_name": "周先生",
            "requester_phone": driver.new_phone(),
        },
    )
    assert created.status_code == 201, created.text
    number = created.json()["ticket_number"]
    department = "人才办"  # where 政策咨询 is routed
    moved = driver.as_staff(
        "officer", "POST", f"/api/v1/tickets/{number}/transitions", OTHER, json={"to": "accepted"}
    )
    _problem(moved, 403, "other_department")
    own = driver.as_staff(
        "officer", "POST", f"/api/v1/tickets/{number}/transitions", department, json={"to": "accepted"}
    )
    assert own.status_code == 200 and own.json()["status"] == "accepted", own.text
