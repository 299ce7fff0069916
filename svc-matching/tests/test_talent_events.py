"""An expert registered in svc-talent becomes a candidate within seconds, through the real bus and lifespan."""

import asyncio
import random
import uuid

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
