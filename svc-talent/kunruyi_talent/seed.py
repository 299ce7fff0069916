"""Demo data (``python -m kunruyi_talent seed``), idempotent: every record has a deterministic key (USCC, ID
number, project code, ticket service code) and is skipped when present. Everything goes through the service
layer so the events reach the outbox and from there svc-policy and svc-matching."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_today
from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_common.settings import ServiceSettings
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.campaigns import service as campaigns
from kunruyi_talent.campaigns.schemas import CampaignCreate, ProblemIn, TeamIn, VisitCreate
from kunruyi_talent.enterprise import service as enterprise_service
from kunruyi_talent.enterprise.reference import DISTRICTS, INDUSTRY_CHAINS
from kunruyi_talent.enterprise.schemas import ContactIn, EnterpriseCreate, FiguresIn, QualificationIn
from kunruyi_talent.housing import service as housing_service
from kunruyi_talent.housing.schemas import ProjectCreate, UnitIn
from kunruyi_talent.identifiers import make_foreign_resident_id, make_phone, make_resident_id, make_uscc
from kunruyi_talent.models import Campaign, HousingApplication, HousingProject, HousingUnit, Talent, Ticket
from kunruyi_talent.pii import ID_NUMBER_PURPOSE, PersonalData
from kunruyi_talent.servicedesk import service as desk_service
from kunruyi_talent.servicedesk.routing import CHANNELS, TICKET_TYPES
from kunruyi_talent.servicedesk.schemas import TicketCreate
from kunruyi_talent.settings import Settings
from kunruyi_talent.talent import service as talent_service
from kunruyi_talent.talent.schemas import ProgramIn, TalentCreate

ENTERPRISES = 300
TALENTS = 300
TICKETS = 120
SEED_BASE = 10_000  # keeps seed identifiers apart from test ones
WAN = 10_000 * 100

NAME_WORDS = [
    "华芯",
    "精工",
    "凯博",
    "瑞德",
    "康宁",
    "星驰",
    "鼎盛",
    "智远",
    "天合",
    "中科",
    "昆玉",
    "清源",
    "博睿",
    "恒通",
    "新越",
    "汇川",
    "光启",
    "微纳",
    "联创",
    "晶华",
]
NAME_TRADES = {
    "电子信息": "电子",
    "装备制造": "机械",
    "集成电路": "微电子",
    "新型显示": "光电",
    "新能源汽车": "汽车科技",
    "智能制造": "智能装备",
    "生物医药": "生物医药",
    "新能源新材料": "新材料",
    "元宇宙": "数字科技",
    "人工智能": "智能科技",
    "商业航天": "航天科技",
    "低空经济": "航空科技",
    "量子科技": "量子科技",
    "人形机器人": "机器人",
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "霞",
    "平",
    "刚",
    "辉",
    "婷",
]
SCHOOLS = [
    "清华大学",
    "复旦大学",
    "南京大学",
    "苏州大学",
    "东南大学",
    "浙江大学",
    "上海交通大学",
    "新加坡国立大学",
]
PROGRAMS = [
    ("国家重大人才工程", 0.02),
    ("省双创", 0.05),
    ("姑苏领军", 0.08),
    ("昆山双创", 0.12),
    ("头雁人才", 0.04),
    ("卓越工程师", 0.06),
]
EXPERT_FIELDS = {
    "集成电路": ["芯片设计", "EDA", "封装测试"],
    "新型显示": ["OLED", "Micro LED"],
    "生物医药": ["小核酸药物", "细胞治疗"],
    "智能制造": ["工业机器人", "数控系统"],
    "人工智能": ["大模型", "机器视觉"],
    "新能源汽车": ["动力电池", "智能驾驶"],
}


def _enterprise(i: int) -> tuple[EnterpriseCreate, list[tuple[int, FiguresIn]], list[QualificationIn]]:
    rng = random.Random(i)
    chain = INDUSTRY_CHAINS[i % len(INDUSTRY_CHAINS)]
    founded = date(rng.randint(1995, 2023), rng.randint(1, 12), rng.randint(1, 28))
    revenue = int(rng.lognormvariate(8.3, 1.2)) * WAN  # 万元, median ≈ 4000 万
    revenue = max(300 * WAN, min(revenue, 800_000 * WAN))
    growth = rng.uniform(-0.1, 0.6)
    rd_ratio = rng.uniform(0.015, 0.12)
    figures = []
    for year, factor in ((2023, (1 + growth) ** -2), (2024, (1 + growth) ** -1), (2025, 1.0)):
        rev = int(revenue * factor)
        figures.append(
            (
                year,
                FiguresIn(
                    revenue_fen=rev,
                    rd_expense_fen=int(rev * rd_ratio),
                    tax_paid_fen=int(rev * rng.uniform(0.02, 0.07)),
                    high_tech_revenue_ratio=round(rng.uniform(0.3, 0.95), 2),
                ),
            )
        )
    quals: list[QualificationIn] = []

    def grant(kind: str, year: int, level: str | None = None) -> None:
        quals.append(
            QualificationIn(
                kind=kind,
                level=level,
                granted_on=date(year, 11, 30),
                certificate_number=f"{kind[:2].upper()}{year}3205{i:05d}",
                expires_on=date(year + 3, 11, 29)
                if kind in ("high_tech", "tech_sme", "specialized_sme")
                else None,
            )
        )

    r = rng.random()
    if r < 0.55:
        grant("tech_sme", 2025)
    if r < 0.42 and founded.year <= 2022:
        grant("high_tech", rng.choice([2023, 2024, 2025]), "national")
    if r < 0.16 and founded.year <= 2021:
        grant("specialized_sme", rng.choice([2024, 2025]), "provincial")
    if r < 0.03 and founded.year <= 2019:
        grant("little_giant", 2024, "national")
    if r < 0.08 and growth > 0.2:
        grant("gazelle", 2025, "provincial")
    if r < 0.015 and founded.year >= 2016:
        grant("unicorn_candidate", 2025, "city")
    if revenue >= 2_000 * WAN:
        grant("above_scale", 2024)
    if r > 0.99:
        grant("listed", 2022)
    data = EnterpriseCreate(
        uscc=make_uscc(SEED_BASE + i),
        name=f"昆山{NAME_WORDS[i % len(NAME_WORDS)]}{NAME_TRADES[chain]}{'有限公司' if i % 7 else '股份有限公司'}"
        + ("" if i < len(NAME_WORDS) * 2 else f"（{i}）"),
        district=DISTRICTS[(i * 5) % len(DISTRICTS)],
        industry_chain=chain,
        founded_on=founded,
        employees=rng.randint(15, 2500),
        invention_patents=int(rng.expovariate(1 / 8)),
        platforms=rng.sample(
            ["postdoc_station", "engineering_center", "enterprise_tech_center", "key_lab"],
            k=rng.choice([0, 0, 1, 2]),
        ),
        contacts=[
            ContactIn(name=f"{SURNAMES[i % 20]}经理", role="人事负责人", phone=make_phone(SEED_BASE * 10 + i))
        ],
    )
    return data, figures, quals


def _talent(i: int, enterprises: int) -> TalentCreate:
    rng = random.Random(100_000 + i)
    education = rng.choices(["bachelor", "master", "doctor", "other"], weights=[40, 35, 15, 10])[0]
    programs = [
        ProgramIn(name=name, year=rng.randint(2015, 2025)) for name, p in PROGRAMS if rng.random() < p
    ]
    chain = INDUSTRY_CHAINS[i % len(INDUSTRY_CHAINS)]
    is_expert = i % 10 == 0
    fields = EXPERT_FIELDS.get(chain, [chain])
    return TalentCreate(
        name=SURNAMES[i % 20] + GIVEN[i % len(GIVEN)] + ("" if i % 3 else GIVEN[(i * 7) % len(GIVEN)]),
        # One in 50 is a foreign talent holding a (2023-format) permanent residence ID.
        id_number=(make_foreign_resident_id if i % 50 == 49 else make_resident_id)(SEED_BASE + i),
        phone=make_phone(SEED_BASE + i),
        education=education,
        school=rng.choice(SCHOOLS),
        overseas=rng.random() < 0.2,
        title=rng.choice([None, None, "工程师", "高级工程师", "正高级工程师", "研究员"]),
        skill_level=rng.choice([None, None, None, "技师", "高级技师"]),
        programs=programs,
        employer_uscc=make_uscc(SEED_BASE + (i * 7) % enterprises),
        arrival_date=date(rng.randint(2008, 2025), rng.randint(1, 12), 1),
        annual_salary_fen=rng.randint(15, 150) * WAN,
        tags=["高层次人才"] if programs else [],
        expertise=f"长期从事{'、'.join(fields)}研发" if is_expert else "",
        fields=fields if is_expert else [chain],
        is_expert=is_expert,
    )


async def _seed_enterprises(session: AsyncSession, pii: PersonalData, count: int) -> int:
    made = 0
    for i in range(count):
        data, figures, quals = _enterprise(i)
        if await enterprise_service.find_by_uscc(session, data.uscc):
            continue
        bundle = await enterprise_service.register(session, pii, data, publish_event=False)
        for year, fig in figures:
            await enterprise_service.put_figures(session, bundle.enterprise, year, fig, publish_event=False)
        for q in quals:
            await enterprise_service.add_qualification(
                session, pii, bundle.enterprise, q, publish_event=False
            )
        await enterprise_service.publish(session, bundle.enterprise, registered=True)
        made += 1
    return made


async def _seed_talents(session: AsyncSession, pii: PersonalData, count: int, enterprises: int) -> int:
    made = 0
    for i in range(count):
        data = _talent(i, enterprises)
        index = pii.index(data.id_number, ID_NUMBER_PURPOSE)
        if await session.scalar(select(Talent.id).where(Talent.id_number_index == index)):
            continue
        await talent_service.register(session, pii, data, "seed")
        made += 1
    return made


async def _seed_tickets(
    session: AsyncSession, settings: Settings, pii: PersonalData, count: int, enterprises: int
) -> int:
    existing = set(
        (await session.scalars(select(Ticket.service_code).where(Ticket.service_code.like("seed-%")))).all()
    )
    types = list(TICKET_TYPES)
    made = 0
    base = datetime.now(UTC) - timedelta(days=180)
    # Mostly finished, like the city's report (100 % replied, 98 % solved), plus a few in every state.
    endings = ["closed"] * 6 + ["resolved"] * 3 + ["replied", "in_progress", "accepted", "submitted"]
    for i in range(count):
        code = f"seed-{i:04d}"
        if code in existing:
            continue
        rng = random.Random(200_000 + i)
        submitted = base + timedelta(days=i * 1.4, hours=rng.randint(0, 8))
        recent = i >= count - 8
        ending = endings[i % len(endings)] if recent else rng.choice(["closed", "closed", "resolved"])
        ticket_type = types[i % len(types)]
        data = TicketCreate(
            type=ticket_type,
            title=f"{ticket_type}咨询与办理（示例 {i + 1}）",
            description="企业员工反映相关事项，请专人对接。",
            channel=CHANNELS[i % len(CHANNELS)],
            requester_name=f"{SURNAMES[i % 20]}先生",
            requester_phone=make_phone(300_000 + i),
            enterprise_uscc=make_uscc(SEED_BASE + i % enterprises) if i % 2 else None,
            service_code=code,
        )
        ticket, _ = await desk_service.submit(session, settings, pii, data, None, now=submitted)
        path = ["accepted", "in_progress", "replied", "resolved", "closed"]
        stop = path.index(ending) + 1 if ending != "submitted" else 0
        moment = submitted
        for step in path[:stop]:
            moment += timedelta(hours=rng.randint(2, 40))
            await desk_service.move(
                session,
                ticket,
                step,
                f"staff:{ticket.officer}",
                now=moment,
                reply="已由专人对接办理，详见答复函。" if step == "replied" else None,
            )
        if ending in ("resolved", "closed") and rng.random() < 0.7:
            rating = rng.choice(["satisfied"] * 3 + ["basically_satisfied"] * 3)
            await desk_service.rate(session, ticket, rating, None, now=moment + timedelta(hours=1))
        made += 1
    return made


# The service month of the seeds (001_*): five teams visited 167 companies and collected 201 problems, 100 %
# replied and 98 % basically solved. With fewer seeded enterprises the figures scale down in the same proportion.
MONTH_CODE = "seed-service-month"
MONTH_COMPANIES, MONTH_PROBLEMS, MONTH_SOLVED = 167, 201, 197


async def _seed_campaign(
    session: AsyncSession, settings: Settings, pii: PersonalData, enterprises: int
) -> int:
    """The demo service month, through the campaigns service (visits → tickets) and the desk (replies)."""
    if await session.scalar(select(Campaign.id).where(Campaign.code == MONTH_CODE)) is not None:
        return 0
    companies = min(MONTH_COMPANIES, enterprises)
    problems = round(MONTH_PROBLEMS * companies / MONTH_COMPANIES)
    solved = round(MONTH_SOLVED * problems / MONTH_PROBLEMS)
    start = local_today() - timedelta(days=75)
    lead = Principal(kind="staff", subject="seed-month", roles=["officer"], department="人才办")
    usccs = [make_uscc(SEED_BASE + i) for i in range(companies)]
    teams = [
        TeamIn(
            name=f"第{n}服务队",
            leader=f"{SURNAMES[i]}队长",
            members=[f"{SURNAMES[i + 5]}专员", f"{SURNAMES[i + 10]}专员"],
        )
        for i, n in enumerate("一二三四五")
    ]
    campaign = await campaigns.create(
        session,
        CampaignCreate(
            code=MONTH_CODE,
            name="企业服务月（示例）",
            period_start=start,
            period_end=start + timedelta(days=30),
            districts=list(DISTRICTS),
            teams=teams,
            target_enterprises=usccs,
            goal_visits=MONTH_COMPANIES,
            goal_problems=MONTH_PROBLEMS,
            goal_reply_rate=1.0,
            goal_solve_rate=0.95,
        ),
        lead,
    )
    teams_by_name = await campaigns.team_ids(session, campaign)
    types = ["融资需求", "人才公寓", "政策咨询", "项目审批", "配偶就业", "子女入学"]
    made = 0
    for i, uscc in enumerate(usccs):
        # The first (problems - companies) companies raise two problems, the rest one (none when fewer).
        count = (2 if i < problems - companies else 1) if problems >= companies else int(i < problems)
        day = start + timedelta(days=i % 30)
        visit = await campaigns.record_visit(
            session,
            settings,
            pii,
            campaign,
            VisitCreate(
                team=teams[i % 5].name,
                visited_on=day,
                enterprise_uscc=uscc,
                activities=["政策宣讲", "问需求", "送政策"],
                problems=[
                    ProblemIn(
                        type=types[(i + k) % len(types)], title=f"走访发现的问题（示例 {i + 1}-{k + 1}）"
                    )
                    for k in range(count)
                ],
            ),
            lead,
            teams_by_name=teams_by_name,
            now=datetime(day.year, day.month, day.day, 2, tzinfo=UTC),
        )
        for number in visit.tickets:
            ticket = await desk_service.get_by_number(session, number)
            moment = ticket.submitted_at
            steps = ["accepted", "in_progress", "replied"] + (["resolved"] if made < solved else [])
            for step in steps:
                moment += timedelta(hours=6)
                await desk_service.move(
                    session,
                    ticket,
                    step,
                    f"staff:{ticket.officer}",
                    now=moment,
                    reply="已由服务队对接相关部门答复。" if step == "replied" else None,
                )
            made += 1
    return made


async def _seed_housing(session: AsyncSession, settings: Settings) -> int:
    projects: list[dict[str, Any]] = [
        {
            "code": "HQ-TALENT-01",
            "name": "花桥国际人才公寓",
            "district": "花桥",
            "classes": ["A", "B", "C", "D"],
            "rent": 180000,
        },
        {
            "code": "GX-TALENT-01",
            "name": "高新区人才社区",
            "district": "高新区",
            "classes": ["A", "B", "C", "D", "E"],
            "rent": 150000,
        },
        {
            "code": "KF-TALENT-01",
            "name": "开发区青年人才驿站",
            "district": "开发区",
            "classes": ["C", "D", "E"],
            "rent": 90000,
        },
    ]
    made = 0
    for p in projects:
        if await session.scalar(select(HousingProject.id).where(HousingProject.code == p["code"])):
            continue
        await housing_service.create_project(
            session,
            ProjectCreate(
                code=p["code"],
                name=p["name"],
                district=p["district"],
                address=f"昆山市{p['district']}",
                eligible_classes=p["classes"],
                monthly_rent_fen=p["rent"],
                units=[
                    UnitIn(unit_number=f"{b}-{n:02d}", layout="一室一厅", area_m2=45.0)
                    for b in (1, 2)
                    for n in range(1, 11)
                ],
            ),
        )
        made += 1
    if made:
        talents = (
            await session.scalars(
                select(Talent)
                .where(Talent.talent_class.is_not(None), Talent.employer_id.is_not(None))
                .order_by(Talent.id)
            )
        ).all()
        for j, t in enumerate(talents[:45]):
            code = projects[j % 3]["code"]
            if t.talent_class not in projects[j % 3]["classes"]:
                continue
            if await session.scalar(
                select(HousingApplication.id).where(HousingApplication.talent_id == t.id)
            ):
                continue
            await housing_service.apply(session, t.id, code)
        units = (await session.scalars(select(HousingUnit).order_by(HousingUnit.unit_number).limit(12))).all()
        for u in units:
            await housing_service.release_unit(session, u.id, settings.housing_offer_days)
    return made


async def seed(
    settings: ServiceSettings,
    *,
    enterprises: int = ENTERPRISES,
    talents: int = TALENTS,
    tickets: int = TICKETS,
) -> None:
    assert isinstance(settings, Settings)
    pii = PersonalData.from_settings(settings)
    engine = create_engine(settings.database_url, pool_size=2)
    sessionmaker = create_sessionmaker(engine)
    try:
        # One transaction per part: a rerun after a failure resumes where it stopped.
        steps: list[tuple[str, Callable[[AsyncSession], Awaitable[int]]]] = [
            ("enterprises", lambda s: _seed_enterprises(s, pii, enterprises)),
            ("talents", lambda s: _seed_talents(s, pii, talents, enterprises)),
            ("tickets", lambda s: _seed_tickets(s, settings, pii, tickets, enterprises)),
            ("housing projects", lambda s: _seed_housing(s, settings)),
            ("service-month tickets", lambda s: _seed_campaign(s, settings, pii, enterprises)),
        ]
        for name, step in steps:
            async with sessionmaker() as session, session.begin():
                made = await step(session)
            print(f"talent seed: {made} new {name}")
    finally:
        await engine.dispose()
