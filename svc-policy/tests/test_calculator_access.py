"""Who may have the calculator read an entity's stored profile by id (its revenue, tax, R&D, staff, patents):
the company itself (苏商通 session, its own USCC), staff, a partner holding policy:read, another service. Anyone
else gets nothing of the stored figures and sends a profile instead."""

from typing import Any

from kunruyi_common.auth import Principal
from kunruyi_common.events import CloudEvent
from kunruyi_launcher.testing import partner, staff
from kunruyi_policy.demo.samples import SAMPLE_ENTERPRISE
from kunruyi_policy.profiles.handlers import on_enterprise
from sqlalchemy.ext.asyncio import AsyncSession

USCC = "91320583MA1XXXXX0A"
OTHER_USCC = "91320583MA1YYYYY0B"
BY_ID = {"entity_type": "enterprise", "entity_id": USCC}


def enterprise_event() -> CloudEvent:
    data = {
        "uscc": USCC,
        "name": "昆山测试科技有限公司",
        "district": "开发区",
        "industry_chain": "集成电路",
        "founded_on": None,
        "founded_years": 6,
        "employees": 80,
        "fiscal_year": 2025,
        "revenue_fen": 6_000_000_000,
        "rd_expense_fen": 300_000_000,
        "tax_paid_fen": 200_000_000,
        "rd_ratio": 0.05,
        "high_tech_revenue_ratio": 0.7,
        "qualifications": ["high_tech"],
        "new_qualifications": [],
        "invention_patents": 6,
        "platforms": [],
        "growth_stage": "growth",
    }
    return CloudEvent(source="talent", type="kunruyi.talent.enterprise.registered", subject=USCC, data=data)


def company(uscc: str) -> Principal:
    return Principal(kind="public", subject=f"enterprise:{uscc}", name="昆山测试科技有限公司", target=uscc)


async def ask(client: Any, principal: Principal | None, body: dict[str, Any]) -> Any:
    async with client(principal) as c:
        return await c.post("/api/v1/policy-calculator?detail=full", json=body)


async def test_the_stored_profile_is_read_by_id_only_by_those_entitled_to_it(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    await on_enterprise(session, enterprise_event())
    allowed = {
        "staff": staff("finance"),
        "partner with policy:read": partner("policy:read"),
        "the company itself": company(USCC),
        "the company itself, lower case": company(USCC.lower()),
        "another service": Principal(kind="service", subject="svc-disbursement"),
    }
    for who, principal in allowed.items():
        resp = await ask(client, principal, BY_ID)
        assert resp.status_code == 200, (who, resp.text)
        assert resp.json()["profile"]["employees"] == 80, who

    refused = {
        "anonymous": (None, 401, "entity_read_requires_credentials"),
        "a 昆e服 page visitor": (
            Principal(kind="public", subject="qr:3f2a", target=USCC),
            401,
            "entity_read_requires_credentials",
        ),
        "partner without the scope": (partner("talent:read"), 403, "scope_denied"),
        "staff without a role": (staff(), 403, "role_required"),
        "another company": (company(OTHER_USCC), 403, "not_own_entity"),
    }
    for who, (principal, status, code) in refused.items():
        resp = await ask(client, principal, BY_ID)
        assert (resp.status_code, resp.json()["code"]) == (status, code), (who, resp.text)
        assert resp.json()["field"] == "entity_id"
        assert "profile" not in resp.json() and "results" not in resp.json()

    # A company session may not read a talent by id either (it is not that person).
    talent = await ask(client, company(USCC), {"entity_type": "talent", "entity_id": "t-1"})
    assert (talent.status_code, talent.json()["code"]) == (403, "not_own_entity")


async def test_anyone_may_calculate_from_a_profile_they_send(client) -> None:  # type: ignore[no-untyped-def]
    for principal in (None, partner("talent:read"), company(OTHER_USCC)):
        resp = await ask(client, principal, {"profile": SAMPLE_ENTERPRISE, "beneficiary": "enterprise"})
        assert resp.status_code == 200, resp.text
        assert resp.json()["results"]
