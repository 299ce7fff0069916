"""Personal data written into a ticket's free text: stored and shown masked, revealed to the handling officer
with an audited action; the requester's phone likewise."""

from __future__ import annotations

import random

from kunruyi_common.pii_text import find_pii
from kunruyi_common.validators import resident_id_check_char
from kunruyi_launcher.testing import partner, staff
from kunruyi_talent.identifiers import make_uscc
from sqlalchemy import text

TALENT_OFFICE = staff("officer", department="人才办", subject="han", name="韩主任")
POLICE = staff("officer", department="公安局", subject="wang")
ADMIN = staff("admin", subject="root")
FILLER = "我公司申请人才补贴需要帮助请尽快联系谢谢办理进度如何材料已提交"


def _rid(rng: random.Random) -> str:
    first17 = (
        f"3205{rng.randint(10, 99)}{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    )
    first17 += f"{rng.randint(0, 999):03d}"
    return first17 + resident_id_check_char(first17)


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randint(0, 10**9 - 1):09d}"


def _card(rng: random.Random) -> str:
    body = "6222" + "".join(str(rng.randint(0, 9)) for _ in range(14))
    for check in "0123456789":
        digits = [int(c) for c in reversed(body + check)]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits))
        if total % 10 == 0:
            return body + check
    raise AssertionError("unreachable")


def _chinese(rng: random.Random) -> str:
    return "".join(rng.choice(FILLER) for _ in range(rng.randint(0, 12)))


async def _clear_columns(session, number: str) -> str:  # type: ignore[no-untyped-def]
    row = (
        await session.execute(
            text(
                "SELECT t.title, t.description, coalesce(t.reply, ''), t.requester_phone_masked, "
                "coalesce(string_agg(tr.comment, '|'), '') FROM tickets t "
                "LEFT JOIN ticket_transitions tr ON tr.ticket_id = t.id WHERE t.ticket_number = :n "
                "GROUP BY t.id"
            ),
            {"n": number},
        )
    ).one()
    return "\n".join(str(v) for v in row)


async def test_numbers_in_random_text_never_reach_clear_columns_or_responses(client, session) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(20261204)
    for _ in range(12):
        rid, phone, card = _rid(rng), _phone(rng), _card(rng)
        description = f"{_chinese(rng)}身份证{rid}{_chinese(rng)}，电话{phone}{_chinese(rng)}，卡号{card}{_chinese(rng)}"
        async with client(partner("talent:write")) as c:
            r = await c.post(
                "/api/v1/tickets",
                json={
                    "type": "政策咨询",
                    "title": f"咨询 {phone}",
                    "description": description,
                    "channel": "api",
                    "requester_phone": "13800001111",
                },
            )
            assert r.status_code == 201, r.text
            number = r.json()["ticket_number"]
        async with client(TALENT_OFFICE) as c:
            shown = (await c.get(f"/api/v1/tickets/{number}")).text
            listed = (await c.get("/api/v1/tickets")).text
        stored = await _clear_columns(session, number)
        for number_text in (rid, phone, card):
            assert number_text not in shown and number_text not in listed and number_text not in stored
        assert f"身份证{rid[0]}{'*' * 16}{rid[-1]}" in shown
        assert find_pii(stored) == []


async def test_handling_officer_reveals_text_and_phone_with_an_audit_record(client, session) -> None:  # type: ignore[no-untyped-def]
    description = "本人身份证 320583198212181827，手机 188-1234-5678，请回电"
    async with client(staff("officer", department="窗口", subject="window-1")) as c:
        r = await c.post(
            "/api/v1/tickets",
            json={
                "type": "政策咨询",
                "title": "补贴咨询",
                "description": description,
                "requester_phone": "13912345678",
            },
        )
        assert r.status_code == 201, r.text
        number = r.json()["ticket_number"]

    async with client(TALENT_OFFICE) as c:
        view = (await c.get(f"/api/v1/tickets/{number}")).json()
        assert view["description"] == "本人身份证 3****************7，手机 188****5678，请回电"
        assert view["requester_phone"] == "139****5678"
        for step in ("accepted", "in_progress"):
            assert (
                await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": step})
            ).status_code == 200
        replied = await c.post(
            f"/api/v1/tickets/{number}/transitions",
            json={"to": "replied", "reply": "已致电 13912345678 说明", "comment": "回拨 13912345678"},
        )
        assert replied.status_code == 200
        assert replied.json()["reply"] == "已致电 139****5678 说明"
        assert replied.json()["history"][-1]["comment"] == "回拨 139****5678"

        bad = await c.post(f"/api/v1/tickets/{number}/reveal", json={"field": "text"})
        assert (bad.status_code, bad.json()["field"]) == (422, "reason")
        r = await c.post(
            f"/api/v1/tickets/{number}/reveal", json={"field": "text", "reason": "核实身份后回电"}
        )
        assert r.status_code == 200, r.text
        revealed = r.json()
        assert revealed["description"] == description
        assert revealed["reply"] == "已致电 13912345678 说明"
        assert revealed["history"][-1]["comment"] == "回拨 13912345678"
        assert revealed["requester_phone"] is None
        r = await c.post(
            f"/api/v1/tickets/{number}/reveal", json={"field": "requester_phone", "reason": "回电 联系人"}
        )
        assert r.status_code == 200 and r.json()["requester_phone"] == "13912345678"
        assert r.headers["cache-control"] == "no-store"

        audit = (await c.get("/api/v1/service-desk/reveals", params={"ticket_number": number})).json()
        assert [(a["field"], a["actor"], a["actor_name"], a["reason"]) for a in audit["items"]] == [
            ("requester_phone", "staff:han", "韩主任", "回电 联系人"),
            ("text", "staff:han", "韩主任", "核实身份后回电"),
        ]
        first = (
            await c.get("/api/v1/service-desk/reveals", params={"ticket_number": number, "limit": 1})
        ).json()
        assert len(first["items"]) == 1 and first["next_cursor"]
        rest = await c.get(
            "/api/v1/service-desk/reveals", params={"limit": 1, "cursor": first["next_cursor"]}
        )
        assert rest.status_code == 200 and rest.json()["items"][0]["field"] == "text"

    async with client(POLICE) as c:
        r = await c.post(f"/api/v1/tickets/{number}/reveal", json={"field": "text", "reason": "看看"})
        assert (r.status_code, r.json()["code"]) == (403, "other_department")
        r = await c.post(
            f"/api/v1/tickets/{number}/reveal", json={"field": "requester_phone", "reason": "看看"}
        )
        assert r.status_code == 403
        assert (await c.get("/api/v1/service-desk/reveals", params={"ticket_number": number})).json()[
            "items"
        ] == []
    async with client(partner("talent:write")) as c:
        r = await c.post(f"/api/v1/tickets/{number}/reveal", json={"field": "text", "reason": "看看"})
        assert r.status_code == 403
    async with client(ADMIN) as c:
        audit = (await c.get("/api/v1/service-desk/reveals", params={"ticket_number": number})).json()
        assert len(audit["items"]) == 2
    # Refusals reveal nothing and leave no audit record; the ciphertext sits beside the masked text.
    row = (
        await session.execute(
            text(
                "SELECT description, description_encrypted, reply_encrypted FROM tickets WHERE ticket_number = :n"
            ),
            {"n": number},
        )
    ).one()
    assert "198212" not in row[0] and row[1].startswith("v1.") and row[2].startswith("v1.")


async def test_reveal_of_missing_phone_and_bad_cursor(client) -> None:  # type: ignore[no-untyped-def]
    async with client(partner("talent:write")) as c:
        r = await c.post(
            "/api/v1/tickets",
            json={"type": "政策咨询", "title": "无号码", "enterprise_uscc": make_uscc(78)},
        )
        assert r.status_code == 201, r.text
    number = r.json()["ticket_number"]
    async with client(TALENT_OFFICE) as c:
        r = await c.post(
            f"/api/v1/tickets/{number}/reveal", json={"field": "requester_phone", "reason": "回电"}
        )
        assert (r.status_code, r.json()["code"]) == (404, "no_requester_phone")
        r = await c.post(f"/api/v1/tickets/{number}/reveal", json={"field": "text", "reason": "核对"})
        assert r.status_code == 200 and r.json()["description"] == ""
        bad = await c.get("/api/v1/service-desk/reveals", params={"cursor": "WzFlMzBd"})
        assert (bad.status_code, bad.json()["code"]) == (422, "invalid_cursor")
