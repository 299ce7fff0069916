"""Who may do what: a 揭榜挂帅 challenge belongs to its publisher's department (another department's staff are refused
every step, 403 ``other_department``), a reviewer never scores a team they filed themselves, another broker is
refused a demand's release whatever its stage, and a KPI period outside the calendar is a 422, never a 500."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from kunruyi_launcher.testing import staff
from kunruyi_matching.synthetic.identifiers import make_uscc

from .test_engagement import assigned_demand

DEADLINE = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()


def challenge_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "title": "精密减速器寿命提升攻关",
        "goal": "额定寿命提升到 10000 小时",
        "requirements": "具备寿命试验能力",
        "industry_chain": "高端装备",
        "budget_fen": 300_000_000,
        "deadline": DEADLINE,
    }
    body.update(overrides)
    return body


def team(name: str) -> dict[str, str]:
    return {"team_name": name, "leader": "陈教授", "organization": "某大学", "proposal": f"{name}的方案"}


async def test_another_departments_staff_cannot_run_a_challenge(client) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("officer", department="科技局", subject="kj-officer")) as c:
        published = await c.post("/api/v1/challenges", json=challenge_body())
        assert published.status_code == 201, published.text
        cid = published.json()["id"]
        app = (await c.post(f"/api/v1/challenges/{cid}/applications", json=team("甲团队"))).json()
        application = app["applications"][0]["id"]
    scores = f"/api/v1/challenges/{cid}/applications/{application}/scores"

    # Another department's reviewer and officer: no score, no award, and the teams' proposals stay unread.
    async with client(staff("reviewer", department="人社局", subject="rs-reviewer")) as c:
        r = await c.post(scores, json={"score": 90})
        assert r.status_code == 403 and r.json()["code"] == "other_department", r.text
    async with client(staff("officer", department="人社局", subject="rs-officer")) as c:
        r = await c.post(scores, json={"score": 90, "reviewer": "外部专家"})
        assert r.status_code == 403 and r.json()["code"] == "other_department", r.text
        seen = (await c.get(f"/api/v1/challenges/{cid}")).json()
        assert seen["applications"] == [] and seen["department"] == "科技局"
    async with client(staff("officer", subject="no-department-officer")) as c:
        r = await c.post(scores, json={"score": 90, "reviewer": "外部专家"})
        assert r.status_code == 403 and r.json()["code"] == "other_department", r.text
        # nor does a token without a department publish one (it would belong to nobody)
        r = await c.post("/api/v1/challenges", json=challenge_body())
        assert r.status_code == 403 and r.json()["code"] == "other_department", r.text

    # The publishing department's reviewer scores.
    async with client(staff("reviewer", department="科技局", subject="kj-reviewer")) as c:
        r = await c.post(scores, json={"score": 88})
        assert r.status_code == 200, r.text
        assert len(r.json()["applications"]) == 1

    async with client(staff("officer", department="人社局", subject="rs-officer")) as c:
        r = await c.post(f"/api/v1/challenges/{cid}/award", json={"application_id": application})
        assert r.status_code == 403 and r.json()["code"] == "other_department", r.text
    async with client(staff("officer", department="科技局", subject="kj-officer")) as c:
        r = await c.post(f"/api/v1/challenges/{cid}/award", json={"application_id": application})
        assert r.status_code == 200 and r.json()["status"] == "awarded", r.text
    async with client(staff("officer", department="人社局", subject="rs-officer")) as c:
        r = await c.post(f"/api/v1/challenges/{cid}/milestones", json={"title": "样品完成"})
        assert r.status_code == 403 and r.json()["code"] == "other_department", r.text
    # An admin acts for every department.
    async with client(staff("admin", department="人社局", subject="admin-1")) as c:
        r = await c.post(f"/api/v1/challenges/{cid}/milestones", json={"title": "样品完成"})
        assert r.status_code == 200, r.text
    async with client(staff("officer", department="人社局", subject="rs-officer")) as c:
        r = await c.post(f"/api/v1/challenges/{cid}/acceptance", json={"note": "同意验收"})
        assert r.status_code == 403 and r.json()["code"] == "other_department", r.text
    async with client(staff("officer", department="科技局", subject="kj-officer")) as c:
        r = await c.post(f"/api/v1/challenges/{cid}/acceptance", json={"note": "同意验收"})
        assert r.status_code == 200 and r.json()["status"] == "accepted", r.text


async def test_a_reviewer_never_scores_a_team_they_filed(client) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("officer", department="科技局")) as c:
        cid = (await c.post("/api/v1/challenges", json=challenge_body(title="自评回避"))).json()["id"]
    # A staff member holding both the broker and the reviewer role files a team, then tries to score it.
    async with client(staff("broker", "reviewer", subject="dual-role", department="科技局")) as c:
        filed = await c.post(f"/api/v1/challenges/{cid}/applications", json=team("自家团队"))
        assert filed.status_code == 201, filed.text
        own = filed.json()["applications"][0]["id"]
        r = await c.post(f"/api/v1/challenges/{cid}/applications/{own}/scores", json={"score": 100})
        assert r.status_code == 403 and r.json()["code"] == "own_application", r.text
    # Nor does an officer record a score in that reviewer's name for it.
    async with client(staff("officer", department="科技局")) as c:
        r = await c.post(
            f"/api/v1/challenges/{cid}/applications/{own}/scores",
            json={"score": 100, "reviewer": "dual-role"},
        )
        assert r.status_code == 403 and r.json()["code"] == "own_application", r.text
        other = (await c.post(f"/api/v1/challenges/{cid}/applications", json=team("别家团队"))).json()
        theirs = next(a["id"] for a in other["applications"] if a["team_name"] == "别家团队")
    async with client(staff("broker", "reviewer", subject="dual-role", department="科技局")) as c:
        r = await c.post(f"/api/v1/challenges/{cid}/applications/{theirs}/scores", json={"score": 80})
        assert r.status_code == 200, r.text


async def test_another_broker_is_refused_a_release_at_any_stage(client) -> None:  # type: ignore[no-untyped-def]
    uscc = make_uscc(random.Random(41))
    async with client(staff("officer", department="科技局")) as c:
        for subject in ("rel-holder", "rel-other"):
            made = await c.post(
                "/api/v1/brokers",
                json={
                    "subject": subject,
                    "name": subject,
                    "agency": "乙机构",
                    "certification": "中级",
                    "fields": [],
                    "chains": ["smart_manufacturing"] if subject == "rel-holder" else [],
                    "monthly_capacity": 5,
                },
            )
            assert made.status_code == 201, made.text
        demand_id = await assigned_demand(c, "rel-holder", uscc)
    async with client(staff("broker", subject="rel-holder")) as c:
        moved = await c.post(f"/api/v1/demands/{demand_id}/stages", json={"stage": "recommended"})
        assert moved.status_code == 200, moved.text
    async with client(staff("broker", subject="rel-other")) as c:
        for path, body in (
            (f"/api/v1/demands/{demand_id}/release", {}),
            (f"/api/v1/demands/{demand_id}/stages", {"stage": "negotiating"}),
        ):
            r = await c.post(path, json=body)
            assert r.status_code == 403 and r.json()["code"] == "not_your_demand", (path, r.text)


@pytest.mark.parametrize("period", ["0000", "0001", "9999", "9999-12", "9999-Q4", "1-1", "-001"])
async def test_a_period_outside_the_calendar_is_a_422(client, period: str) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("officer")) as c:
        r = await c.get("/api/v1/brokers/kpis", params={"period": period})
        assert r.status_code == 422 and r.json()["code"] == "invalid_period", r.text
        assert r.json()["field"] == "period"
