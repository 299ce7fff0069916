"""政府服务早送达: a 免申即享 payment reaches the company's inbox and its phone, once.

A company (with a contact phone) gains a qualification that puts it in reach of a 免申即享 award; the award is
approved and paid through the bank emulator. svc-talent consumes svc-disbursement's ``payment.settled``, puts one
message in the company's inbox and sends one SMS through the SMS gateway emulator — and still one of each after the
same event is delivered twice more. The company reads the message signed in through 苏商通, through the gateway.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date
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


def test_a_payment_reaches_the_inbox_and_the_phone_once(driver: Any) -> None:
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
        items = driver.http.get("/api/v1/messages", headers=me).json()["items"]
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
