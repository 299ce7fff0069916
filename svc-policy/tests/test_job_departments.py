"""A background job belongs to a department: a catalog import to the department of the officer who queued it, a
publication's re-evaluation to the policy's department, a 免申即享 run to the department of who started it. Staff of
another department neither read nor cancel it (403 ``other_department``) nor see it listed; admins do everything.
A 免申即享 run goes over every department's policies: every department reads its progress, only its starter's
department and admins cancel it."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from kunruyi_launcher.testing import staff
from kunruyi_policy.models import BackgroundJob
from sqlalchemy.ext.asyncio import AsyncSession

KEJI = staff("officer", department="科技局", subject="kj-officer")
RENSHE = staff("officer", department="人社局", subject="rs-officer")
RENSHE_FINANCE = staff("finance", department="人社局", subject="rs-finance")
KEJI_FINANCE = staff("finance", department="科技局", subject="kj-finance")
# a principal may carry its department's code rather than its name
KEJI_BY_CODE = staff("officer", department="sci_tech", subject="kj-officer-2")
ADMIN = staff("admin", subject="admin-1")


async def queue_import(c: Any) -> str:  # type: ignore[no-untyped-def]
    """A catalog import queued by the caller (its department's catalog as exported, written back unchanged)."""
    exported = (await c.get("/api/v1/policy-catalog/export", params={"format": "csv"})).text
    rows = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    answer = await c.post(
        "/api/v1/policy-catalog/imports",
        files={"file": ("catalog.csv", out.getvalue().encode())},
        data={"dry_run": "false"},
    )
    assert answer.status_code == 202, answer.text
    job_id: str = answer.json()["id"]
    return job_id


async def listed(c: Any) -> set[str]:  # type: ignore[no-untyped-def]
    body = (await c.get("/api/v1/jobs", params={"limit": 200})).json()
    return {j["id"] for j in body["items"]}


async def test_another_departments_staff_cannot_cancel_read_or_list_an_import(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    async with client(KEJI) as c:
        job_id = await queue_import(c)
    job = await session.get(BackgroundJob, uuid.UUID(job_id))
    assert job is not None and job.department == "科技局"

    for other in (RENSHE, RENSHE_FINANCE):
        async with client(other) as c:
            cancelled = await c.post(f"/api/v1/jobs/{job_id}/cancel")
            shown = await c.get(f"/api/v1/jobs/{job_id}")
            seen = await listed(c)
        assert cancelled.status_code == 403, cancelled.text
        assert cancelled.json()["code"] == "other_department"
        assert shown.status_code == 403 and shown.json()["code"] == "other_department"
        assert job_id not in seen
    # the refusals changed nothing: the job is still queued for its own department
    still = await session.get(BackgroundJob, uuid.UUID(job_id), populate_existing=True)
    assert still is not None and still.status == "queued"

    # its own department (officer or finance, by name or by code) reads and lists it; the officer cancels it
    for own in (KEJI_FINANCE, KEJI_BY_CODE):
        async with client(own) as c:
            assert (await c.get(f"/api/v1/jobs/{job_id}")).status_code == 200
            assert job_id in await listed(c)
    async with client(KEJI) as c:
        cancelled = await c.post(f"/api/v1/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"


async def test_an_admin_reads_lists_and_cancels_any_departments_job(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    async with client(KEJI) as c:
        job_id = await queue_import(c)
    async with client(ADMIN) as c:
        assert (await c.get(f"/api/v1/jobs/{job_id}")).status_code == 200
        assert job_id in await listed(c)
        cancelled = await c.post(f"/api/v1/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


async def test_a_mianshen_run_is_read_by_every_department_and_cancelled_by_its_own_or_an_admin(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    async with client(KEJI) as c:
        started = await c.post("/api/v1/entitlement-runs", json={})
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    job = await session.get(BackgroundJob, uuid.UUID(job_id))
    assert job is not None and job.kind == "entitlement_run" and job.department == "科技局"

    async with client(RENSHE) as c:
        shown = await c.get(f"/api/v1/jobs/{job_id}")
        seen = await listed(c)
        refused = await c.post(f"/api/v1/jobs/{job_id}/cancel")
    assert shown.status_code == 200 and job_id in seen
    assert refused.status_code == 403 and refused.json()["code"] == "other_department"
    # the answer says whose the run is and that this reader may not cancel it (the console shows no 取消 then)
    assert shown.json()["department"] == "科技局" and shown.json()["may_cancel"] is False

    async with client(KEJI_FINANCE) as c:
        own = await c.get(f"/api/v1/jobs/{job_id}")
        cancelled = await c.post(f"/api/v1/jobs/{job_id}/cancel")
    assert own.json()["may_cancel"] is True
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


async def test_a_job_without_a_department_is_an_admins_alone(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    """An import stored before jobs recorded their department (or queued by an admin without one)."""
    async with client(KEJI) as c:
        job_id = await queue_import(c)
    job = await session.get(BackgroundJob, uuid.UUID(job_id))
    assert job is not None
    job.department = None
    await session.flush()
    async with client(KEJI) as c:
        refused = await c.post(f"/api/v1/jobs/{job_id}/cancel")
        assert job_id not in await listed(c)
    assert refused.status_code == 403 and refused.json()["code"] == "other_department"
    async with client(ADMIN) as c:
        assert (await c.post(f"/api/v1/jobs/{job_id}/cancel")).status_code == 200
