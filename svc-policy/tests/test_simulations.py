"""政策沙盘: a draft against the version in force on the read model — gains, losses, cost, breakdowns — publishing nothing."""

from kunruyi_launcher.testing import staff
from kunruyi_policy.demo.catalog_builders import WAN
from kunruyi_policy.demo.samples import SAMPLE_ENTERPRISE
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def add_enterprise(session: AsyncSession, uscc: str, **profile) -> None:  # type: ignore[no-untyped-def]
    import json

    await session.execute(
        text(
            "INSERT INTO entity_profiles (entity_type, entity_id, name, profile) VALUES ('enterprise', :i, '', :p)"
        ),
        {"i": uscc, "p": json.dumps({**SAMPLE_ENTERPRISE, **profile})},
    )


async def test_lowering_a_threshold_shows_who_gains_and_what_it_costs(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    await add_enterprise(session, "E1", rd_ratio=0.028, district="花桥", industry_chain="生物医药")
    await add_enterprise(session, "E2", rd_ratio=0.032, district="开发区")
    await add_enterprise(session, "E3", rd_ratio=0.06, district="开发区", rd_expense_fen=50 * WAN)
    draft = {
        "criteria": [
            {
                "id": "rd_ratio",
                "label": "研发占比不低于2.5%",
                "kind": "data",
                "rule": {">=": [{"var": "rd_ratio"}, 0.025]},
            },
            {
                "id": "rd_expense",
                "label": "研发费用不低于100万元",
                "kind": "data",
                "rule": {">=": [{"var": "rd_expense_fen"}, 100 * WAN]},
            },
        ],
        "amount": {"*": [{"var": "rd_expense_fen"}, 0.05]},
        "amount_cap_fen": 200 * WAN,
    }
    async with client(staff("officer", department="科技局")) as c:
        body = (
            await c.post(
                "/api/v1/policy-simulations",
                json={"policy_code": "KS-KJ-005", "draft": draft, "evaluation_date": "2025-06-01"},
            )
        ).json()
        detail = (await c.get("/api/v1/policies/KS-KJ-005")).json()
        bad = await c.post(
            "/api/v1/policy-simulations",
            json={"policy_code": "KS-KJ-005", "draft": {**draft, "amount": {"^": [1]}}},
        )
        other_department = None
    async with client(staff("officer", department="人社局")) as c:
        other_department = await c.post(
            "/api/v1/policy-simulations", json={"policy_code": "KS-KJ-005", "draft": draft}
        )
    assert body["entities"] == 3 and body["baseline_version"] == 1
    assert body["baseline"] == {  # only E2 (E3's R&D spend is too small)
        "eligible": 1,
        "cost_fen": 15 * WAN,
        "needs_confirmation": 0,
        "errors": 0,
    }
    assert body["draft"] == {"eligible": 2, "cost_fen": 30 * WAN, "needs_confirmation": 0, "errors": 0}
    assert (body["gains"], body["losses"], body["cost_delta_fen"]) == (1, 0, 15 * WAN)
    assert body["published"] is False and body["over_budget"] is False
    districts = {row["key"]: row for row in body["by_district"]}
    assert districts["花桥"]["gains"] == 1 and districts["花桥"]["cost_fen"] == 15 * WAN
    assert {row["key"] for row in body["by_industry_chain"]} == {"生物医药", "集成电路"}
    assert len(detail["versions"]) == 1  # nothing was published or saved
    assert bad.status_code == 422 and bad.json()["field"] == "amount"
    assert other_department.status_code == 403


async def test_raising_a_parameter_shows_who_loses_and_the_cost_against_the_budget(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    await add_enterprise(session, "E1", rd_ratio=0.032, rd_expense_fen=300 * WAN, district="开发区")
    await add_enterprise(session, "E2", rd_ratio=0.05, rd_expense_fen=300 * WAN, district="花桥")
    await add_enterprise(session, "E3", rd_ratio=0.05, rd_expense_fen=300 * WAN, employees=0, district="花桥")
    async with client(staff("officer", department="科技局")) as c:
        detail = (await c.get("/api/v1/policies/KS-KJ-005")).json()
        rules = detail["rules"]
        parameters = rules["parameters"]
        # only the dated parameters change: the threshold rises to 4 %, the rate to 10 %
        parameters["min_rd_ratio"]["values"].append(
            {"effective_from": "2025-01-01", "value": 0.04, "reference": "演示草案"}
        )
        parameters["subsidy_rate"]["values"].append(
            {"effective_from": "2025-01-01", "value": 0.1, "reference": "演示草案"}
        )
        draft = {
            "criteria": rules["criteria"],
            "amount": rules["amount"],
            "amount_cap_fen": rules["amount_cap_fen"],
            "parameters": parameters,
        }
        patched = await c.patch("/api/v1/policies/KS-KJ-005", json={"annual_budget_fen": 50 * WAN})
        assert patched.status_code == 200, patched.text
        body = (
            await c.post(
                "/api/v1/policy-simulations",
                json={"policy_code": "KS-KJ-005", "draft": draft, "evaluation_date": "2025-06-01"},
            )
        ).json()
        # a draft whose amount divides by the headcount: E3 (no employees) cannot be evaluated
        per_head = {**draft, "amount": {"/": [{"var": "rd_expense_fen"}, {"var": "employees"}]}}
        errors = (
            await c.post(
                "/api/v1/policy-simulations",
                json={"policy_code": "KS-KJ-005", "draft": per_head, "evaluation_date": "2025-06-01"},
            )
        ).json()
        # without a draft in the request the saved draft is simulated; there is none yet
        no_draft = await c.post("/api/v1/policy-simulations", json={"policy_code": "KS-KJ-005"})
        saved = await c.put("/api/v1/policies/KS-KJ-005/draft", json=draft)
        assert saved.status_code == 200, saved.text
        from_saved = (
            await c.post(
                "/api/v1/policy-simulations",
                json={"policy_code": "KS-KJ-005", "evaluation_date": "2025-06-01"},
            )
        ).json()
        after = (await c.get("/api/v1/policies/KS-KJ-005")).json()
    assert body["baseline"]["eligible"] == 3 and body["baseline"]["cost_fen"] == 45 * WAN
    assert body["draft"]["eligible"] == 2 and body["draft"]["cost_fen"] == 60 * WAN  # E2, E3 at 10 %
    assert (body["gains"], body["losses"], body["cost_delta_fen"]) == (0, 1, 15 * WAN)
    assert body["annual_budget_fen"] == 50 * WAN
    assert body["over_budget"] is True and body["budget_used_ratio"] == 1.2
    districts = {row["key"]: row for row in body["by_district"]}
    assert districts["开发区"]["losses"] == 1 and districts["开发区"]["cost_delta_fen"] == -15 * WAN
    assert districts["花桥"]["cost_fen"] == 60 * WAN
    assert errors["draft"]["errors"] == 1 and errors["draft"]["eligible"] == 1  # E2 only; E3 is an error
    assert no_draft.status_code == 409 and no_draft.json()["code"] == "no_draft"
    assert from_saved["draft"] == body["draft"] and from_saved["losses"] == 1
    # the version in force is unchanged: the draft stays a draft
    assert after["rules"]["parameters"]["min_rd_ratio"]["values"][-1]["value"] == 0.035
    assert [v["state"] for v in after["versions"]] == ["published", "draft"]
