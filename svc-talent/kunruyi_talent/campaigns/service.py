"""Service campaigns (专项服务月) and visits (走访): teams visit target companies and talents; each problem raised
on a visit becomes a ticket (channel ``visit``, the campaign's id) routed like any other; the statistics are
counted by PostgreSQL from the visits and those tickets."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from kunruyi_common.auth import Principal
from kunruyi_common.taxonomy import TAXONOMY
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_talent.access import actor_of
from kunruyi_talent.campaigns.exceptions import (
    BadCampaignPeriod,
    CampaignExists,
    CampaignNotFound,
    DuplicateTeam,
    EnterpriseNotRegistered,
    MemberInTwoTeams,
    UnknownTeam,
    VisitOutsidePeriod,
    VisitTargetRequired,
)
from kunruyi_talent.campaigns.schemas import (
    CampaignCreate,
    CampaignOut,
    GroupRates,
    Rates,
    TeamOut,
    VisitCreate,
    VisitOut,
)
from kunruyi_talent.enterprise import service as enterprise_service
from kunruyi_talent.exceptions import UnknownTalent
from kunruyi_talent.models import (
    Campaign,
    CampaignTarget,
    CampaignTeam,
    CampaignTeamMember,
    Enterprise,
    Talent,
    Ticket,
    Visit,
)
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.servicedesk import service as desk
from kunruyi_talent.servicedesk.exceptions import UnknownTicketType
from kunruyi_talent.servicedesk.routing import TICKET_TYPES
from kunruyi_talent.servicedesk.schemas import TicketCreate
from kunruyi_talent.settings import Settings


def _districts(values: Sequence[str]) -> list[str]:
    names = []
    for value in values:
        code = TAXONOMY.districts.normalise(value, field="districts")
        names.append(TAXONOMY.districts.display(code))
    return sorted(set(names), key=names.index)


async def create(session: AsyncSession, data: CampaignCreate, principal: Principal) -> Campaign:
    if data.period_end < data.period_start:
        raise BadCampaignPeriod("结束日期早于开始日期", field="period_end")
    if await session.scalar(select(Campaign.id).where(Campaign.code == data.code)) is not None:
        raise CampaignExists(f"编号 {data.code} 的专项服务活动已存在", field="code")
    seen_teams: set[str] = set()
    member_team: dict[str, str] = {}
    for i, team in enumerate(data.teams):
        name = team.name.strip()
        if name in seen_teams:
            raise DuplicateTeam(f"服务队名称“{name}”重复", field=f"teams[{i}].name")
        seen_teams.add(name)
        for member in {team.leader.strip(), *(m.strip() for m in team.members)}:
            if member in member_team and member_team[member] != name:
                raise MemberInTwoTeams(
                    f"队员“{member}”同时在“{member_team[member]}”和“{name}”两支服务队",
                    field=f"teams[{i}].members",
                    member=member,
                )
            member_team[member] = name
    usccs = [enterprise_service.validate_uscc(u, "target_enterprises") for u in data.target_enterprises]
    campaign = Campaign(
        id=uuid.uuid4(),
        code=data.code,
        name=data.name.strip(),
        period_start=data.period_start,
        period_end=data.period_end,
        districts=_districts(data.districts),
        goal_visits=data.goal_visits,
        goal_problems=data.goal_problems,
        goal_reply_rate=data.goal_reply_rate,
        goal_solve_rate=data.goal_solve_rate,
        goal_on_time_rate=data.goal_on_time_rate,
        goal_satisfaction=data.goal_satisfaction,
        created_by=actor_of(principal),
    )
    session.add(campaign)
    await session.flush()
    for team in data.teams:
        row = CampaignTeam(
            id=uuid.uuid4(), campaign_id=campaign.id, name=team.name.strip(), leader=team.leader.strip()
        )
        session.add(row)
        await session.flush()
        members = [
            team.leader.strip(),
            *(m.strip() for m in team.members if m.strip() != team.leader.strip()),
        ]
        for member in dict.fromkeys(members):
            session.add(CampaignTeamMember(campaign_id=campaign.id, team_id=row.id, member=member))
    targets = [("enterprise", u) for u in dict.fromkeys(usccs)]
    targets += [("talent", str(t)) for t in dict.fromkeys(data.target_talents)]
    for kind, target in targets:
        session.add(CampaignTarget(campaign_id=campaign.id, kind=kind, target=target))
    await session.flush()
    return campaign


async def get(session: AsyncSession, code: str) -> Campaign:
    campaign = await session.scalar(select(Campaign).where(Campaign.code == code))
    if campaign is None:
        raise CampaignNotFound(f"没有编号为 {code[:40]} 的专项服务活动")
    return campaign


async def teams(session: AsyncSession, campaign: Campaign) -> list[CampaignTeam]:
    return list(
        (
            await session.scalars(
                select(CampaignTeam)
                .where(CampaignTeam.campaign_id == campaign.id)
                .order_by(CampaignTeam.name)
            )
        ).all()
    )


async def view(session: AsyncSession, campaign: Campaign) -> CampaignOut:
    members: dict[uuid.UUID, list[str]] = {}
    for row in (
        await session.scalars(
            select(CampaignTeamMember)
            .where(CampaignTeamMember.campaign_id == campaign.id)
            .order_by(CampaignTeamMember.id)
        )
    ).all():
        members.setdefault(row.team_id, []).append(row.member)
    counts = dict(
        (
            await session.execute(
                select(CampaignTarget.kind, func.count())
                .where(CampaignTarget.campaign_id == campaign.id)
                .group_by(CampaignTarget.kind)
            )
        ).all()
    )
    return CampaignOut(
        code=campaign.code,
        name=campaign.name,
        period_start=campaign.period_start,
        period_end=campaign.period_end,
        districts=list(campaign.districts),
        teams=[
            TeamOut(name=t.name, leader=t.leader, members=members.get(t.id, []))
            for t in await teams(session, campaign)
        ],
        target_enterprises=int(counts.get("enterprise", 0)),
        target_talents=int(counts.get("talent", 0)),
        goal_visits=campaign.goal_visits,
        goal_problems=campaign.goal_problems,
        goal_reply_rate=campaign.goal_reply_rate,
        goal_solve_rate=campaign.goal_solve_rate,
        goal_on_time_rate=campaign.goal_on_time_rate,
        goal_satisfaction=campaign.goal_satisfaction,
        created_at=campaign.created_at,
    )


async def check_visit(
    session: AsyncSession, campaign: Campaign, team_ids: dict[str, uuid.UUID], data: VisitCreate
) -> tuple[uuid.UUID, str, str, str | None]:
    """(team id, target kind, target, enterprise name) of a valid visit, or the problem with the field named."""
    team_id = team_ids.get(data.team.strip())
    if team_id is None:
        raise UnknownTeam(
            f"服务队“{data.team[:60]}”不属于该活动（可选：{'、'.join(team_ids)}）", field="team"
        )
    if not campaign.period_start <= data.visited_on <= campaign.period_end:
        raise VisitOutsidePeriod(
            f"走访日期 {data.visited_on} 不在活动期间 {campaign.period_start} 至 {campaign.period_end} 内",
            field="visited_on",
        )
    if (data.enterprise_uscc is None) == (data.talent_id is None):
        raise VisitTargetRequired("走访对象须为一家企业或一名人才，且只能是其一", field="enterprise_uscc")
    for i, problem in enumerate(data.problems):
        if problem.type not in TICKET_TYPES:
            raise UnknownTicketType(
                f"诉求类型“{problem.type[:20]}”不存在，可选：{'、'.join(TICKET_TYPES)}",
                field=f"problems[{i}].type",
            )
    if data.enterprise_uscc is not None:
        uscc = enterprise_service.validate_uscc(data.enterprise_uscc, "enterprise_uscc")
        name = await session.scalar(select(Enterprise.name).where(Enterprise.uscc == uscc))
        if name is None:
            raise EnterpriseNotRegistered(
                f"企业 {uscc} 不在企业库中：请先建档（POST /api/v1/enterprises）再登记走访",
                field="enterprise_uscc",
                register_at="/api/v1/enterprises",
                uscc=uscc,
            )
        return team_id, "enterprise", uscc, name
    assert data.talent_id is not None
    if await session.get(Talent, data.talent_id) is None:
        raise UnknownTalent("人才档案不存在", field="talent_id")
    return team_id, "talent", str(data.talent_id), None


async def team_ids(session: AsyncSession, campaign: Campaign) -> dict[str, uuid.UUID]:
    return {t.name: t.id for t in await teams(session, campaign)}


async def record_visit(
    session: AsyncSession,
    settings: Settings,
    pii: PersonalData,
    campaign: Campaign,
    data: VisitCreate,
    principal: Principal,
    *,
    source: str = "api",
    teams_by_name: dict[str, uuid.UUID] | None = None,
    now: datetime | None = None,
) -> VisitOut:
    teams_by_name = teams_by_name if teams_by_name is not None else await team_ids(session, campaign)
    team_id, kind, target, company = await check_visit(session, campaign, teams_by_name, data)
    visit = Visit(
        id=uuid.uuid4(),
        campaign_id=campaign.id,
        team_id=team_id,
        visited_on=data.visited_on,
        target_kind=kind,
        target=target,
        activities=list(dict.fromkeys(data.activities)),
        policies_delivered=list(dict.fromkeys(p.strip() for p in data.policies_delivered if p.strip())),
        source=source,
        recorded_by=actor_of(principal),
    )
    session.add(visit)
    await session.flush()
    numbers = []
    for problem in data.problems:
        ticket, _secret = await desk.submit(
            session,
            settings,
            pii,
            TicketCreate(
                type=problem.type,
                title=problem.title,
                description=problem.description,
                requester_name=(company or data.team)[:60],
                enterprise_uscc=target if kind == "enterprise" else None,
                talent_id=uuid.UUID(target) if kind == "talent" else None,
            ),
            principal,
            now=now,
            visit=(campaign.id, visit.id),
        )
        numbers.append(ticket.ticket_number)
    return VisitOut(
        id=visit.id,
        team=data.team.strip(),
        visited_on=visit.visited_on,
        target_kind=kind,
        target=target,
        activities=visit.activities,
        policies_delivered=visit.policies_delivered,
        source=source,
        tickets=numbers,
    )


async def list_visits(session: AsyncSession, campaign: Campaign, limit: int) -> list[VisitOut]:
    names = {v: k for k, v in (await team_ids(session, campaign)).items()}
    visits = (
        await session.scalars(
            select(Visit)
            .where(Visit.campaign_id == campaign.id)
            .order_by(Visit.visited_on.desc(), Visit.created_at.desc())
            .limit(limit)
        )
    ).all()
    tickets: dict[uuid.UUID, list[str]] = {}
    if visits:
        for visit_id, number in (
            await session.execute(
                select(Ticket.visit_id, Ticket.ticket_number)
                .where(Ticket.visit_id.in_([v.id for v in visits]))
                .order_by(Ticket.ticket_number)
            )
        ).all():
            if visit_id is not None:
                tickets.setdefault(visit_id, []).append(number)
    return [
        VisitOut(
            id=v.id,
            team=names.get(v.team_id, ""),
            visited_on=v.visited_on,
            target_kind=v.target_kind,
            target=v.target,
            activities=list(v.activities),
            policies_delivered=list(v.policies_delivered),
            source=v.source,
            tickets=tickets.get(v.id, []),
        )
        for v in visits
    ]


# ---------------------------------------------------------------------------
# Statistics: visits against targets, problems (tickets of the campaign), reply / solve / on-time / satisfaction
# ---------------------------------------------------------------------------

# One row per group: visits and distinct targets visited from the visits, problems and their rates from the
# campaign's tickets (a ticket's team and 区镇 are its visit's team and the visited company's district; a talent
# visit has the district “人才”). Rates as the service desk counts them (servicedesk.service._STATS_SQL).
_STATS_SQL = """
WITH v AS (
    SELECT v.id, v.target_kind, v.target, t.name AS team,
           COALESCE(e.district, CASE WHEN v.target_kind = 'talent' THEN '人才' ELSE '未知' END) AS district
    FROM visits v
    JOIN campaign_teams t ON t.id = v.team_id
    LEFT JOIN enterprises e ON v.target_kind = 'enterprise' AND e.uscc = v.target
    WHERE v.campaign_id = :campaign
),
k AS (
    SELECT tk.status, tk.replied_at, tk.deadline, tk.satisfaction, v.team, v.district,
           tk.replied_at IS NOT NULL AND (tk.replied_at AT TIME ZONE 'Asia/Shanghai')::date <= tk.deadline
               AS in_time
    FROM tickets tk JOIN v ON v.id = tk.visit_id
    WHERE tk.campaign_id = :campaign
),
visited AS (
    SELECT ({key})::text AS key, count(*) AS visits,
           count(DISTINCT (target_kind, target)) FILTER (
               WHERE EXISTS (SELECT 1 FROM campaign_targets ct WHERE ct.campaign_id = :campaign
                             AND ct.kind = v.target_kind AND ct.target = v.target)
           ) AS visited_targets
    FROM v GROUP BY 1
),
problems AS (
    SELECT ({key})::text AS key,
           count(*) AS problems,
           count(replied_at) AS replied,
           count(*) FILTER (WHERE status IN ('resolved', 'closed')) AS solved,
           count(*) FILTER (WHERE in_time) AS on_time,
           count(satisfaction) AS rated,
           round(avg(satisfaction)::numeric, 2)::float AS satisfaction
    FROM k GROUP BY 1
)
SELECT COALESCE(visited.key, problems.key) AS key,
       COALESCE(visits, 0) AS visits,
       COALESCE(visited_targets, 0) AS visited_targets,
       COALESCE(problems, 0) AS problems,
       COALESCE(replied, 0) AS replied,
       COALESCE(solved, 0) AS solved,
       COALESCE(on_time, 0) AS on_time,
       COALESCE(rated, 0) AS rated,
       satisfaction
FROM visited FULL JOIN problems ON visited.key = problems.key
ORDER BY 1
"""


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _rates(row: dict[str, object], targets: int | None) -> dict[str, object]:
    problems = int(row["problems"])  # type: ignore[call-overload]
    return {
        **row,
        "targets": targets,
        "reply_rate": _rate(int(row["replied"]), problems),  # type: ignore[call-overload]
        "solve_rate": _rate(int(row["solved"]), problems),  # type: ignore[call-overload]
        "on_time_rate": _rate(int(row["on_time"]), problems),  # type: ignore[call-overload]
    }


async def stats(
    session: AsyncSession, campaign: Campaign
) -> tuple[Rates, list[GroupRates], list[GroupRates]]:
    targets = int(
        await session.scalar(
            select(func.count()).select_from(CampaignTarget).where(CampaignTarget.campaign_id == campaign.id)
        )
        or 0
    )

    async def grouped(key: str) -> list[dict[str, object]]:
        result = await session.execute(text(_STATS_SQL.format(key=key)), {"campaign": campaign.id})
        return [dict(r) for r in result.mappings().all()]

    [total] = await grouped("'全部'") or [
        {"key": "全部", "visits": 0, "visited_targets": 0, "problems": 0, "replied": 0, "solved": 0}
        | {"on_time": 0, "rated": 0, "satisfaction": None}
    ]
    by_team = [GroupRates.model_validate(_rates(r, None)) for r in await grouped("team")]
    by_district = [GroupRates.model_validate(_rates(r, None)) for r in await grouped("district")]
    totals = _rates(total, targets)
    totals.pop("key", None)
    return Rates.model_validate(totals), by_team, by_district
