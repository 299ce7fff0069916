"""人才安居 end to end: a talent signed in on 昆e服 applies for a talent flat, an officer releases a unit, the talent
is told (inbox and SMS, once) and accepts the offer on the page before its deadline.

Through the gateway only: the partner registers the employer and the talent, an officer (dev-issuer token) registers
the project and releases its unit, the talent uses Chromium (phone) after signing in through the identity emulator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.timeout(600)

PHONE = "13962005678"


def _bearer(driver: Any, name: str, id_number: str) -> dict[str, str]:
    """The talent's API token (an identity-service authorization code exchanged at the gateway)."""
    redirect_uri = "https://app.example.cn/callback"
    code = httpx.post(
        f"{driver.emulator('identity')}/_control/codes",
        json={"name": name, "id_number": id_number, "redirect_uri": redirect_uri},
        timeout=30,
    ).json()["code"]
    session = driver.http.post(
        "/integrations/identity/session", json={"code": code, "redirect_uri": redirect_uri}
    )
    assert session.status_code == 200, session.text
    return {"Authorization": f"Bearer {session.json()['token']}"}


def test_a_talent_applies_gets_an_offer_and_accepts_it_on_the_page(
    driver: Any, phone: Any, artifacts_dir: Path
) -> None:
    uscc = driver.register_enterprise(name="昆山安居半导体有限公司", district="花桥")
    name, id_number = "钱安居", driver.new_resident_id()
    created = driver.partner.post(
        "/api/v1/talents",
        json={
            "name": name,
            "id_number": id_number,
            "phone": PHONE,
            "education": "doctor",
            "employer_uscc": uscc,
            "arrival_date": "2020-03-01",
            "expertise": "功率器件",
        },
    )
    assert created.status_code == 201, created.text
    talent_id = created.json()["talent_id"]
    project_code = f"E2E-AJ-{driver.new_phone()[-6:]}"
    project_name = "花桥人才公寓（端到端）"
    project = driver.as_staff(
        "officer",
        "POST",
        "/api/v1/housing/projects",
        "住建局",
        json={
            "code": project_code,
            "name": project_name,
            "district": "花桥",
            "eligible_classes": ["A", "B", "C", "D"],
            "monthly_rent_fen": 150_000,
            "units": [{"unit_number": "3-1201", "layout": "两室一厅", "area_m2": 78.5}],
        },
    )
    assert project.status_code == 201, project.text
    me = _bearer(driver, name, id_number)
    # SMS at any hour (the default quiet hours 22–8 would hold the SMS back at night).
    prefs = driver.http.put(
        "/api/v1/messages/preferences", headers=me, json={"sms_kinds": ["housing_offer"], "quiet_hours": None}
    )
    assert prefs.status_code == 200, prefs.text

    # Sign in on the phone and apply.
    phone.goto(f"{driver.url}/m/housing")
    assert "/m/login" in phone.url
    phone.locator("#login-talent").click()
    phone.get_by_label("姓名").fill(name)
    phone.get_by_label("身份证号").fill(id_number)
    phone.get_by_role("button", name="同意并登录").click()
    phone.get_by_role("heading", name="申请人才公寓").wait_for()
    assert phone.url.endswith("/m/housing")
    phone.get_by_label("项目").select_option(project_code)
    phone.get_by_role("button", name="提交申请").click()
    phone.get_by_text("申请已提交，已进入轮候。").wait_for()
    mine = phone.locator("#my-housing").inner_text()
    assert project_name in mine and "轮候中" in mine and "轮候第 1 位" in mine, mine
    # One live application at a time: the form gives way to a note instead of a 409 after submitting.
    assert phone.locator("#housing-live").is_visible() and phone.locator("#housing-form").count() == 0
    phone.screenshot(path=str(artifacts_dir / "e2e-housing-applied.png"), full_page=True)

    # The officer releases the unit: the first (only) applicant in the queue gets the offer.
    units = driver.as_staff("officer", "GET", f"/api/v1/housing/projects/{project_code}/units", "住建局")
    assert units.status_code == 200, units.text
    released = driver.as_staff(
        "officer", "POST", f"/api/v1/housing/units/{units.json()['items'][0]['unit_id']}/release", "住建局"
    )
    assert released.status_code == 200, released.text
    offer = released.json()["offer"]
    assert offer and offer["unit_number"] == "3-1201", released.text

    # Told once in the inbox and once by SMS, with the deadline.
    def offer_messages() -> list[dict[str, Any]]:
        items = driver.http.get("/api/v1/messages", headers=me).json()["items"]
        return [m for m in items if m["kind"] == "housing_offer"]

    sms = driver.emulator("sms")

    def sent_to_talent() -> list[dict[str, Any]]:
        return [s for s in httpx.get(f"{sms}/_control/sent", timeout=10).json() if s["phone"] == PHONE]

    message = driver.eventually(offer_messages, "the housing offer in the talent's inbox")
    texts = [s["text"] for s in driver.eventually(sent_to_talent, "the housing offer SMS")]
    assert len(message) == 1 and project_name in message[0]["title"] and "3-1201" in message[0]["body"]
    assert len(texts) == 1 and project_name in texts[0] and "前登录昆e服确认" in texts[0], texts
    assert id_number not in texts[0]

    # 我的 says there is an offer waiting; 消息 has it; its link opens 人才公寓 with the answer buttons.
    phone.goto(f"{driver.url}/m/")
    notice = phone.locator("#housing-offer-notice")
    assert "3-1201" in notice.inner_text() and "前答复" in notice.inner_text()
    phone.goto(f"{driver.url}/m/messages")
    item = phone.locator("#my-messages li[data-kind='housing_offer']")
    assert item.count() == 1 and project_name in item.inner_text()
    phone.screenshot(path=str(artifacts_dir / "e2e-housing-offer-message.png"), full_page=True)
    item.get_by_role("button", name="查看", exact=True).click()  # unread: opening it marks it read
    phone.get_by_role("heading", name="我的申请").wait_for()
    shown = phone.locator("#my-housing").inner_text()
    assert "配租通知：3-1201" in shown and "已配房待确认" in shown, shown
    phone.screenshot(path=str(artifacts_dir / "e2e-housing-offer.png"), full_page=True)

    phone.locator("#accept-offer").click()
    phone.get_by_text("已接受配租，请按通知办理入住。").wait_for()
    assert "已入住" in phone.locator("#my-housing").inner_text()
    assert phone.locator("#accept-offer").count() == 0
    phone.screenshot(path=str(artifacts_dir / "e2e-housing-accepted.png"), full_page=True)
    apps = driver.http.get("/api/v1/housing/applications", params={"talent_id": talent_id}, headers=me)
    assert [a["status"] for a in apps.json()["items"]] == ["housed"], apps.text
    after = driver.as_staff("officer", "GET", f"/api/v1/housing/projects/{project_code}/units", "住建局")
    assert after.json()["items"][0]["status"] == "occupied"
    # Answering the same offer again is refused (it is no longer pending).
    again = driver.http.post(f"/api/v1/housing/offers/{offer['offer_id']}/decline", headers=me)
    assert again.status_code == 409, again.text
