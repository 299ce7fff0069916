"""科创平台 through the gateway: an officer of 科技局 records a company's 工程技术研究中心 (省级) over the API; svc-policy
receives the company's platforms and dates from svc-talent's enterprise event and determines the award for the new
recognition (工程技术研究中心奖励, KS-KJ-007) once; the console's 科创平台 page (Chromium) lists the platform with its
host, level, expiry and last yearly review, and the filter by kind keeps only that kind.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from kunruyi_common.clock import local_today

from .conftest import console_sign_in

pytestmark = pytest.mark.timeout(300)


def test_a_recorded_platform_reaches_policy_and_the_console(
    driver: Any, browser: Any, artifacts_dir: Path
) -> None:
    uscc = driver.register_enterprise(name="昆山平台示范精密机械有限公司", district="周市")
    today = local_today()
    certificate = f"BM{uscc[-8:]}"
    made = driver.as_staff(
        "officer",
        "POST",
        "/api/v1/platforms",
        "科技局",
        json={
            "uscc": uscc,
            "kind": "工程技术研究中心",
            "level": "省级",
            "recognized_on": today.isoformat(),
            "expires_on": (today + timedelta(days=3 * 365)).isoformat(),
            "issuing_body": "江苏省科学技术厅",
            "certificate_number": certificate,
        },
    )
    assert made.status_code == 201, made.text
    platform_id = made.json()["id"]
    reviewed = driver.as_staff(
        "officer",
        "POST",
        f"/api/v1/platforms/{platform_id}/reviews",
        "科技局",
        json={"year": today.year, "result": "优秀"},
    )
    assert reviewed.status_code == 201, reviewed.text
    # another department's officer is refused at the service, through the gateway
    other = driver.as_staff(
        "officer",
        "POST",
        f"/api/v1/platforms/{platform_id}/reviews",
        "人社局",
        json={"year": today.year, "result": "合格"},
    )
    assert other.status_code == 403 and other.json()["code"] == "other_department"

    def awarded() -> list[dict[str, Any]] | None:
        found = driver.as_staff(
            "officer",
            "GET",
            "/api/v1/entitlements",
            "科技局",
            params={"entity_id": uscc, "policy_code": "KS-KJ-007"},
        )
        items: list[dict[str, Any]] = found.json().get("items", []) if found.status_code == 200 else []
        return items or None

    items = driver.eventually(awarded, "svc-policy to determine the award for the new 工程技术研究中心")
    assert len(items) == 1 and items[0]["period"] == str(today.year)

    page = console_sign_in(browser, driver, "kjj-officer-zhou", then="/console/platforms")
    context = page.context
    row = page.get_by_test_id(f"platform-{certificate}")
    assert "昆山平台示范精密机械有限公司" in row.inner_text()
    assert row.get_by_test_id("level").inner_text() == "省级"
    assert row.get_by_test_id("expires").inner_text() == (today + timedelta(days=3 * 365)).isoformat()
    assert row.get_by_test_id("last-review").inner_text() == f"{today.year} 年 优秀"
    page.locator("select[name=kind]").select_option("incubator")
    page.get_by_test_id("filter").click()
    page.wait_for_url("**/console/platforms?kind=incubator")
    assert page.get_by_test_id(f"platform-{certificate}").count() == 0
    page.locator("select[name=kind]").select_option("engineering_center")
    page.get_by_test_id("filter").click()
    page.get_by_test_id(f"platform-{certificate}").wait_for()
    page.screenshot(path=str(artifacts_dir / "console-platforms.png"), full_page=True)
    context.close()
