"""Transfer (转办) and joint handling (一个窗口接单，后台共同处理) through the API, on the real database: only the
owning department transfers or invites, each co-handler answers only its own part, the lead replies once every
part is answered, history and events record each step, and by-department statistics count each part."""

from __future__ import annotations

from typing import Any

from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_today
from kunruyi_launcher.testing import staff
from kunruyi_talent.identifiers import make_uscc
from sqlalchemy import text

TALENT_OFFICE = staff("officer", department="人才办", subject="lead-han")
HOUSING = staff("officer", department="住建局", subject="co-feng")
HR = staff("officer", department="人社局", subject="co-sun")
EDUCATION = staff("officer", department="教育局", subject="edu-chen")


async def file_ticket(client: Any, kind: str = "其他诉求", n: int = 91) -> str:
    async with client(Principal(kind="public", subject=f"qr:joint{n}", target=make_uscc(n))) as c:
        created = await c.post(
            "/api/v1/tickets",
            json={
                "type": kind,
                "title": "高层次人才安家与配偶就业",
                "channel": "window",
                "requester_name": "郑博士",
            },
        )
        assert created.status_code == 201, created.text
        return str(created.json()["ticket_number"])


async def event_types(session: Any, number: str) -> list[str]:
    rows = await session.execute(
        text("SELECT type FROM outbox_events WHERE subject = :n ORDER BY seq"), {"n": number}
    )
    return [r[0] for r in rows]


async def test_transfer_moves_the_ticket_with_a_reason_and_the_deadline_rule(client, session) -> None:  # type: ignore[no-untyped-def]
    number = await file_ticket(client, "其他诉求", 92)  # routed to 人才办, actually a school question
    async with client(HR) as c:
        refused = await c.post(
            f"/api/v1/tickets/{number}/transfer", json={"department": "教育局", "reason": "不属本部门"}
        )
        assert refused.status_code == 403 and refused.json()["code"] == "other_department"
    async with client(TALENT_OFFICE) as c:
        before = (await c.get(f"/api/v1/tickets/{number}")).json()
        same = await c.post(
            f"/api/v1/tickets/{number}/transfer", json={"department": "人才办", "reason": "重新分派"}
        )
        assert same.status_code == 422 and same.json()["code"] == "same_department"
        unknown = await c.post(
            f"/api/v1/tickets/{number}/transfer", json={"department": "火星局", "reason": "误派"}
        )
        assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_department"
        moved = await c.post(
            f"/api/v1/tickets/{number}/transfer",
            json={"department": "教育局", "reason": "诉求实为子女转学，属教育局职责"},
        )
        assert moved.status_code == 200, moved.text
        ticket = moved.json()
        assert ticket["department"] == "教育局" and ticket["officer"] in ("陈老师", "周老师")
        assert ticket["status"] == "submitted"
        # Transferred before it was accepted (misrouted): the type's working days count again from today.
        assert ticket["deadline"] >= before["deadline"]
        assert (
            "转办：人才办 → 教育局；原因：诉求实为子女转学，属教育局职责；办理时限重新起算"
            == (ticket["history"][-1]["comment"])
        )
        # The old department no longer handles it.
        gone = await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": "accepted"})
        assert gone.status_code == 403 and gone.json()["code"] == "other_department"
    async with client(EDUCATION) as c:
        accepted = await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": "accepted"})
        assert accepted.status_code == 200
        again = await c.post(
            f"/api/v1/tickets/{number}/transfer", json={"department": "人社局", "reason": "涉及配偶就业"}
        )
        assert again.status_code == 200
        # Accepted before the transfer: the deadline stands.
        assert again.json()["deadline"] == accepted.json()["deadline"]
        assert again.json()["history"][-1]["comment"].endswith("办理时限不变")
    assert await event_types(session, number) == [
        "kunruyi.talent.ticket.submitted",
        "kunruyi.talent.ticket.transferred",
        "kunruyi.talent.ticket.transferred",
    ]
    data = (
        await session.execute(
            text("SELECT envelope->'data' FROM outbox_events WHERE subject = :n ORDER BY seq DESC LIMIT 1"),
            {"n": number},
        )
    ).scalar_one()
    assert data["from_department"] == "教育局" and data["department"] == "人社局"
    assert data["deadline_restarted"] is False


async def test_joint_handling_each_department_answers_its_part_then_the_lead_replies(client, session) -> None:  # type: ignore[no-untyped-def]
    number = await file_ticket(client, "其他诉求", 93)
    async with client(TALENT_OFFICE) as c:
        for to in ("accepted", "in_progress"):
            assert (await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": to})).status_code == 200
        for department, task in (("住建局", "人才公寓配租"), ("人社局", "配偶就业推荐")):
            invited = await c.post(
                f"/api/v1/tickets/{number}/parts", json={"department": department, "task": task}
            )
            assert invited.status_code == 201, invited.text
        twice = await c.post(f"/api/v1/tickets/{number}/parts", json={"department": "住建局", "task": "再次"})
        assert twice.status_code == 409 and twice.json()["code"] == "already_co_handling"
        self_invite = await c.post(
            f"/api/v1/tickets/{number}/parts", json={"department": "人才办", "task": "协助处理"}
        )
        assert self_invite.status_code == 422 and self_invite.json()["code"] == "same_department"
        early = await c.post(
            f"/api/v1/tickets/{number}/transitions", json={"to": "replied", "reply": "已安排"}
        )
        assert early.status_code == 409 and early.json()["code"] == "parts_unanswered"
        blocked = await c.post(
            f"/api/v1/tickets/{number}/transfer", json={"department": "教育局", "reason": "改派"}
        )
        assert blocked.status_code == 409 and blocked.json()["code"] == "joint_handling_in_progress"
        # The lead cannot answer a co-handler's part.
        theirs = await c.post(f"/api/v1/tickets/{number}/parts/住建局/answer", json={"answer": "代答"})
        assert theirs.status_code == 403 and theirs.json()["code"] == "other_department"

    async with client(HOUSING) as c:
        # A co-handler sees the ticket (its part to answer) but cannot move it or invite.
        seen = await c.get(f"/api/v1/tickets/{number}")
        assert seen.status_code == 200 and seen.json()["joint"] is True
        assert [p["department"] for p in seen.json()["parts"]] == ["住建局", "人社局"]
        listed = (await c.get("/api/v1/tickets")).json()["items"]
        assert number in [t["ticket_number"] for t in listed]
        moved = await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": "replied", "reply": "x"})
        assert moved.status_code == 403 and moved.json()["code"] == "other_department"
        invite = await c.post(
            f"/api/v1/tickets/{number}/parts", json={"department": "教育局", "task": "协助处理"}
        )
        assert invite.status_code == 403
        other_part = await c.post(f"/api/v1/tickets/{number}/parts/人社局/answer", json={"answer": "代答"})
        assert other_part.status_code == 403 and other_part.json()["code"] == "other_department"
        answered = await c.post(
            f"/api/v1/tickets/{number}/parts/住建局/answer", json={"answer": "周市人才公寓下月可签约"}
        )
        assert answered.status_code == 200, answered.text
        again = await c.post(f"/api/v1/tickets/{number}/parts/住建局/answer", json={"answer": "再答"})
        assert again.status_code == 409 and again.json()["code"] == "part_already_answered"
    async with client(EDUCATION) as c:
        stranger = await c.post(f"/api/v1/tickets/{number}/parts/教育局/answer", json={"answer": "x"})
        assert stranger.status_code == 403 and stranger.json()["code"] == "not_a_co_handler"
        assert (await c.get(f"/api/v1/tickets/{number}")).status_code == 403

    async with client(TALENT_OFFICE) as c:
        still = await c.post(
            f"/api/v1/tickets/{number}/transitions", json={"to": "replied", "reply": "已安排"}
        )
        assert still.status_code == 409 and still.json()["waiting"] == ["人社局"]
    async with client(HR) as c:
        ok = await c.post(f"/api/v1/tickets/{number}/parts/人社局/answer", json={"answer": "已推荐三个岗位"})
        assert ok.status_code == 200
    async with client(TALENT_OFFICE) as c:
        replied = await c.post(
            f"/api/v1/tickets/{number}/transitions",
            json={"to": "replied", "reply": "住房：周市人才公寓下月可签约；配偶就业：已推荐三个岗位"},
        )
        assert replied.status_code == 200, replied.text
        parts = replied.json()["parts"]
        assert [(p["department"], p["answer"]) for p in parts] == [
            ("住建局", "周市人才公寓下月可签约"),
            ("人社局", "已推荐三个岗位"),
        ]
        assert (
            await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": "resolved"})
        ).status_code == 200
        assert (
            await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": "closed"})
        ).status_code == 200
    async with client(HR) as c:
        late = await c.post(f"/api/v1/tickets/{number}/parts/人社局/answer", json={"answer": "补充"})
        assert late.status_code == 409 and late.json()["code"] == "ticket_not_open_for_handling"

    assert await event_types(session, number) == [
        "kunruyi.talent.ticket.submitted",
        "kunruyi.talent.ticket.joint_handling_started",
        "kunruyi.talent.ticket.joint_handling_started",
        "kunruyi.talent.ticket.part_answered",
        "kunruyi.talent.ticket.part_answered",
        "kunruyi.talent.ticket.replied",
        "kunruyi.talent.ticket.resolved",
    ]
    last_part = (
        await session.execute(
            text(
                "SELECT envelope->'data' FROM outbox_events WHERE subject = :n "
                "AND type = 'kunruyi.talent.ticket.part_answered' ORDER BY seq DESC LIMIT 1"
            ),
            {"n": number},
        )
    ).scalar_one()
    assert last_part["part_department"] == "人社局" and last_part["all_parts_answered"] is True

    # By department the ticket counts once for the lead and once per part; the totals count it once.
    today = local_today().isoformat()
    async with client(staff("admin", department="人才办", subject="stats-admin")) as c:
        stats = (
            await c.get(
                "/api/v1/service-desk/stats",
                params={"group_by": "department", "date_from": today, "date_to": today},
            )
        ).json()
    rows = {r["key"]: r for r in stats["items"]}
    for department in ("住建局", "人社局"):
        assert rows[department]["total"] >= 1 and rows[department]["solved"] >= 1
    by_parts = (
        await session.execute(
            text("SELECT count(*) FROM tickets WHERE (submitted_at AT TIME ZONE 'Asia/Shanghai')::date = :d"),
            {"d": local_today()},
        )
    ).scalar_one()
    assert stats["totals"]["total"] == by_parts
    assert sum(r["total"] for r in stats["items"]) >= by_parts + 2
