"""政府服务早送达: a 免申即享 payment reaches the company's inbox and its phone, once.

A company (with a contact phone) gains a qualification that puts it in reach of a 免申即享 award; the award is
approved and paid through the bank emulator. svc-talent consumes svc-disbursement's ``payment.settled``, puts one
message in the company's inbox and sends one SMS through the SMS gateway emulator — and still one of each after the
same event is delivered twice more. The company reads the message signed in through 苏商通, through the gateway; then, on 昆e服 in Chromium (phone),
sees it under 消息 with the unread badge, marks it read (the badge goes) and saves its SMS preferences (a wrong hour
shown at the field first).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest

pytestmark = pytest.mark.timeout(600)

POLICY = "KS-KJ-001"
TITLE = "高新技术企业认定奖励"
PHONE = "13962001234"


def company_session(driver: Any, uscc: str, name: str) -> dict[str, str]:
    portal = driver.emulator("yiqilaiban")
    ticket = httpx.post(
        f"{portal}/_control/sso-tickets",
        json={"user_type": "enterprise", "subject": f"e-{uuid.uuid4().hex[:8]}", "name": name, "uscc": uscc},
        timeout=30,
    )
    assert ticket.status_code == 200, ticket.text
    session = driver.http.post("/integrations/sushangtong/sso", json={"ticket": ticket.json()["ticket"]})
    assert session.status_code == 200, session.text
    return {"Authorization": f"Bearer {session.json()['token']}"}


async def _redeliver(nats_url: str, disbursement_id: str, times: int) -> int:
    """Publish the payment's settled event again ``times`` times (new message ids, the same event id)."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.subscribe("kunruyi.disbursement.payment.settled", ordered_consumer=True)
        found: bytes | None = None
        while found is None:
            msg = await sub.next_msg(timeout=10)
            if json.loads(msg.data)["data"]["disbursement_id"] == disbursement_id:
                found = msg.data
        await sub.unsubscribe()
        for _ in range(times):
            await js.publish("kunruyi.disbursement.payment.settled", found)
        # Wait until svc-talent's inbox consumer has taken (and acked) everything on the stream.
        for _ in range(600):
            info = await js.consumer_info("KUNRUYI_DISBURSEMENT", "talent-messages-disbursement")
            if info.num_pending == 0 and info.num_ack_pending == 0:
                return times
            await asyncio.sleep(0.2)
        raise AssertionError("svc-talent did not take the redelivered events")
    finally:
        await nc.close()


def test_a_payment_reaches_the_inbox_and_the_phone_once(
    driver: Any, artifacts_dir: Path, request: pytest.FixtureRequest
) -> None:
    name = "昆山早送达芯片科技有限公司"
    uscc = driver.new_uscc()
    created = driver.partner.post(
        "/api/v1/enterprises",
        json={
            "uscc": uscc,
            "name": name,
            "district": "高新区",
            "industry_chain": "集成电路",
            "founded_on": "2018-03-01",
            "employees": 120,
            "invention_patents": 3,
            "contacts": [{"name": "王会计", "role": "财务", "phone": PHONE}],
        },
    )
    assert created.status_code == 201, created.text
    me = company_session(driver, uscc, name)
    # The company wants payments by SMS at any hour (no quiet hours).
    prefs = driver.http.put(
        "/api/v1/messages/preferences",
        headers=me,
        json={"sms_kinds": ["payment_settled"], "quiet_hours": None},
    )
    assert prefs.status_code == 200, prefs.text
    # Anonymous callers have no inbox.
    assert httpx.get(f"{driver.url}/api/v1/messages", timeout=30).status_code == 401

    granted = driver.partner.post(
        f"/api/v1/enterprises/{uscc}/qualifications",
        json={"kind": "high_tech", "level": "national", "granted_on": f"{date.today().year}-10-15"},
    )
    assert granted.status_code == 201, granted.text

    def disbursement() -> dict[str, Any] | None:
        resp = driver.partner.get("/api/v1/disbursements", params={"entity_id": uscc})
        return next((d for d in resp.json()["items"] if d["policy_code"] == POLICY), None)

    pending = driver.eventually(disbursement, f"the {POLICY} disbursement")
    if pending["status"] == "pending_approval":
        approved = driver.as_staff(
            "approver", "POST", f"/api/v1/disbursements/{pending['id']}/approve", "科技局"
        )
        assert approved.status_code == 200, approved.text
    driver.eventually(
        lambda: (d := disbursement()) is not None and d["status"] == "settled",
        f"{POLICY} settled",
        timeout=120,
    )

    sms = driver.emulator("sms")

    def sent_to_us() -> list[dict[str, Any]]:
        return [s for s in httpx.get(f"{sms}/_control/sent", timeout=10).json() if s["phone"] == PHONE]

    def payments_in_inbox() -> list[dict[str, Any]]:
        resp = driver.http.get("/api/v1/messages", headers=me)
        assert resp.status_code == 200, resp.text
        items = resp.json()["items"]
        return [m for m in items if m["kind"] == "payment_settled"]

    driver.eventually(payments_in_inbox, "the payment message in the inbox")
    driver.eventually(sent_to_us, "the payment SMS at the gateway")

    # The same event delivered twice more: still one message, one SMS.
    asyncio.run(_redeliver(driver.platform.infra.nats_url, pending["id"], 2))
    probe = driver.as_staff(
        "admin", "GET", "/api/v1/message-deliveries", params={"kind": "payment_settled", "limit": 100}
    )
    assert probe.status_code == 200, probe.text
    message = payments_in_inbox()
    assert len(message) == 1
    assert message[0]["title"] == f"资金已拨付：{TITLE}" and "¥300,000.00" in message[0]["body"]
    texts = [s["text"] for s in sent_to_us()]
    assert texts == [f"【昆如意】您的“{TITLE}”资金¥300,000.00已拨付到账，详情请登录昆e服查看。"]
    ours = [
        d
        for d in probe.json()["items"]
        if d["phone"] == "139****1234" and d["status"] in ("sent", "delivered")
    ]
    assert len(ours) == 1 and PHONE not in probe.text

    # Another company's session sees none of it.
    other = company_session(driver, driver.new_uscc(), "昆山别家科技有限公司")
    assert driver.http.get("/api/v1/messages", headers=other).json()["items"] == []
    read = driver.http.post(f"/api/v1/messages/{message[0]['id']}/read", headers=other)
    assert read.status_code == 404

    # 昆e服 in Chromium (phone). The browser starts only now: sync Playwright keeps an event loop marked running,
    # which the redelivery above (asyncio.run) must not meet.
    phone = request.getfixturevalue("phone")
    phone.goto(f"{driver.url}/m/messages")
    assert "/m/login" in phone.url
    phone.locator("#login-company").click()
    phone.get_by_label("统一社会信用代码").fill(uscc)
    phone.get_by_label("企业名称").fill(name)
    phone.get_by_role("button", name="登录").click()
    phone.get_by_role("heading", name="消息").wait_for()
    assert phone.url.endswith("/m/messages")
    # The payment and (the qualification put the award in reach) its policy_in_reach notice, both unread.
    before = driver.http.get("/api/v1/messages", headers=me).json()["unread"]
    assert before >= 1 and phone.locator("#unread-badge").inner_text() == str(before)
    payment = phone.locator("#my-messages li.unread[data-kind='payment_settled']")
    assert payment.count() == 1 and f"资金已拨付：{TITLE}" in payment.inner_text()
    assert "¥300,000.00" in payment.inner_text()
    phone.screenshot(path=str(artifacts_dir / "e2e-self-messages-unread.png"), full_page=True)

    payment.get_by_role("button", name="标为已读").click()
    phone.get_by_text("已标为已读。").wait_for()
    assert phone.locator("#my-messages li.unread[data-kind='payment_settled']").count() == 0
    if before > 1:
        assert phone.locator("#unread-badge").inner_text() == str(before - 1)
        phone.locator("#read-all").click()
        phone.get_by_text("已全部标为已读。").wait_for()
    assert phone.locator("#unread-badge").count() == 0
    assert phone.locator("#my-messages li.unread").count() == 0
    assert "没有未读消息" in phone.locator("#unread-summary").inner_text()
    # The message opens its page (我的资金), where the badge stays gone.
    phone.locator("#my-messages li[data-kind='payment_settled']").get_by_role("link", name="查看").click()
    phone.get_by_role("heading", name="我的资金").wait_for()
    assert phone.locator("#unread-badge").count() == 0
    assert driver.http.get("/api/v1/messages", headers=me).json()["unread"] == 0

    # SMS preferences: an hour that is no hour is shown at the field; then supplements also by SMS, quiet 22–8.
    phone.goto(f"{driver.url}/m/messages#preferences")
    phone.get_by_label("补正通知").check()
    phone.get_by_label("开始（点）").fill("25")
    phone.get_by_label("结束（点）").fill("8")
    phone.locator("#save-preferences").click()
    assert phone.locator("#f-quiet_start").get_attribute("aria-invalid") == "true"
    assert "0–23" in phone.locator("#f-quiet_start-err").inner_text()
    assert phone.get_by_label("补正通知").is_checked()  # what was chosen is kept
    phone.get_by_label("开始（点）").fill("22")
    phone.locator("#save-preferences").click()
    phone.get_by_text("短信通知设置已保存。").wait_for()
    saved = driver.http.get("/api/v1/messages/preferences", headers=me).json()
    assert set(saved["sms_kinds"]) == {"payment_settled", "application_supplement"}
    assert saved["quiet_hours"] == {"start": 22, "end": 8}
    assert (
        phone.get_by_label("补正通知").is_checked() and phone.get_by_label("开始（点）").input_value() == "22"
    )
    phone.screenshot(path=str(artifacts_dir / "e2e-self-messages-preferences.png"), full_page=True)

    # The administrator's SMS log on the console: the payment SMS under its Chinese kind, the phone masked, and
    # the page's figures those of the statistics API.
    browser = request.getfixturevalue("browser")
    admin = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
    admin.goto(f"{driver.url}/console")
    admin.get_by_role("button", name="使用统一身份认证登录").click()
    admin.locator("button[data-subject='admin-wu']").click()
    admin.wait_for_url(f"{driver.url}/console/**")
    admin.goto(f"{driver.url}/console/deliveries?date_from=2026-13-01")
    assert "日期“2026-13-01”无效" in admin.get_by_test_id("errors").inner_text()
    admin.goto(f"{driver.url}/console/deliveries")
    row = admin.get_by_test_id("delivery").filter(has_text="139****1234")
    assert row.count() == 1 and "资金到账" in row.inner_text()
    assert PHONE not in admin.content()
    stats = driver.as_staff("admin", "GET", "/api/v1/message-deliveries/stats").json()
    assert f"共 {stats['total']} 条" in admin.get_by_test_id("delivery-stats").inner_text()
    assert "资金到账" in admin.get_by_test_id("delivery-by-kind").inner_text()
    admin.screenshot(path=str(artifacts_dir / "console-deliveries.png"), full_page=True)
    admin.context.close()
