"""A ticket is handled only by its department: another department's officer cannot move it (403
``other_department``, nothing changes); an admin acts for every department."""

from __future__ import annotations

from kunruyi_common.auth import Principal
from kunruyi_launcher.testing import staff
from kunruyi_talent.identifiers import make_uscc

TALENT_OFFICE = staff("officer", department="人才办", subject="dept-han")
HR_BUREAU = staff("officer", "reviewer", "approver", department="人社局", subject="dept-rs")


async def test_another_department_cannot_move_a_ticket(client) -> None:  # type: ignore[no-untyped-def]
    async with client(Principal(kind="public", subject="qr:dept", target=make_uscc(78))) as c:
        created = await c.post(
            "/api/v1/tickets",
            json={
                "type": "政策咨询",
                "title": "人才政策咨询",
                "channel": "window",
                "requester_name": "周先生",
            },
        )
        assert created.status_code == 201, created.text
        number = created.json()["ticket_number"]

    async with client(HR_BUREAU) as c:
        for to in ("accepted", "in_progress", "closed"):
            refused = await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": to})
            assert refused.status_code == 403, refused.text
            assert refused.json()["code"] == "other_department"
    async with client(TALENT_OFFICE) as c:
        ticket = (await c.get(f"/api/v1/tickets/{number}")).json()
        assert ticket["status"] == "submitted"
        assert all(h["actor"] != "staff:dept-rs" for h in ticket["history"])
        accepted = await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": "accepted"})
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    async with client(staff("admin", department="人社局", subject="dept-admin")) as c:
        moved = await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": "in_progress"})
        assert moved.status_code == 200 and moved.json()["status"] == "in_progress"
