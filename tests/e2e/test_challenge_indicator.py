"""Issue 16's cockpit counts 揭榜挂帅 from the platform's own data: a company publishes a challenge through the
gateway, a team takes it, two reviewers score and the officer awards it in svc-matching; svc-matching's
``challenge.awarded`` event, over the real bus, moves svc-talent's 新增“揭榜挂帅”攻关项目 by one, in the publishing
company's 区镇 — nobody reports the number by hand."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(300)


def _indicator(driver: Any) -> dict[str, Any]:
    resp = driver.as_staff("officer", "GET", "/api/v1/indicators/challenge_projects", department="科技局")
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def _in(body: dict[str, Any], district: str) -> float:
    return next((d["actual"] for d in body["by_district"] if d["district_name"] == district), 0)


def test_an_awarded_challenge_moves_the_indicator_in_the_publishers_district(driver: Any) -> None:
    uscc = driver.register_enterprise(name="昆山揭榜发榜精密机械有限公司", district="陆家")
    before = _indicator(driver)
    assert before["kind"] == "computed" and before["unit"] == "项"

    published = driver.as_staff(
        "officer",
        "POST",
        "/api/v1/challenges",
        "科技局",
        json={
            "title": "精密减速器寿命提升攻关",
            "goal": "额定寿命从 6000 小时提升到 10000 小时",
            "requirements": "具备齿轮修形和寿命试验能力",
            "industry_chain": "高端装备",
            "budget_fen": 300_000_000,
            "deadline": (date.today() + timedelta(days=30)).isoformat(),
            "publisher_uscc": uscc,
        },
    )
    assert published.status_code == 201, published.text
    cid = published.json()["id"]
    applied = driver.as_staff(
        "officer",
        "POST",
        f"/api/v1/challenges/{cid}/applications",
        json={
            "team_name": "精密传动团队",
            "leader": "陈教授",
            "organization": "某大学",
            "proposal": "修形+试验",
        },
    )
    assert applied.status_code in (200, 201), applied.text
    application = applied.json()["applications"][0]["id"]
    for reviewer, score in (("review-a", 88), ("review-b", 84)):
        scored = driver.as_staff(
            "reviewer",
            "POST",
            f"/api/v1/challenges/{cid}/applications/{application}/scores",
            "科技局",
            subject=reviewer,
            json={"score": score},
        )
        assert scored.status_code == 200, scored.text
    awarded = driver.as_staff(
        "officer", "POST", f"/api/v1/challenges/{cid}/award", "科技局", json={"application_id": application}
    )
    assert awarded.status_code == 200 and awarded.json()["status"] == "awarded", awarded.text

    def counted() -> dict[str, Any] | None:
        now = _indicator(driver)
        return now if now["actual"] == before["actual"] + 1 else None

    after = driver.eventually(counted, "新增揭榜挂帅攻关项目 to count the awarded challenge")
    assert _in(after, "陆家") == _in(before, "陆家") + 1
