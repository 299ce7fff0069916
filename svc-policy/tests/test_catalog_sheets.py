"""The catalog as a spreadsheet over HTTP: an export imports back unchanged; an import writes drafts only (the
published versions keep paying until an officer publishes), refuses a sheet with any bad row whole — each row
reported in Chinese — and keeps each department to its own items."""

import csv
import io
import json
import uuid
from typing import Any

from kunruyi_launcher.testing import staff
from kunruyi_policy.models import Policy, PolicyVersion
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

ADMIN = staff("admin", subject="admin-1")
OFFICER = staff("officer", department="科技局")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def rows_of(csv_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff"))))


def as_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


async def upload(c, content: bytes, *, dry_run: bool, name: str = "catalog.csv") -> Any:  # type: ignore[no-untyped-def]
    return await c.post(
        "/api/v1/policy-catalog/imports",
        files={"file": (name, content)},
        data={"dry_run": "true" if dry_run else "false"},
    )


async def counts(session: AsyncSession) -> tuple[int, int]:
    policies = (await session.execute(select(func.count()).select_from(Policy))).scalar_one()
    versions = (await session.execute(select(func.count()).select_from(PolicyVersion))).scalar_one()
    return policies, versions


async def test_the_whole_catalog_round_trips_unchanged_as_csv_and_xlsx(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    async with client(ADMIN) as c:
        exported = await c.get("/api/v1/policy-catalog/export", params={"format": "csv"})
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        rows = rows_of(exported.text)
        total = (await c.get("/api/v1/policies", params={"limit": 1})).json()
        report = (await upload(c, exported.content, dry_run=True)).json()
        assert report["errors"] == [] and report["created"] == [] and report["drafted"] == []
        assert report["unchanged"] == report["total_rows"] == len(rows) >= 463
        book = await c.get("/api/v1/policy-catalog/export", params={"format": "xlsx"})
        assert book.headers["content-type"] == XLSX
        again = (await upload(c, book.content, dry_run=True, name="catalog.xlsx")).json()
        assert again["errors"] == [] and again["unchanged"] == len(rows)
    assert "items" in total


async def test_an_officer_exports_only_the_own_department(client) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        rows = rows_of((await c.get("/api/v1/policy-catalog/export", params={"format": "csv"})).text)
    assert rows and {r["部门"] for r in rows} == {"sci_tech"}


async def test_an_import_writes_drafts_and_leaves_the_versions_in_force(
    client, session: AsyncSession, run_jobs
) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        rows = rows_of((await c.get("/api/v1/policy-catalog/export", params={"format": "csv"})).text)
        changed = next(
            r
            for r in rows
            if json.loads(r["金额公式（JSON，分）"]) not in (None, 0) and r["兑现方式"] == "automatic"
        )
        code = changed["政策编码"]
        before = (await c.get(f"/api/v1/policies/{code}")).json()
        changed["金额公式（JSON，分）"] = json.dumps(123_400)
        new = dict(rows[0], **{"政策编码": "KS-KJ-IMPORT-1", "政策名称": "表格导入的新政策", "互斥组": ""})
        sheet = as_csv([*rows, new])

        planned = (await upload(c, sheet, dry_run=True)).json()
        assert planned["written"] is False and planned["errors"] == []
        assert planned["drafted"] == [code] and planned["created"] == ["KS-KJ-IMPORT-1"]
        assert planned["unchanged"] == len(rows) - 1

        queued = await upload(c, sheet, dry_run=False)
        assert queued.status_code == 202 and queued.json()["status"] == "queued"
        assert await run_jobs() == [uuid.UUID(queued.json()["id"])]
        done = (await c.get(queued.headers["location"])).json()
        assert done["status"] == "succeeded" and done["result"]["written"] is True
        assert done["result"]["drafted"] == [code] and done["result"]["created"] == ["KS-KJ-IMPORT-1"]

        after = (await c.get(f"/api/v1/policies/{code}")).json()
        assert after["rules"] == before["rules"], "the version in force still pays"
        draft = next(v for v in after["versions"] if v["state"] == "draft")
        assert draft["amount"] == 123_400 and draft["note"] == "表格导入"
        created = (await c.get("/api/v1/policies/KS-KJ-IMPORT-1")).json()
        assert created["status"] == "draft" and [v["state"] for v in created["versions"]] == ["draft"]

        # the same sheet again compares with the open drafts: nothing left to do
        repeat = (await upload(c, sheet, dry_run=True)).json()
        assert repeat["created"] == [] and repeat["drafted"] == [] and repeat["unchanged"] == len(rows) + 1


async def test_a_sheet_with_bad_rows_is_refused_whole_and_each_row_reported(
    client, session: AsyncSession, run_jobs
) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        rows = rows_of((await c.get("/api/v1/policy-catalog/export", params={"format": "csv"})).text)
        good_change = dict(rows[0], **{"金额上限（分）": "999"})
        other_department = dict(rows[1], **{"政策编码": "KS-KJ-NEW-2", "部门": "hr_social", "互斥组": ""})
        unknown_theme = dict(rows[2], **{"主题服务": "no-such-theme"})
        fixed_field = dict(
            rows[3], **{"兑现方式": "application" if rows[3]["兑现方式"] == "automatic" else "automatic"}
        )
        with_units = dict(rows[4], **{"年度预算（分）": "500万元"})
        sheet = as_csv([good_change, other_department, unknown_theme, fixed_field, with_units, *rows[5:]])
        before = await counts(session)

        queued = await upload(c, sheet, dry_run=False)
        assert queued.status_code == 202
        await run_jobs()
        refused = (await c.get(queued.headers["location"])).json()
        assert refused["status"] == "failed" and refused["result"]["written"] is False
        problem = refused["result"]["problem"]
        assert problem["code"] == "catalog_sheet_rejected" and problem["field"] == "file"
        reported = {(e["row"], e["column"]) for e in problem["errors"]}
        assert {(3, "部门"), (4, "主题服务"), (5, "兑现方式"), (6, "年度预算（分）")} <= reported
        assert 2 not in {e["row"] for e in problem["errors"]}, "the good row is not blamed"
        assert all(e["message"] for e in problem["errors"])
        assert await counts(session) == before, "nothing written, not even the good row's draft"


async def test_what_is_not_a_sheet_is_a_clear_error(client) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        binary = await upload(c, b"\xff\xfe\x00garbage", dry_run=True)
        empty = await upload(c, "政策编码,政策名称\n".encode(), dry_run=True)
    for answer in (binary, empty):
        assert answer.status_code == 422
        assert answer.json()["code"] == "unreadable_sheet" and answer.json()["field"] == "file"
