"""The three lists complete (服务—需求—对策) on the real database: technology demands heard from svc-matching's
events join the need list, the policies svc-policy matched to each company form the countermeasure list beside the
countermeasures, the catalog's policies join the service list — each list narrowed to a campaign or a 区镇, and the
whole exported as one XLSX workbook whose figures equal a count the test makes from the raw rows."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

from kunruyi_common.events.envelope import CloudEvent
from kunruyi_launcher.testing import staff
from kunruyi_talent.identifiers import make_uscc
from kunruyi_talent.messages import consumers as message_consumers
from kunruyi_talent.servicelists import consumers
from openpyxl import load_workbook
from sqlalchemy import text

OFFICE = staff("officer", department="人才办", subject="lists-complete")


def event(type_: str, data: dict[str, Any]) -> CloudEvent:
    return CloudEvent(source="test", type=type_, subject="s", data=data)


def demand(n: int, uscc: str, demand_type: str, status: str = "submitted") -> dict[str, Any]:
    return {
        "demand_id": f"00000000-0000-0000-0000-{n:012d}",
        "enterprise_uscc": uscc,
        "title": f"技术需求{n}，联系 13912345678",
        "industry_chain": "semiconductor",
        "technical_field": "automatic_control",
        "demand_type": demand_type,
        "channel": "api",
        "status": status,
    }


T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def at(type_: str, data: dict[str, Any], minutes: int) -> CloudEvent:
    """An event of svc-policy's ``minutes`` after ``T0``."""
    return CloudEvent(source="test", type=type_, subject="s", data=data, time=T0 + timedelta(minutes=minutes))


def reach(uscc: str, code: str, title: str) -> dict[str, Any]:
    return {
        "policy_code": code,
        "policy_title": title,
        "department": "科技局",
        "mode": "application",
        "entity_type": "enterprise",
        "entity_id": uscc,
        "status": "eligible",
        "amount_fen": None,
    }


async def test_demands_and_matched_policies_complete_the_lists(client, session) -> None:  # type: ignore[no-untyped-def]
    visited, elsewhere = make_uscc(6401), make_uscc(6402)
    async with client(OFFICE) as c:
        for uscc, name, district in (
            (visited, "走访样本有限公司", "张浦"),
            (elsewhere, "花桥样本有限公司", "花桥"),
        ):
            r = await c.post(
                "/api/v1/enterprises",
                json={"uscc": uscc, "name": name, "district": district, "industry_chain": "集成电路"},
            )
            assert r.status_code == 201, r.text
        r = await c.post(
            "/api/v1/campaigns",
            json={
                "code": "LIST-2026",
                "name": "清单服务月",
                "period_start": "2026-05-01",
                "period_end": "2026-05-31",
                "districts": ["张浦"],
                "teams": [{"name": "第一服务队", "leader": "甲", "members": ["乙"]}],
                "target_enterprises": [visited],
            },
        )
        assert r.status_code == 201, r.text
        r = await c.post(
            "/api/v1/tickets",
            json={"type": "融资需求", "title": "贷款", "channel": "window", "enterprise_uscc": elsewhere},
        )
        assert r.status_code == 201, r.text

    # svc-matching's demands (one submitted then approved: one demand), svc-policy's matches and catalog titles.
    deliveries = [
        (consumers.on_demand, event(consumers.DEMAND_SUBMITTED, demand(1, visited, "技术攻关"))),
        (consumers.on_demand, event(consumers.DEMAND_APPROVED, demand(1, visited, "技术攻关", "approved"))),
        (consumers.on_demand, event(consumers.DEMAND_SUBMITTED, demand(2, visited, "成果转化"))),
        (consumers.on_demand, event(consumers.DEMAND_SUBMITTED, demand(3, elsewhere, "技术攻关"))),
        (consumers.on_reach, event(consumers.REACH_GAINED, reach(visited, "KS-RD-001", "研发费用补助"))),
        (consumers.on_reach, event(consumers.REACH_GAINED, reach(visited, "KS-HT-002", "高企认定奖励"))),
        (consumers.on_reach, event(consumers.REACH_GAINED, reach(elsewhere, "KS-RD-001", "研发费用补助"))),
        (
            message_consumers.on_policy_title,
            event(message_consumers.POLICY_PUBLISHED, {"code": "KS-RD-001", "title": "研发费用补助"}),
        ),
    ]
    for handler, ev in deliveries:
        await handler(session, ev)
    await session.commit()
    stored = (await session.execute(text("SELECT title, status FROM need_demands ORDER BY demand_id"))).all()
    assert stored[0] == ("技术需求1，联系 139****5678", "approved")  # masked, the later status kept

    async with client(OFFICE) as c:

        async def lists(**params: str) -> dict[str, Any]:
            r = await c.get("/api/v1/service-lists", params=params)
            assert r.status_code == 200, r.text
            return dict(r.json())

        offered = (await lists(kind="service"))["services"]
        assert {"category": "policy", "key": "KS-RD-001", "title": "研发费用补助"} == {
            k: v
            for k, v in next(s for s in offered if s["category"] == "policy").items()
            if k in ("category", "key", "title")
        }

        themes = {n["key"]: n for n in (await lists(kind="need", group_by="theme"))["needs"]}
        raw = (
            await session.execute(text("SELECT count(*) FROM need_demands WHERE demand_type = '技术攻关'"))
        ).scalar_one()
        assert themes["技术需求：技术攻关"]["technology_demands"] == raw == 2
        assert themes["融资需求"]["tickets"] == 1 and themes["融资需求"]["technology_demands"] == 0
        chains = {n["key"]: n for n in (await lists(kind="need", group_by="chain"))["needs"]}
        # The tickets' chain (the company's) and the demands' chain (svc-matching's code) meet under one name.
        assert chains["集成电路"]["tickets"] == 1 and chains["集成电路"]["technology_demands"] == 3

        # The campaign: the company it targeted (its demands and policies), none of the other's.
        scoped = {n["key"]: n for n in (await lists(kind="need", campaign="LIST-2026"))["needs"]}
        assert set(scoped) == {"技术需求：技术攻关", "技术需求：成果转化"}
        assert sum(n["total"] for n in scoped.values()) == 2
        measures = await lists(kind="countermeasure", campaign="LIST-2026")
        assert [(p["entity_name"], p["policy_code"]) for p in measures["policies"]] == [
            ("走访样本有限公司", "KS-HT-002"),
            ("走访样本有限公司", "KS-RD-001"),
        ]
        by_district = await lists(kind="countermeasure", district="花桥镇")
        assert by_district["district"] == "花桥"
        assert [p["entity_id"] for p in by_district["policies"]] == [elsewhere]
        assert len((await lists(kind="countermeasure"))["policies"]) == 3

        bad = await c.get("/api/v1/service-lists", params={"kind": "need", "district": "火星"})
        assert bad.status_code == 422 and bad.json()["field"] == "district"
        missing = await c.get("/api/v1/service-lists", params={"kind": "need", "campaign": "NOPE"})
        assert missing.status_code == 404 and missing.json()["code"] == "campaign_not_found"

        exported = await c.get("/api/v1/service-lists/export.xlsx", params={"campaign": "LIST-2026"})
        assert exported.status_code == 200, exported.text
        assert exported.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(exported.content))
    assert wb.sheetnames == ["服务清单", "需求清单", "对策清单"]
    need_rows = [r for r in wb["需求清单"].iter_rows(min_row=2, values_only=True) if r[0] == "按主题"]
    assert sorted((r[1], r[2]) for r in need_rows) == [("技术需求：成果转化", 1), ("技术需求：技术攻关", 1)]
    policy_rows = [
        r for r in wb["对策清单"].iter_rows(min_row=2, values_only=True) if r[0] and "匹配政策" in r[0]
    ]
    assert [(r[1], r[2]) for r in policy_rows] == [
        ("走访样本有限公司", "高企认定奖励"),
        ("走访样本有限公司", "研发费用补助"),
    ]
    assert any(c == "KS-RD-001" for r in wb["服务清单"].iter_rows(values_only=True) for c in r)

    async with client(staff("broker", subject="lists-broker2")) as c:
        assert (await c.get("/api/v1/service-lists/export.xlsx")).status_code == 403


async def test_a_policy_out_of_reach_leaves_the_countermeasure_list_and_a_late_gain_does_not_bring_it_back(
    client,  # type: ignore[no-untyped-def]
    session,
) -> None:
    """svc-policy's ``reach.lost`` (a qualification expired): the match leaves the 对策清单. A ``reach.gained`` older
    than the loss, delivered after it (a redelivery, another replica), changes nothing; a newer one brings it back."""
    uscc = make_uscc(6411)

    gained = reach(uscc, "KS-RD-009", "研发机构奖励")
    lost = {k: gained[k] for k in ("policy_code", "policy_title", "department", "entity_type", "entity_id")}

    async def listed() -> list[str]:
        async with client(OFFICE) as c:
            r = await c.get("/api/v1/service-lists", params={"kind": "countermeasure"})
            assert r.status_code == 200, r.text
            return [p["policy_code"] for p in r.json()["policies"] if p["entity_id"] == uscc]

    await consumers.on_reach(session, at(consumers.REACH_GAINED, gained, 0))
    await session.commit()
    assert await listed() == ["KS-RD-009"]

    await consumers.on_reach(session, at(consumers.REACH_LOST, lost, 10))
    await consumers.on_reach(session, at(consumers.REACH_GAINED, gained, 5))  # older, delivered late
    await session.commit()
    assert await listed() == []

    await consumers.on_reach(session, at(consumers.REACH_GAINED, gained, 20))
    await session.commit()
    assert await listed() == ["KS-RD-009"]


async def test_a_fetch_of_reach_events_applied_at_once_ends_as_the_events_one_by_one(
    client,  # type: ignore[no-untyped-def]
    session,
) -> None:
    """The consumer applies a fetch of reach events in one statement per type: the same key twice in a fetch
    (a redelivery beside its newer event) keeps the newest, a loss newer than every gain removes the match
    whichever type the kit applies first, and the other matches of the fetch are all listed."""
    uscc = make_uscc(6412)

    kept = reach(uscc, "KS-RD-011", "研发投入奖励")
    dropped = reach(uscc, "KS-RD-012", "研发机构奖励")
    lost = {k: dropped[k] for k in ("policy_code", "policy_title", "department", "entity_type", "entity_id")}
    gains = [
        at(consumers.REACH_GAINED, kept, 3),
        at(consumers.REACH_GAINED, dropped, 1),
        at(consumers.REACH_GAINED, kept, 2),  # the same match again, older: one row, the newest event's
        at(consumers.REACH_GAINED, dropped, 4),
    ]
    await consumers.on_reach_many(session, [at(consumers.REACH_LOST, lost, 5)])
    await consumers.on_reach_many(session, gains)
    await session.commit()

    async with client(OFFICE) as c:
        r = await c.get("/api/v1/service-lists", params={"kind": "countermeasure"})
        assert r.status_code == 200, r.text
        listed = {p["policy_code"]: p for p in r.json()["policies"] if p["entity_id"] == uscc}
    assert sorted(listed) == ["KS-RD-011"]
    rows = await session.execute(
        text("SELECT policy_code, status, matched_at FROM policy_matches WHERE entity_id = :e ORDER BY 1"),
        {"e": uscc},
    )
    assert [(code, status, when) for code, status, when in rows] == [
        ("KS-RD-011", kept["status"], T0 + timedelta(minutes=3)),
        ("KS-RD-012", consumers.LOST, T0 + timedelta(minutes=5)),
    ]


async def test_the_service_list_names_the_housing_of_a_district_or_a_campaigns_districts(
    client, session
) -> None:  # type: ignore[no-untyped-def]
    """服务清单 for a 区镇 or a campaign: request types and policies serve the whole city; talent housing is listed only
    where it lies (the campaign covers 张浦: 张浦's housing, not 花桥's), in the JSON and in the workbook."""
    from kunruyi_talent.housing import service as housing
    from kunruyi_talent.housing.schemas import ProjectCreate, UnitIn

    for code, district in (("SL-ZP", "张浦"), ("SL-HQ", "花桥")):
        await housing.create_project(
            session,
            ProjectCreate(
                code=code,
                name=f"{district}人才公寓",
                district=district,
                eligible_classes=["A", "B"],
                monthly_rent_fen=150000,
                units=[UnitIn(unit_number="101")],
            ),
        )
    async with client(OFFICE) as c:
        r = await c.post(
            "/api/v1/campaigns",
            json={
                "code": "SL-2026",
                "name": "张浦服务月",
                "period_start": "2026-06-01",
                "period_end": "2026-06-30",
                "districts": ["张浦镇"],
                "teams": [{"name": "张浦服务队", "leader": "甲", "members": ["乙"]}],
                "target_enterprises": [],
            },
        )
        assert r.status_code == 201, r.text
        await session.commit()

        async def housing_listed(**params: str) -> dict[str, str | None]:
            r = await c.get("/api/v1/service-lists", params={"kind": "service", **params})
            assert r.status_code == 200, r.text
            items = r.json()["services"]
            assert any(i["category"] == "request_type" for i in items)  # city-wide, whatever the scope
            return {i["key"]: i["district"] for i in items if i["key"].startswith("SL-")}

        assert await housing_listed() == {"SL-HQ": "花桥", "SL-ZP": "张浦"}
        assert await housing_listed(district="花桥镇") == {"SL-HQ": "花桥"}
        assert await housing_listed(campaign="SL-2026") == {"SL-ZP": "张浦"}
        assert await housing_listed(campaign="SL-2026", district="花桥") == {}

        exported = await c.get("/api/v1/service-lists/export.xlsx", params={"campaign": "SL-2026"})
        assert exported.status_code == 200, exported.text
    rows = list(
        load_workbook(io.BytesIO(exported.content))["服务清单"].iter_rows(min_row=2, values_only=True)
    )
    housing_rows = [(r[1], r[4]) for r in rows if str(r[-1]).startswith("SL-")]
    assert housing_rows == [("人才租赁住房：张浦人才公寓", "张浦")]
    assert any(r[4] == "全市" for r in rows)
