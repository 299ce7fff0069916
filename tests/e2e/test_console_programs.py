"""人才计划 on the staff console, in Chromium through the gateway (real services, real HTTP):

a 科技局 program's call gets three applications (one naming only its company's USCC, whose registry name the page
shows; one not yet landed, 未落地先评审), is scored, selected (quota 1) and published for 公示 through the APIs; a
member of the public files an objection through the public channel. 科技局's officer signs in, sees the call with
its counts, opens it (ranking and selection with names, the 公示 period, the open objection), submits a resolution
without a reply (the error is shown next to the field, nothing resolved), then upholds it: the first is withdrawn,
the second moves up, and the counts follow. An officer of 人社局 opening the call is refused by svc-disbursement.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from kunruyi_common.clock import local_today

from .conftest import console_sign_in

pytestmark = pytest.mark.timeout(300)

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "is_mobile": True, "has_touch": True}
KJ, RS = "科技局", "人社局"
M = 1_000_000  # 1 万元 in fen
OFFICER = {"subject": "kj-programs-officer-e2e", "name": "科技经办周", "roles": ["officer"], "department": KJ}
APPROVER = {
    "subject": "kj-programs-approver-e2e",
    "name": "科技审定郑",
    "roles": ["approver"],
    "department": KJ,
}
OTHER = {"subject": "rs-programs-officer-e2e", "name": "人社经办吴", "roles": ["officer"], "department": RS}


def _noticed_call(driver: Any, registered_uscc: str) -> tuple[str, str, dict[str, str]]:
    """A 科技局 program and its call (category A, quota 1, a 5-day 公示) with 甲 (company by USCC only), 乙 and 丙
    (未落地) applied, scored 90/80/70, selected and published; (program id, call id, applicant → application id)."""

    def staff(role: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return driver.as_staff(role, method, path, KJ, subject=f"kj-programs-{role}-api", **kwargs)

    code = f"E2E-PC-{uuid.uuid4().hex[:6]}"
    program = staff(
        "officer",
        "POST",
        "/api/v1/programs",
        json={"code": code, "title": "昆山双创人才", "applicant_kind": "talent"},
    )
    assert program.status_code == 201, program.text
    today = local_today()
    call = staff(
        "officer",
        "POST",
        f"/api/v1/programs/{program.json()['id']}/calls",
        json={
            "year": today.year,
            "title": f"{today.year}年度昆山双创人才（工作台）",
            "opens_on": (today - timedelta(days=1)).isoformat(),
            "closes_on": (today + timedelta(days=10)).isoformat(),
            "categories": [{"code": "A", "title": "科技创业类", "quota": 1}],
            "funding_levels": [{"code": "L1", "title": "一档", "max_amount_fen": 200 * M}],
            "notice_days": 5,
        },
    )
    assert call.status_code == 201, call.text
    call_id = call.json()["id"]
    expert = "kj-programs-expert-e2e"
    panel = staff(
        "officer", "POST", f"/api/v1/program-calls/{call_id}/panel", json={"experts": [{"subject": expert}]}
    )
    assert panel.status_code == 200, panel.text
    ids: dict[str, str] = {}
    for name, uscc, company, score in (
        ("甲博士", registered_uscc, None, 90),
        ("乙博士", driver.new_uscc(), "昆山乙元智能科技有限公司", 80),
        ("丙博士", None, None, 70),
    ):
        applied = driver.partner.post(
            f"/api/v1/program-calls/{call_id}/applications",
            json={
                "applicant_id": f"talent-{name}-{call_id[:8]}",
                "applicant_name": name,
                "company_uscc": uscc,
                "company_name": company,
                "category": "A",
                "funding_level": "L1",
                "requested_amount_fen": 150 * M,
                "plan": "三年内完成样机并量产",
            },
        )
        assert applied.status_code == 201, applied.text
        ids[name] = applied.json()["id"]
        scored = driver.as_staff(
            "reviewer",
            "POST",
            f"/api/v1/program-applications/{ids[name]}/scores",
            KJ,
            subject=expert,
            json={"score": score},
        )
        assert scored.status_code == 201, scored.text
    assert staff("officer", "POST", f"/api/v1/program-calls/{call_id}/close").status_code == 200
    selected = staff("approver", "POST", f"/api/v1/program-calls/{call_id}/selection", json={})
    assert selected.status_code == 200, selected.text
    noticed = staff("approver", "POST", f"/api/v1/program-calls/{call_id}/notice")
    assert noticed.status_code == 200, noticed.text
    return program.json()["id"], call_id, ids


def test_an_officer_sees_the_call_with_names_and_resolves_its_objection(
    driver: Any, browser: Any, artifacts_dir: Path
) -> None:
    idp = driver.emulator("staff-identity")
    for user in (OFFICER, APPROVER, OTHER):
        assert httpx.post(f"{idp}/_control/users", json=user, timeout=10).status_code == 201
    company = "昆山甲辰人才科技有限公司"
    uscc = driver.register_enterprise(name=company)
    program_id, call_id, ids = _noticed_call(driver, uscc)
    # The public channel: anyone, no credentials, through the gateway.
    filed = driver.http.post(
        f"/api/v1/program-notices/{call_id}/objections",
        json={"application_id": ids["甲博士"], "reason": "该企业并未在昆山实际经营", "objector": "知情群众"},
    )
    assert filed.status_code == 201, filed.text

    page = console_sign_in(browser, driver, OFFICER["subject"])
    page.goto(f"{driver.url}/console/programs")
    row = page.get_by_test_id(f"call-{call_id}")
    assert row.get_by_test_id("status").inner_text() == "公示"
    assert row.get_by_test_id("applications").inner_text() == "3"
    assert row.get_by_test_id("selected").inner_text().startswith("1")
    assert row.get_by_test_id("objections-open").inner_text().startswith("1")
    page.screenshot(path=str(artifacts_dir / "console-programs.png"), full_page=True)

    row.get_by_role("link").click()
    page.wait_for_url(f"**/console/programs/calls/{call_id}")
    ranking = page.get_by_test_id("ranking-A")
    first = ranking.get_by_test_id(f"ranked-{ids['甲博士']}")
    assert (
        company in first.inner_text() and uscc not in first.inner_text()
    )  # the registry's name, not the code
    assert first.get_by_test_id("result").inner_text() == "入选"
    assert "昆山乙元智能科技有限公司" in ranking.get_by_test_id(f"ranked-{ids['乙博士']}").inner_text()
    assert "未落地" in ranking.get_by_test_id(f"ranked-{ids['丙博士']}").inner_text()
    today = local_today()
    period = f"{today.isoformat()} 至 {(today + timedelta(days=4)).isoformat()}"
    assert period in page.get_by_test_id("notice-period").inner_text()
    objection = page.get_by_test_id(f"objection-{filed.json()['id']}")
    assert objection.get_by_test_id("objection-status").inner_text() == "待处理"
    assert "甲博士" in objection.inner_text() and "知情群众" in objection.inner_text()
    page.screenshot(path=str(artifacts_dir / "console-program-call.png"), full_page=True)

    # A form posted without the session's CSRF token (a forged cross-site post) changes nothing.
    forged = page.context.request.post(
        f"{driver.url}/console/programs/objections/{filed.json()['id']}/resolution",
        form={"outcome": "dismissed", "resolution": "伪造的提交"},
    )
    assert forged.status == 403
    # A resolution without a reply: svc-disbursement refuses it, the page says so next to the field.
    form = objection.locator("form")
    form.locator("input[value=upheld]").check()
    with page.expect_response(lambda r: r.url.endswith("/resolution")) as answered:
        form.get_by_role("button", name="提交处理结果").click()
    assert answered.value.status == 422
    objection = page.get_by_test_id(f"objection-{filed.json()['id']}")
    assert "核查结论不能为空" in objection.get_by_test_id("resolution-error").inner_text()
    assert "异议未处理" in page.get_by_test_id("errors").inner_text()
    assert objection.get_by_test_id("objection-status").inner_text() == "待处理"
    assert objection.locator("input[value=upheld]").is_checked()  # the choice is kept
    page.screenshot(path=str(artifacts_dir / "console-program-objection-error.png"), full_page=True)

    objection.locator("textarea[name=resolution]").fill("经核查，该企业未在昆山实际经营，异议成立")
    with page.expect_response(lambda r: r.url.endswith("/resolution")) as answered:
        objection.get_by_role("button", name="提交处理结果").click()
    assert answered.value.status == 200
    assert "异议成立" in page.get_by_test_id("flash").inner_text()
    objection = page.get_by_test_id(f"objection-{filed.json()['id']}")
    assert objection.get_by_test_id("objection-status").inner_text() == "异议成立"
    assert "未在昆山实际经营" in objection.get_by_test_id("objection-resolution").inner_text()
    assert (
        "科技经办周" in objection.inner_text() and "乙博士" in objection.inner_text()
    )  # who, and who moved up
    ranking = page.get_by_test_id("ranking-A")
    assert (
        "撤销入选" in ranking.get_by_test_id(f"ranked-{ids['甲博士']}").get_by_test_id("result").inner_text()
    )
    assert ranking.get_by_test_id(f"ranked-{ids['乙博士']}").get_by_test_id("result").inner_text() == "入选"
    assert "待处理异议 0" in page.get_by_test_id("call-counts").inner_text()
    page.screenshot(path=str(artifacts_dir / "console-program-objection-resolved.png"), full_page=True)
    page.goto(f"{driver.url}/console/programs?program={program_id}")
    row = page.get_by_test_id(f"call-{call_id}")
    assert row.get_by_test_id("objections-open").inner_text().startswith("0")
    assert "撤销 1" in row.get_by_test_id("selected").inner_text()
    page.context.close()

    # 科技局's approver, on a phone: the same call, resolved, and no resolution form (officers resolve).
    approver = console_sign_in(browser, driver, APPROVER["subject"], size=PHONE)
    approver.goto(f"{driver.url}/console/programs/calls/{call_id}")
    objection = approver.get_by_test_id(f"objection-{filed.json()['id']}")
    assert objection.get_by_test_id("objection-status").inner_text() == "异议成立"
    assert approver.locator("form[data-testid^=resolve-]").count() == 0
    assert "经办人核查处理" in approver.get_by_test_id("objections").inner_text()
    approver.screenshot(path=str(artifacts_dir / "console-program-call-phone.png"), full_page=True)
    approver.context.close()

    # Another department's call: svc-disbursement refuses, the page shows its words and status.
    other = console_sign_in(browser, driver, OTHER["subject"])
    response = other.goto(f"{driver.url}/console/programs/calls/{call_id}")
    assert response is not None and response.status == 403
    assert "other_department" in other.get_by_test_id("errors").inner_text()
    other.screenshot(path=str(artifacts_dir / "console-program-other-department.png"), full_page=True)
    response = other.goto(f"{driver.url}/console/programs")
    assert response is not None and response.status == 200
    assert other.get_by_test_id(f"call-{call_id}").count() == 0  # not in 人社局's list
    response = other.goto(f"{driver.url}/console/programs?program={program_id}")
    assert response is not None and response.status == 403
    assert "该人才计划由科技局办理" in other.get_by_test_id("errors").inner_text()
    response = other.goto(f"{driver.url}/console/programs?status=announced")  # a typed filter
    assert response is not None and response.status == 422
    assert "批次状态“announced”不存在" in other.get_by_test_id("errors").inner_text()
    other.context.close()
