"""政策沙盘: a draft against the version in force on the read model — gains, losses, cost, breakdowns — publishing nothing."""

from kunruyi_launcher.testing import staff
from kunruyi_policy.demo.catalog import WAN
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
    assert body["baseline"] == {"eligible": 1, "cost_fen": 15 * WAN}  # only E2 (E3's R&D spend is too small)
    assert body["draft"] == {"eligible": 2, "cost_fen": 30 * WAN}
    assert (body["gains"], body["losses"], body["cost_delta_fen"]) == (1, 0, 15 * WAN)
    assert body["published"] is False and body["over_budget"] is False
    districts = {row["key"]: row for row in body["by_district"]}
    assert districts["花桥"]["gains"] == 1 and districts["花桥"]["cost_fen"] == 15 * WAN
    assert {row["key"] for row in body["by_industry_chain"]} == {"生物医药", "集成电路"}
    assert len(detail["versions"]) == 1  # nothing was published or saved
    assert bad.status_code == 422 and bad.json()["field"] == "amount"
    assert other_department.status_code == 403
