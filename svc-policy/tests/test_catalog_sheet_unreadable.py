"""A catalog sheet that cannot be read is a 422 ``unreadable_sheet`` naming the file, never a 500, and nothing is
written or queued (schemathesis: ``POST /policy-catalog/imports`` answered 500 on a CSV row with more cells than
the header has)."""

import pytest
from kunruyi_launcher.testing import staff
from kunruyi_policy.models import BackgroundJob
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

ADMIN = staff("admin", subject="admin-1")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        # more cells than column names, the first ones blank
        ("catalog.csv", "政策编码,标题\n,,多出的单元格\n".encode()),
        ("catalog.csv", "政策编码,标题\nKS-KJ-001,标题,多出的单元格\n".encode()),
        ("catalog.csv", ("政策编码\n" + '"' + "长" * 200_000 + '"\n').encode()),  # beyond the csv field limit
        ("catalog.xlsx", b"not a workbook"),
        ("catalog.csv", b"PK\x03\x04 not a zip either"),
        ("catalog.csv", "政策编码,标题\nKS-KJ-\x00001,标题\n".encode()),  # a NUL PostgreSQL cannot store
    ],
)
@pytest.mark.parametrize("dry_run", [True, False])
async def test_an_unreadable_sheet_is_422_and_nothing_is_queued(
    client, session: AsyncSession, name: str, content: bytes, dry_run: bool
) -> None:  # type: ignore[no-untyped-def]
    jobs_before = (await session.execute(select(func.count()).select_from(BackgroundJob))).scalar_one()
    async with client(ADMIN) as c:
        response = await c.post(
            "/api/v1/policy-catalog/imports",
            files={"file": (name, content)},
            data={"dry_run": "true" if dry_run else "false"},
        )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["field"] == "file" and body["code"] in ("unreadable_sheet", "invalid_character"), body
    jobs_after = (await session.execute(select(func.count()).select_from(BackgroundJob))).scalar_one()
    assert jobs_after == jobs_before
