"""The staff console at /console, in Chromium (laptop-sized) through the gateway, signing in with the staff
identity provider emulator (OIDC authorization code):

- an officer of 人才办 signs in, sees the department's ticket with the company's name, answers it in the reply box;
- a 工信局 application: reviewer A takes 受理, returns it for 补正 with the list of what is missing (the applicant
  resubmits), takes 受理 and 初审 (the calculator's manual criterion confirmed with a note),
  is refused 复审 (初审 and 复审 are two people: the API's refusal is shown on the page), reviewer B takes 复审
  and 公示, the approver takes 审定;
- a 科技局 reviewer acting on that 工信局 application is refused (403 other_department, shown where they clicked);
- a form posted without the session's CSRF token changes nothing; an admin's mistyped department is an error;
- joint handling: 人才办 invites 公安局, whose officer finds the ticket in its queue and answers its part; 人才办's
  reply is refused until then and accepted after; a transfer to 公安局 moves a ticket into 公安局's queue.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from kunruyi_client import KunruyiClient
from kunruyi_common.events.envelope import CloudEvent

from .conftest import console_sign_in

pytestmark = pytest.mark.timeout(600)

POLICY = "KS-SB-012"  # 工业企业研发投入后补助, 工信局, 25 % of last year's R&D, reviewed in stages
GXJ = "工信局"
STAFF = [
    {"subject": "gxj-reviewer-e2e-a", "name": "工信审核甲", "roles": ["reviewer"], "department": GXJ},
    {"subject": "gxj-reviewer-e2e-b", "name": "工信审核乙", "roles": ["reviewer"], "department": GXJ},
    {"subject": "gxj-approver-e2e", "name": "工信审定丙", "roles": ["approver"], "department": GXJ},
]


def _step(page: Any, expected: str, note: str | None = None) -> None:
    panel = page.get_by_test_id("application-panel")
    form = page.get_by_test_id("step-form")
    for box in form.locator("input[type=checkbox]").all():
        box.check()
    if note:
        for field in form.locator("input[name^='note:']").all():
            field.fill(note)
    form.locator("textarea[name=comment]").fill(f"端到端：{expected}")
    page.get_by_test_id("advance").click()
    panel.get_by_test_id("flash").filter(has_text=expected).wait_for()


def test_officer_answers_a_ticket_of_the_department(driver: Any, browser: Any, artifacts_dir: Path) -> None:
    name = "昆山工作台示范电子有限公司"
    uscc = driver.register_enterprise(name=name)
    filed = driver.partner.post(
        "/api/v1/tickets",
        json={
            "type": "政策咨询",
            "title": "研发费用补助何时申报",
            "description": "想了解 2025 年研发费用补助的申报时间与材料。",
            "channel": "api",
            "requester_name": "刘先生",
            "requester_phone": driver.new_phone(),
            "enterprise_uscc": uscc,
        },
    )
    assert filed.status_code == 201, filed.text
    number = filed.json()["ticket_number"]

    page = console_sign_in(browser, driver, "rcb-officer-wang")
    who = page.get_by_test_id("who")
    assert "王晓雯" in who.inner_text() and "人才办" in who.inner_text() and "窗口经办" in who.inner_text()
    queue = page.get_by_test_id("ticket-queue")
    row = queue.locator("tr", has_text=number)
    assert name in row.inner_text()  # the company's name, not its code
    assert uscc not in queue.inner_text()
    page.screenshot(path=str(artifacts_dir / "console-officer-queue.png"), full_page=True)

    row.get_by_role("link", name=number).click()
    page.locator("#reply").fill("您好：2025 年研发费用补助 3 月开放申报，材料清单已短信发送。")
    page.get_by_test_id("answer").click()
    page.get_by_test_id("flash").filter(has_text="已答复").wait_for()
    assert "3 月开放申报" in page.get_by_test_id("reply").inner_text()
    assert "已答复" in page.get_by_test_id("ticket-panel").inner_text()
    page.screenshot(path=str(artifacts_dir / "console-officer-answered.png"), full_page=True)

    status = driver.as_staff("officer", "GET", f"/api/v1/tickets/{number}", "人才办")
    assert status.json()["status"] == "replied" and "3 月开放申报" in status.json()["reply"]

    # A form posted without the session's CSRF token (a forged cross-site post) changes nothing.
    forged = page.context.request.post(
        f"{driver.url}/console/tickets/{number}/answer",
        form={"reply": "伪造的答复"},
        headers={"Accept": "text/html"},
    )
    assert forged.status == 403 and "页面已过期" in forged.text()
    after = driver.as_staff("officer", "GET", f"/api/v1/tickets/{number}", "人才办").json()
    assert after["reply"] == status.json()["reply"]
    page.context.close()


def test_review_by_different_people_and_another_department_refused(
    driver: Any, browser: Any, artifacts_dir: Path
) -> None:
    idp = driver.emulator("staff-identity")
    for user in STAFF:
        assert httpx.post(f"{idp}/_control/users", json=user, timeout=10).status_code == 201
    name = "昆山审核示范智能装备有限公司"
    uscc = driver.register_enterprise(name=name, industry_chain="智能制造")
    year = date.today().year - 1
    figures = driver.partner.request(
        "PUT",
        f"/api/v1/enterprises/{uscc}/figures/{year}",
        json={
            "revenue_fen": 50_000_000_00,
            "rd_expense_fen": 2_000_000_00,
            "tax_paid_fen": 300_000_00,
            "high_tech_revenue_ratio": 0.5,
        },
    )
    assert figures.status_code == 200, figures.text

    def calculated() -> bool:
        resp = driver.partner.post(
            "/api/v1/policy-calculator?detail=full",
            json={"entity_type": "enterprise", "entity_id": uscc, "policy_codes": [POLICY]},
        )
        return resp.status_code == 200 and resp.json()["results"][0].get("amount_fen") == 50_000_000

    driver.eventually(calculated, "svc-policy to know the company's figures")
    # No amount: svc-disbursement asks the calculator; 立项验收 is a manual criterion for the reviewers.
    applied = driver.partner.post(
        "/api/v1/applications",
        json={
            "policy_code": POLICY,
            "applicant_type": "enterprise",
            "applicant_id": uscc,
            "period": str(year),
        },
    )
    assert applied.status_code == 201, applied.text
    app_id = applied.json()["id"]
    upload = driver.partner.request(
        "POST",
        f"/api/v1/applications/{app_id}/attachments",
        files={"file": ("立项验收报告.pdf", b"%PDF-1.4 console e2e", "application/pdf")},
    )
    assert upload.status_code == 201, upload.text

    # Another department's reviewer may neither read nor act on the application: opening it shows the refusal,
    # with no step to take.
    other = console_sign_in(browser, driver, "kjj-reviewer-li")
    other.goto(f"{driver.url}/console/applications/{app_id}")
    refusal = other.get_by_test_id("application-panel").get_by_test_id("errors")
    refusal.wait_for()
    assert "other_department" in refusal.inner_text() and GXJ in refusal.inner_text()
    assert other.get_by_test_id("advance").count() == 0
    assert name not in other.get_by_test_id("application-panel").inner_text()
    other.screenshot(path=str(artifacts_dir / "console-other-department.png"), full_page=True)
    other.context.close()

    a = console_sign_in(browser, driver, "gxj-reviewer-e2e-a")
    queue = a.get_by_test_id("application-queue")
    row = queue.locator("tr", has_text=name)
    assert (
        "研发投入后补助" in row.inner_text() and POLICY not in row.inner_text()
    )  # titles and names, not codes
    a.screenshot(path=str(artifacts_dir / "console-review-queue.png"), full_page=True)
    row.get_by_role("link").first.click()
    pdf = a.locator("a", has_text="立项验收报告.pdf")
    assert pdf.get_attribute("target") == "_blank"
    opened = a.context.request.get(f"{driver.url}{pdf.get_attribute('href')}")
    assert opened.status == 200 and opened.body() == b"%PDF-1.4 console e2e"
    assert opened.headers["content-type"] == "application/pdf"
    trace = a.get_by_test_id("trace").inner_text()
    assert "需人工核验" in trace and "满足" in trace
    _step(a, "受理")
    # 补正: the list of what is missing reaches the application; the applicant resubmits and review starts again.
    a.locator("#missing").fill("2024 年度审计报告\n立项验收意见书（盖章）")
    a.get_by_test_id("return").click()
    a.get_by_test_id("flash").filter(has_text="已退回补正").wait_for()
    assert "退回补正" in a.get_by_test_id("status").inner_text()
    returned = driver.as_staff("reviewer", "GET", f"/api/v1/applications/{app_id}", GXJ).json()
    assert "1. 2024 年度审计报告；2. 立项验收意见书（盖章）" in returned["steps"][-1]["comment"]
    resubmitted = driver.partner.post(f"/api/v1/applications/{app_id}/resubmit")
    assert resubmitted.status_code == 200, resubmitted.text
    a.reload()
    _step(a, "受理")
    _step(a, "初审", note="立项验收报告第 2 页")
    # 复审 by the person who took 初审: svc-disbursement refuses, and the page says so.
    a.get_by_test_id("advance").click()
    refused = a.get_by_test_id("application-panel").get_by_test_id("errors")
    refused.wait_for()
    assert "same_person" in refused.inner_text()
    a.screenshot(path=str(artifacts_dir / "console-four-eyes.png"), full_page=True)
    a.context.close()

    b = console_sign_in(browser, driver, "gxj-reviewer-e2e-b")
    b.goto(f"{driver.url}/console/applications/{app_id}")
    _step(b, "复审")
    _step(b, "公示")
    # The public 公示 page lists it (company name and policy title), with the channel for objections.
    public = b.context.new_page()
    public.goto(f"{driver.url}/public-notice")
    listed = public.get_by_test_id("notice-list").locator("tr", has_text=name)
    assert "研发投入后补助" in listed.inner_text() and "¥500,000.00" in listed.inner_text()
    assert "异议" in public.inner_text("main")
    public.screenshot(path=str(artifacts_dir / "console-public-notice.png"), full_page=True)
    b.context.close()

    approver = console_sign_in(browser, driver, "gxj-approver-e2e")
    approver.goto(f"{driver.url}/console/applications/{app_id}")
    _step(approver, "审定")
    steps = approver.get_by_test_id("steps").inner_text()
    for who in ("工信审核甲", "工信审核乙", "工信审定丙"):
        assert who in steps
    approver.screenshot(path=str(artifacts_dir / "console-approved.png"), full_page=True)
    approver.context.close()

    detail = driver.as_staff("reviewer", "GET", f"/api/v1/applications/{app_id}", GXJ).json()
    assert detail["status"] == "approved" and detail["disbursement_id"]
    first = next(s for s in detail["steps"] if s["to_status"] == "first_review")
    assert first["actor"] == "gxj-reviewer-e2e-a"
    assert "✓ 已核验（立项验收报告第 2 页）" in first["comment"]


def test_finance_tops_up_a_budget_once(driver: Any, browser: Any, artifacts_dir: Path) -> None:
    """Finance of 科技局 tops up one of its policies' budgets from the page; the form's idempotency key makes a
    resubmitted form one top-up."""
    ours = driver.partner.get("/api/v1/policies", params={"department": "科技局", "limit": 200}).json()[
        "items"
    ]
    titles = {p["code"]: p["title"] for p in ours}
    budgets = driver.as_staff("finance", "GET", "/api/v1/budgets", "科技局", params={"limit": 200}).json()[
        "items"
    ]
    budget = next(b for b in budgets if b["policy_code"] in titles)

    def available() -> int:
        rows = driver.as_staff(
            "finance", "GET", "/api/v1/budgets", "科技局", params={"policy_code": budget["policy_code"]}
        ).json()["items"]
        return int(next(r for r in rows if r["fiscal_year"] == budget["fiscal_year"])["available_fen"])

    before = available()
    page = console_sign_in(browser, driver, "kjj-finance-qian")
    assert "/console/finance" in page.url
    form = page.get_by_test_id("top-up")
    form.locator("select[name=policy_code]").select_option(budget["policy_code"])
    form.locator("input[name=fiscal_year]").fill(str(budget["fiscal_year"]))
    form.locator("input[name=amount]").fill("1.2.3")
    form.get_by_role("button", name="拨入预算").click()
    assert "invalid_amount" not in page.get_by_test_id("errors").inner_text()  # the words, not only the code
    assert "不是金额" in page.get_by_test_id("errors").inner_text()
    form = page.get_by_test_id("top-up")
    form.locator("select[name=policy_code]").select_option(budget["policy_code"])
    form.locator("input[name=amount]").fill("12,345.67")
    key = form.locator("input[name=idempotency_key]").get_attribute("value")
    form.get_by_role("button", name="拨入预算").click()
    page.get_by_test_id("flash").filter(has_text="已拨入预算 ¥12,345.67").wait_for()
    page.screenshot(path=str(artifacts_dir / "console-finance.png"), full_page=True)
    # The same form posted again (a double click, a browser retry) is the same top-up.
    csrf = page.locator("meta[name=csrf-token]").get_attribute("content")
    again = page.context.request.post(
        f"{driver.url}/console/finance/budgets",
        form={
            "csrf_token": csrf,
            "idempotency_key": key,
            "policy_code": budget["policy_code"],
            "fiscal_year": str(budget["fiscal_year"]),
            "amount": "12,345.67",
        },
    )
    assert again.status == 200
    assert available() - before == 1_234_567
    page.context.close()


def _publish_entitlement(nats_url: str, policy_code: str, uscc: str, period: str, amount_fen: int) -> str:
    """svc-policy's 免申即享 decision as it arrives on the bus, published from a thread of its own (the sync
    browser keeps this thread's event loop marked running); returns the entitlement's id."""
    entitlement_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{policy_code}|enterprise|{uscc}|{period}"))
    event = CloudEvent(
        source="policy",
        type="kunruyi.policy.entitlement.determined",
        subject=entitlement_id,
        data={
            "entitlement_id": entitlement_id,
            "policy_code": policy_code,
            "policy_title": "高新技术企业认定奖励",
            "department": "科技局",
            "version": 1,
            "period": period,
            "entity_type": "enterprise",
            "entity_id": uscc,
            "amount_fen": amount_fen,
            "mode": "automatic",
            "trace_digest": "0" * 64,
        },
    )

    async def send() -> None:
        nc = await nats.connect(nats_url)
        try:
            await nc.jetstream().publish(
                event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id}
            )
        finally:
            await nc.close()

    worker = threading.Thread(target=asyncio.run, args=(send(),))
    worker.start()
    worker.join(30)
    return entitlement_id


def test_finance_tops_up_and_the_disbursement_awaiting_budget_is_paid(
    driver: Any, browser: Any, artifacts_dir: Path
) -> None:
    """A 免申即享 award for next year's budget waits for money (待预算); finance of 科技局 sees it by the company's name,
    tops up that year's budget on the page, and the waiting award leaves 待预算 for reservation and payment."""
    uscc = driver.register_enterprise(name="昆山待预算示范科技有限公司", district="高新区")
    year = date.today().year + 1
    entitlement_id = _publish_entitlement(
        driver.platform.infra.nats_url, "KS-KJ-001", uscc, str(year), 12_000_00
    )

    def ours() -> dict[str, Any] | None:
        # by the entitlement: the new company may hold other awards of its own, one of them perhaps waiting for
        # another policy's budget that earlier tests spent
        items = driver.partner.get("/api/v1/disbursements", params={"entity_id": uscc}).json()["items"]
        return next(
            (d for d in items if d["entitlement_id"] == entitlement_id and d["status"] == "awaiting_budget"),
            None,
        )

    waiting = driver.eventually(ours, "the award waiting for next year's budget")
    page = console_sign_in(browser, driver, "kjj-finance-qian")
    page.goto(f"{driver.url}/console/finance?status=awaiting_budget")
    row = page.get_by_test_id("disbursements").locator("tr", has_text="昆山待预算示范科技有限公司")
    assert "高新技术企业认定奖励" in row.inner_text() and "¥12,000.00" in row.inner_text()

    form = page.get_by_test_id("top-up")
    form.locator("select[name=policy_code]").select_option("KS-KJ-001")
    form.locator("input[name=fiscal_year]").fill(str(year))
    form.locator("input[name=amount]").fill("50000")
    form.get_by_role("button", name="拨入预算").click()
    page.get_by_test_id("flash").filter(has_text="待预算的拨付已继续办理").wait_for()

    def resumed() -> bool:
        items = driver.partner.get("/api/v1/disbursements", params={"entity_id": uscc}).json()["items"]
        return any(d["id"] == waiting["id"] and d["status"] != "awaiting_budget" for d in items)

    def budget_state() -> str:
        """What the budget and its queue looked like, for a failure's message."""
        rows = driver.as_staff(
            "finance",
            "GET",
            "/api/v1/budgets",
            "科技局",
            params={"policy_code": "KS-KJ-001", "fiscal_year": year},
        ).json()
        waiting = driver.as_staff(
            "finance",
            "GET",
            "/api/v1/disbursements",
            "科技局",
            params={"status": "awaiting_budget", "policy_code": "KS-KJ-001", "limit": 200},
        ).json()
        mine = driver.partner.get("/api/v1/disbursements", params={"entity_id": uscc}).json()["items"]
        return f"budget {rows}; awaiting {[(d['fiscal_year'], d['amount_fen'], d['created_at']) for d in waiting.get('items', [])]}; ours {mine}"

    # the top-up takes the award out of 待预算 into reservation, and the bank pays it
    try:
        driver.eventually(resumed, "the award to leave 待预算 after the top-up", timeout=120)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; {budget_state()}") from exc

    def paid() -> dict[str, Any] | None:
        items = driver.partner.get("/api/v1/disbursements", params={"entity_id": uscc}).json()["items"]
        return next((d for d in items if d["id"] == waiting["id"] and d["status"] == "settled"), None)

    try:
        settled = driver.eventually(paid, "the bank to pay the resumed award", timeout=240)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; {budget_state()}") from exc
    assert settled["amount_fen"] == 12_000_00 and settled["settled_at"]
    page.goto(f"{driver.url}/console/finance?status=settled")
    paid_row = page.get_by_test_id("disbursements").locator("tr", has_text="昆山待预算示范科技有限公司")
    assert "¥12,000.00" in paid_row.inner_text()
    page.screenshot(path=str(artifacts_dir / "console-finance-awaiting-paid.png"), full_page=True)
    page.context.close()


def test_finance_reconciles_a_day_and_sees_the_difference_named(
    driver: Any, browser: Any, artifacts_dir: Path
) -> None:
    """Finance runs a day's bank reconciliation from the page: money the bank paid that the ledger never recorded
    shows as a difference, in 元, with the run's totals; a mistyped date is refused at the form."""
    day = "2024-03-15"  # a day no other test pays on: only the injected settlement is on its statement
    phantom = str(uuid.uuid4())
    injected = httpx.post(
        f"{driver.emulator('bank')}/_control/inject",
        json={"kind": "phantom_settlement", "reference": phantom, "amount_fen": 77_700, "date": day},
        timeout=10,
    )
    assert injected.status_code == 200, injected.text
    page = console_sign_in(browser, driver, "kjj-finance-qian")
    csrf = page.locator("meta[name=csrf-token]").get_attribute("content")
    mistyped = page.context.request.post(
        f"{driver.url}/console/finance/reconciliation", form={"csrf_token": csrf, "date": "2024-13-40"}
    )
    assert mistyped.status == 422 and "请填写对账日期" in mistyped.text()

    form = page.get_by_test_id("reconcile")
    form.locator("input[name=date]").fill(day)
    form.get_by_role("button", name="核对银行日对账单").click()
    page.get_by_test_id("flash").filter(has_text=f"{day} 对账完成：相符 0 笔，差异 1 笔").wait_for()
    run = page.get_by_test_id("reconciliation-run").first
    assert day in run.inner_text() and "差异 1 笔" in run.inner_text()
    row = run.get_by_test_id("mismatches").locator("tbody tr")
    assert row.count() == 1
    cells = row.first.inner_text()
    assert "银行已付、账本无记录" in cells and "¥777.00" in cells and phantom in cells
    page.get_by_test_id("reconciliation").screenshot(
        path=str(artifacts_dir / "console-finance-reconciliation.png")
    )
    page.context.close()


def test_broker_claims_a_demand_and_records_the_contract(
    driver: Any, browser: Any, artifacts_dir: Path
) -> None:
    """A broker claims a waiting demand on the console, records each stage of the pipeline (推荐对接 → 洽谈 → 签约 →
    技术合同登记 → 成交); a contract amount that is not money is refused on the page; the deal shows in the
    broker's 绩效 for the year."""
    uscc = driver.register_enterprise(name="昆山经纪撮合示范光电有限公司", district="开发区")
    title = f"微型光谱仪标定方法 {uuid.uuid4().hex[:6]}"
    created = driver.as_staff(
        "officer",
        "POST",
        "/api/v1/demands",
        json={
            "enterprise_uscc": uscc,
            "title": title,
            "description": "需要可溯源的光谱标定方法，欢迎计量院所合作。",
            "industry_chain": "半导体",
            "technical_field": "advanced_packaging",
            "demand_type": "技术攻关",
            "budget_min_fen": 10_000_000,
            "budget_max_fen": 50_000_000,
            "channel": "api",
        },
    )
    assert created.status_code == 201, created.text
    demand_id = created.json()["id"]
    approved = driver.as_staff(
        "officer", "POST", f"/api/v1/demands/{demand_id}/review", json={"decision": "approve"}
    )
    assert approved.status_code == 200, approved.text
    registered = driver.as_staff(
        "officer",
        "POST",
        "/api/v1/brokers",
        json={
            "subject": "broker-zhao",
            "name": "赵一鸣",
            "agency": "昆山技术转移中心",
            "certification": "中级",
            "chains": ["半导体"],
            "monthly_capacity": 50,
        },
    )
    assert registered.status_code in (201, 409), registered.text

    page = console_sign_in(browser, driver, "broker-zhao")
    page.goto(f"{driver.url}/console/broker")
    queued = page.get_by_test_id("demand-queue").locator("tr", has_text=title)
    assert "昆山经纪撮合示范光电有限公司" in queued.inner_text()  # the company's name, not its code
    queued.get_by_role("button", name="认领").click()
    page.get_by_test_id("flash").filter(has_text="已认领").wait_for()

    def mine() -> Any:
        return page.get_by_test_id("my-demands").locator("tr", has_text=title)

    for stage in ("推荐对接", "洽谈", "签约"):
        form = mine().get_by_test_id("next-stage")
        form.locator("input[name=note]").fill(f"端到端：{stage}")
        form.get_by_role("button", name=f"记录“{stage}”").click()
        page.get_by_test_id("flash").filter(has_text=f"已记录：{stage}").wait_for()

    form = mine().get_by_test_id("next-stage")
    form.locator("input[name=contract_number]").fill(f"320583-{uuid.uuid4().hex[:8]}")
    form.locator("input[name=contract_amount]").fill("三十万")
    form.get_by_role("button", name="记录“技术合同登记”").click()
    assert "不是金额" in page.get_by_test_id("errors").inner_text()
    form = mine().get_by_test_id("next-stage")
    number = f"320583-{uuid.uuid4().hex[:8]}"
    form.locator("input[name=contract_number]").fill(number)
    form.locator("input[name=contract_amount]").fill("300,000")
    form.get_by_role("button", name="记录“技术合同登记”").click()
    page.get_by_test_id("flash").filter(has_text="已记录：技术合同登记").wait_for()
    assert number in mine().get_by_test_id("stage").inner_text()
    assert "¥300,000.00" in mine().get_by_test_id("stage").inner_text()
    mine().get_by_role("button", name="记录“成交”").click()
    page.get_by_test_id("flash").filter(has_text="已记录：成交").wait_for()
    # 需求入库, 认领/指派, 推荐对接, 洽谈, 签约, 技术合同登记, 成交
    assert "流程记录（7）" in mine().inner_text() and "成交" in mine().get_by_test_id("stage").inner_text()
    kpi = page.get_by_test_id("broker-kpis").locator("tr", has_text="赵一鸣")
    assert kpi.count() == 1 and "¥300,000.00" in kpi.inner_text()
    page.screenshot(path=str(artifacts_dir / "console-broker.png"), full_page=True)
    page.context.close()


def test_an_officer_starts_a_mianshen_run_and_watches_it_finish(
    driver: Any, browser: Any, artifacts_dir: Path
) -> None:
    """The 免申即享 run is a background job: started from the page, its progress refreshes by itself until it is
    done, with its counts; a mistyped date is refused at the form; starting the same period again shows the run
    already made instead of paying twice."""
    page = console_sign_in(browser, driver, "kjj-officer-zhou")
    page.goto(f"{driver.url}/console/runs")
    form = page.get_by_test_id("start-run")
    form.locator("input[name=evaluation_date]").fill("2026-13-01")
    form.get_by_role("button", name="发起全量批次").click()
    assert "请填写评估日期" in page.get_by_test_id("errors").inner_text()
    assert (
        page.get_by_test_id("start-run").locator("input[name=evaluation_date]").input_value() == "2026-13-01"
    )

    page.get_by_test_id("start-run").locator("input[name=evaluation_date]").fill("")
    page.get_by_test_id("start-run").get_by_role("button", name="发起全量批次").click()
    page.get_by_test_id("flash").filter(has_text="期间").wait_for()
    newest = page.get_by_test_id("job").first
    assert "免申即享全量批次" in newest.inner_text()
    # no reload: the list polls while a job is queued or running
    driver.eventually(
        lambda: page.get_by_test_id("job").first.get_attribute("data-status") == "succeeded",
        "the newest job to show 已完成 without a reload",
        timeout=120,
    )
    done = page.get_by_test_id("job").first
    assert done.get_by_test_id("job-status").inner_text().startswith("已完成")
    assert "主体" in done.inner_text() and "评估" in done.inner_text()
    page.screenshot(path=str(artifacts_dir / "console-runs.png"), full_page=True)

    page.get_by_test_id("start-run").get_by_role("button", name="发起全量批次").click()
    page.get_by_test_id("flash").filter(has_text="已有批次").wait_for()
    page.context.close()


def test_admin_issues_a_partner_key_that_signs_then_disables_it(
    driver: Any, browser: Any, artifacts_dir: Path
) -> None:
    """An administrator creates a partner's AppKey on the console (a missing name refused at the form); the secret
    is shown once and signs a partner call within its scope; after 停用 the same signed call is refused."""
    page = console_sign_in(browser, driver, "admin-wu")
    page.goto(f"{driver.url}/console/partners")
    form = page.get_by_test_id("new-key")
    form.get_by_label("政策目录与计算器（读）").check()
    form.get_by_role("button", name="创建").click()
    assert "请填写合作方名称" in page.get_by_test_id("errors").inner_text()
    form = page.get_by_test_id("new-key")
    assert form.get_by_label("政策目录与计算器（读）").is_checked()  # what was chosen stays
    name = f"端到端合作方 {uuid.uuid4().hex[:6]}"
    form.locator("input[name=name]").fill(name)
    form.get_by_role("button", name="创建").click()
    page.get_by_test_id("flash").filter(has_text=name).wait_for()
    secret = page.get_by_test_id("secret").inner_text()
    row = page.get_by_test_id("app-key").filter(has_text=name)
    app_key = row.get_attribute("data-app-key")
    assert app_key and secret and "政策目录与计算器（读）" in row.inner_text()
    page.screenshot(path=str(artifacts_dir / "console-partners.png"), full_page=True)

    with KunruyiClient(driver.url, app_key, secret, timeout=30.0) as partner:
        allowed = partner.get("/api/v1/policies", params={"limit": 1})
        out_of_scope = partner.get("/api/v1/disbursements", params={"limit": 1})
        assert allowed.status_code == 200, allowed.text
        assert out_of_scope.status_code == 403
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_test_id("app-key").filter(has_text=name).get_by_role("button", name="停用").click()
        page.get_by_test_id("flash").filter(has_text=f"已停用 {app_key}").wait_for()
        assert (
            page.get_by_test_id("app-key").filter(has_text=name).get_by_test_id("key-status").inner_text()
            == "已停用"
        )
        refused = partner.get("/api/v1/policies", params={"limit": 1})
        assert refused.status_code == 401, refused.text
    page.goto(f"{driver.url}/console/partners")
    assert name in page.content() and secret not in page.content()  # shown once
    page.context.close()


def test_officer_issues_codes_for_a_list_prints_them_and_sees_coverage(
    driver: Any, browser: Any, artifacts_dir: Path
) -> None:
    """昆e服码 for a list of companies pasted from a sheet: a bad line names its number and nothing is issued; fixed,
    the batch is issued as a background job (its page shows the progress, then the download) and prints as a sheet
    of QR cards; a 规上 company without a code counts as uncovered until
    it has one."""
    uscc = driver.register_enterprise(name="昆山覆盖统计示范精工有限公司", district="张浦")
    gained = driver.partner.post(
        f"/api/v1/enterprises/{uscc}/qualifications",
        json={"kind": "above_scale", "granted_on": date.today().isoformat()},
    )
    assert gained.status_code == 201, gained.text
    other = driver.register_enterprise(name="昆山批量发码示范光电有限公司", district="开发区")
    page = console_sign_in(browser, driver, "kjj-officer-zhou", accept_downloads=True)
    page.goto(f"{driver.url}/console/codes?qualification=above_scale")

    def counts() -> tuple[int, int]:
        covered, total = (
            page.get_by_test_id("coverage-counts")
            .inner_text()
            .split("已有码 ")[1]
            .split(" 家")[0]
            .split(" / ")
        )
        return int(covered), int(total)

    covered_before, total = counts()
    assert total >= 1 and covered_before < total

    lines = page.get_by_test_id("bulk-issue").locator("textarea[name=lines]")
    lines.fill(
        f"{uscc}\t昆山覆盖统计示范精工有限公司\n91320583XXXXXXXXXX\t写错代码的公司\n{other}\t昆山批量发码示范光电有限公司\t光电显示"
    )
    page.get_by_test_id("bulk-issue").get_by_role("button", name="生成").click()
    errors = page.get_by_test_id("errors").inner_text()
    assert "第 2 行" in errors and "第 1 行" not in errors
    assert (
        driver.as_staff("officer", "GET", "/api/v1/service-codes", params={"target": uscc}).json()["items"]
        == []
    )

    lines = page.get_by_test_id("bulk-issue").locator("textarea[name=lines]")
    lines.fill(f"{uscc}\t昆山覆盖统计示范精工有限公司\n{other}\t昆山批量发码示范光电有限公司\t光电显示")
    page.get_by_test_id("bulk-issue").get_by_role("button", name="生成").click()
    # a background batch: its page shows the progress, then the download and the print sheet
    page.wait_for_url("**/console/codes/batches/*")
    page.get_by_test_id("batch-done").filter(has_text="已生成 2 个").wait_for()
    assert page.get_by_test_id("batch-progress").inner_text() == "已生成 2 / 2 个"
    with page.expect_download() as downloaded:
        page.get_by_test_id("batch-download").click()
    sheet = Path(downloaded.value.path()).read_text(encoding="utf-8-sig")
    assert uscc in sheet and other in sheet and "/q/" in sheet
    page.screenshot(path=str(artifacts_dir / "console-codes-batch.png"), full_page=True)
    page.goto(f"{driver.url}/console/codes?qualification=above_scale")
    assert counts() == (covered_before + 1, total)
    page.screenshot(path=str(artifacts_dir / "console-codes.png"), full_page=True)

    issued = driver.as_staff("officer", "GET", "/api/v1/service-codes", params={"target": other}).json()[
        "items"
    ]
    assert len(issued) == 1 and issued[0]["industry_chain"] == "新型显示"  # the alias, by its name
    page.goto(f"{driver.url}/console/codes/print?id={issued[0]['id']}")
    card = page.get_by_test_id("qr-card")
    assert card.count() == 1 and "昆山批量发码示范光电有限公司" in card.inner_text()
    assert card.locator("svg").count() == 1
    page.screenshot(path=str(artifacts_dir / "console-codes-print.png"), full_page=True)
    page.context.close()


def test_admin_mistyped_department_is_an_error(driver: Any, browser: Any, artifacts_dir: Path) -> None:
    page = console_sign_in(browser, driver, "admin-wu")
    page.goto(f"{driver.url}/console/applications?department=工信句")
    errors = page.get_by_test_id("errors")
    assert "部门“工信句”不存在" in errors.inner_text() and "工信局" in errors.inner_text()
    page.goto(f"{driver.url}/console/overview")
    assert "诉求工单" in page.inner_text("main")
    page.screenshot(path=str(artifacts_dir / "console-admin-overview.png"), full_page=True)
    page.context.close()


def test_joint_handling_and_transfer_between_departments(
    driver: Any, browser: Any, artifacts_dir: Path
) -> None:
    police = {
        "subject": "gaj-officer-e2e",
        "name": "公安经办丁",
        "roles": ["officer"],
        "department": "公安局",
    }
    created = httpx.post(f"{driver.emulator('staff-identity')}/_control/users", json=police, timeout=10)
    assert created.status_code == 201, created.text

    def file(title: str) -> str:
        filed = driver.partner.post(
            "/api/v1/tickets",
            json={
                "type": "政策咨询",
                "title": title,
                "description": "引进人才家属随迁落户，需要人才办与公安局共同办理。",
                "channel": "api",
                "requester_name": "赵女士",
                "requester_phone": driver.new_phone(),
            },
        )
        assert filed.status_code == 201, filed.text
        return str(filed.json()["ticket_number"])

    joint, moved = file("人才家属随迁落户咨询"), file("户口迁入办理")

    lead = console_sign_in(browser, driver, "rcb-officer-wang")
    lead.goto(f"{driver.url}/console/tickets/{joint}")
    invite = lead.get_by_test_id("invite-form")
    invite.locator("select[name=department]").select_option("公安局")
    invite.locator("textarea[name=task]").fill("核实家属随迁落户材料并给出意见")
    lead.get_by_test_id("invite").click()
    lead.get_by_test_id("flash").filter(has_text="已邀请公安局协办").wait_for()
    assert "待答复" in lead.get_by_test_id("parts").inner_text()
    # The lead's reply waits for the co-handler's part: svc-talent's 409 is shown in the panel.
    lead.locator("#reply").fill("您好：随迁落户材料已齐全。")
    lead.get_by_test_id("answer").click()
    refused = lead.get_by_test_id("ticket-panel").get_by_test_id("errors")
    refused.wait_for()
    assert "parts_unanswered" in refused.inner_text() and "公安局" in refused.inner_text()
    # 转办 of the other ticket to 公安局.
    lead.goto(f"{driver.url}/console/tickets/{moved}")
    transfer = lead.get_by_test_id("transfer-form")
    transfer.locator("select[name=department]").select_option("公安局")
    transfer.locator("input[name=transfer_reason]").fill("属户籍业务，由公安局办理")
    lead.get_by_test_id("transfer").click()
    lead.get_by_test_id("flash").filter(has_text="已转办至公安局").wait_for()

    co = console_sign_in(browser, driver, "gaj-officer-e2e")
    queue = co.get_by_test_id("ticket-queue")
    assert "协办" in queue.locator("tr", has_text=joint).inner_text()
    assert "协办" not in queue.locator("tr", has_text=moved).inner_text()  # transferred: now its own
    co.screenshot(path=str(artifacts_dir / "console-co-handler-queue.png"), full_page=True)
    queue.locator("tr", has_text=joint).get_by_role("link", name=joint).click()
    assert co.get_by_test_id("transfer-form").count() == 0  # only the lead transfers or invites
    co.locator("#part_answer").fill("经核实，家属随迁落户材料齐全，可办理。")
    co.get_by_test_id("answer-part").click()
    co.get_by_test_id("flash").filter(has_text="已答复公安局负责的部分").wait_for()
    assert "材料齐全" in co.get_by_test_id("part-answer").inner_text()
    co.context.close()

    lead.goto(f"{driver.url}/console/tickets/{joint}")
    lead.locator("#reply").fill("您好：随迁落户材料已齐全，请携带户口簿到公安局窗口办理。")
    lead.get_by_test_id("answer").click()
    lead.get_by_test_id("flash").filter(has_text="已答复").wait_for()
    assert "已答复" in lead.get_by_test_id("parts").inner_text()
    lead.screenshot(path=str(artifacts_dir / "console-joint-answered.png"), full_page=True)
    lead.context.close()

    answered = driver.as_staff("officer", "GET", f"/api/v1/tickets/{joint}", "人才办").json()
    assert answered["status"] == "replied" and answered["parts"][0]["answered_by"].endswith("gaj-officer-e2e")
    assert (
        driver.as_staff("officer", "GET", f"/api/v1/tickets/{moved}", "公安局").json()["department"]
        == "公安局"
    )
