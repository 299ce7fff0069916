"""Issue 17 item 5 on the phone: an activity on 昆e服 — a visitor registers with name and phone (errors at the field, a
second registration told so), then opens the activity's check-in QR (the officer's signed code in the 昆e服 URL) and
checks in; a second scan shows the first check-in time, a forged code is refused, and the organisers' list shows the
attendee with a masked phone, checked in.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from kunruyi_common.clock import local_now

pytestmark = pytest.mark.timeout(300)


def test_a_visitor_registers_and_checks_in_by_the_activity_qr(
    driver: Any, phone: Any, artifacts_dir: Path
) -> None:
    start = local_now().replace(microsecond=0) + timedelta(hours=1)
    title = f"科创咖啡厅·对话人才 {start:%H%M%S}"
    created = driver.as_staff(
        "officer",
        "POST",
        "/api/v1/activities",
        department="人才办",
        json={
            "kind": "科创咖啡厅",
            "title": title,
            "department": "人才办",
            "venue": "昆山科创中心 1 楼咖啡厅",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "capacity": 30,
        },
    )
    assert created.status_code == 201, created.text
    aid = created.json()["id"]
    mobile = driver.new_phone()
    masked = f"{mobile[:3]}****{mobile[-4:]}"

    # The list of coming activities, then the activity and its form: empty fields are named at the field.
    phone.goto(f"{driver.url}/m/activities")
    phone.get_by_role("link", name=title).click()
    assert phone.locator("#activity-title").inner_text() == title
    phone.click("#register-submit")
    assert "请填写姓名" in phone.locator("#f-name-err").inner_text()
    assert "请填写手机号" in phone.locator("#f-phone-err").inner_text()
    phone.fill("#f-name", "周小青")
    phone.fill("#f-phone", "1234")
    phone.click("#register-submit")
    assert "手机号" in phone.locator("#f-phone-err").inner_text()
    phone.fill("#f-phone", mobile)
    phone.click("#register-submit")
    assert "报名成功" in phone.locator(".flash").inner_text()
    assert "已报名 1 / 30" in phone.locator("#activity-seats").inner_text()
    phone.screenshot(path=str(artifacts_dir / "e2e-activity-registered.png"), full_page=True)

    # The same phone again (written another way): told it is already registered, at the phone field.
    phone.goto(f"{driver.url}/m/activities/{aid}")
    phone.fill("#f-name", "周小青")
    phone.fill("#f-phone", f"+86 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}")
    phone.click("#register-submit")
    assert "已报名该活动" in phone.locator("#f-phone-err").inner_text()
    phone.screenshot(path=str(artifacts_dir / "e2e-activity-registered-twice.png"), full_page=True)

    # The officer's QR for the door: the 昆e服 check-in page carrying the activity's signed code.
    qr = driver.as_staff("officer", "GET", f"/api/v1/service-codes/activities/{aid}", department="人才办")
    assert qr.status_code == 200, qr.text
    png = driver.as_staff(
        "officer", "GET", f"/api/v1/service-codes/activities/{aid}/qr.png", department="人才办"
    )
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    # Another department's officer is refused the door's code (svc-talent's refusal, not "service unavailable").
    theirs = driver.as_staff("officer", "GET", f"/api/v1/service-codes/activities/{aid}", department="科技局")
    assert theirs.status_code == 403 and theirs.json()["code"] == "other_department", theirs.text
    parts = urlsplit(qr.json()["url"])
    check_in_url = f"{driver.url}{parts.path}?{parts.query}"

    phone.goto(check_in_url)
    phone.fill("#f-name", "周小青")
    phone.fill("#f-phone", driver.new_phone())
    phone.click("#check-in-submit")
    assert "没有找到您的报名" in phone.locator("#f-phone-err").inner_text()
    phone.fill("#f-phone", mobile)
    phone.click("#check-in-submit")
    assert phone.locator("h1").first.inner_text() == "签到成功"
    first_time = phone.locator("#checked-in-at").inner_text()
    assert masked in phone.locator("#checked-in").inner_text() and mobile not in phone.content()
    phone.screenshot(path=str(artifacts_dir / "e2e-activity-checked-in.png"), full_page=True)

    # A second scan: the first check-in stands.
    phone.goto(check_in_url)
    phone.fill("#f-name", "周小青")
    phone.fill("#f-phone", mobile)
    phone.click("#check-in-submit")
    assert phone.locator("h1").first.inner_text() == "您已签到"
    assert phone.locator("#checked-in-at").inner_text() == first_time

    # A forged code (the signature changed) is refused with a clear message.
    expiry, _, signature = parts.query.removeprefix("code=").partition(".")
    forged = "0" * len(signature) if signature[0] != "0" else "1" * len(signature)
    phone.goto(f"{driver.url}{parts.path}?code={expiry}.{forged}")
    phone.fill("#f-name", "周小青")
    phone.fill("#f-phone", mobile)
    phone.click("#check-in-submit")
    assert "签到码无效" in phone.locator(".errors").inner_text()
    phone.screenshot(path=str(artifacts_dir / "e2e-activity-forged-code.png"), full_page=True)

    # The organisers (host department) see the attendee, masked, checked in; another department does not.
    listed = driver.as_staff(
        "reviewer", "GET", f"/api/v1/activities/{aid}/registrations", department="人才办"
    )
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert (page["registered"], page["checked_in"]) == (1, 1)
    (row,) = page["items"]
    assert (row["name"], row["phone_masked"], row["checked_in_via"]) == ("周小青", masked, "self")
    assert mobile not in listed.text
    other = driver.as_staff("officer", "GET", f"/api/v1/activities/{aid}/registrations", department="科技局")
    assert other.status_code == 403 and other.json()["code"] == "other_department"

    # The host department's console page: the list, the counts and the door's QR.
    context = phone.context.browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    try:
        desk = context.new_page()
        desk.goto(f"{driver.url}/console/activities/{aid}")
        desk.get_by_role("button", name="使用统一身份认证登录").click()
        desk.locator("button[data-subject='rcb-officer-wang']").click()
        desk.wait_for_url(f"{driver.url}/console/**")
        desk.goto(f"{driver.url}/console/activities/{aid}")
        table = desk.locator("#registrations").inner_text()
        assert "周小青" in table and masked in table and "已签到" in table and mobile not in desk.content()
        assert desk.locator("#check-in-qr svg").count() == 1
        assert f"/m/activities/{aid}/check-in?code=" in desk.locator("#check-in-url").inner_text()
        desk.screenshot(path=str(artifacts_dir / "e2e-activity-console.png"), full_page=True)

        # The three lists (服务—需求—对策) as one workbook from the console.
        desk.goto(f"{driver.url}/console/activities")
        desk.screenshot(path=str(artifacts_dir / "e2e-service-lists-export.png"), full_page=True)
        with desk.expect_download() as download:
            desk.get_by_test_id("lists-export").click()
        import io

        from openpyxl import load_workbook

        assert download.value.suggested_filename == "service-lists.xlsx"
        workbook = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
        assert workbook.sheetnames == ["服务清单", "需求清单", "对策清单"]
        offered = [row[1] for row in workbook["服务清单"].iter_rows(min_row=2, values_only=True)]
        assert "落户" in offered
    finally:
        context.close()
