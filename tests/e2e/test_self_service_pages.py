"""Issue 15 items 1–2: companies and talents signed in on 昆e服 see their own "我的" pages, and only their own
records through the API.

In Chromium (phone): a company signs in through 苏商通 (the 一企来办 emulator's login page), sees its pages, is
refused a form without the CSRF token, signs out and is signed out everywhere; a talent signs in through the
province's identity service (the OIDC emulator) and sees its pages. Over HTTP: each one's bearer token reads its
own record and gets 403 ``not_own_entity`` on another's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from kunruyi_common.clock import local_today

pytestmark = pytest.mark.timeout(600)

# A 1×1 PNG: a photo of a material, as a phone would upload it.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _talent(driver: Any, name: str) -> tuple[str, str]:
    id_number = driver.new_resident_id()
    resp = driver.partner.post(
        "/api/v1/talents",
        json={"name": name, "id_number": id_number, "education": "doctor", "expertise": "材料"},
    )
    assert resp.status_code == 201, resp.text
    return resp.json()["talent_id"], id_number


def test_a_company_signs_in_through_sushangtong_and_reaches_only_its_own_records(
    driver: Any, phone: Any, artifacts_dir: Path
) -> None:
    name = "昆山我的页面光电科技有限公司"
    uscc = driver.register_enterprise(name=name, district="高新区", industry_chain="集成电路")
    other = driver.register_enterprise(
        name="昆山别家精密有限公司", district="周市", industry_chain="智能制造"
    )

    # Last year's figures: R&D of ¥2,000,000 (KS-SB-012 工业企业研发投入后补助, an application, 25 %: 最高 ¥500,000;
    # its 立项 criterion needs a person's confirmation, so the page shows it as "最高").
    def amount_of_rd_subsidy() -> int | None:
        resp = driver.partner.post(
            "/api/v1/policy-calculator",
            json={"entity_type": "enterprise", "entity_id": uscc, "policy_codes": ["KS-SB-012"]},
        )
        waiting = resp.json().get("needs_confirmation") if resp.status_code == 200 else None
        return waiting[0]["max_amount_fen"] if waiting else None

    figures = driver.partner.put(
        f"/api/v1/enterprises/{uscc}/figures/{local_today().year - 1}",
        json={
            "revenue_fen": 2_000_000_000,
            "rd_expense_fen": 200_000_000,
            "tax_paid_fen": 100_000_000,
            "high_tech_revenue_ratio": 0,
        },
    )
    assert figures.status_code in (200, 201), figures.text
    driver.eventually(
        lambda: amount_of_rd_subsidy() == 50_000_000, "svc-policy's read model has last year's figures"
    )

    phone.goto(f"{driver.url}/m/funds")
    assert "/m/login" in phone.url  # a page of "我的" without a session goes to sign-in
    phone.locator("#login-company").click()
    phone.get_by_label("统一社会信用代码").fill(uscc)
    phone.get_by_label("企业名称").fill(name)
    phone.get_by_role("button", name="登录").click()
    phone.get_by_role("heading", name="我的资金").wait_for()
    assert phone.url.endswith("/m/funds")
    cookie = next(c for c in phone.context.cookies() if c["name"] == "kry_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    phone.screenshot(path=str(artifacts_dir / "e2e-self-company-funds.png"), full_page=True)

    phone.goto(f"{driver.url}/m/policies")
    phone.get_by_role("heading", name="我的政策").wait_for()
    assert name in phone.locator("header").inner_text()
    assert (
        "最高 ¥500,000.00" in phone.locator("#my-policies").inner_text()
    )  # a quarter of last year's R&D, in 元
    phone.screenshot(path=str(artifacts_dir / "e2e-self-company-policies.png"), full_page=True)

    # A policy's detail, then applying for it on the phone: a wrong year is shown at the field, then it goes.
    phone.goto(f"{driver.url}/m/policies/KS-SB-012")
    phone.get_by_role("heading", name="申报条件").wait_for()
    phone.get_by_role("heading", name="主管部门与政策依据").wait_for()
    assert "¥500,000.00" in phone.locator("main").inner_text()  # a quarter of last year's R&D, in 元
    # the guide svc-policy keeps with the item: what to upload, the steps, the questions people ask
    assert "申报表" in phone.get_by_test_id("materials").inner_text()
    assert phone.get_by_test_id("review-stages").inner_text().endswith("审定 → 拨付")
    assert "多久能到账" in phone.get_by_test_id("faq").inner_text()
    phone.screenshot(path=str(artifacts_dir / "e2e-self-policy-guide.png"), full_page=True)
    phone.locator("#apply").click()
    phone.get_by_label("申报年度").fill("今年")
    phone.get_by_label("选择文件").set_input_files(
        files=[{"name": "营业执照.png", "mimeType": "image/png", "buffer": PNG}]
    )
    phone.locator("#submit-application").click()
    period = phone.locator("#f-period")
    assert period.get_attribute("aria-invalid") == "true"
    assert "申报年度" in phone.locator("#f-period-err").inner_text()
    phone.get_by_label("申报年度").fill("2026")
    phone.get_by_label("选择文件").set_input_files(
        files=[{"name": "营业执照.png", "mimeType": "image/png", "buffer": PNG}]
    )
    phone.locator("#submit-application").click()
    phone.wait_for_load_state()
    assert "申报已提交，请留意审核进度" in phone.content(), phone.locator("main").inner_text()
    assert "营业执照.png" in phone.locator("#attachments").inner_text()
    assert phone.locator("#timeline li").count() == 6
    phone.screenshot(path=str(artifacts_dir / "e2e-self-company-application.png"), full_page=True)
    mine = driver.as_staff(
        "officer", "GET", "/api/v1/applications", "工信局", params={"applicant_id": uscc}
    )  # KS-SB-012's department
    assert mine.status_code == 200 and len(mine.json()["items"]) == 1, mine.text

    # 我的诉求: the tickets filed for this company (number, status in Chinese), not another company's.
    numbers = {}
    for owner, title in ((uscc, "厂房租金补贴怎么申请"), (other, "别家企业的诉求")):
        filed_ticket = driver.partner.post(
            "/api/v1/tickets",
            json={"type": "政策咨询", "title": title, "channel": "api", "enterprise_uscc": owner},
        )
        assert filed_ticket.status_code == 201, filed_ticket.text
        numbers[owner] = filed_ticket.json()["ticket_number"]
    phone.goto(f"{driver.url}/m/requests")
    phone.get_by_role("heading", name="我的诉求").wait_for()
    listed = phone.locator("#my-tickets").inner_text()
    assert "厂房租金补贴怎么申请" in listed and numbers[uscc] in listed and "已提交" in listed
    assert "别家企业的诉求" not in listed and numbers[other] not in listed
    phone.screenshot(path=str(artifacts_dir / "e2e-self-company-requests.png"), full_page=True)

    # A form posted without the session's CSRF token (as another site would post it) changes nothing.
    refused = phone.request.post(f"{driver.url}/m/logout", form={"x": "1"}, max_redirects=0)
    assert refused.status == 403
    assert "页面已过期" in refused.text()
    phone.goto(f"{driver.url}/m/")
    phone.get_by_role("heading", name=f"您好，{name}").wait_for()  # still signed in

    # Sign out: the session is gone, the old cookie signs nobody in.
    raw = cookie["value"]
    phone.get_by_role("button", name="退出").click()
    phone.get_by_text("您已安全退出").wait_for()
    replayed = httpx.get(f"{driver.url}/m/funds", cookies={"kry_session": raw}, follow_redirects=False)
    assert replayed.status_code == 303 and replayed.headers["location"].startswith("/m/login")

    # The API with the company's bearer token (苏商通 ticket → session token): its own records, nobody else's.
    yqlb = driver.emulator("yiqilaiban")
    ticket = httpx.post(
        f"{yqlb}/_control/sso-tickets",
        json={"user_type": "enterprise", "subject": f"ent-{uscc}", "name": name, "uscc": uscc},
    ).json()["ticket"]
    session = driver.http.post("/integrations/sushangtong/sso", json={"ticket": ticket})
    assert session.status_code == 200, session.text
    bearer = {"Authorization": f"Bearer {session.json()['token']}"}
    own = driver.http.get(f"/api/v1/enterprises/{uscc}", headers=bearer)
    assert own.status_code == 200, own.text
    assert own.json()["uscc"] == uscc
    mine = driver.http.get("/api/v1/applications", params={"applicant_id": uscc}, headers=bearer)
    assert mine.status_code == 200, mine.text
    for path, params in (
        (f"/api/v1/enterprises/{other}", None),
        ("/api/v1/applications", {"applicant_id": other}),
        ("/api/v1/disbursements", {"entity_id": other}),
        ("/api/v1/demands", {"enterprise_uscc": other}),
        ("/api/v1/enterprises", None),
        ("/api/v1/budgets", None),
    ):
        resp = driver.http.get(path, params=params, headers=bearer)
        assert resp.status_code == 403, (path, resp.text)
        assert resp.json()["code"] == "not_own_entity", (path, resp.text)
    filed = driver.http.post(
        "/api/v1/applications",
        json={
            "policy_code": "KS-RC-002",
            "applicant_type": "enterprise",
            "applicant_id": other,
            "period": "2026",
        },
        headers=bearer,
    )
    assert filed.status_code == 403 and filed.json()["code"] == "not_own_entity", filed.text


def test_a_talent_signs_in_through_the_identity_service_and_reaches_only_their_own_record(
    driver: Any, phone: Any, artifacts_dir: Path
) -> None:
    talent_id, id_number = _talent(driver, "周自助")
    other_id, _ = _talent(driver, "吴旁人")
    identity = driver.emulator("identity")

    phone.goto(f"{driver.url}/m/")
    phone.locator("#login-talent").click()
    phone.get_by_label("姓名").fill("周自助")
    phone.get_by_label("身份证号").fill(id_number)
    phone.get_by_role("button", name="同意并登录").click()
    phone.get_by_role("heading", name="您好，周自助").wait_for()
    page = phone.content()
    assert id_number not in page and talent_id not in page  # never the ID number (nor an internal id)
    phone.screenshot(path=str(artifacts_dir / "e2e-self-talent-home.png"), full_page=True)
    phone.goto(f"{driver.url}/m/housing")
    phone.get_by_role("heading", name="我的申请").wait_for()
    phone.screenshot(path=str(artifacts_dir / "e2e-self-talent-housing.png"), full_page=True)

    # A cancelled sign-in says what happened and signs nobody in.
    with phone.context.browser.new_context(locale="zh-CN") as fresh:
        page2 = fresh.new_page()
        page2.goto(f"{driver.url}/m/login/identity")
        page2.get_by_role("button", name="取消").click()
        page2.get_by_text("您取消了统一身份认证登录").wait_for()

    # The API: an authorization code for the talent, exchanged for a bearer token.
    redirect_uri = "https://app.example.cn/callback"
    code = httpx.post(
        f"{identity}/_control/codes",
        json={"name": "周自助", "id_number": id_number, "redirect_uri": redirect_uri},
    ).json()["code"]
    session = driver.http.post(
        "/integrations/identity/session", json={"code": code, "redirect_uri": redirect_uri}
    )
    assert session.status_code == 200, session.text
    assert session.json()["user_type"] == "talent"
    again = driver.http.post(
        "/integrations/identity/session", json={"code": code, "redirect_uri": redirect_uri}
    )
    assert (
        again.status_code == 401 and again.json()["code"] == "identity_sign_in_failed"
    )  # a code is good once
    bearer = {"Authorization": f"Bearer {session.json()['token']}"}
    own = driver.http.get(f"/api/v1/talents/{talent_id}", headers=bearer)
    assert own.status_code == 200, own.text
    refused = driver.http.get(f"/api/v1/talents/{other_id}", headers=bearer)
    assert refused.status_code == 403 and refused.json()["code"] == "not_own_entity", refused.text
    housing = driver.http.get("/api/v1/housing/applications", params={"talent_id": other_id}, headers=bearer)
    assert housing.status_code == 403 and housing.json()["code"] == "not_own_entity", housing.text

    # Sign-out for apps: the token stops working at once (every replica reads the same denylist).
    out = driver.http.post("/integrations/session/revoke", headers=bearer)
    assert out.status_code == 200 and out.json()["revoked"] is True, out.text
    after = driver.http.get(f"/api/v1/talents/{talent_id}", headers=bearer)
    assert after.status_code == 401 and after.json()["code"] == "token_revoked", after.text
    staff_token = driver.staff("officer", "人才办")
    not_ours = driver.http.post("/integrations/session/revoke", headers=staff_token)
    assert not_ours.status_code == 401 and not_ours.json()["code"] == "invalid_token"
