"""Batch name lookups: a page of codes → the names on file, in one call (the staff console's lists)."""

from __future__ import annotations

import uuid

from kunruyi_launcher.testing import partner, staff
from kunruyi_talent.identifiers import make_uscc

OFFICER = staff("officer", department="人才办")
FINANCE = staff("finance", department="科技局")


async def test_names_of_a_page_of_enterprises_and_talents(client) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        usccs = []
        for n in (901, 902):
            body = {
                "uscc": make_uscc(n),
                "name": f"昆山名录科技有限公司{n}",
                "district": "高新区",
                "industry_chain": "集成电路",
                "founded_on": "2018-03-01",
                "employees": 20,
            }
            r = await c.post("/api/v1/enterprises", json=body)
            assert r.status_code == 201, r.text
            usccs.append(body["uscc"])
        unknown = make_uscc(903)
    async with client(FINANCE) as c:
        r = await c.get("/api/v1/enterprises/names", params=[("uscc", u) for u in [*usccs, unknown]])
        assert r.status_code == 200, r.text
        assert r.json()["items"] == [
            {"uscc": usccs[0], "name": "昆山名录科技有限公司901"},
            {"uscc": usccs[1], "name": "昆山名录科技有限公司902"},
        ]
        r = await c.get("/api/v1/talents/names", params={"id": str(uuid.uuid4())})
        assert r.status_code == 200 and r.json()["items"] == []
        bad = await c.get("/api/v1/talents/names", params={"id": "not-a-uuid"})
        assert bad.status_code == 422


async def test_names_need_a_registry_reader(client) -> None:  # type: ignore[no-untyped-def]
    async with client(None) as c:
        r = await c.get("/api/v1/enterprises/names", params={"uscc": make_uscc(1)})
        assert r.status_code == 401
    async with client(partner("matching:read")) as c:
        r = await c.get("/api/v1/talents/names", params={"id": str(uuid.uuid4())})
        assert r.status_code == 403
