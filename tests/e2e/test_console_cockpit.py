"""The leaders' cockpit (/console/cockpit) in Chromium through the gateway, signed in with the staff identity
provider emulator:

- every indicator of the action plan is listed with its target, actual and status, and a trend chart (ECharts,
  served locally);
- a company gaining 高企 (a qualification registered through the API) moves 有效高企 on a refresh;
- a reported value (R&D/GDP, 科技局): a wrong unit is refused next to the form, the submitter cannot approve their
  own value (same_person shown on the page), a second person of 科技局 approves it and the cockpit shows it;
- the annual monitoring report (年度监测分析) opens as a printable page and downloads as XLSX;
- a leader (领导) lands on the cockpit, sees the money paid by mode and by department for the chosen quarter (the
  report's figures), has no report or approve form and is refused every other queue and personal data.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from .conftest import console_sign_in

pytestmark = pytest.mark.timeout(300)


def _actual(page: Any, code: str) -> int:
    text = page.get_by_test_id(f"indicator-{code}").get_by_test_id("actual").inner_text()
    return int(text.replace(",", ""))


def test_cockpit_targets_actuals_a_high_tech_gain_and_a_second_person(
    driver: Any, browser: Any, artifacts_dir: Path
) -> None:
    officer = console_sign_in(browser, driver, "kjj-officer-zhou", then="/console/cockpit")  # 周敏, 科技局
    card = officer.get_by_test_id("indicator-high_tech_valid")
    assert card.get_by_test_id("target").inner_text() == "3,500"
    assert card.get_by_test_id("status").inner_text() in ("进度正常", "略有滞后", "存在风险", "暂无数据")
    assert officer.locator("article.indicator").count() >= 25
    officer.locator("[data-chart][data-drawn='1']").first.wait_for()  # ECharts drew from the local copy
    before = _actual(officer, "high_tech_valid")

    uscc = driver.register_enterprise(name="昆山驾驶舱示范半导体有限公司", district="高新区")
    gained = driver.partner.post(
        f"/api/v1/enterprises/{uscc}/qualifications",
        json={"kind": "high_tech", "level": "national", "granted_on": date.today().isoformat()},
    )
    assert gained.status_code == 201, gained.text

    def moved() -> bool:
        officer.get_by_test_id("refresh").click()
        officer.get_by_test_id("indicator-high_tech_valid").wait_for()
        return _actual(officer, "high_tech_valid") == before + 1

    driver.eventually(moved, "有效高企 to count the new 高企 on a refresh")

    # A reported value: wrong unit refused on the page, the submitter cannot approve it.
    officer.goto(f"{driver.url}/console/cockpit/rd_gdp")
    form = officer.get_by_test_id("report-form")
    form.locator("input[name=value]").fill("4.27")
    form.locator("select[name=unit]").select_option("万元")
    form.locator("textarea[name=note]").fill("统计局季度快报口径")
    officer.get_by_test_id("submit-report").click()
    officer.get_by_test_id("errors").filter(has_text="wrong_unit").wait_for()
    form = officer.get_by_test_id("report-form")
    assert form.locator("input[name=value]").input_value() == "4.27"  # what was typed stays
    form.locator("select[name=unit]").select_option("%")
    officer.get_by_test_id("submit-report").click()
    officer.get_by_test_id("flash").filter(has_text="待本部门另一人审核").wait_for()
    officer.get_by_test_id("approve").first.click()
    officer.get_by_test_id("errors").filter(has_text="same_person").wait_for()

    approver = console_sign_in(
        browser, driver, "kjj-approver-zhang", then="/console/cockpit"
    )  # 张德明, 科技局
    approver.goto(f"{driver.url}/console/cockpit/rd_gdp")
    approver.get_by_test_id("approve").first.click()
    approver.get_by_test_id("flash").filter(has_text="已审核").wait_for()
    approver.goto(f"{driver.url}/console/cockpit")
    rd = approver.get_by_test_id("indicator-rd_gdp")
    assert rd.get_by_test_id("actual").inner_text() == "4.27"
    assert rd.get_by_test_id("target").inner_text() == "4.5"
    approver.locator("[data-chart][data-drawn='1']").first.wait_for()
    approver.screenshot(path=str(artifacts_dir / "console-cockpit.png"), full_page=True)

    approver.goto(f"{driver.url}/console/cockpit/annual")
    report = approver.get_by_test_id("annual-report")
    assert "年度监测分析" in report.inner_text() and "有效高新技术企业" in report.inner_text()
    sheet = approver.context.request.get(f"{driver.url}/console/cockpit/annual.xlsx")
    assert sheet.status == 200 and sheet.body()[:2] == b"PK"
    approver.context.close()
    officer.context.close()


def _fen(text: str) -> int:
    yuan, _, cents = text.replace(",", "").partition(".")
    return int(yuan) * 100 + int(cents or 0)


def test_a_leader_reads_the_cockpit_and_the_money_and_nothing_else(
    driver: Any, browser: Any, artifacts_dir: Path
) -> None:
    leader = console_sign_in(
        browser, driver, "leader-xu", then="/console/cockpit"
    )  # 徐立新, 市委人才办, 领导
    leader.goto(f"{driver.url}/console")
    leader.wait_for_url(f"{driver.url}/console/cockpit")  # a leader's home is the cockpit
    assert "领导" in leader.content()

    today = date.today()
    quarter = (today.month - 1) // 3 + 1
    form = leader.get_by_test_id("period-form")
    form.locator("select[name=quarter]").select_option(str(quarter))
    leader.get_by_test_id("period-apply").click()
    leader.wait_for_url(f"**/console/cockpit?year={today.year}&quarter={quarter}*")
    leader.locator("[data-testid=money-mode-chart][data-drawn='1']").wait_for()
    leader.locator("[data-testid=money-department-chart][data-drawn='1']").wait_for()
    shown = {
        row.get_attribute("data-mode"): _fen(row.locator(".amount").inner_text())
        for row in leader.get_by_test_id("money-mode").locator("tbody tr").all()
    }
    assert set(shown) == {"automatic", "quick", "application"}
    start = date(today.year, 3 * quarter - 2, 1).isoformat()
    report = driver.as_staff(
        "leader",
        "GET",
        "/api/v1/reports/disbursements",
        "市委人才办",
        params={"group_by": "mode", "date_from": start, "date_to": today.isoformat()},
    )
    assert report.status_code == 200, report.text
    for item in report.json()["items"]:
        assert shown[item["key"]] == item["amount_fen"]
    assert sum(shown.values()) == _fen(leader.get_by_test_id("money-total").inner_text())
    leader.screenshot(path=str(artifacts_dir / "console-cockpit-leader.png"), full_page=True)

    # A future quarter is named and this year shown instead.
    leader.goto(
        f"{driver.url}/console/cockpit?year={today.year}&quarter=4"
        if quarter < 4
        else f"{driver.url}/console/cockpit?year={today.year + 1}"
    )
    leader.get_by_test_id("errors").wait_for()

    # Reads only: no report or approve form; another role's queue is the 403 page; personal data refused.
    leader.goto(f"{driver.url}/console/cockpit/rd_gdp")
    leader.get_by_test_id("reports").wait_for()
    assert leader.get_by_test_id("report-form").count() == 0 and leader.get_by_test_id("approve").count() == 0
    refused = leader.goto(f"{driver.url}/console/tickets")
    assert refused is not None and refused.status == 403
    for method, path in (
        ("GET", "/api/v1/tickets"),
        ("GET", "/api/v1/applications"),
        ("POST", "/api/v1/indicators/rd_gdp/reports"),
    ):
        r = driver.as_staff("leader", method, path, "市委人才办", json={} if method == "POST" else None)
        assert r.status_code == 403 and r.json()["code"] == "role_required", (path, r.text)
    leader.context.close()
