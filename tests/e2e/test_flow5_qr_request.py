"""Flow 5: a request (诉求) filed on the 昆e服 page from a phone.

An officer issues the enterprise's 昆e服 code; the person scans it (headless Chromium, phone viewport), files a
policy question and gets a ticket number and secret. svc-talent routes it to 人才办 with an officer and a
deadline; an officer of that department accepts, works on and answers it through the gateway; the person comes
back with number + secret and reads the answer on the page. The service-desk statistics count the request and
its reply.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(900)

DEPARTMENT = "人才办"  # 政策咨询 goes to 人才办 (svc-talent's routing table)
REPLY = "您好：高新技术企业认定奖励为免申即享，认定当年自动兑付，无需申报。"


def _qr_row(driver: Any) -> dict[str, Any]:
    resp = driver.as_staff(
        "officer", "GET", "/api/v1/service-desk/stats", DEPARTMENT, params={"group_by": "channel"}
    )
    assert resp.status_code == 200, resp.text
    row = next((r for r in resp.json()["items"] if r["key"] == "qr"), None)
    return row or {"total": 0, "replied": 0}


def test_a_request_from_the_qr_page_is_answered_on_the_page(
    driver: Any, phone: Any, artifacts_dir: Path
) -> None:
    name = "昆山诉求直通精密机械有限公司"
    uscc = driver.register_enterprise(name=name, district="周市", industry_chain="智能制造")
    token = driver.service_code("enterprise", uscc, name, "智能制造")
    before = _qr_row(driver)

    phone.goto(f"{driver.url}/q/{token}")
    phone.get_by_role("heading", name="直通诉求").wait_for()
    phone.get_by_label("诉求类型").select_option("政策咨询")
    phone.get_by_label("诉求标题（必填）").fill("高企认定奖励需要申报吗？")
    phone.get_by_label("具体情况").fill("我司今年首次认定为高新技术企业，想了解奖励是否需要另行申报。")
    phone.get_by_label("联系人").first.fill("周经理")
    phone.get_by_label("手机号").first.fill(driver.new_phone())
    phone.locator("#consent-ticket").check()
    phone.get_by_role("button", name="提交诉求").click()
    number = phone.locator("#ticket-number").inner_text().strip()
    secret = phone.locator("#ticket-secret").inner_text().strip()
    assert number and secret

    # The officer's view (through the gateway, as an officer of the department the ticket was routed to).
    ticket = driver.as_staff("officer", "GET", f"/api/v1/tickets/{number}", DEPARTMENT)
    assert ticket.status_code == 200, ticket.text
    staff_view = ticket.json()
    assert staff_view["department"] == DEPARTMENT and staff_view["officer"] and staff_view["deadline"]
    assert staff_view["channel"] == "qr" and staff_view["enterprise_uscc"] == uscc
    other = driver.as_staff("officer", "GET", f"/api/v1/tickets/{number}", "公安局")
    assert other.status_code == 403, other.text  # another department's officer may not handle it

    for to, extra in (("accepted", {}), ("in_progress", {}), ("replied", {"reply": REPLY})):
        moved = driver.as_staff(
            "officer",
            "POST",
            f"/api/v1/tickets/{number}/transitions",
            DEPARTMENT,
            json={"to": to, "comment": f"端到端：{to}", **extra},
        )
        assert moved.status_code == 200, f"{to}: {moved.text}"
        assert moved.json()["status"] == to

    # The person comes back with number + secret and reads the answer.
    phone.goto(f"{driver.url}/q/{token}")
    phone.get_by_label("工单编号").fill(number)
    phone.get_by_label("查询码").fill(secret)
    phone.get_by_role("button", name="查询").click()
    assert phone.locator("#ticket-reply").inner_text().strip() == REPLY
    assert phone.locator("#ticket-status").inner_text().strip() == "已答复"
    phone.screenshot(path=str(artifacts_dir / "e2e-flow5-reply.png"), full_page=True)

    wrong = driver.http.get(f"/q/{token}/ticket", params={"number": number, "secret": "not-the-secret"})
    assert wrong.status_code == 404 and REPLY not in wrong.text

    after = _qr_row(driver)
    assert after["total"] == before["total"] + 1, (before, after)
    assert after["replied"] == before["replied"] + 1, (before, after)


def test_the_same_form_sent_twice_files_one_request(driver: Any) -> None:
    """A double tap or a resend after a timeout re-posts the same form: the person gets the same ticket back and
    svc-talent files it once; the same form re-posted with other content is refused on the page."""
    import re

    name = "昆山重复提交电子有限公司"
    uscc = driver.register_enterprise(name=name, district="张浦", industry_chain="集成电路")
    token = driver.service_code("enterprise", uscc, name, "集成电路")
    before = _qr_row(driver)

    page = driver.http.get(f"/q/{token}")
    assert page.status_code == 200
    form_id = re.search(r'name="form_id" value="([0-9a-f]{32})"', page.text)
    assert form_id, "the request form carries no form id"
    form = {
        "form_id": form_id.group(1),
        "type": "子女入学",
        "title": "员工子女入学需要哪些材料？",
        "description": "新引进的工程师子女明年九月入学。",
        "requester_name": "陈女士",
        "requester_phone": driver.new_phone(),
        "consent": "yes",
    }
    first = driver.http.post(f"/q/{token}/tickets", data=form)
    again = driver.http.post(f"/q/{token}/tickets", data=form)
    number = re.compile(r'id="ticket-number"[^>]*>\s*([^<\s]+)')
    assert first.status_code == again.status_code == 200
    filed, refiled = number.search(first.text), number.search(again.text)
    assert filed and refiled and filed.group(1) == refiled.group(1), (first.text[-500:], again.text[-500:])

    changed = driver.http.post(f"/q/{token}/tickets", data=form | {"title": "另一个问题"})
    assert "这份表单已经提交过" in changed.text and not number.search(changed.text)

    after = _qr_row(driver)
    assert after["total"] == before["total"] + 1, (before, after)
