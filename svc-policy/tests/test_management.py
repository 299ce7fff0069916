"""Department staff create, edit, validate, publish (dated versions) and suspend policies; events follow."""

from typing import Any

from kunruyi_launcher.testing import staff
from kunruyi_policy.demo.catalog_builders import WAN
from kunruyi_policy.demo.samples import SAMPLE_ENTERPRISE, by_code
from kunruyi_policy.demo.samples import new_policy_body as new_policy
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

OFFICER = staff("officer", department="科技局")
RULES_V1 = {
    "criteria": [
        {
            "id": "ratio",
            "label": "研发占比不低于4%",
            "kind": "data",
            "rule": {">=": [{"var": "rd_ratio"}, 0.04]},
        }
    ],
    "amount": 8 * WAN,
}
RULES_V2 = {
    "criteria": [
        {
            "id": "ratio",
            "label": "研发占比不低于3%",
            "kind": "data",
            "rule": {">=": [{"var": "rd_ratio"}, 0.03]},
        }
    ],
    "amount": {"*": [{"var": "rd_expense_fen"}, 0.02]},
    "amount_cap_fen": 5 * WAN,
}


async def policy_events(session: AsyncSession, code: str) -> list[tuple[str, dict[str, Any]]]:
    rows = await session.execute(
        text(
            "SELECT type, envelope FROM outbox_events WHERE subject = :c AND type LIKE 'kunruyi.policy.policy.%' ORDER BY seq"
        ),
        {"c": code},
    )
    return [(r[0], r[1]["data"]) for r in rows]


async def calculate(c, date: str, code: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = {
        "profile": SAMPLE_ENTERPRISE,
        "beneficiary": "enterprise",
        "evaluation_date": date,
        "policy_codes": [code],
    }
    return by_code((await c.post("/api/v1/policy-calculator?detail=full", json=body)).json())[code]


async def test_versions_are_dated_immutable_and_announced(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        assert (await c.post("/api/v1/policies", json=new_policy("KS-T-VER"))).status_code == 201
        assert (await c.put("/api/v1/policies/KS-T-VER/draft", json=RULES_V1)).status_code == 200
        v1 = await c.post("/api/v1/policies/KS-T-VER/publish", json={"effective_from": "2024-01-01"})
        assert v1.json()["version"] == 1 and v1.json()["state"] == "published"
        assert (await c.put("/api/v1/policies/KS-T-VER/draft", json=RULES_V2)).json()["version"] == 2
        early = await c.post("/api/v1/policies/KS-T-VER/publish", json={"effective_from": "2023-06-01"})
        assert early.status_code == 422 and early.json()["code"] == "effective_date_too_early"
        assert (
            await c.post("/api/v1/policies/KS-T-VER/publish", json={"effective_from": "2025-07-01"})
        ).status_code == 200
        old = await calculate(c, "2025-06-30", "KS-T-VER")
        new = await calculate(c, "2025-07-01", "KS-T-VER")
        detail = (await c.get("/api/v1/policies/KS-T-VER")).json()
    assert (old["version"], old["status"]) == (1, "ineligible")  # rd_ratio 0.032 < 0.04
    assert (new["version"], new["status"], new["amount_fen"]) == (
        2,
        "eligible",
        5 * WAN,
    )  # 300万 × 2 % = 6万, cap 5万
    assert [v["version"] for v in detail["versions"]] == [1, 2]
    assert detail["versions"][0]["criteria"] == RULES_V1["criteria"]  # the old version is untouched
    events = await policy_events(session, "KS-T-VER")
    assert [t for t, _ in events] == [
        "kunruyi.policy.policy.published",
        "kunruyi.policy.policy.version_added",
    ]
    assert events[1][1]["version"] == 2 and events[1][1]["department"] == "科技局"


async def test_bad_rules_are_rejected_on_save_with_the_path(client) -> None:  # type: ignore[no-untyped-def]
    bad = {
        "criteria": [
            RULES_V1["criteria"][0],
            {"id": "x", "label": "坏", "kind": "data", "rule": {"and": [True, {"var": "salary"}]}},
        ],
        "amount": 1,
    }
    async with client(OFFICER) as c:
        await c.post("/api/v1/policies", json=new_policy("KS-T-BAD"))
        saved = await c.put("/api/v1/policies/KS-T-BAD/draft", json=bad)
        checked = await c.post("/api/v1/policies/KS-T-BAD/validate", json=bad)
        ok = await c.post("/api/v1/policies/KS-T-BAD/validate", json=RULES_V1)
        nothing = await c.post("/api/v1/policies/KS-T-BAD/publish", json={"effective_from": "2024-01-01"})
    assert saved.status_code == 422 and saved.json()["code"] == "invalid_rule"
    assert saved.json()["field"] == "criteria[1].rule.and[1].var"
    assert checked.json() == {
        "valid": False,
        "errors": [
            {
                "path": "criteria[1].rule.and[1].var",
                "code": "unknown_variable",
                "message": "变量字典中没有 salary",
            }
        ],
        "warnings": [],
    }
    assert ok.json() == {"valid": True, "errors": [], "warnings": []}
    assert nothing.status_code == 409 and nothing.json()["code"] == "no_draft"


async def test_suspend_hides_the_policy_from_the_calculator(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        await c.post("/api/v1/policies", json=new_policy("KS-T-SUS"))
        await c.put("/api/v1/policies/KS-T-SUS/draft", json=RULES_V2)
        await c.post("/api/v1/policies/KS-T-SUS/publish", json={"effective_from": "2024-01-01"})
        suspended = await c.post("/api/v1/policies/KS-T-SUS/suspend")
        result = (
            await c.post(
                "/api/v1/policy-calculator?detail=full",
                json={
                    "profile": SAMPLE_ENTERPRISE,
                    "beneficiary": "enterprise",
                    "policy_codes": ["KS-T-SUS"],
                },
            )
        ).json()
        twice = await c.post("/api/v1/policies/KS-T-SUS/suspend")
    assert suspended.json()["status"] == "suspended" and result["results"] == []
    assert twice.status_code == 409
    assert [t for t, _ in await policy_events(session, "KS-T-SUS")][-1] == "kunruyi.policy.policy.suspended"


async def test_edit_updates_search_and_roles_and_departments_are_enforced(client) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        await c.post("/api/v1/policies", json=new_policy("KS-T-EDT"))
        edited = await c.patch("/api/v1/policies/KS-T-EDT", json={"title": "量子科技企业首购补贴"})
        found = (await c.get("/api/v1/policies", params={"q": "量子科技", "status": "draft"})).json()["items"]
        duplicate = await c.post("/api/v1/policies", json=new_policy("KS-T-EDT"))
        bad_dates = await c.post("/api/v1/policies", json=new_policy("KS-T-DTS", valid_to="2020-01-01"))
    assert edited.json()["title"] == "量子科技企业首购补贴" and found[0]["code"] == "KS-T-EDT"
    assert duplicate.status_code == 409 and bad_dates.status_code == 422
    async with client(staff("officer", department="人社局")) as c:
        other = await c.patch("/api/v1/policies/KS-T-EDT", json={"title": "越权修改"})
    async with client(staff("reviewer", department="科技局")) as c:
        reviewer = await c.post("/api/v1/policies", json=new_policy("KS-T-REV"))
    async with client(staff("admin")) as c:
        admin = await c.patch("/api/v1/policies/KS-T-EDT", json={"payout_days": 15})
    assert other.status_code == 403 and other.json()["code"] == "other_department"
    assert reviewer.status_code == 403
    assert admin.status_code == 200 and admin.json()["payout_days"] == 15


async def test_a_catalog_edit_shows_in_the_calculator_after_publication(client) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        await c.post("/api/v1/policies", json=new_policy("KS-T-TTL"))
        await c.put("/api/v1/policies/KS-T-TTL/draft", json=RULES_V1)
        await c.post("/api/v1/policies/KS-T-TTL/publish", json={"effective_from": "2024-01-01"})
        before = await calculate(c, "2025-06-01", "KS-T-TTL")  # compiles and caches the published version
        await c.patch("/api/v1/policies/KS-T-TTL", json={"title": "研发强度提升奖励（修订）"})
        after = await calculate(c, "2025-06-01", "KS-T-TTL")
    assert before["title"] != "研发强度提升奖励（修订）"
    assert after["title"] == "研发强度提升奖励（修订）" and after["version"] == before["version"] == 1


async def test_create_and_publish_are_safe_to_retry_with_an_idempotency_key(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        key = {"Idempotency-Key": "create-KS-T-IDM"}
        first = await c.post("/api/v1/policies", json=new_policy("KS-T-IDM"), headers=key)
        retry = await c.post("/api/v1/policies", json=new_policy("KS-T-IDM"), headers=key)
        other = await c.post("/api/v1/policies", json=new_policy("KS-T-IDX"), headers=key)
        await c.put("/api/v1/policies/KS-T-IDM/draft", json=RULES_V1)
        publish_key = {"Idempotency-Key": "publish-KS-T-IDM-v1"}
        published = await c.post(
            "/api/v1/policies/KS-T-IDM/publish", json={"effective_from": "2024-01-01"}, headers=publish_key
        )
        # the answer was lost on the way back: the client retries and gets the same version, not 409 no_draft
        replayed = await c.post(
            "/api/v1/policies/KS-T-IDM/publish", json={"effective_from": "2024-01-01"}, headers=publish_key
        )
        unkeyed = await c.post("/api/v1/policies/KS-T-IDM/publish", json={"effective_from": "2024-01-01"})
        detail = (await c.get("/api/v1/policies/KS-T-IDM")).json()
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry.headers.get("idempotent-replayed") == "true"
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_conflict"
    assert published.status_code == replayed.status_code == 200
    assert replayed.json() == published.json() and replayed.json()["version"] == 1
    assert unkeyed.status_code == 409 and unkeyed.json()["code"] == "no_draft"
    assert len(detail["versions"]) == 1
    assert [t for t, _ in await policy_events(session, "KS-T-IDM")] == ["kunruyi.policy.policy.published"]


async def test_an_edit_setting_a_required_field_to_null_is_a_422_naming_it(client) -> None:  # type: ignore[no-untyped-def]
    # Found by schemathesis: {"title": null} reached the NOT NULL column and came back as an anonymous
    # constraint_violation; null only clears valid_to.
    async with client(OFFICER) as c:
        await c.post("/api/v1/policies", json=new_policy("KS-T-NUL", valid_to="2030-12-31"))
        nulls = {
            f: await c.patch("/api/v1/policies/KS-T-NUL", json={f: None}) for f in ("title", "payout_days")
        }
        cleared = await c.patch("/api/v1/policies/KS-T-NUL", json={"valid_to": None})
        kept = (await c.get("/api/v1/policies/KS-T-NUL")).json()
    for field, resp in nulls.items():
        assert resp.status_code == 422 and resp.json()["field"] == field, resp.text
    assert cleared.status_code == 200 and cleared.json()["valid_to"] is None
    assert kept["title"] == new_policy("KS-T-NUL")["title"]


async def test_a_catalog_change_made_elsewhere_shows_in_the_next_calculation(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    """Each replica keeps its compiled catalog per revision token; a write by any path (another replica, an
    import, plain SQL) changes the token in its transaction, so the next calculation here compiles afresh."""
    async with client(OFFICER) as c:
        await c.post("/api/v1/policies", json=new_policy("KS-T-REP"))
        await c.put("/api/v1/policies/KS-T-REP/draft", json=RULES_V1)
        await c.post("/api/v1/policies/KS-T-REP/publish", json={"effective_from": "2024-01-01"})
        before = await calculate(c, "2025-06-01", "KS-T-REP")  # compiled and cached for this token
        await session.execute(
            text(
                "UPDATE departments SET name = '昆山市科学技术局（更名）' "
                "WHERE code = (SELECT department_code FROM policies WHERE code = 'KS-T-REP')"
            )
        )
        renamed = await calculate(c, "2025-06-01", "KS-T-REP")
        # suspended by plain SQL, not through the service (as another replica's or an import's write looks here)
        await session.execute(text("UPDATE policies SET status = 'suspended' WHERE code = 'KS-T-REP'"))
        body = {
            "profile": SAMPLE_ENTERPRISE,
            "beneficiary": "enterprise",
            "evaluation_date": "2025-06-01",
            "policy_codes": ["KS-T-REP"],
        }
        suspended = (await c.post("/api/v1/policy-calculator", json=body)).json()
    assert before["department"] != "昆山市科学技术局（更名）"
    assert renamed["department"] == "昆山市科学技术局（更名）"
    assert suspended["summary"]["eligible"] == 0 and suspended["eligible"] == []


async def test_the_catalog_revision_changes_with_every_catalog_write_and_a_rollback_restores_it(
    session: AsyncSession,
) -> None:
    async def token() -> Any:
        return (await session.execute(text("SELECT token FROM catalog_revision WHERE id = 1"))).scalar_one()

    first = await token()
    await session.execute(text("SELECT count(*) FROM policies"))
    await session.execute(text("UPDATE entitlement_runs SET status = status"))  # not a catalog table
    assert await token() == first
    seen = {first}
    for statement in (
        "UPDATE policies SET title = title || '（修订）' WHERE code = 'KS-KJ-001'",
        "UPDATE policy_versions SET note = note WHERE false",  # a statement, even one changing no row
        "UPDATE policy_groups SET annual_cap_fen = annual_cap_fen",
        "UPDATE departments SET name = name",
        "UPDATE policy_categories SET name = name",
        "UPDATE policy_themes SET name = name",
    ):
        await session.execute(text(statement))
        changed = await token()
        assert changed not in seen, statement
        seen.add(changed)
    current = await token()
    async with session.begin_nested() as savepoint:
        await session.execute(text("DELETE FROM policy_groups WHERE false"))
        assert await token() != current
        await savepoint.rollback()
    assert await token() == current
