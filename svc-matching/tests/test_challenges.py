"""揭榜挂帅 from publication to acceptance, with events at each step and invalid steps refused."""

from datetime import UTC, datetime, timedelta

from kunruyi_launcher.testing import staff
from sqlalchemy import text


async def test_challenge_life_cycle(client, session) -> None:  # type: ignore[no-untyped-def]
    deadline = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    async with client(staff("officer", department="科技局")) as c:
        bad = await c.post(
            "/api/v1/challenges",
            json={
                "title": "t",
                "goal": "g",
                "requirements": "r",
                "industry_chain": "造船",
                "budget_fen": 1,
                "deadline": deadline,
            },
        )
        assert bad.status_code == 422 and bad.json()["field"] == "industry_chain"
        ch = (
            await c.post(
                "/api/v1/challenges",
                json={
                    "title": "车规级芯片先进封装可靠性攻关",
                    "goal": "封装失效率低于 10 ppm",
                    "requirements": "具备车规认证经验",
                    "industry_chain": "半导体",
                    "budget_fen": 500_000_000,
                    "deadline": deadline,
                },
            )
        ).json()
        assert ch["status"] == "published" and ch["allowed_next"] == ["apply", "score"]
        cid = ch["id"]
        early = await c.post(f"/api/v1/challenges/{cid}/award", json={"application_id": cid})
        assert early.status_code == 409 and early.json()["allowed_next"] == ["apply", "score"]
        a1 = (
            await c.post(
                f"/api/v1/challenges/{cid}/applications",
                json={
                    "team_name": "甲团队",
                    "leader": "陈教授",
                    "organization": "某大学",
                    "proposal": "方案一",
                },
            )
        ).json()
        a2 = await c.post(
            f"/api/v1/challenges/{cid}/applications",
            json={
                "team_name": "乙团队",
                "leader": "林博士",
                "organization": "某研究院",
                "proposal": "方案二",
            },
        )
        dup = await c.post(
            f"/api/v1/challenges/{cid}/applications",
            json={"team_name": "甲团队", "leader": "x", "organization": "y", "proposal": "z"},
        )
        assert dup.status_code == 409
        first_app, second_app = (a["id"] for a in a2.json()["applications"])
        assert len(a1["applications"]) == 1
        unscored = second_app
    for reviewer, s in [("r1", 90), ("r2", 80)]:
        async with client(staff("reviewer", subject=reviewer, department="科技局")) as c:
            r = await c.post(f"/api/v1/challenges/{cid}/applications/{first_app}/scores", json={"score": s})
            assert r.status_code == 200
    async with client(staff("reviewer", subject="r1", department="科技局")) as c:
        assert (
            await c.post(f"/api/v1/challenges/{cid}/applications/{first_app}/scores", json={"score": 1})
        ).status_code == 409
        other = await c.post(
            f"/api/v1/challenges/{cid}/applications/{first_app}/scores", json={"score": 1, "reviewer": "r9"}
        )
        assert other.status_code == 403 and other.json()["code"] == "not_your_score"
    async with client(staff("officer", department="科技局")) as c:
        # An officer records an external panel member's score, naming them.
        url = f"/api/v1/challenges/{cid}/applications/{first_app}/scores"
        unnamed = await c.post(url, json={"score": 85})
        assert unnamed.status_code == 422 and unnamed.json()["field"] == "reviewer"
        recorded = await c.post(url, json={"score": 85, "reviewer": "外部专家王", "comment": "会评"})
        assert recorded.status_code == 200 and recorded.json()["applications"][0]["scores"] == 3
        twice = await c.post(url, json={"score": 70, "reviewer": "r1"})
        assert twice.status_code == 409 and twice.json()["code"] == "already_scored"
    async with client(staff("officer", department="科技局")) as c:
        closed = await c.post(
            f"/api/v1/challenges/{cid}/applications",
            json={"team_name": "丙团队", "leader": "x", "organization": "y", "proposal": "z"},
        )
        assert closed.status_code == 409 and closed.json()["allowed_next"] == ["score", "award"]
        r = await c.post(f"/api/v1/challenges/{cid}/award", json={"application_id": unscored})
        assert r.status_code == 422 and r.json()["field"] == "application_id"
        r = (await c.post(f"/api/v1/challenges/{cid}/award", json={"application_id": first_app})).json()
        assert r["status"] == "awarded" and r["applications"][0]["average_score"] == 85.0
        premature = await c.post(f"/api/v1/challenges/{cid}/acceptance", json={})
        assert premature.status_code == 409 and premature.json()["allowed_next"] == ["milestone"]
        assert (await c.post(f"/api/v1/challenges/{cid}/milestones", json={"title": "样品流片"})).json()[
            "status"
        ] == "in_progress"
        done = (await c.post(f"/api/v1/challenges/{cid}/acceptance", json={"note": "专家组验收"})).json()
        assert done["status"] == "accepted" and done["allowed_next"] == []
        assert [m["title"] for m in done["milestones"]] == ["样品流片", "验收通过"]
    types = (
        (
            await session.execute(
                text("SELECT type FROM outbox_events WHERE subject = :s ORDER BY seq"), {"s": cid}
            )
        )
        .scalars()
        .all()
    )
    assert types == [
        "kunruyi.matching.challenge.published",
        "kunruyi.matching.challenge.applied",
        "kunruyi.matching.challenge.applied",
        "kunruyi.matching.challenge.scored",
        "kunruyi.matching.challenge.scored",
        "kunruyi.matching.challenge.scored",
        "kunruyi.matching.challenge.awarded",
        "kunruyi.matching.challenge.milestone_recorded",
        "kunruyi.matching.challenge.accepted",
    ]
