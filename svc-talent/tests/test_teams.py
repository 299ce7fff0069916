"""创新创业团队 (双创团队) on the real database: an officer of 人才办 registers a company's team of existing talent
with its lead, core members and members; the team's facts (member and core counts, the lead's class, doctorates,
overseas experience, members in a talent program, the company and whether it is registered in Kunshan) go out
through the outbox with ids and counts only — no names, no personal data. Changing the members publishes the new
facts, and so does a member's own profile change. Bad input (an unknown talent, a lead not among the members, a
member twice, a second lead, an invalid company code, another department) is refused naming the field and writes
nothing."""

from __future__ import annotations

from typing import Any

from kunruyi_launcher.testing import partner, staff
from kunruyi_talent.identifiers import make_phone, make_resident_id, make_uscc
from sqlalchemy import text

RCB = staff("officer", department="人才办", subject="rcb-teams", name="人才甲")
KJJ = staff("officer", department="科技局", subject="kjj-teams", name="科技乙")
TEAM_EVENTS = ("kunruyi.talent.team.registered", "kunruyi.talent.team.updated")


async def outbox(session, event_type: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    rows = await session.execute(
        text("SELECT envelope FROM outbox_events WHERE type = :t ORDER BY seq"), {"t": event_type}
    )
    return [r[0] for r in rows]


async def count(session, sql: str) -> int:  # type: ignore[no-untyped-def]
    return int((await session.execute(text(sql))).scalar_one())


def person(n: int, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"团{n}",
        "id_number": make_resident_id(n),
        "phone": make_phone(n),
        "education": "master",
        "overseas": False,
        "expertise": "功率器件",
    }
    return body | extra


async def make_people(c, base: int, specs: list[dict[str, Any]]) -> list[str]:  # type: ignore[no-untyped-def]
    ids = []
    for i, extra in enumerate(specs):
        r = await c.post("/api/v1/talents", json=person(base + i, **extra))
        assert r.status_code == 201, r.text
        ids.append(r.json()["talent_id"])
    return ids


async def test_register_a_team_and_change_its_members(client, session) -> None:  # type: ignore[no-untyped-def]
    uscc = make_uscc(7301)
    async with client(RCB) as c:
        made = await c.post(
            "/api/v1/enterprises", json={"uscc": uscc, "name": "团队测试科技有限公司", "district": "玉山"}
        )
        assert made.status_code == 201, made.text
        lead, core1, core2, plain = await make_people(
            c,
            7301,
            [
                {"education": "doctor", "overseas": True, "programs": [{"name": "姑苏领军", "year": 2023}]},
                {"education": "doctor"},
                {"overseas": True},
                {"education": "bachelor"},
            ],
        )
        body = {
            "name": "第三代半导体功率器件创新团队",
            "uscc": uscc,
            "lead_talent_id": lead,
            "members": [
                {"talent_id": lead, "role": "lead"},
                {"talent_id": core1, "role": "core"},
                {"talent_id": core2, "role": "core"},
                {"talent_id": plain, "role": "member"},
            ],
            "programs": ["昆山双创团队"],
        }
        r = await c.post("/api/v1/teams", json=body)
        assert r.status_code == 201, r.text
        team = r.json()
        assert (team["member_count"], team["core_member_count"]) == (4, 3)
        assert (team["doctorate_members"], team["overseas_members"], team["program_members"]) == (2, 2, 1)
        assert team["enterprise_name"] == "团队测试科技有限公司" and team["company_in_kunshan"] is True
        assert [m["role"] for m in team["members"]] == ["lead", "core", "core", "member"]
        lead_class = team["members"][0]["talent_class"]

        got = await c.get(f"/api/v1/teams/{team['id']}")
        assert got.status_code == 200 and got.json()["members"] == team["members"]
        listed = (await c.get("/api/v1/teams", params={"uscc": uscc})).json()["items"]
        assert [t["id"] for t in listed] == [team["id"]]
        by_member = (await c.get("/api/v1/teams", params={"talent_id": plain})).json()["items"]
        assert [t["id"] for t in by_member] == [team["id"]]
        by_program = (await c.get("/api/v1/teams", params={"program": "昆山双创团队"})).json()["items"]
        assert team["id"] in [t["id"] for t in by_program]

    registered = (await outbox(session, "kunruyi.talent.team.registered"))[-1]
    assert registered["subject"] == team["id"]
    data = registered["data"]
    assert data == {
        "team_id": team["id"],
        "uscc": uscc,
        "company_on_file": True,
        "company_in_kunshan": True,
        "lead_talent_id": lead,
        "lead_talent_class": lead_class,
        "member_ids": [lead, core1, core2, plain],
        "member_count": 4,
        "core_member_count": 3,
        "doctorate_members": 2,
        "overseas_members": 2,
        "program_members": 1,
        "team_programs": ["昆山双创团队"],
    }
    # ids and counts only: no team name, no member's name, ID number or phone
    flat = str(registered)
    assert "创新团队" not in flat and "团7301" not in flat
    assert make_resident_id(7301) not in flat and make_phone(7301) not in flat

    # the members change: the lead stays, one core member leaves → 2 core members, a new event
    async with client(RCB) as c:
        r = await c.put(
            f"/api/v1/teams/{team['id']}/members",
            json={
                "lead_talent_id": lead,
                "members": [{"talent_id": lead, "role": "lead"}, {"talent_id": core1, "role": "core"}],
            },
        )
        assert r.status_code == 200, r.text
        assert (r.json()["member_count"], r.json()["core_member_count"]) == (2, 2)
    updated = (await outbox(session, "kunruyi.talent.team.updated"))[-1]["data"]
    assert (updated["member_count"], updated["core_member_count"], updated["member_ids"]) == (
        2,
        2,
        [lead, core1],
    )

    # a member's own profile changes (now overseas): the team's facts are announced again
    async with client(RCB) as c:
        r = await c.patch(f"/api/v1/talents/{core1}", json={"overseas": True})
        assert r.status_code == 200, r.text
    again = (await outbox(session, "kunruyi.talent.team.updated"))[-1]["data"]
    assert again["team_id"] == team["id"] and again["overseas_members"] == 2

    # a reader sees the team; a reader cannot change it
    async with client(partner("talent:read")) as c:
        assert (await c.get(f"/api/v1/teams/{team['id']}")).status_code == 200
        assert (await c.post("/api/v1/teams", json=body)).status_code == 403


async def test_a_company_not_on_file_is_unknown_until_it_is(client, session) -> None:  # type: ignore[no-untyped-def]
    uscc = make_uscc(7311)
    async with client(RCB) as c:
        (lead,) = await make_people(c, 7311, [{}])
        r = await c.post(
            "/api/v1/teams",
            json={
                "name": "未建档企业团队",
                "uscc": uscc,
                "lead_talent_id": lead,
                "members": [{"talent_id": lead}],
            },
        )
        assert r.status_code == 201, r.text
        assert r.json()["company_in_kunshan"] is None and r.json()["members"][0]["role"] == "lead"
        data = (await outbox(session, "kunruyi.talent.team.registered"))[-1]["data"]
        assert (data["company_on_file"], data["company_in_kunshan"]) == (False, None)
        made = await c.post(
            "/api/v1/enterprises", json={"uscc": uscc, "name": "后建档有限公司", "district": "花桥"}
        )
        assert made.status_code == 201, made.text
    data = (await outbox(session, "kunruyi.talent.team.updated"))[-1]["data"]
    assert data["team_id"] == r.json()["id"] and data["company_in_kunshan"] is True


async def test_bad_input_is_refused_naming_the_field_and_writes_nothing(client, session) -> None:  # type: ignore[no-untyped-def]
    uscc = make_uscc(7321)
    async with client(RCB) as c:
        a, b = await make_people(c, 7321, [{}, {}])
        good = {
            "name": "好团队",
            "uscc": uscc,
            "lead_talent_id": a,
            "members": [{"talent_id": a, "role": "lead"}, {"talent_id": b, "role": "core"}],
        }
        teams_before = await count(session, "SELECT count(*) FROM teams")
        events_before = await count(
            session, "SELECT count(*) FROM outbox_events WHERE type LIKE 'kunruyi.talent.team.%'"
        )
        unknown = "00000000-0000-4000-8000-000000000073"
        cases: list[tuple[dict[str, Any], int, str, str]] = [
            (
                good | {"members": [*good["members"], {"talent_id": unknown}]},
                422,
                "unknown_talent",
                "members.2.talent_id",
            ),
            (good | {"lead_talent_id": unknown}, 422, "lead_not_member", "lead_talent_id"),
            (
                good | {"members": [*good["members"], {"talent_id": b}]},
                422,
                "duplicate_team_member",
                "members.2.talent_id",
            ),
            (
                good | {"members": [{"talent_id": a}, {"talent_id": b, "role": "lead"}]},
                422,
                "team_lead_conflict",
                "members.1.role",
            ),
            (good | {"uscc": uscc[:-1] + ("0" if uscc[-1] != "0" else "1")}, 422, "invalid_uscc", "uscc"),
            (good | {"members": []}, 422, "validation_error", "members"),
            (
                good | {"members": [{"talent_id": "not-an-id"}]},
                422,
                "validation_error",
                "members.0.talent_id",
            ),
            (
                good | {"members": [{"talent_id": a, "role": "boss"}]},
                422,
                "validation_error",
                "members.0.role",
            ),
        ]
        for body, status, code, field in cases:
            r = await c.post("/api/v1/teams", json=body)
            assert r.status_code == status, (code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert (r.json()["code"], r.json()["field"]) == (code, field), r.text
        # the same checks when the members change
        made = await c.post("/api/v1/teams", json=good)
        assert made.status_code == 201, made.text
        team_id = made.json()["id"]
        r = await c.put(
            f"/api/v1/teams/{team_id}/members", json={"lead_talent_id": b, "members": [{"talent_id": a}]}
        )
        assert (r.status_code, r.json()["code"], r.json()["field"]) == (
            422,
            "lead_not_member",
            "lead_talent_id",
        )
        r = await c.put(
            "/api/v1/teams/00000000-0000-4000-8000-000000000074/members",
            json={"lead_talent_id": a, "members": [{"talent_id": a}]},
        )
        assert (r.status_code, r.json()["code"]) == (404, "team_not_found")
        assert (await c.get("/api/v1/teams", params={"uscc": "123"})).json()["code"] == "invalid_uscc"
    async with client(KJJ) as c:
        r = await c.post("/api/v1/teams", json=good)
        assert (r.status_code, r.json()["code"]) == (403, "other_department")
    # only the one good team was written, with its one event; its members are as they were
    assert await count(session, "SELECT count(*) FROM teams") == teams_before + 1
    assert (
        await count(session, "SELECT count(*) FROM outbox_events WHERE type LIKE 'kunruyi.talent.team.%'")
        == events_before + 1
    )
    assert await count(session, f"SELECT count(*) FROM team_members WHERE team_id = '{team_id}'") == 2
