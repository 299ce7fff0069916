"""What an applicant reads (通俗解读, 申报材料, 受理时间, FAQ) and how an application is reviewed (stages, 公示
days) are part of the item: shown on its detail, validated on the way in, and sent with the catalog events so
svc-disbursement keeps no copy of its own."""

from typing import Any

from kunruyi_launcher.testing import staff
from kunruyi_policy.demo.samples import new_policy_body as new_policy
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

OFFICER = staff("officer", department="科技局")
RULES = {
    "criteria": [{"id": "ok", "label": "在昆注册的企业", "kind": "manual"}],
    "amount": 1_000_000,
}


async def events_of(session: AsyncSession, code: str) -> list[tuple[str, dict[str, Any]]]:
    rows = await session.execute(
        text("SELECT type, envelope FROM outbox_events WHERE subject = :c ORDER BY seq"), {"c": code}
    )
    return [(r[0], r[1]["data"]) for r in rows]


async def test_the_detail_shows_the_guide_built_from_the_rules(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        applied = (await c.get("/api/v1/policies/KS-SB-012")).json()
        automatic = (await c.get("/api/v1/policies", params={"mode": "automatic", "limit": 1})).json()[
            "items"
        ][0]
        auto_detail = (await c.get(f"/api/v1/policies/{automatic['code']}")).json()
    guide = applied["guide"]
    assert guide["plain_summary"].startswith("符合条件的企业在线申报")
    assert guide["materials"] and all(m["name"] for m in guide["materials"])
    manual = [c["label"] for c in applied["rules"]["criteria"] if c["kind"] == "manual"]
    assert {f"证明材料：{label}" for label in manual} <= {m["name"] for m in guide["materials"]}
    assert guide["notice_days"] == 0, "the demo's 公示-free item, stated by svc-policy"
    assert guide["review_stages"] == [
        "accepted",
        "first_review",
        "second_review",
        "public_notice",
        "approved",
    ]
    assert auto_detail["guide"]["materials"] == [] and auto_detail["guide"]["application_window"].startswith(
        "无需申报"
    )


async def test_stages_out_of_order_or_bad_materials_are_refused_naming_the_field(client) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        backwards = await c.post(
            "/api/v1/policies",
            json={**new_policy("KS-T-GUIDE-1"), "review_stages": ["approved", "accepted"]},
        )
        unknown = await c.post(
            "/api/v1/policies", json={**new_policy("KS-T-GUIDE-2"), "review_stages": ["accepted", "lottery"]}
        )
        nameless = await c.post(
            "/api/v1/policies", json={**new_policy("KS-T-GUIDE-3"), "materials": [{"name": ""}]}
        )
        long_notice = await c.post("/api/v1/policies", json={**new_policy("KS-T-GUIDE-4"), "notice_days": 90})
    for answer, field in (
        (backwards, "review_stages"),
        (unknown, "review_stages"),
        (nameless, "materials"),
        (long_notice, "notice_days"),
    ):
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"].startswith(field)


async def test_the_events_carry_the_review_settings_and_an_edit_announces_them(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    code = "KS-T-GUIDE-5"
    async with client(OFFICER) as c:
        created = await c.post(
            "/api/v1/policies",
            json={
                **new_policy(code),
                "review_stages": ["accepted", "first_review", "approved"],
                "notice_days": 3,
                "materials": [{"name": "营业执照副本", "required": True}],
                "faq": [{"question": "何时受理？", "answer": "常年受理。"}],
            },
        )
        assert created.status_code == 201, created.text
        assert created.json()["guide"]["review_stages"] == ["accepted", "first_review", "approved"]
        await c.patch(f"/api/v1/policies/{code}", json={"plain_summary": "草稿阶段的修改"})
        assert await events_of(session, code) == [], "a draft announces nothing"
        assert (await c.put(f"/api/v1/policies/{code}/draft", json=RULES)).status_code == 200
        assert (
            await c.post(f"/api/v1/policies/{code}/publish", json={"effective_from": "2026-01-01"})
        ).status_code == 200
        edited = await c.patch(f"/api/v1/policies/{code}", json={"notice_days": 7, "review_stages": None})
        assert edited.status_code == 200, edited.text
        await c.patch(f"/api/v1/policies/{code}", json={"plain_summary": "只改解读，不通知其他服务"})
    events = await events_of(session, code)
    assert [t for t, _ in events] == ["kunruyi.policy.policy.published", "kunruyi.policy.policy.updated"]
    published, updated = events[0][1], events[1][1]
    assert (
        published["review_stages"] == ["accepted", "first_review", "approved"]
        and published["notice_days"] == 3
    )
    assert updated["notice_days"] == 7 and updated["version"] == 1
    assert updated["review_stages"] == [
        "accepted",
        "first_review",
        "second_review",
        "public_notice",
        "approved",
    ]
