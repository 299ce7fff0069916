"""Demo data (idempotent): 1,050 brokers across 24 agencies, a few thousand supply entities from the generator,
and demands and engagements in every stage, plus 揭榜挂帅 challenges. Re-running changes nothing: brokers and
supply are keyed (subject, natural key), demands carry a fixed Idempotency-Key, challenges a fixed title."""

from __future__ import annotations

import random
from datetime import timedelta

from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_today
from kunruyi_common.crypto import FieldCipher
from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_common.idempotency import idempotent, key_used
from kunruyi_common.settings import ServiceSettings
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_matching.broker import service as broker_service
from kunruyi_matching.broker.models import Broker, BrokerConflict
from kunruyi_matching.challenge import service as challenge_service
from kunruyi_matching.challenge.models import Challenge
from kunruyi_matching.challenge.schemas import ApplicationCreate, ChallengeCreate, ScoreCreate
from kunruyi_matching.demand import service as demand_service
from kunruyi_matching.demand.models import Demand
from kunruyi_matching.demand.schemas import DemandCreate, DemandOut, DemandReview
from kunruyi_matching.engagement import service as engagement_service
from kunruyi_matching.engagement.schemas import StageChange
from kunruyi_matching.settings import Settings
from kunruyi_matching.supply.schemas import SupplyIn
from kunruyi_matching.supply.service import row_values, upsert_many
from kunruyi_matching.synthetic.generator import generate, person_name
from kunruyi_matching.synthetic.identifiers import make_uscc
from kunruyi_matching.synthetic.profiles import load_profiles
from kunruyi_matching.taxonomy import INDUSTRY_CHAINS, TECHNICAL_FIELDS

BROKERS = 1050
SUPPLY = 4000
AGENCIES = [
    f"{city}{kind}"
    for city in ("昆山", "苏州", "上海", "南京", "无锡", "杭州")
    for kind in ("技术转移中心", "科技服务有限公司", "知识产权运营中心", "产业技术研究院成果转化部")
]
DEMANDS = [
    (
        "先进封装良率提升",
        "晶圆级先进封装工艺中硅通孔良率偏低，寻求封装工艺专家联合攻关。",
        "advanced_packaging",
    ),
    (
        "小核酸药物递送系统",
        "需要脂质纳米颗粒递送系统方面的专家，推进小核酸药物临床前研究。",
        "small_nucleic_acid_drug",
    ),
    (
        "固态电池电解质界面",
        "硫化物固态电解质与锂金属负极界面稳定性问题，寻求成果转化。",
        "solid_state_battery",
    ),
    ("产线缺陷检测", "面板产线外观缺陷检测漏检率高，需要机器视觉与三维测量方案。", "machine_vision"),
    ("柔性显示驱动芯片", "柔性显示模组驱动芯片低功耗设计合作。", "display_panel"),
    ("车路协同感知", "智能网联汽车车路协同环境感知算法与高精度地图合作开发。", "autonomous_driving"),
    ("协作机器人减速器", "协作机器人精密减速器寿命不足，寻求工艺改进。", "industrial_robot"),
    ("高频高速板材", "高频高速板信号完整性与电磁兼容测试服务。", "pcb_electronics"),
]
STAGE_PATH = ["recommended", "negotiating", "signed", "contract_registered", "closed"]


async def seed(settings: ServiceSettings) -> None:
    assert isinstance(settings, Settings)
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        async with sessionmaker() as session, session.begin():
            await _supply(session)
            await _brokers(session)
        async with sessionmaker() as session, session.begin():
            await _demands(session, settings)
        async with sessionmaker() as session, session.begin():
            await _challenges(session)
    finally:
        await engine.dispose()


async def _supply(session: AsyncSession) -> None:
    rows = [row_values(SupplyIn.model_validate(r), "seed") for r in generate(SUPPLY, seed=7)]
    # Realistic hand-written profiles beside the generated bulk (synthetic/profiles.psv).
    rows += [row_values(r, "seed") for r in load_profiles()]
    for i in range(0, len(rows), 1000):
        await upsert_many(session, rows[i : i + 1000])


async def _brokers(session: AsyncSession) -> None:
    rng = random.Random(1050)
    values = []
    for i in range(BROKERS):
        fields = rng.sample(TECHNICAL_FIELDS, k=rng.randint(1, 3))
        chains = {f.chain for f in fields} | (
            {rng.choice(INDUSTRY_CHAINS).code} if rng.random() < 0.3 else set()
        )
        values.append(
            {
                "subject": f"broker-{i + 1:04d}",
                "name": person_name(rng),
                "agency": AGENCIES[i % len(AGENCIES)],
                "certification": rng.choices(("初级", "中级", "高级"), weights=(5, 4, 1))[0],
                "fields": sorted(f.code for f in fields),
                "chains": sorted(chains),
                "monthly_capacity": rng.choice((2, 3, 4, 5, 6, 8)),
                "active": True,
            }
        )
    for i in range(0, len(values), 500):
        await session.execute(
            insert(Broker).values(values[i : i + 500]).on_conflict_do_nothing(index_elements=["subject"])
        )
    # A few declared conflicts of interest.
    brokers = list((await session.execute(select(Broker.id).order_by(Broker.subject).limit(20))).scalars())
    conflicts = [
        {"broker_id": b, "enterprise_uscc": make_uscc(random.Random(k)), "reason": "亲属任职"}
        for k, b in enumerate(brokers)
    ]
    await session.execute(insert(BrokerConflict).values(conflicts).on_conflict_do_nothing())


async def _file_demand(
    session: AsyncSession, key: str, submitter: Principal, body: DemandCreate, cipher: FieldCipher
) -> Demand | None:
    """File a seeded demand once under its key, as a client's retry would (None: seeded already; on a later day
    the deadline, so the body, differs, hence the key alone decides)."""
    if await key_used(session, submitter, key):
        return None
    filed: list[Demand] = []

    async def produce() -> tuple[int, DemandOut]:
        filed.append((await demand_service.submit(session, body, submitter, cipher=cipher))[0])
        return 201, DemandOut.model_validate(filed[0])

    await idempotent(session, key, submitter, demand_service.SUBMIT_ENDPOINT, body, produce)
    return filed[0]


async def _demands(session: AsyncSession, settings: Settings) -> None:
    cipher = FieldCipher.from_b64(settings.pii_key)
    officer = Principal(kind="staff", subject="seed-officer", name="演示审核员", roles=["officer"])
    partner = Principal(kind="partner", subject="yiqilaiban", scopes=["matching:write"])
    deadline = local_today() + timedelta(days=90)
    for i in range(48):
        key = f"seed-demand-{i:03d}"
        rng = random.Random(2026 + i)
        title, description, field_code = DEMANDS[i % len(DEMANDS)]
        field = next(f for f in TECHNICAL_FIELDS if f.code == field_code)
        body = DemandCreate(
            enterprise_uscc=make_uscc(random.Random(1000 + i)),
            title=f"{title}（{i + 1:02d}）",
            description=description,
            industry_chain=field.chain,
            technical_field=field.code,
            demand_type=("技术攻关", "成果转化", "人才引进", "设备共享", "检测服务")[i % 5],
            budget_min_fen=rng.choice((5, 10, 20)) * 1_000_000,
            budget_max_fen=rng.choice((50, 100, 300)) * 1_000_000,
            deadline=deadline,
            channel=("api", "qr", "yiqilaiban")[i % 3],
        )
        if body.channel == "qr":
            # The 昆e服 page asks whom the broker should call (a demo number, never a real one).
            body.contact_name, body.contact_phone = "演示联系人", f"1990000{i:04d}"
        submitter = (
            partner
            if body.channel != "qr"
            else Principal(kind="public", subject=f"qr-{i}", target=body.enterprise_uscc)
        )
        demand = await _file_demand(session, key, submitter, body, cipher)
        if demand is None:
            continue
        if i % 8 == 0:
            continue  # left pending review for the demo
        await demand_service.review(
            session, demand.id, DemandReview(decision="approve"), officer, cipher=cipher
        )
        await broker_service.run_assignment(
            session, trigger="arrival", actor="system", demand_ids=[demand.id]
        )
        if demand.broker_id is None:
            continue
        broker = await session.get(Broker, demand.broker_id)
        assert broker is not None
        actor = Principal(kind="staff", subject=broker.subject, roles=["broker"])
        for stage in STAGE_PATH[: i % (len(STAGE_PATH) + 1)]:
            change = StageChange.model_validate({"stage": stage, "note": "演示数据"})
            if stage == "contract_registered":
                change.contract_number = f"2026320583{i:06d}"
                change.contract_amount_fen = rng.randint(50, 3000) * 100_000
            await engagement_service.change_stage(session, demand, change, actor, settings)


async def _challenges(session: AsyncSession) -> None:
    officer = Principal(kind="staff", subject="seed-officer", roles=["officer"], department="科技局")
    reviewer = Principal(kind="staff", subject="seed-reviewer", roles=["reviewer"], department="科技局")
    entries = [
        ("车规级芯片先进封装可靠性攻关", "semiconductor", 500_000_000),
        ("小核酸药物规模化合成工艺", "small_nucleic_acid_biomedicine", 800_000_000),
        ("固态电池中试线关键装备", "new_energy", 1_200_000_000),
    ]
    for n, (title, chain, budget) in enumerate(entries):
        exists = (await session.execute(select(Challenge.id).where(Challenge.title == title))).first()
        if exists:
            continue
        challenge = await challenge_service.publish(
            session,
            ChallengeCreate(
                title=title,
                goal=f"{title}：形成可量产方案并通过第三方验证",
                requirements="具备相关领域研发团队和中试条件",
                industry_chain=chain,
                budget_fen=budget,
                deadline=local_today() + timedelta(days=60),
            ),
            officer,
        )
        application = await challenge_service.apply(
            session,
            challenge.id,
            ApplicationCreate(
                team_name=f"揭榜团队{n + 1}",
                leader="陈教授",
                organization="苏州大学",
                proposal="分三阶段攻关",
            ),
            officer,
        )
        if n >= 1:
            await challenge_service.score(
                session, challenge.id, application.id, ScoreCreate(score=88), reviewer
            )
