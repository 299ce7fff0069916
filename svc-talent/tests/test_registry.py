"""Enterprises (一企一档) and talent (人才画像) through the API: validation, duplicates, ladder, events, privacy."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

from kunruyi_common.logging import RedactingJsonFormatter
from kunruyi_launcher.testing import partner, staff
from kunruyi_talent.identifiers import make_phone, make_resident_id, make_uscc
from kunruyi_talent.talent.profiles import age_on
from sqlalchemy import text

OFFICER = staff("officer", department="人才办")


def enterprise_body(n: int, **extra: Any) -> dict[str, Any]:
    body = {
        "uscc": make_uscc(n),
        "name": f"昆山测试科技有限公司{n}",
        "district": "高新区",
        "industry_chain": "集成电路",
        "founded_on": "2018-03-01",
        "employees": 120,
        "invention_patents": 3,
        "platforms": ["postdoc_station"],
    }
    body.update(extra)
    return body


async def outbox(session, event_type: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    rows = await session.execute(
        text("SELECT envelope FROM outbox_events WHERE type = :t ORDER BY seq"), {"t": event_type}
    )
    return [r[0]["data"] for r in rows]


async def test_uscc_errors_name_field_and_part(client) -> None:  # type: ignore[no-untyped-def]
    good = make_uscc(1)
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    async with client(OFFICER) as c:
        r = await c.post("/api/v1/enterprises", json=enterprise_body(1, uscc=bad_check))
        assert r.status_code == 422
        assert (r.json()["field"], r.json()["part"]) == ("uscc", "check_character")
        r = await c.post("/api/v1/enterprises", json=enterprise_body(1, uscc="91" + "000000" + good[8:]))
        assert (r.status_code, r.json()["part"]) == (422, "region")
        r = await c.post("/api/v1/enterprises", json=enterprise_body(1, uscc="123"))
        assert (r.status_code, r.json()["part"]) == (422, "format")
        r = await c.post("/api/v1/enterprises", json=enterprise_body(1, district="上海"))
        assert (r.status_code, r.json()["field"]) == (422, "district")


async def test_enterprise_register_duplicate_figures_ladder_and_events(client, session) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        r = await c.post(
            "/api/v1/enterprises",
            json=enterprise_body(2, contacts=[{"name": "李经理", "role": "人事", "phone": "13912345678"}]),
        )
        assert r.status_code == 201, r.text
        created = r.json()
        assert created["contacts"] == [{"name": "李经理", "role": "人事", "phone": "139****5678"}]
        assert created["growth"]["stage"] == "none"
        dup = await c.post("/api/v1/enterprises", json=enterprise_body(2))
        assert dup.status_code == 409 and dup.json()["existing_id"] == created["id"]

        uscc = created["uscc"]
        for year, revenue in ((2024, 40_000_000_00), (2025, 52_000_000_00)):
            r = await c.put(
                f"/api/v1/enterprises/{uscc}/figures/{year}",
                json={
                    "revenue_fen": revenue,
                    "rd_expense_fen": revenue // 20,
                    "tax_paid_fen": revenue // 50,
                    "high_tech_revenue_ratio": 0.7,
                },
            )
            assert r.status_code == 200, r.text
        r = await c.post(
            f"/api/v1/enterprises/{uscc}/qualifications",
            json={"kind": "high_tech", "certificate_number": "GR202432001234", "granted_on": "2024-12-01"},
        )
        assert r.status_code == 201, r.text
        growth = r.json()["growth"]
        assert growth["stage"] == "high_tech" and growth["next_stage"] == "specialized_sme"
        assert growth["ready_for_next"] is True  # 4000万→5200万, 5 % R&D, 3 patents, founded 2018
        again = await c.post(
            f"/api/v1/enterprises/{uscc}/qualifications",
            json={"kind": "high_tech", "granted_on": "2024-12-01"},
        )
        assert again.status_code == 409

    registered = await outbox(session, "kunruyi.talent.enterprise.registered")
    updated = await outbox(session, "kunruyi.talent.enterprise.updated")
    assert [e["uscc"] for e in registered] == [uscc]
    last = updated[-1]
    assert set(last) == {
        "uscc",
        "name",
        "district",
        "industry_chain",
        "founded_on",
        "founded_years",
        "employees",
        "fiscal_year",
        "revenue_fen",
        "rd_expense_fen",
        "tax_paid_fen",
        "rd_ratio",
        "high_tech_revenue_ratio",
        "qualifications",
        "new_qualifications",
        "invention_patents",
        "platforms",
        "growth_stage",
        "qualification_dates",
        "platform_dates",
        "platform_expiry",
        "platform_levels",
    }
    # the certificate's dates travel along: svc-policy pays an award for a status in the year it was obtained
    assert set(last["qualification_dates"]) == {"high_tech"}
    assert set(last["qualification_dates"]["high_tech"]) == {"granted_on", "expires_on"}
    assert (last["fiscal_year"], last["revenue_fen"], last["rd_ratio"]) == (2025, 52_000_000_00, 0.05)
    assert last["qualifications"] == ["high_tech"] and last["growth_stage"] == "high_tech"


async def test_enterprise_access_public_target_and_partner_scope(client) -> None:  # type: ignore[no-untyped-def]
    from kunruyi_common.auth import Principal

    async with client(OFFICER) as c:
        assert (await c.post("/api/v1/enterprises", json=enterprise_body(3))).status_code == 201
    uscc = make_uscc(3)
    async with client(Principal(kind="public", subject="qr:1", target=uscc)) as c:
        r = await c.get(f"/api/v1/enterprises/{uscc}")
        assert r.status_code == 200 and r.json()["contacts"] is None
        assert (await c.get(f"/api/v1/enterprises/{make_uscc(4)}")).status_code in (403, 404)
        assert (await c.get("/api/v1/enterprises")).status_code == 403
    async with client(partner("talent:read")) as c:
        assert (await c.get(f"/api/v1/enterprises/{uscc}")).status_code == 200
        assert (await c.post("/api/v1/enterprises", json=enterprise_body(5))).status_code == 403
    async with client(partner("talent:write")) as c:
        assert (await c.post("/api/v1/enterprises", json=enterprise_body(5))).status_code == 201
    async with client(OFFICER) as c:
        page = (await c.get("/api/v1/enterprises", params={"district": "高新区", "limit": 1})).json()
        assert len(page["items"]) == 1 and page["next_cursor"]
        rest = (
            await c.get("/api/v1/enterprises", params={"district": "高新区", "cursor": page["next_cursor"]})
        ).json()
        assert page["items"][0]["uscc"] not in {i["uscc"] for i in rest["items"]}


def talent_body(n: int, **extra: Any) -> dict[str, Any]:
    body = {
        "name": f"张{n}",
        "id_number": make_resident_id(n),
        "phone": make_phone(n),
        "education": "doctor",
        "overseas": True,
        "title": "高级工程师",
        "programs": [{"name": "姑苏领军", "year": 2023}],
        "arrival_date": "2020-05-01",
        "expertise": "第三代半导体功率器件",
        "fields": ["集成电路"],
    }
    body.update(extra)
    return body


async def test_talent_personal_data_never_in_clear(client, session) -> None:  # type: ignore[no-untyped-def]
    id_number, phone = make_resident_id(11), make_phone(11)
    records: list[str] = []
    formatter = RedactingJsonFormatter("%(message)s")

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(formatter.format(record))

    handler = Capture(level=logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        async with client(OFFICER) as c:
            assert (await c.post("/api/v1/enterprises", json=enterprise_body(10))).status_code == 201
            r = await c.post("/api/v1/talents", json=talent_body(11, employer_uscc=make_uscc(10)))
            assert r.status_code == 201, r.text
            created = r.json()
            logging.getLogger("kunruyi.test").info("registered talent %s phone %s", id_number, phone)
            r2 = await c.patch(
                f"/api/v1/talents/{created['talent_id']}",
                json={"phone": make_phone(12), "title": "正高级工程师"},
            )
            assert r2.status_code == 200
            found = await c.get("/api/v1/talents/lookup", params={"id_number": id_number})
            history = await c.get(f"/api/v1/talents/{created['talent_id']}/history")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)

    # One character each end: the area, the birth date and the sequence stay hidden.
    assert created["id_number"] == id_number[0] + "*" * 16 + id_number[-1]
    assert created["phone"] == phone[:3] + "****" + phone[-4:]
    born = f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}"
    # The age, not the date, beside the mask; the date only to a caller who presented the whole number.
    assert created["gender"] in ("male", "female") and created["birth_date"] is None
    assert created["age"] == age_on(date.fromisoformat(born), date.today())
    assert r2.json()["birth_date"] is None
    assert found.json()["birth_date"] == born
    assert created["talent_class"] == "C"  # city-level program
    assert r2.json()["talent_class"] == "B"  # doctor + full-senior title
    assert found.status_code == 200 and found.json()["talent_id"] == created["talent_id"]
    assert [h["action"] for h in history.json()] == ["registered", "updated"]
    assert history.json()[1]["changes"]["phone"] == {"changed": True}
    assert history.json()[1]["actor"] == "staff:officer-1"

    secrets = [id_number, phone, make_phone(12)]
    raw_rows = (await session.execute(text("SELECT row_to_json(t)::text FROM talents t"))).scalars().all()
    raw_history = (await session.execute(text("SELECT changes::text FROM talent_history"))).scalars().all()
    raw_outbox = (await session.execute(text("SELECT envelope::text FROM outbox_events"))).scalars().all()
    bodies = [json.dumps(x, ensure_ascii=False) for x in (created, r2.json(), history.json())]
    for blob in [*raw_rows, *raw_history, *raw_outbox, *bodies, *records]:
        for secret in [*secrets, born, id_number[6:14]]:
            assert secret not in blob
    for secret in secrets:
        assert secret not in json.dumps(found.json())
    assert any("registered talent" in line for line in records)
    assert any("talent lookup by id number" in line and created["talent_id"] in line for line in records)

    events = await outbox(session, "kunruyi.talent.person.registered")
    assert set(events[-1]) == {
        "talent_id",
        "name",
        "gender",
        "age",
        "education",
        "overseas",
        "title",
        "skill_level",
        "talent_programs",
        "talent_class",
        "employer_uscc",
        "employer_qualifications",
        "years_in_kunshan",
        "arrival_date",  # not an identifier (stored in clear too): awards for a new arrival are due that year
        "annual_salary_fen",
        "expertise",
        "fields",
        "industry_chain",
        "is_expert",
    }
    assert events[-1]["employer_uscc"] == make_uscc(10) and events[-1]["industry_chain"] == "集成电路"


async def test_talent_bad_input(client) -> None:  # type: ignore[no-untyped-def]
    rid = make_resident_id(21)
    async with client(OFFICER) as c:
        bad = rid[:17] + ("0" if rid[17] != "0" else "1")
        r = await c.post("/api/v1/talents", json=talent_body(21, id_number=bad))
        assert (r.status_code, r.json()["field"], r.json()["part"]) == (422, "id_number", "check_character")
        r = await c.post("/api/v1/talents", json=talent_body(21, id_number=rid[:6] + "19991350" + rid[14:]))
        assert (r.status_code, r.json()["part"]) == (422, "birth_date")
        r = await c.post("/api/v1/talents", json=talent_body(21, employer_uscc=make_uscc(999)))
        assert (r.status_code, r.json()["code"], r.json()["field"]) == (
            422,
            "unknown_employer",
            "employer_uscc",
        )
        first = await c.post("/api/v1/talents", json=talent_body(21))
        assert first.status_code == 201
        dup = await c.post("/api/v1/talents", json=talent_body(22, id_number=rid.lower()))
        # A conflict naming no record, for staff too: staff with the lookup right use /talents/lookup (audited).
        assert (dup.status_code, dup.json()["code"], dup.json()["field"]) == (
            409,
            "talent_exists",
            "id_number",
        )
        assert "existing_id" not in dup.json() and first.json()["talent_id"] not in dup.text
    async with client(partner("talent:write")) as c:
        dup = await c.post("/api/v1/talents", json=talent_body(23, id_number=rid))
        assert (dup.status_code, dup.json()["code"]) == (409, "talent_exists")
        assert "existing_id" not in dup.json() and first.json()["talent_id"] not in dup.text
    async with client(partner("talent:read")) as c:
        assert (await c.get("/api/v1/talents/lookup", params={"id_number": rid})).status_code == 403
        seen = await c.get(f"/api/v1/talents/{first.json()['talent_id']}")
        assert seen.status_code == 200 and seen.json()["birth_date"] is None
    from kunruyi_common.auth import Principal

    me = Principal(kind="public", subject=f"talent:{first.json()['talent_id']}")
    async with client(me) as c:
        mine = await c.get(f"/api/v1/talents/{first.json()['talent_id']}")
        # The talent sees their own birth date.
        assert (
            mine.status_code == 200 and mine.json()["birth_date"] == f"{rid[6:10]}-{rid[10:12]}-{rid[12:14]}"
        )
        assert (await c.get("/api/v1/talents")).status_code == 403


async def test_enterprise_patch_and_qualification_removal(client, session) -> None:  # type: ignore[no-untyped-def]
    uscc = make_uscc(40)
    async with client(OFFICER) as c:
        assert (await c.post("/api/v1/enterprises", json=enterprise_body(40))).status_code == 201
        r = await c.patch(
            f"/api/v1/enterprises/{uscc}", json={"employees": 300, "industry_chain": "智能网联汽车"}
        )
        assert r.status_code == 200 and (r.json()["employees"], r.json()["industry_chain"]) == (
            300,
            "新能源汽车",
        )
        same = await c.patch(f"/api/v1/enterprises/{uscc}", json={"employees": 300})
        assert same.status_code == 200
        bad = await c.patch(f"/api/v1/enterprises/{uscc}", json={"platforms": ["spaceport"]})
        assert (bad.status_code, bad.json()["field"]) == (422, "platforms")
        assert (
            await c.post(
                f"/api/v1/enterprises/{uscc}/qualifications",
                json={"kind": "gazelle", "granted_on": "2026-01-01"},
            )
        ).status_code == 201
        listed = (await c.get("/api/v1/enterprises", params={"qualification": "gazelle"})).json()["items"]
        assert [e["uscc"] for e in listed] == [uscc]
        assert (await c.delete(f"/api/v1/enterprises/{uscc}/qualifications/gazelle")).status_code == 204
        assert (await c.delete(f"/api/v1/enterprises/{uscc}/qualifications/gazelle")).status_code == 404
        assert (await c.get(f"/api/v1/enterprises/{make_uscc(41)}")).status_code == 404
        ref = (await c.get("/api/v1/enterprises/reference")).json()
        assert ref["industry_chains"]["pillar"] == ["电子信息", "装备制造"] and len(ref["districts"]) == 12
    updates = await outbox(session, "kunruyi.talent.enterprise.updated")
    assert len(updates) == 3  # the patch, the grant, the removal; the no-op patch publishes nothing


async def test_employer_changes_reach_employee_profiles(client, session) -> None:  # type: ignore[no-untyped-def]
    uscc = make_uscc(50)
    async with client(OFFICER) as c:
        assert (await c.post("/api/v1/enterprises", json=enterprise_body(50))).status_code == 201
        talent = (await c.post("/api/v1/talents", json=talent_body(51, employer_uscc=uscc))).json()
        await c.post(
            f"/api/v1/enterprises/{uscc}/qualifications",
            json={"kind": "specialized_sme", "granted_on": "2025-06-01"},
        )
        await c.patch(f"/api/v1/enterprises/{uscc}", json={"industry_chain": "人工智能"})
        await c.patch(
            f"/api/v1/enterprises/{uscc}", json={"employees": 999}
        )  # not part of a talent's profile
    updates = [
        e
        for e in await outbox(session, "kunruyi.talent.person.updated")
        if e["talent_id"] == talent["talent_id"]
    ]
    assert [(u["employer_qualifications"], u["industry_chain"]) for u in updates] == [
        (["specialized_sme"], "集成电路"),
        (["specialized_sme"], "人工智能"),
    ]
