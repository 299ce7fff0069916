"""Issue 15, the follow-ups the first use missed, on a phone in Chromium through the gateway:

- a company signed in through 苏商通 rates its ticket's answer 不满意 on 我的诉求 and reopens it with a reason (the
  empty reason shown at the field first); the ticket is back in the department's queue with that reason; a demand
  it files on a park's page under its own code is marked verified;
- a visitor of a park's page files a demand with a contact, after the 个人信息处理告知: the confirmation gives a
  number and a query code (no internal id), and the status page found by them shows the demand unverified, not
  public, with the phone masked; the page's phone numbers are tap-to-call and its top links are ≥ 44 px, unwrapped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(300)
OFFICE = "人才办"


def _sign_in_as_company(driver: Any, phone: Any, uscc: str, name: str) -> None:
    phone.goto(f"{driver.url}/m/requests")
    assert "/m/login" in phone.url
    phone.locator("#login-company").click()
    phone.get_by_label("统一社会信用代码").fill(uscc)
    phone.get_by_label("企业名称").fill(name)
    phone.get_by_role("button", name="登录").click()
    phone.get_by_role("heading", name="我的诉求").wait_for()


def test_a_company_rates_an_answer_unsatisfied_and_reopens_it(
    driver: Any, phone: Any, artifacts_dir: Path
) -> None:
    name = "昆山评价回访精工有限公司"
    uscc = driver.register_enterprise(name=name, district="周市", industry_chain="智能制造")
    filed = driver.partner.post(
        "/api/v1/tickets",
        json={
            "type": "政策咨询",
            "title": "智能化改造补贴何时申报",
            "channel": "api",
            "enterprise_uscc": uscc,
        },
    )
    assert filed.status_code == 201, filed.text
    number = filed.json()["ticket_number"]
    for step in ({"to": "accepted"}, {"to": "in_progress"}, {"to": "replied", "reply": "请关注工信局通知。"}):
        moved = driver.as_staff("officer", "POST", f"/api/v1/tickets/{number}/transitions", OFFICE, json=step)
        assert moved.status_code == 200, moved.text

    _sign_in_as_company(driver, phone, uscc, name)
    phone.locator(f'a[href="/m/requests/{number}"]').click()
    phone.get_by_role("heading", name="评价与重新打开").wait_for()
    assert "请关注工信局通知。" in phone.locator("#ticket-reply").inner_text()
    phone.get_by_label("不满意").check()
    phone.get_by_label("说明（可选）").fill("没有给出申报时间")
    phone.get_by_role("button", name="提交评价").click()
    phone.locator("#reopen-form").wait_for()
    assert phone.locator("#ticket-rating").inner_text() == "不满意"
    assert "rating-form" not in phone.content()  # rated once: no second rating form

    # An empty reason is refused at the field, in view.
    phone.get_by_role("button", name="重新打开").click()
    reason = phone.get_by_label("仍未解决的问题（必填）")
    assert reason.get_attribute("aria-invalid") == "true"
    assert "请写明仍未解决的问题" in phone.locator("#reopen-err").inner_text()
    reason.fill("需要明确的申报起止日期")
    phone.get_by_role("button", name="重新打开").click()
    phone.get_by_text("已重新打开，承办部门将再次办理并答复").wait_for()
    assert phone.locator("#ticket-status").inner_text() == "办理中"
    assert "重新打开：需要明确的申报起止日期" in phone.locator("#ticket-history").inner_text()
    phone.screenshot(path=str(artifacts_dir / "e2e-ticket-reopened.png"), full_page=True)

    queue = driver.as_staff(
        "officer", "GET", "/api/v1/tickets", OFFICE, params={"status": "in_progress", "limit": 200}
    ).json()["items"]
    mine = next(t for t in queue if t["ticket_number"] == number)
    assert (mine["rating"], mine["can_reopen"]) == ("dissatisfied", False)
    # The department is told: the ticket is marked 重新打开 (first in the console queue) until answered again.
    marked = driver.as_staff(
        "officer", "GET", "/api/v1/tickets", OFFICE, params={"reopened": "true", "limit": 200}
    ).json()["items"]
    assert [t["reopened"] for t in marked if t["ticket_number"] == number] == [True]
    # The company is told in its inbox that the ticket went back to the department.
    told = phone.locator("#my-messages li[data-kind='ticket_reopened']")

    def reopen_message_shown() -> bool:
        phone.goto(f"{driver.url}/m/messages")
        return told.count() == 1

    driver.eventually(reopen_message_shown, "the reopen message in the company's inbox", timeout=60)
    assert number in told.inner_text() and "重新办理" in told.inner_text()

    # Signed in, the company's demand from a park's page under its own code is verified.
    token = driver.service_code("park", "PARK-FOLLOWUP", "昆山智能装备产业园")
    phone.goto(f"{driver.url}/q/{token}")
    phone.locator("#demand-verified").wait_for()
    assert phone.get_by_label("企业统一社会信用代码").input_value() == uscc
    phone.get_by_label("需求名称（必填）").fill("伺服系统振动抑制")
    phone.get_by_label("需求描述（必填）").fill("产线伺服轴高速换向时振动超标，寻求控制算法团队。")
    phone.get_by_label("联系人（必填）").fill("孙工")
    phone.get_by_label("联系电话（必填）").fill(driver.new_phone())
    phone.locator("#consent-demand").check()
    phone.get_by_role("button", name="发布需求").click()
    phone.get_by_role("heading", name="技术需求已提交").wait_for()
    assert phone.locator("#demand-verified").inner_text() == "企业身份已核验"


def test_a_visitor_files_a_demand_and_follows_it_by_number_and_code(
    driver: Any, phone: Any, artifacts_dir: Path
) -> None:
    uscc = driver.register_enterprise(name="昆山园区访客科技有限公司", district="开发区")
    token = driver.service_code("park", "PARK-VISITOR", "昆山光电产业园")
    mobile = driver.new_phone()
    phone.goto(f"{driver.url}/q/{token}")
    phone.get_by_role("heading", name="发布技术需求").wait_for()

    # The phone's own checks: tap-to-call numbers, top links ≥ 44 px and on one line each.
    assert phone.locator('footer a[href^="tel:"]').count() >= 1
    for link in phone.locator("nav.quick a").all():
        box = link.bounding_box()
        assert box and box["height"] >= 44, link.inner_text()
        assert link.evaluate("el => el.getClientRects().length") == 1, link.inner_text()
    assert phone.locator("#consent-demand-notice").is_visible()
    assert phone.get_by_label("谁可以看到这条需求").input_value() == "brokers"  # not public by default

    phone.get_by_label("需求名称（必填）").fill("微型光谱仪标定")
    phone.get_by_label("需求描述（必填）").fill("需要可溯源的光谱标定方法，欢迎计量院所合作。")
    phone.get_by_label("企业统一社会信用代码").fill(uscc)
    phone.get_by_label("联系人（必填）").fill("钱经理")
    phone.get_by_label("联系电话（必填）").fill(mobile)
    # Without the consent nothing is sent; the form comes back with what was typed.
    phone.get_by_role("button", name="发布需求").click()
    phone.get_by_text("请阅读并勾选同意个人信息处理告知后再提交").wait_for()
    assert phone.get_by_label("联系人（必填）").input_value() == "钱经理"
    phone.locator("#consent-demand").check()
    phone.get_by_role("button", name="发布需求").click()
    phone.get_by_role("heading", name="技术需求已提交").wait_for()
    number = phone.locator("#demand-number").inner_text()
    secret = phone.locator("#demand-secret").inner_text()
    assert re.fullmatch(r"XQ\d{14}", number) and secret
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", phone.locator("main").inner_text())  # no raw UUID
    assert phone.locator("#demand-unverified").is_visible()
    assert mobile not in phone.content() and f"{mobile[:3]}****{mobile[-4:]}" in phone.content()
    phone.screenshot(path=str(artifacts_dir / "e2e-demand-confirmation.png"), full_page=True)

    phone.locator("#demand-status-link").click()
    phone.get_by_role("heading", name="技术需求进度").wait_for()
    assert phone.locator("#demand-number").inner_text() == number
    assert phone.locator("#demand-status").inner_text() == "待审核"
    assert "仅技术经纪人可见" in phone.locator("main").inner_text()
    phone.screenshot(path=str(artifacts_dir / "e2e-demand-status.png"), full_page=True)

    # The lookup form: a wrong code finds nothing.
    phone.goto(f"{driver.url}/q/{token}/demand")
    phone.get_by_label("需求编号").fill(number)
    phone.get_by_label("查询码").fill(secret + "x")
    phone.get_by_role("button", name="查询").click()
    phone.get_by_text("需求编号或查询码不正确").wait_for()

    # The reviewing officer sees it unverified, the phone masked.
    listed = driver.as_staff(
        "officer", "GET", "/api/v1/demands", params={"enterprise_uscc": uscc, "limit": 20}
    ).json()["items"]
    demand = next(d for d in listed if d["demand_number"] == number)
    assert (demand["submitter_verified"], demand["visibility"]) == (False, "brokers")
    assert demand["contact_phone"] == f"{mobile[:3]}****{mobile[-4:]}"
