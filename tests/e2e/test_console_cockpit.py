"""The leaders' cockpit (/console/cockpit) in Chromium through the gateway, signed in with the staff identity
provider emulator:

- every indicator of the action plan is listed with its target, actual and status, and a trend chart (ECharts,
  served locally);
- a company gaining 高企 (a qualification registered through the API) moves 有效高企 on a refresh;
- a reported value (R&D/GDP, 科技局): a wrong unit is refused next to the form, the submitter cannot approve their
  own value (same_person shown on the page), a second person of 科技局 approves it and the cockpit shows it;
- the annual monitoring report (年度监测分析) opens as a printable page and downloads as XLSX.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(300)

LAPTOP = {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN"}


def _sign_in(browser: Any, driver: Any, subject: str) -> Any:
    context = browser.new_context(**LAPTOP)
    page = context.new_page()
    page.goto(f"{driver.url}/console/cockpit")
    assert "/console/login" in page.url
    page.get_by_role("button", name="使用统一身份认证登录").click()
    page.locator(f"button[data-subject='{subject}']").click()
    page.wait_for_url(f"{driver.url}/console/**")
    page.goto(f"{driver.url}/console/cockpit")
    return page


def _actual(page: Any, code: str) -> int:
    text = page.get_by_test_id(f"indicator-{code}").get_by_test_id("actual").inner_text()
    return int(text.replace(",", ""))


def test_cockpit_targets_actuals_a_high_tech_gain_and_a_second_person(
    driver: Any, browser: Any, artifacts_dir: Path
) -> None:
    officer = _sign_in(browser, driver, "kjj-officer-zhou")  # 周敏, 科技局
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

    approver = _sign_in(browser, driver, "kjj-approver-zhang")  # 张德明, 科技局
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
