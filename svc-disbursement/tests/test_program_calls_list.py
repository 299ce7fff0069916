"""The list of a department's calls (``GET /api/v1/program-calls``) the staff console shows: window, quota, status
and the counts staff watch (applications, selected, withdrawn, objections open), filtered by program and status;
another department's program is refused and the refusal audited."""

from __future__ import annotations

import uuid
from typing import Any

from kunruyi_launcher.testing import partner, staff
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from test_funding_agreements import OFFICER
from test_objections_acceptance import noticed
from test_programs import DEPT, OTHER, get, post

LIST = "/api/v1/program-calls"


async def listed(client, who, params: dict[str, str] | None = None) -> Any:  # type: ignore[no-untyped-def]
    async with client(who) as c:
        return await c.get(LIST, params=params or {})


async def test_the_departments_calls_with_their_counts(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    call_id, ids = await noticed(client, ["甲", "乙"])
    program_id = (await get(client, OFFICER, f"/api/v1/program-calls/{call_id}")).json()["program_id"]
    resp = await post(
        client,
        None,  # type: ignore[arg-type]
        f"/api/v1/program-notices/{call_id}/objections",
        {"application_id": ids["甲"], "reason": "企业并未在昆山实际经营"},
    )
    assert resp.status_code == 201, resp.text
    objection_id = resp.json()["id"]

    resp = await listed(client, OFFICER, {"program": program_id})
    assert resp.status_code == 200, resp.text
    [row] = resp.json()["items"]
    assert row["id"] == call_id and row["department"] == DEPT and row["program_title"] == "昆山双创人才"
    assert (row["status"], row["accepting"], row["accepting_objections"]) == ("public_notice", False, True)
    assert row["quota"] == 2  # category A 1 + category B 1
    counts = {k: row[k] for k in ("applications", "selected", "withdrawn", "objections", "objections_open")}
    assert counts == {"applications": 2, "selected": 1, "withdrawn": 0, "objections": 1, "objections_open": 1}

    # Without a program: the caller's department only; a status filter narrows it.
    mine = (await listed(client, OFFICER)).json()["items"]
    assert call_id in {r["id"] for r in mine} and {r["department"] for r in mine} == {DEPT}
    noticed_only = (await listed(client, OFFICER, {"status": "public_notice"})).json()["items"]
    assert call_id in {r["id"] for r in noticed_only}
    assert call_id not in {
        r["id"] for r in (await listed(client, OFFICER, {"status": "open"})).json()["items"]
    }

    # Another department: not in its list, and its program refused (audited).
    other = staff("officer", department=OTHER, subject="rs-officer-list")
    assert call_id not in {r["id"] for r in (await listed(client, other)).json()["items"]}
    resp = await listed(client, other, {"program": program_id})
    assert resp.status_code == 403 and resp.json()["code"] == "other_department", resp.text
    assert resp.json()["detail"].startswith("该人才计划由科技局办理"), resp.text
    refused = await session.execute(
        text(
            "SELECT count(*) FROM audit_log WHERE action = 'access.refused' AND actor = 'rs-officer-list' "
            "AND entity_id = :p"
        ),
        {"p": program_id},
    )
    assert refused.scalar_one() == 1
    # A partner with disbursement:read sees every department's calls.
    seen = (await listed(client, partner("disbursement:read"), {"program": program_id})).json()["items"]
    assert [r["id"] for r in seen] == [call_id]

    # Bad filters are 4xx naming the field.
    resp = await listed(client, OFFICER, {"status": "announced"})
    assert resp.status_code == 422 and resp.json()["field"] == "query.status", resp.text
    resp = await listed(client, OFFICER, {"program": "not-a-uuid"})
    assert resp.status_code == 422 and resp.json()["field"] == "query.program", resp.text
    resp = await listed(client, OFFICER, {"program": str(uuid.uuid4())})
    assert resp.status_code == 404 and resp.json()["code"] == "program_not_found", resp.text

    # A resolution without a reply (blanks) is refused naming the field; the objection stays open.
    resolution = f"/api/v1/program-objections/{objection_id}/resolution"
    resp = await post(client, OFFICER, resolution, {"outcome": "dismissed", "resolution": "   "})
    assert resp.status_code == 422 and resp.json()["field"] == "resolution", resp.text
    [row] = (await listed(client, OFFICER, {"program": program_id})).json()["items"]
    assert row["objections_open"] == 1

    # Upheld: 甲 withdrawn, 乙 moves up; the counts follow.
    resp = await post(
        client,
        OFFICER,
        resolution,
        {"outcome": "upheld", "resolution": "经核查属实"},
    )
    assert resp.status_code == 200, resp.text
    [row] = (await listed(client, OFFICER, {"program": program_id})).json()["items"]
    counts = {k: row[k] for k in ("applications", "selected", "withdrawn", "objections", "objections_open")}
    assert counts == {"applications": 2, "selected": 1, "withdrawn": 1, "objections": 1, "objections_open": 0}
