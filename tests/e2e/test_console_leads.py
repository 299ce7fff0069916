"""Issue 17 item 5 in the console (Chromium, laptop-sized, through the gateway): the leads (现场线索) of an activity.

An officer of 人才办 signs in with the staff identity provider, opens the department's activity from the list once
it has started, and:
- records a need for a company not on file by its credit code: svc-talent refuses it (``enterprise_not_registered``)
  and the page says so under the code's field; nothing is recorded;
- records two needs of registered companies, picked by name from the registrations (the phone in a need's text is
  masked by svc-talent);
- converts one into a 政策咨询 service ticket (人才办's own desk, channel ``activity``): the row links the ticket,
  whose page opens; converts the other into a technology demand (the activity's industry chain proposed): once
  svc-matching has filed it from the event, the row shows the demand's number and that it awaits review;
- the counts on the page are the ones svc-talent reports.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from kunruyi_common.clock import local_now, utc_now
from kunruyi_common.taxonomy import TAXONOMY

from .conftest import console_sign_in

pytestmark = pytest.mark.timeout(300)

HOST = "人才办"
OFFICER = "rcb-officer-wang"  # 王晓雯, officer of 人才办 in the staff identity emulator
# Registrations close at the start and leads open at it: the two registrations must fit before it.
LEAD_IN = timedelta(seconds=15)


def _record(page: Any, *, attendee: str = "", uscc: str = "", content: str) -> None:
    form = page.get_by_test_id("lead-form")
    form.locator("#lead-kind").select_option("need")
    form.locator("#lead-attendee").select_option(attendee)
    form.locator("#lead-uscc").fill(uscc)
    form.locator("#lead-content").fill(content)
    page.get_by_test_id("record-lead").click()


def test_an_officer_records_leads_at_an_activity_and_converts_them(
    driver: Any, browser: Any, artifacts_dir: Path
) -> None:
    loan_name, warp_name = "昆山线索示范精密电子有限公司", "昆山线索示范封装科技有限公司"
    loan_uscc = driver.register_enterprise(name=loan_name)
    warp_uscc = driver.register_enterprise(name=warp_name)
    stranger = driver.new_uscc()  # valid, but not in the registry

    start = local_now().replace(microsecond=0) + LEAD_IN
    title = f"集成电路产业链路演 {start:%H%M%S}"
    created = driver.as_staff(
        "officer",
        "POST",
        "/api/v1/activities",
        HOST,
        json={
            "kind": "路演",
            "title": title,
            "department": HOST,
            "venue": "昆山科创中心 2 楼路演厅",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "capacity": 20,
            "industry_chain": "集成电路",
        },
    )
    assert created.status_code == 201, created.text
    aid = created.json()["id"]
    chain = created.json()["industry_chain"]
    for uscc in (loan_uscc, warp_uscc):
        r = driver.as_staff(
            "officer", "POST", f"/api/v1/activities/{aid}/registrations", HOST, json={"uscc": uscc}
        )
        assert r.status_code == 201, r.text

    page = console_sign_in(browser, driver, OFFICER)
    driver.eventually(lambda: utc_now() >= start, "the activity to start (leads are recorded at it)", 60)

    page.goto(f"{driver.url}/console/activities")
    page.get_by_role("link", name=title).click()
    leads = page.get_by_test_id("leads")
    assert "暂无线索" in leads.inner_text()

    # A company not on file, by its credit code: svc-talent's refusal under the field; nothing recorded.
    _record(page, uscc=stranger, content="需要扩建厂房")
    error = page.locator("#lead-uscc-err")
    error.wait_for()
    assert f"企业 {stranger} 不在企业库中：请先为该企业建档" in error.inner_text()  # the console's words
    assert page.locator("#lead-uscc").get_attribute("aria-invalid") == "true"
    assert page.locator("#lead-uscc").input_value() == stranger  # what was typed is kept
    page.screenshot(path=str(artifacts_dir / "console-leads-refused.png"), full_page=True)
    listed = driver.as_staff("officer", "GET", f"/api/v1/activities/{aid}/leads", HOST).json()
    assert listed["items"] == [] and listed["counts"]["leads"] == 0

    # Two needs of registered companies, picked by name.
    _record(
        page,
        attendee=f"enterprise:{loan_uscc}",
        content="想了解研发费用加计扣除的申报口径，联系人 13912345678",
    )
    rows = page.get_by_test_id("lead")
    rows.filter(has_text=loan_name).wait_for()
    assert "已登记需求线索" in page.get_by_test_id("flash").inner_text()
    _record(page, attendee=f"enterprise:{warp_uscc}", content="晶圆级封装翘曲控制需要高校团队攻关")
    rows.filter(has_text=warp_name).wait_for()
    assert rows.count() == 2
    loan_row = rows.filter(has_text=loan_name)
    warp_row = rows.filter(has_text=warp_name)
    assert "139****5678" in loan_row.inner_text() and "13912345678" not in page.content()
    assert loan_uscc not in leads.inner_text()  # names, never a bare code
    assert loan_row.get_by_test_id("lead-status").inner_text() == "待转化"

    # One into a service ticket of the department's own desk: linked on its row.
    loan_row.get_by_test_id("convert-open").click()
    loan_row.locator("select[name=type]").select_option("政策咨询")
    loan_row.get_by_test_id("to-ticket").click()
    page.get_by_test_id("flash").filter(has_text="已转为服务工单").wait_for()
    link = loan_row.get_by_test_id("lead-converted").get_by_role("link")
    number = re.sub(r"^服务工单\s*", "", link.inner_text())
    assert number and link.get_attribute("href") == f"/console/tickets/{number}"
    assert loan_row.get_by_test_id("lead-status").inner_text() == "已转化"
    assert loan_row.get_by_test_id("convert-open").count() == 0  # converted once

    # The other into a technology demand: the activity's chain is proposed.
    warp_row.get_by_test_id("convert-open").click()
    form = warp_row.get_by_test_id("to-demand-form")
    proposed = form.locator("select[name=industry_chain]")
    assert proposed.input_value() == TAXONOMY.industry_chains.lookup(chain) == "semiconductor"
    form.locator("select[name=technical_field]").select_option("advanced_packaging")
    form.locator("select[name=demand_type]").select_option("技术攻关")
    warp_row.get_by_test_id("to-demand").click()
    page.get_by_test_id("flash").filter(has_text="已转为技术需求").wait_for()

    # svc-matching files the demand from the event; its number then shows on the row (poll, never sleep).
    def demand_shown() -> str | None:
        page.reload()
        shown = page.get_by_test_id("lead").filter(has_text=warp_name).get_by_test_id("lead-converted")
        text = str(shown.inner_text())
        return text if re.search(r"技术需求 \S+", text) else None

    shown = driver.eventually(demand_shown, "svc-matching to file the lead's technology demand", timeout=120)
    listed = driver.as_staff("officer", "GET", f"/api/v1/activities/{aid}/leads", HOST).json()
    warp = next(i for i in listed["items"] if i["enterprise_uscc"] == warp_uscc)
    demand = driver.as_staff("officer", "GET", f"/api/v1/demands/{warp['demand_id']}", HOST).json()
    assert demand["demand_number"] in shown and "待审核" in shown
    assert (demand["channel"], demand["technical_field"]) == ("activity", "advanced_packaging")

    counts = {
        key: int(page.locator(f"#lead-counts [data-count={key}]").inner_text())
        for key in ("leads", "needs", "converted", "to_tickets", "to_demands")
    }
    assert counts == {key: listed["counts"][key] for key in counts}
    assert counts == {"leads": 2, "needs": 2, "converted": 2, "to_tickets": 1, "to_demands": 1}
    page.screenshot(path=str(artifacts_dir / "console-leads-converted.png"), full_page=True)

    # A lead posted (as htmx does) for an activity that does not exist: svc-talent's 404, said in the section.
    token = page.locator("#lead-form input[type=hidden]").first.get_attribute("value")
    missing = page.context.request.post(
        f"{driver.url}/console/activities/{uuid.uuid4()}/leads",
        form={"csrf_token": token or "", "kind": "need", "uscc": loan_uscc, "content": "需要贷款"},
        headers={"HX-Request": "true", "Accept": "text/html"},
    )
    assert missing.status == 404 and 'id="leads"' in missing.text() and "活动" in missing.text()

    # The ticket's link opens it: the company's name, on the activity channel.
    page.get_by_test_id("lead").filter(has_text=loan_name).get_by_role(
        "link", name=f"服务工单 {number}"
    ).click()
    page.wait_for_url(f"**/console/tickets/{number}")
    assert loan_name in page.get_by_test_id("ticket-panel").inner_text()
    ticket = driver.as_staff("officer", "GET", f"/api/v1/tickets/{number}", HOST).json()
    assert (ticket["channel"], ticket["department"], ticket["type"]) == ("activity", HOST, "政策咨询")
    page.context.close()
