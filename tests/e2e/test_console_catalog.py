"""An administrator keeps the policy catalog through the console, in Chromium through the gateway: exports the
catalog sheet, imports a sheet with one bad row (the import's background job refuses it whole, the row and column
shown, nothing written), fixes it, imports again (the job's progress shown until it is done) (two new items saved as drafts) and publishes one of them with its effective date."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from .conftest import console_sign_in

pytestmark = pytest.mark.timeout(300)


def _sheet(header: list[str], rows: list[dict[str, str]], path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(h, "") for h in header])
    book.save(path)
    return path


def test_admin_imports_a_sheet_fixes_a_bad_row_and_publishes(
    driver: Any, browser: Any, artifacts_dir: Path, tmp_path: Path
) -> None:
    page = console_sign_in(browser, driver, "admin-wu", then="/console/catalog", accept_downloads=True)
    with page.expect_download() as downloaded:
        page.get_by_test_id("export").click()
    exported = load_workbook(io.BytesIO(Path(downloaded.value.path()).read_bytes()), read_only=True).active
    assert exported is not None
    values = [["" if v is None else str(v) for v in r] for r in exported.iter_rows(values_only=True)]
    header, rows = values[0], [dict(zip(values[0], r, strict=False)) for r in values[1:]]
    assert len(rows) >= 463, "an admin exports the whole catalog"
    template = next(r for r in rows if r["兑现方式"] == "application" and r["部门"] == "sci_tech")

    suffix = uuid.uuid4().hex[:6].upper()
    first = dict(
        template, **{"政策编码": f"KS-KJ-E2E-{suffix}-1", "政策名称": "端到端导入政策甲", "互斥组": ""}
    )
    second = dict(
        template, **{"政策编码": f"KS-KJ-E2E-{suffix}-2", "政策名称": "端到端导入政策乙", "互斥组": ""}
    )
    bad = dict(second, **{"部门": "科技居"})

    page.set_input_files("#sheet", str(_sheet(header, [first, bad], tmp_path / "bad.xlsx")))
    page.get_by_test_id("import").get_by_role("button", name="导入").click()
    # the import is a background job: its page follows it until the whole-sheet check refuses the sheet
    page.wait_for_url("**/console/catalog/imports/*")
    errors = page.get_by_test_id("row-errors")
    errors.wait_for()
    assert (
        "第 3 行" in errors.inner_text() and "部门" in errors.inner_text() and "科技居" in errors.inner_text()
    )
    assert "未写入" in page.get_by_test_id("errors").inner_text()
    assert page.locator("#sheet").get_attribute("aria-invalid") == "true"
    page.screenshot(path=str(artifacts_dir / "console-catalog-bad-row.png"), full_page=True)
    assert (
        driver.http.get(f"/api/v1/policies/{first['政策编码']}", headers=driver.staff("admin")).status_code
        == 404
    )

    page.set_input_files("#sheet", str(_sheet(header, [first, second], tmp_path / "fixed.xlsx")))
    page.get_by_test_id("import").get_by_role("button", name="导入").click()
    page.wait_for_url("**/console/catalog/imports/*")
    page.get_by_test_id("flash").filter(has_text="新建 2 项").wait_for()
    assert page.get_by_test_id("import-status").inner_text() == "已完成"
    assert page.get_by_test_id("import-progress").inner_text() == "2 / 2 行"
    pending = page.get_by_test_id("pending")
    assert first["政策编码"] in pending.inner_text() and second["政策编码"] in pending.inner_text()

    pending.locator("tr", has_text=first["政策编码"]).get_by_role("button", name="发布").click()
    page.get_by_test_id("flash").filter(has_text=f"已发布 {first['政策编码']} 第 1 版").wait_for()
    page.screenshot(path=str(artifacts_dir / "console-catalog-published.png"), full_page=True)

    published = driver.http.get(f"/api/v1/policies/{first['政策编码']}").json()
    assert published["status"] == "published" and published["title"] == "端到端导入政策甲"
    still_draft = driver.http.get(
        f"/api/v1/policies/{second['政策编码']}", headers=driver.staff("admin")
    ).json()
    assert still_draft["status"] == "draft"
    # the same sheet through the gateway's API, for partners' and officers' own tools
    api = driver.http.get(
        "/api/v1/policy-catalog/export", params={"format": "csv"}, headers=driver.staff("admin")
    )
    assert api.status_code == 200 and first["政策编码"] in api.text
    page.context.close()
