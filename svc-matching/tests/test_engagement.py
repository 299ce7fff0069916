"""The engagement pipeline: order enforced with 409 naming the next stages, exact rewards and KPIs."""

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from kunruyi_launcher.testing import staff
from kunruyi_matching.demand.models import Demand
from kunruyi_matching.engagement.stages import broker_reward_fen
from kunruyi_matching.synthetic.identifiers import make_uscc
from sqlalchemy import update

RATE = Decimal("0.015")


def test_reward_rounding_and_cap() -> None:
    assert broker_reward_fen(12_345_678, RATE, 30_000_000) == 185_185  # 185185.17 → 185185
    assert broker_reward_fen(333, RATE, 30_000_000) == 5  # 4.995 → 5 (half-up)
    assert broker_reward_fen(300, RATE, 30_000_000) == 5  # 4.5 → 5 (half-up, not banker's 4)
    assert broker_reward_fen(100, RATE, 30_000_000) == 2  # 1.5 → 2
    assert broker_reward_fen(10_000_000_000, RATE, 30_000_000) == 30_000_000  # capped


async def assigned_demand(c, subject: str, uscc: str) -> str:  # type: ignore[no-untyped-def]
    d = (
        await c.post(
            "/api/v1/demands",
            json={
                "enterprise_uscc": uscc,
                "title": "机器视觉缺陷检测",
                "description": "产线外观缺陷检测方案",
                "industry_chain": "smart_manufacturing",
                "technical_field": "machine_vision",
                "demand_type": "技术攻关",
            },
        )
    ).json()
    r = (await c.post(f"/api/v1/demands/{d['id']}/review", json={"decision": "approve"})).json()
    assert r["status"] == "assigned", r
    return str(d["id"])


async def test_pipeline_order_reward_and_kpis(client, session) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(3)
    async with client(staff("officer")) as c:
        b1 = (
            await c.post(
                "/api/v1/brokers",
                json={
                    "subject": "kpi-b1",
                    "name": "周经纪",
                    "agency": "甲机构",
                    "certification": "高级",
                    "fields": ["machine_vision"],
                    "chains": ["smart_manufacturing"],
                    "monthly_capacity": 10,
                },
            )
        ).json()
        b2 = (
            await c.post(
                "/api/v1/brokers",
                json={
                    "subject": "kpi-b2",
                    "name": "吴经纪",
                    "agency": "甲机构",
                    "certification": "初级",
                    "fields": [],
                    "chains": ["smart_manufacturing"],
                    "monthly_capacity": 10,
                },
            )
        ).json()
        supply = (
            await c.post(
                "/api/v1/supply",
                json={
                    "kind": "expert",
                    "natural_key": "kpi-expert",
                    "name": "郑教授",
                    "summary": "机器视觉 缺陷检测",
                },
            )
        ).json()
        # The higher-affinity broker (field + chain + 高级) takes the first three on arrival.
        demands = [await assigned_demand(c, "kpi-b1", make_uscc(rng)) for _ in range(3)]

    async with client(staff("broker", subject="kpi-b1")) as c:
        d = demands[0]
        # Signing before negotiating: refused, naming the allowed next stage.
        r = await c.post(f"/api/v1/demands/{d}/stages", json={"stage": "signed"})
        assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
        assert r.json()["allowed_next"] == ["recommended"] and "推荐对接" in r.json()["detail"]
        r = await c.post(
            f"/api/v1/demands/{d}/stages", json={"stage": "recommended", "supply_id": supply["id"]}
        )
        assert r.status_code == 200 and r.json()["allowed_next"] == ["negotiating"]
        # the names a page shows come with the answer, so no caller keeps its own copy of them
        assert r.json()["stage_label"] == "推荐对接"
        assert r.json()["allowed_next_labels"] == {"negotiating": "洽谈"}
        r = await c.post(f"/api/v1/demands/{d}/stages", json={"stage": "signed"})
        assert r.status_code == 409 and r.json()["allowed_next"] == ["negotiating"]
        for stage in ["negotiating", "signed"]:
            assert (
                await c.post(f"/api/v1/demands/{d}/stages", json={"stage": stage, "note": stage})
            ).status_code == 200
        missing = await c.post(
            f"/api/v1/demands/{d}/stages",
            json={"stage": "contract_registered", "contract_number": "2026320583000001"},
        )
        assert missing.status_code == 422 and missing.json()["field"] == "contract_amount_fen"
        r = await c.post(
            f"/api/v1/demands/{d}/stages",
            json={
                "stage": "contract_registered",
                "contract_number": "2026320583000001",
                "contract_amount_fen": 12_345_678,
            },
        )
        assert r.status_code == 200 and r.json()["broker_reward_fen"] == 185_185
        r = await c.post(f"/api/v1/demands/{d}/stages", json={"stage": "closed", "note": "成交"})
        assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["allowed_next"] == []
        history = r.json()["history"]
        assert [h["stage"] for h in history] == [
            "intake",
            "assigned",
            "recommended",
            "negotiating",
            "signed",
            "contract_registered",
            "closed",
        ]
        assert all(h["actor"] and h["at"] for h in history) and history[3]["note"] == "negotiating"
        again = await c.post(f"/api/v1/demands/{d}/stages", json={"stage": "closed"})
        assert again.status_code == 409 and again.json()["allowed_next"] == []
        # Second deal, with the reward capped.
        d = demands[1]
        for body in [
            {"stage": "recommended"},
            {"stage": "negotiating"},
            {"stage": "signed"},
            {
                "stage": "contract_registered",
                "contract_number": "2026320583000002",
                "contract_amount_fen": 5_000_000_000,
            },
            {"stage": "closed"},
        ]:
            assert (await c.post(f"/api/v1/demands/{d}/stages", json=body)).status_code == 200
        dup = await c.post(f"/api/v1/demands/{demands[2]}/stages", json={"stage": "recommended"})
        assert dup.status_code == 200
    async with client(staff("broker", subject="kpi-b2")) as c:
        r = await c.post(f"/api/v1/demands/{demands[2]}/stages", json={"stage": "negotiating"})
        assert r.status_code == 403

    # Pin the timestamps so the days-to-deal are exact: 10 days and 3.5 days → median 6.75.
    t0 = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)
    await session.execute(
        update(Demand)
        .where(Demand.id == uuid.UUID(demands[0]))
        .values(assigned_at=t0, closed_at=t0 + timedelta(days=10))
    )
    await session.execute(
        update(Demand)
        .where(Demand.id == uuid.UUID(demands[1]))
        .values(assigned_at=t0, closed_at=t0 + timedelta(days=3, hours=12))
    )
    await session.execute(update(Demand).where(Demand.id == uuid.UUID(demands[2])).values(assigned_at=t0))
    async with client(staff("officer")) as c:
        report = (await c.get("/api/v1/brokers/kpis", params={"period": "2026-10"})).json()
        assert report["items"] == [
            {
                "key": b1["id"],
                "name": "周经纪",
                "agency": "甲机构",
                "demands_served": 3,
                "deals": 2,
                "contract_amount_fen": 5_012_345_678,
                "reward_fen": 185_185 + 30_000_000,
                "median_days_to_deal": 6.75,
            }
        ]
        by_agency = (
            await c.get("/api/v1/brokers/kpis", params={"group_by": "agency", "period": "2026-Q4"})
        ).json()
        assert [(r["key"], r["deals"], r["demands_served"]) for r in by_agency["items"]] == [("甲机构", 2, 3)]
        assert (await c.get("/api/v1/brokers/kpis", params={"period": "2026-09"})).json()["items"] == []
        bad = await c.get("/api/v1/brokers/kpis", params={"period": "2026-13"})
        assert bad.status_code == 422 and bad.json()["field"] == "period"
        expert = (await c.get(f"/api/v1/supply/{supply['id']}")).json()
        assert expert["deals_count"] == 1
    assert b2["id"] != b1["id"]
