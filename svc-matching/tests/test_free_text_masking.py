"""Personal numbers people type into svc-matching's other free text — a broker's stage notes, a release note, every
揭榜挂帅 text, supply profiles, a demand's region — are masked before they are stored, published, indexed or shown;
and a 揭榜挂帅 team's proposal and leader are read only by the challenge's staff, its publisher and the team."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from kunruyi_common.auth import Principal
from kunruyi_launcher.testing import partner, staff
from kunruyi_matching.supply.consumer import TalentPerson, to_supply
from kunruyi_matching.supply.service import row_values
from kunruyi_matching.synthetic.identifiers import make_uscc
from sqlalchemy import text

from .test_demands import demand_body

PHONE = "13812345678"
MASKED = "138****5678"


async def _outbox(session: Any, subject: str) -> str:
    rows = await session.execute(
        text("SELECT envelope::text FROM outbox_events WHERE subject = :s ORDER BY seq"), {"s": subject}
    )
    return "\n".join(rows.scalars())


async def _assigned_demand(client: Any, session: Any, title: str) -> tuple[str, str]:
    """An approved demand with a broker (the one assignment chose) and that broker's subject."""
    async with client(staff("officer")) as c:
        broker = await c.post(
            "/api/v1/brokers",
            json={
                "subject": "mask-broker",
                "name": "钱经纪",
                "agency": "脱敏测试机构",
                "certification": "高级",
                "fields": ["machine_vision"],
                "chains": ["smart_manufacturing"],
                "monthly_capacity": 50,
            },
        )
        assert broker.status_code == 201, broker.text
        created = await c.post(
            "/api/v1/demands",
            json=demand_body(
                title=title,
                description="产线外观缺陷检测方案",
                industry_chain="smart_manufacturing",
                technical_field="machine_vision",
                region=f"昆山 {PHONE}",
            ),
        )
        assert created.status_code == 201, created.text
        demand = created.json()
        reviewed = await c.post(f"/api/v1/demands/{demand['id']}/review", json={"decision": "approve"})
        assert reviewed.json()["status"] == "assigned", reviewed.text
    subject = (
        await session.execute(
            text("SELECT b.subject FROM demands d JOIN brokers b ON b.id = d.broker_id WHERE d.id = :id"),
            {"id": demand["id"]},
        )
    ).scalar_one()
    return str(demand["id"]), str(subject)


async def test_a_brokers_stage_note_is_masked_in_the_answer_the_pipeline_the_row_and_the_event(
    client: Any, session: Any
) -> None:
    demand_id, broker = await _assigned_demand(client, session, "机器视觉缺陷检测（备注脱敏）")
    async with client(staff("broker", subject=broker)) as c:
        moved = await c.post(
            f"/api/v1/demands/{demand_id}/stages", json={"stage": "recommended", "note": f"已联系 {PHONE}"}
        )
        assert moved.status_code == 200, moved.text
        pipeline = await c.get(f"/api/v1/demands/{demand_id}/engagement")
        assert pipeline.status_code == 200, pipeline.text
    shown = moved.text + pipeline.text
    assert PHONE not in shown
    assert f"已联系 {MASKED}" in [h["note"] for h in pipeline.json()["history"]]
    notes = (
        await session.execute(
            text("SELECT note FROM engagement_stage_records WHERE demand_id = :id"), {"id": demand_id}
        )
    ).scalars()
    assert f"已联系 {MASKED}" in list(notes)
    events = await _outbox(session, demand_id)
    assert "kunruyi.matching.engagement.stage_changed" in events and MASKED in events
    assert PHONE not in events


async def test_a_release_note_is_masked_and_so_is_the_demands_region(client: Any, session: Any) -> None:
    demand_id, broker = await _assigned_demand(client, session, "机器视觉缺陷检测（释放脱敏）")
    async with client(staff("broker", subject=broker)) as c:
        released = await c.post(f"/api/v1/demands/{demand_id}/release", json={"note": f"客户改电话 {PHONE}"})
        assert released.status_code == 200, released.text
        pipeline = await c.get(f"/api/v1/demands/{demand_id}/engagement")
    async with client(staff("officer")) as c:
        detail = await c.get(f"/api/v1/demands/{demand_id}")
    assert detail.json()["region"] == f"昆山 {MASKED}"
    assert f"客户改电话 {MASKED}" in [h["note"] for h in pipeline.json()["history"]]
    row = (
        await session.execute(
            text(
                "SELECT d.region, string_agg(r.note, ' ') FROM demands d "
                "JOIN engagement_stage_records r ON r.demand_id = d.id WHERE d.id = :id GROUP BY d.region"
            ),
            {"id": demand_id},
        )
    ).one()
    for shown in (
        released.text,
        pipeline.text,
        detail.text,
        row[0],
        row[1],
        await _outbox(session, demand_id),
    ):
        assert PHONE not in shown


async def _challenge(c: Any, publisher: str, requirements: str = "具备寿命试验能力") -> str:
    created = await c.post(
        "/api/v1/challenges",
        json={
            "title": "精密减速器寿命提升攻关",
            "goal": "额定寿命从 6000 小时提升到 10000 小时",
            "requirements": requirements,
            "industry_chain": "高端装备",
            "budget_fen": 300_000_000,
            "deadline": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
            "publisher_uscc": publisher,
        },
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _apply(team: str, proposal: str, leader: str = "陈教授") -> dict[str, str]:
    return {"team_name": team, "leader": leader, "organization": "某大学", "proposal": proposal}


async def test_every_challenge_text_is_masked_in_rows_events_and_answers(client: Any, session: Any) -> None:
    async with client(staff("officer", department="科技局")) as c:
        cid = await _challenge(
            c, make_uscc(random.Random(40)), requirements=f"具备寿命试验能力，咨询 {PHONE}"
        )
        applied = await c.post(
            f"/api/v1/challenges/{cid}/applications",
            json=_apply(f"甲团队{PHONE}", f"联系人 {PHONE}", leader=f"陈{PHONE}"),
        )
        assert applied.status_code == 201, applied.text
        app_id = applied.json()["applications"][0]["id"]
        scored = await c.post(
            f"/api/v1/challenges/{cid}/applications/{app_id}/scores",
            json={"score": 90, "comment": f"可电话 {PHONE} 复核", "reviewer": "外部专家"},
        )
        awarded = await c.post(f"/api/v1/challenges/{cid}/award", json={"application_id": app_id})
        step = await c.post(
            f"/api/v1/challenges/{cid}/milestones",
            json={"title": f"样品交付 {PHONE}", "note": f"联系 {PHONE}"},
        )
        accepted = await c.post(f"/api/v1/challenges/{cid}/acceptance", json={"note": f"验收联系人 {PHONE}"})
        assert accepted.status_code == 200, accepted.text
    shown = "".join(r.text for r in (applied, scored, awarded, step, accepted))
    assert PHONE not in shown and MASKED in shown
    view = accepted.json()
    assert view["requirements"] == f"具备寿命试验能力，咨询 {MASKED}"
    assert view["applications"][0]["proposal"] == f"联系人 {MASKED}"
    assert view["applications"][0]["leader"] == f"陈{MASKED}"
    assert [m["note"] for m in view["milestones"]] == [f"联系 {MASKED}", f"验收联系人 {MASKED}"]
    stored = (
        await session.execute(
            text(
                "SELECT concat_ws(' ', c.title, c.goal, c.requirements, a.team_name, a.leader, a.organization, "
                "a.proposal, s.comment, (SELECT string_agg(m.title || ' ' || coalesce(m.note, ''), ' ') "
                "FROM challenge_milestones m WHERE m.challenge_id = c.id)) "
                "FROM challenges c JOIN challenge_applications a ON a.challenge_id = c.id "
                "JOIN challenge_scores s ON s.application_id = a.id WHERE c.id = :id"
            ),
            {"id": cid},
        )
    ).scalar_one()
    assert MASKED in stored and PHONE not in stored
    events = await _outbox(session, cid)
    assert "kunruyi.matching.challenge.milestone_recorded" in events and PHONE not in events


async def test_a_teams_proposal_is_read_only_by_the_challenge_staff_its_publisher_and_the_team(
    client: Any,
) -> None:
    publisher = make_uscc(random.Random(41))
    async with client(staff("officer", department="科技局")) as c:
        cid = await _challenge(c, publisher)
    first = partner("matching:write", "matching:read", subject="team-a-platform")
    second = partner("matching:write", "matching:read", subject="team-b-platform")
    async with client(first) as c:
        applied = await c.post(
            f"/api/v1/challenges/{cid}/applications", json=_apply("甲团队", f"联系人 {PHONE}")
        )
        assert applied.status_code == 201, applied.text
        # the team reads its own application back, the number masked
        assert [a["proposal"] for a in applied.json()["applications"]] == [f"联系人 {MASKED}"]
        own = (await c.get(f"/api/v1/challenges/{cid}")).json()
        assert [a["team_name"] for a in own["applications"]] == ["甲团队"]
    async with client(second) as c:
        theirs = await c.post(
            f"/api/v1/challenges/{cid}/applications", json=_apply("乙团队", "方案二", leader="林博士")
        )
        assert theirs.status_code == 201, theirs.text
        seen = await c.get(f"/api/v1/challenges/{cid}")
        listed = await c.get("/api/v1/challenges", params={"limit": 100})
    # A second applicant reads its own application only: no phone, not the first team's proposal or leader.
    assert PHONE not in seen.text and "联系人" not in seen.text and "陈教授" not in seen.text
    assert [a["team_name"] for a in seen.json()["applications"]] == ["乙团队"]
    assert [a["team_name"] for a in theirs.json()["applications"]] == ["乙团队"]
    assert "联系人" not in listed.text and PHONE not in listed.text
    visitor = Principal(kind="public", subject="qr:park-1", target=None)
    async with client(visitor) as c:
        public = (await c.get(f"/api/v1/challenges/{cid}")).json()
    async with client(staff("broker", subject="some-broker")) as c:
        brokers_view = (await c.get(f"/api/v1/challenges/{cid}")).json()
    for view in (public, brokers_view):
        assert view["applications"] == [] and view["milestones"] == []
        assert view["title"] == "精密减速器寿命提升攻关" and view["awarded_team_name"] is None
    # The staff running it and the company that published it read every application.
    publisher_session = Principal(kind="public", subject=f"enterprise:{publisher}", target=publisher)
    async with client(publisher_session) as c:
        by_publisher = (await c.get(f"/api/v1/challenges/{cid}")).json()
    async with client(staff("officer", department="科技局")) as c:
        by_officer = (await c.get(f"/api/v1/challenges/{cid}")).json()
    for view in (by_publisher, by_officer):
        assert sorted(a["team_name"] for a in view["applications"]) == ["乙团队", "甲团队"]
        assert f"联系人 {MASKED}" in [a["proposal"] for a in view["applications"]]
    app_id = next(a["id"] for a in by_officer["applications"] if a["team_name"] == "甲团队")
    async with client(staff("reviewer", subject="mask-reviewer", department="科技局")) as c:
        scored = await c.post(f"/api/v1/challenges/{cid}/applications/{app_id}/scores", json={"score": 90})
        assert scored.status_code == 200, scored.text
    async with client(staff("officer", department="科技局")) as c:
        await c.post(f"/api/v1/challenges/{cid}/award", json={"application_id": app_id})
        await c.post(f"/api/v1/challenges/{cid}/milestones", json={"title": "样品交付"})
    # After the award everyone reads the winning team's name; the winning team reads the milestones too.
    async with client(visitor) as c:
        public = (await c.get(f"/api/v1/challenges/{cid}")).json()
    assert public["awarded_team_name"] == "甲团队"
    assert public["applications"] == [] and public["milestones"] == []
    async with client(first) as c:
        winner = (await c.get(f"/api/v1/challenges/{cid}")).json()
    assert [m["title"] for m in winner["milestones"]] == ["样品交付"]
    async with client(second) as c:
        loser = (await c.get(f"/api/v1/challenges/{cid}")).json()
    assert loser["milestones"] == [] and loser["awarded_team_name"] == "甲团队"


async def test_a_supply_summary_is_masked_in_its_detail_and_search_and_not_indexed(client: Any) -> None:
    async with client(staff("officer", department="科技局")) as c:
        created = await c.post(
            "/api/v1/supply",
            json={
                "kind": "expert",
                "natural_key": "mask-expert-1",
                "name": "冯教授",
                "summary": f"谐波减速器柔轮疲劳寿命研究，请致电 {PHONE}",
                "region": "昆山",
                "attributes": {"keywords": [f"手机{PHONE}"]},
            },
        )
        assert created.status_code == 201, created.text
        detail = await c.get(f"/api/v1/supply/{created.json()['id']}")
        found = await c.get("/api/v1/supply", params={"q": "谐波减速器柔轮", "kind": "expert"})
        by_number = await c.get("/api/v1/supply", params={"q": PHONE, "kind": "expert"})
    assert detail.json()["summary"] == f"谐波减速器柔轮疲劳寿命研究，请致电 {MASKED}"
    hits = [h["supply"] for h in found.json()["items"]]
    assert created.json()["id"] in [h["id"] for h in hits]
    for shown in (created.text, detail.text, found.text):
        assert PHONE not in shown
    # the index holds the masked text: the number finds nothing
    assert created.json()["id"] not in [h["supply"]["id"] for h in by_number.json()["items"]]


def test_an_expert_from_svc_talent_is_stored_and_indexed_masked() -> None:
    person = TalentPerson(
        talent_id="t-mask-1",
        name="卫博士",
        expertise=f"碳化硅外延，手机 {PHONE}",
        fields=["半导体"],
        is_expert=True,
    )
    row = row_values(to_supply(person), "talent")
    assert MASKED in row["summary"] and PHONE not in row["summary"]
    assert PHONE not in row["search_tokens"]


async def test_the_migration_masks_text_stored_before_it(client: Any, session: Any) -> None:
    """matching_0012's data step masks a note, a proposal, a summary (re-segmented, new version) and an event."""
    import importlib.util
    from pathlib import Path

    import kunruyi_matching

    path = Path(kunruyi_matching.__file__).parent / "migrations/versions/matching_0012_free_text_masked.py"
    spec = importlib.util.spec_from_file_location("matching_0012", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    demand_id, _ = await _assigned_demand(client, session, "机器视觉缺陷检测（存量脱敏）")
    async with client(staff("officer")) as c:
        supply = (
            await c.post(
                "/api/v1/supply",
                json={"kind": "expert", "natural_key": "mask-old-1", "name": "褚教授", "summary": "柔性夹爪"},
            )
        ).json()
    params = {"d": demand_id, "s": supply["id"], "clear": f"请致电 {PHONE}"}
    await session.execute(
        text("UPDATE engagement_stage_records SET note = :clear WHERE demand_id = :d"), params
    )
    await session.execute(
        text(
            "UPDATE supply_entities SET summary = :clear, search_tokens = search_tokens || ' ' || :phone "
            "WHERE id = :s"
        ),
        {**params, "phone": PHONE},
    )
    await session.execute(
        text(
            "UPDATE outbox_events SET envelope = jsonb_set(envelope, '{data,note}', to_jsonb(CAST(:clear AS text))) "
            "WHERE subject = :d AND type = 'kunruyi.matching.engagement.stage_changed'"
        ),
        params,
    )

    def upgrade_data(sync_session: Any) -> None:
        bind = sync_session.connection()
        for table, columns in migration.TEXT_COLUMNS.items():
            migration._mask_columns(bind, table, columns)
        migration._mask_supply(bind)
        migration._mask_events(bind)

    await session.run_sync(upgrade_data)
    notes = (
        await session.execute(text("SELECT note FROM engagement_stage_records WHERE demand_id = :d"), params)
    ).scalars()
    assert set(notes) == {f"请致电 {MASKED}"}
    summary, tokens, version = (
        await session.execute(
            text("SELECT summary, search_tokens, version FROM supply_entities WHERE id = :s"), params
        )
    ).one()
    assert summary == f"请致电 {MASKED}" and PHONE not in tokens and version == 2
    assert PHONE not in await _outbox(session, demand_id)
    # a second run changes nothing
    await session.run_sync(upgrade_data)
    assert (
        await session.execute(text("SELECT version FROM supply_entities WHERE id = :s"), params)
    ).scalar_one() == 2


async def test_ids_masked_the_old_way_are_masked_again(client: Any, session: Any) -> None:
    """matching_0013 masks again the IDs free text kept with the old mask (city and last four, which an age narrows
    to a few dozen numbers), the way every ID is shown now; other masks stay; a second run changes nothing."""
    import importlib.util
    from pathlib import Path

    import kunruyi_matching

    path = (
        Path(kunruyi_matching.__file__).parent / "migrations/versions/matching_0013_remask_free_text_ids.py"
    )
    spec = importlib.util.spec_from_file_location("matching_0013", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    demand_id, _ = await _assigned_demand(client, session, "机器视觉缺陷检测（旧掩码）")
    old = "联系人身份证3205**********1827，电话138****5678"
    await session.execute(
        text("UPDATE demands SET description = :old WHERE id = :d"), {"old": old, "d": demand_id}
    )
    for _ in range(2):
        await session.run_sync(lambda s: migration.remask(s.connection()))
        description = (
            await session.execute(text("SELECT description FROM demands WHERE id = :d"), {"d": demand_id})
        ).scalar_one()
        assert description == "联系人身份证3****************7，电话138****5678"
