"""An expert registered in svc-talent becomes a candidate within seconds, through the real bus and lifespan; a
company registered there becomes searchable supply (kind ``company``) the same way."""

import asyncio
import random
import uuid
from typing import Any

import httpx
import nats
import pytest
from kunruyi_common.app import create_service_app
from kunruyi_common.events.bus import ensure_stream
from kunruyi_common.events.envelope import CloudEvent, stream_name, stream_subjects
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import migrated_database, principal_headers, staff
from kunruyi_matching.main import build_spec
from kunruyi_matching.settings import Settings
from kunruyi_matching.synthetic.identifiers import make_uscc


@pytest.fixture(scope="session")
def bus_db_url(infra: Infra) -> str:
    return migrated_database(infra, "kunruyi_matching", "matching_bus")


async def publish_person(nats_url: str, data: dict[str, object], event_type: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, stream_name("talent"), stream_subjects("talent"))
        event = CloudEvent(source="talent", type=event_type, subject=str(data["talent_id"]), data=data)
        await js.publish(event_type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id})
    finally:
        await nc.close()


def person(talent_id: str, name: str, expertise: str, *, is_expert: bool) -> dict[str, object]:
    return {
        "talent_id": talent_id,
        "name": name,
        "gender": "F",
        "age": 41,
        "education": "doctor",
        "overseas": True,
        "title": "教授级高工",
        "skill_level": None,
        "talent_programs": ["双创人才"],
        "talent_class": "B",
        "employer_uscc": None,
        "employer_qualifications": [],
        "years_in_kunshan": 3,
        "annual_salary_fen": None,
        "expertise": expertise,
        "fields": ["小核酸药物", "脂质纳米颗粒"],
        "industry_chain": "小核酸及生物医药",
        "is_expert": is_expert,
    }


async def test_expert_from_talent_event_is_a_candidate_within_seconds(bus_db_url: str, infra: Infra) -> None:
    settings = Settings(
        database_url=bus_db_url,
        nats_url=infra.nats_url,
        run_background_workers=True,
        index_refresh_interval_s=0.2,
    )
    app = create_service_app(build_spec(), settings)
    headers = principal_headers(staff("officer"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc", headers=headers) as c:
            demand = (
                await c.post(
                    "/api/v1/demands",
                    json={
                        "enterprise_uscc": make_uscc(random.Random(11)),
                        "title": "小核酸药物递送合作",
                        "description": "寻找小核酸药物脂质纳米颗粒递送系统专家",
                        "industry_chain": "small_nucleic_acid_biomedicine",
                        "technical_field": "small_nucleic_acid_drug",
                        "demand_type": "技术攻关",
                    },
                )
            ).json()
            assert (
                await c.post(f"/api/v1/demands/{demand['id']}/review", json={"decision": "approve"})
            ).status_code == 200
            url = f"/api/v1/demands/{demand['id']}/candidates"
            assert (await c.get(url)).json()["items"] == []

            expert_id, layman_id = str(uuid.uuid4()), str(uuid.uuid4())
            await publish_person(
                infra.nats_url,
                person(layman_id, "钱女士", "小核酸药物递送", is_expert=False),
                "kunruyi.talent.person.registered",
            )
            await publish_person(
                infra.nats_url,
                person(expert_id, "孙博士", "小核酸药物递送系统与脂质纳米颗粒", is_expert=True),
                "kunruyi.talent.person.registered",
            )
            found: list[dict[str, object]] = []
            for _ in range(100):
                found = (await c.get(url)).json()["items"]
                if found:
                    break
                await asyncio.sleep(0.1)
            assert [i["supply"]["natural_key"] for i in found] == [expert_id]
            assert found[0]["supply"]["source"] == "talent"
            assert "小核酸药物" in found[0]["matched_terms"]  # whole terms only, never the sub-word 小核酸
            # Found through the delta, without rebuilding the main index.
            kind_index = app.state.index_keeper.index.kinds["expert"]
            assert found[0]["supply"]["id"] in kind_index.delta and len(kind_index.main) == 0


async def publish_enterprise(nats_url: str, data: dict[str, object], event_type: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, stream_name("talent"), stream_subjects("talent"))
        event = CloudEvent(source="talent", type=event_type, subject=str(data["uscc"]), data=data)
        await js.publish(event_type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id})
    finally:
        await nc.close()


def enterprise(uscc: str, qualifications: list[str]) -> dict[str, object]:
    """svc-talent's enterprise profile event, as it publishes it (finances included: they must not be kept)."""
    return {
        "uscc": uscc,
        "name": "昆山华芯微纳科技有限公司",
        "district": "high_tech_zone",
        "industry_chain": "semiconductor",
        "founded_on": "2016-03-01",
        "founded_years": 10,
        "employees": 180,
        "fiscal_year": 2025,
        "revenue_fen": 987_654_321_00,
        "rd_expense_fen": 12_345_678_00,
        "tax_paid_fen": 3_456_789_00,
        "rd_ratio": 0.125,
        "high_tech_revenue_ratio": 0.8,
        "qualifications": qualifications,
        "new_qualifications": [],
        "invention_patents": 14,
        "platforms": ["engineering_center"],
        "growth_stage": "成长期",
        "qualification_dates": {},
    }


async def test_company_from_enterprise_event_is_searchable_supply(bus_db_url: str, infra: Infra) -> None:
    settings = Settings(
        database_url=bus_db_url,
        nats_url=infra.nats_url,
        run_background_workers=True,
        index_refresh_interval_s=0.2,
    )
    app = create_service_app(build_spec(), settings)
    uscc = make_uscc(random.Random(uuid.uuid4().int))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = principal_headers(staff("broker"))
        async with httpx.AsyncClient(transport=transport, base_url="http://svc", headers=headers) as c:
            await publish_enterprise(
                infra.nats_url, enterprise(uscc, ["high_tech"]), "kunruyi.talent.enterprise.registered"
            )
            search = {"kind": "company", "q": "工程技术研究中心 集成电路"}
            found: list[dict[str, object]] = []
            for _ in range(100):
                found = (await c.get("/api/v1/supply", params=search)).json()["items"]
                if found:
                    break
                await asyncio.sleep(0.1)
            assert [i["supply"]["natural_key"] for i in found] == [uscc]  # type: ignore[index]
            supply_id = found[0]["supply"]["id"]  # type: ignore[index]
            detail = (await c.get(f"/api/v1/supply/{supply_id}")).json()
            assert detail["kind"] == "company" and detail["industry_chain"] == "semiconductor"
            assert detail["region"] == "昆山" and detail["source"] == "talent"
            assert detail["company"]["qualifications"] == [{"code": "high_tech", "name": "高新技术企业"}]
            assert detail["company"]["platforms"] == [
                {"code": "engineering_center", "name": "工程技术研究中心"}
            ]
            assert detail["company"]["district"] == {"code": "high_tech_zone", "name": "高新区"}
            assert detail["company"]["invention_patents"] == 14
            # Its books are not supply: nothing of the finances is kept.
            assert not {"revenue_fen", "rd_expense_fen", "tax_paid_fen", "rd_ratio"} & set(
                detail["attributes"]
            )

            # An update replaces the row (same USCC), seen by search and detail.
            await publish_enterprise(
                infra.nats_url,
                enterprise(uscc, ["high_tech", "little_giant"]),
                "kunruyi.talent.enterprise.updated",
            )
            page: dict[str, Any] = {}
            for _ in range(100):  # the index picks the new version up within a refresh or two
                page = (await c.get("/api/v1/supply", params={"kind": "company", "q": "小巨人"})).json()
                if page["items"]:
                    break
                await asyncio.sleep(0.1)
            assert [i["supply"]["id"] for i in page["items"]] == [supply_id]
            detail = (await c.get(f"/api/v1/supply/{supply_id}")).json()
            assert detail["version"] == 2
            assert [q["code"] for q in detail["company"]["qualifications"]] == ["high_tech", "little_giant"]
            assert {f["value"]: f["count"] for f in page["facets"]["kind"]}["company"] == 1
        # …and a candidate for a demand.
        officer = principal_headers(staff("officer"))
        async with httpx.AsyncClient(transport=transport, base_url="http://svc", headers=officer) as c:
            demand = (
                await c.post(
                    "/api/v1/demands",
                    json={
                        "enterprise_uscc": make_uscc(random.Random(12)),
                        "title": "寻找专精特新小巨人企业合作",
                        "description": "需要有工程技术研究中心的集成电路企业联合攻关",
                        "industry_chain": "semiconductor",
                        "technical_field": "advanced_packaging",
                        "demand_type": "技术攻关",
                    },
                )
            ).json()
            await c.post(f"/api/v1/demands/{demand['id']}/review", json={"decision": "approve"})
            candidates = (
                await c.get(f"/api/v1/demands/{demand['id']}/candidates", params={"kind": "company"})
            ).json()
            assert supply_id in [i["supply"]["id"] for i in candidates["items"]], candidates
