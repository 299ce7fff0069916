"""Awards for a status are paid in the period the status was obtained, once; 小型微利企业 follows the tax law's
three tests; a figure the profile does not give is unknown (needs_data), never a silent 0."""

from datetime import UTC, date, datetime
from typing import Any

from kunruyi_policy.demo.catalog_builders import WAN
from kunruyi_policy.demo.samples import by_code
from kunruyi_policy.entitlements.service import determine_for_entity
from kunruyi_policy.models import Entitlement
from kunruyi_policy.profiles.handlers import EnterpriseEventData, enterprise_profile
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

USCC = "91320583MA1PAY0NCE"

BASE: dict[str, Any] = {
    "district": "周市",
    "industry_chain": "装备制造",
    "founded_years": 12,
    "employees": 120,
    "revenue_fen": 20_000 * WAN,
    "rd_expense_fen": 900 * WAN,
    "tax_paid_fen": 300 * WAN,
    "high_tech_revenue_ratio": 0.5,
    "invention_patents": 20,
    "new_invention_patents": 0,
    "total_assets_fen": 30_000 * WAN,
    "taxable_income_fen": 2_000 * WAN,
}
HELD_SINCE_2020 = {"high_tech": {"granted_on": "2023-11-06", "first_granted_on": "2020-12-02"}}
RENEWED_2026 = {"high_tech": {"granted_on": "2026-03-20", "first_granted_on": "2020-12-02"}}


async def calculate(c, profile, when, **extra):  # type: ignore[no-untyped-def]
    body = {"profile": profile, "beneficiary": "enterprise", "evaluation_date": when, **extra}
    response = await c.post("/api/v1/policy-calculator?detail=full", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_company_holding_high_tech_since_2020_gets_no_renewal_award_in_2026(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        held = by_code(await calculate(c, {**BASE, "qualification_dates": HELD_SINCE_2020}, "2026-06-01"))
        renewed = by_code(await calculate(c, {**BASE, "qualification_dates": RENEWED_2026}, "2026-06-01"))
        renewed_next_year = by_code(
            await calculate(c, {**BASE, "qualification_dates": RENEWED_2026}, "2027-06-01")
        )
    assert held["KS-KJ-002"]["status"] == "ineligible"
    assert held["KS-KJ-002"]["almost"]["missing"] == [
        {"variable": "renewed_qualifications", "missing": "high_tech"}
    ]
    assert held["KS-KJ-001"]["status"] == "ineligible"  # nor the first-certification award
    # still a high-tech enterprise for the items that ask for holding the status
    assert held["KS-KJ-009"]["criteria"][0]["state"] == "pass"
    assert renewed["KS-KJ-002"]["status"] == "eligible" and renewed["KS-KJ-002"]["amount_fen"] == 10 * WAN
    assert renewed["KS-KJ-001"]["status"] == "ineligible"
    assert renewed_next_year["KS-KJ-002"]["status"] == "ineligible"


async def test_expired_qualification_is_not_held(client) -> None:  # type: ignore[no-untyped-def]
    lapsed = {"high_tech": {"granted_on": "2020-12-02", "expires_on": "2023-12-01"}}
    async with client() as c:
        found = by_code(await calculate(c, {**BASE, "qualification_dates": lapsed}, "2026-06-01"))
        body = await calculate(c, {**BASE, "qualification_dates": lapsed}, "2026-06-01")
    assert found["KS-KJ-009"]["status"] == "ineligible"
    assert body["profile"]["qualification_dates"] == {
        "high_tech": {**lapsed["high_tech"], "first_granted_on": None}
    }


async def test_renewal_determined_once_in_its_year_and_never_after(session: AsyncSession) -> None:
    profile = enterprise_profile(
        EnterpriseEventData.model_validate({"uscc": USCC, **BASE, "qualification_dates": RENEWED_2026})
    )
    assert "total_assets_fen" not in profile["_unknown"]
    for when in (date(2026, 6, 1), date(2026, 9, 1), date(2027, 6, 1), date(2028, 6, 1)):
        await determine_for_entity(session, "enterprise", USCC, profile, at=when)
    rows = (
        await session.execute(
            select(Entitlement.policy_code, Entitlement.period).where(Entitlement.entity_id == USCC)
        )
    ).all()
    assert [tuple(r) for r in rows if r[0] == "KS-KJ-002"] == [("KS-KJ-002", "2026")]
    assert not any(r[0] == "KS-KJ-001" for r in rows)


async def test_a_one_off_award_is_not_paid_again_when_a_profile_keeps_saying_new(
    session: AsyncSession,
) -> None:
    """A source that lists 高企 as new every year (no dates) still gets the first-certification award once."""
    profile = enterprise_profile(
        EnterpriseEventData.model_validate(
            {"uscc": USCC, **BASE, "qualifications": ["high_tech"], "new_qualifications": ["high_tech"]}
        )
    )
    await determine_for_entity(session, "enterprise", USCC, profile, at=date(2025, 6, 1))
    await determine_for_entity(session, "enterprise", USCC, profile, at=date(2026, 6, 1))
    periods = (
        await session.execute(
            select(Entitlement.period).where(
                Entitlement.entity_id == USCC, Entitlement.policy_code == "KS-KJ-001"
            )
        )
    ).scalars()
    assert list(periods) == ["2025"]


async def test_ip_award_counts_patents_granted_in_the_period_not_all_held(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        none_new = by_code(await calculate(c, BASE, "2026-06-01"))
        three_new = by_code(await calculate(c, {**BASE, "new_invention_patents": 3}, "2026-06-01"))
    assert none_new["KS-SJ-001"]["status"] == "ineligible"
    assert (
        three_new["KS-SJ-001"]["status"] == "eligible"
        and three_new["KS-SJ-001"]["amount_fen"] == 15_000 * 100
    )


async def test_small_low_profit_enterprise_uses_the_tax_law_tests(client) -> None:  # type: ignore[no-untyped-def]
    small = {**BASE, "employees": 60, "total_assets_fen": 3_000 * WAN, "taxable_income_fen": 200 * WAN}
    async with client() as c:
        ok = await calculate(c, small, "2026-06-01")
        too_much_income = by_code(
            await calculate(c, {**small, "taxable_income_fen": 301 * WAN}, "2026-06-01")
        )
        too_big = by_code(await calculate(c, {**small, "total_assets_fen": 5_001 * WAN}, "2026-06-01"))
        # revenue is not one of the tests: a small firm with high revenue and thin profit still qualifies
        high_revenue = by_code(await calculate(c, {**small, "revenue_fen": 9_000 * WAN}, "2026-06-01"))
        no_assets = {k: v for k, v in small.items() if k != "total_assets_fen"}
        unknown = by_code(await calculate(c, no_assets, "2026-06-01"))
    item = by_code(ok)["KS-SW-001"]
    # 减按25%计入、按20%税率：少缴应纳税所得额的 20%（200万 → 40万）, a tax relief, not cash
    assert item["status"] == "eligible"
    assert item["amount_fen"] == 40 * WAN and item["benefit_kind"] == "tax"
    assert too_much_income["KS-SW-001"]["status"] == "ineligible"
    assert too_big["KS-SW-001"]["status"] == "ineligible"
    assert high_revenue["KS-SW-001"]["status"] == item["status"]
    assert unknown["KS-SW-001"]["status"] == "needs_data"
    assert unknown["KS-SW-001"]["missing_data"] == ["total_assets_fen"]
    assert unknown["KS-SW-001"]["amount_fen"] is None
    assert [c["state"] for c in unknown["KS-SW-001"]["criteria"]] == ["pass", "missing", "pass"]


async def test_an_omitted_figure_is_needs_data_not_zero(client) -> None:  # type: ignore[no-untyped-def]
    """稳岗补贴 tests 10 ≤ employees ≤ 100: omitted, the company is neither eligible (0 would fail) nor refused."""
    profile = {k: v for k, v in BASE.items() if k != "employees"}
    async with client() as c:
        body = await calculate(c, profile, "2026-06-01")
        compact = (
            await c.post(
                "/api/v1/policy-calculator",
                json={"profile": profile, "beneficiary": "enterprise", "evaluation_date": "2026-06-01"},
            )
        ).json()
    assert "employees" in body["missing_data"]
    assert by_code(body)["KS-RS-003"]["status"] == "needs_data"
    assert {"policy_code": "KS-RS-003"}.items() <= next(
        r for r in compact["needs_data"] if r["policy_code"] == "KS-RS-003"
    ).items()
    # a known failing criterion still says ineligible: KS-KJ-001 needs a new 高企, whatever the figures
    assert by_code(body)["KS-KJ-001"]["status"] == "ineligible"


async def test_stored_profile_without_a_figure_is_not_determined(session: AsyncSession) -> None:
    data = {k: v for k, v in BASE.items() if k not in ("total_assets_fen", "taxable_income_fen")}
    profile = enterprise_profile(EnterpriseEventData.model_validate({"uscc": USCC, **data, "employees": 50}))
    assert {"total_assets_fen", "taxable_income_fen"} <= set(profile["_unknown"])
    await determine_for_entity(session, "enterprise", USCC, profile, at=date(2026, 6, 1))
    codes = set(
        (
            await session.execute(select(Entitlement.policy_code).where(Entitlement.entity_id == USCC))
        ).scalars()
    )
    assert "KS-RS-003" in codes  # employees known (50): 稳岗补贴 determined


async def test_by_id_the_calculator_shows_a_one_off_award_already_granted(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    from kunruyi_launcher.testing import staff
    from kunruyi_policy.profiles.handlers import upsert_profile

    profile = enterprise_profile(
        EnterpriseEventData.model_validate(
            {"uscc": USCC, **BASE, "qualifications": ["high_tech"], "new_qualifications": ["high_tech"]}
        )
    )
    await upsert_profile(session, "enterprise", USCC, "", profile, datetime.now(UTC))
    await determine_for_entity(session, "enterprise", USCC, profile, at=date(2025, 6, 1))
    async with client(staff("reviewer")) as c:
        body = (
            await c.post(
                "/api/v1/policy-calculator?detail=full",
                json={"entity_type": "enterprise", "entity_id": USCC, "evaluation_date": "2026-06-01"},
            )
        ).json()
    first = by_code(body)["KS-KJ-001"]
    assert first["status"] == "excluded" and first["stacking"]["granted_in"] == "2025"
    assert first["amount_fen"] is None


def _talent_platform_event(**platform: Any) -> dict[str, Any]:
    """An enterprise.updated as svc-talent publishes it after a 科创平台 is recorded (platforms/ module)."""
    return {"uscc": USCC, **BASE, **platform}


async def test_a_new_platform_recognition_is_determined_once_not_again_next_year(
    session: AsyncSession,
) -> None:
    """工程技术研究中心奖励 (KS-KJ-007) for a centre recognised in 2026: determined in 2026 however often the
    profile is evaluated, never in 2027 or 2028 (still held, no longer new); a platform past its expiry is not
    held and a new recognition that already expired pays nothing."""
    profile = enterprise_profile(
        EnterpriseEventData.model_validate(
            _talent_platform_event(
                platforms=["engineering_center"],
                platform_dates={"engineering_center": "2026-06-18"},
                platform_expiry={"engineering_center": "2029-06-17"},
                platform_levels={"engineering_center": "省"},
            )
        )
    )
    assert profile["platform_levels"] == {"engineering_center": "省"}
    for when in (date(2026, 5, 1), date(2026, 7, 1), date(2026, 12, 1), date(2027, 6, 1), date(2028, 6, 1)):
        await determine_for_entity(session, "enterprise", USCC, profile, at=when)
    rows = (
        await session.execute(
            select(Entitlement.policy_code, Entitlement.period).where(Entitlement.entity_id == USCC)
        )
    ).all()
    # not before the recognition date (May), once in its year, never after
    assert [tuple(r) for r in rows if r[0] == "KS-KJ-007"] == [("KS-KJ-007", "2026")]

    other = "91320583MA1PLATF0R"
    lapsed = enterprise_profile(
        EnterpriseEventData.model_validate(
            {
                **_talent_platform_event(
                    platforms=["engineering_center"],
                    platform_dates={"engineering_center": "2026-01-10"},
                    platform_expiry={"engineering_center": "2026-03-31"},
                ),
                "uscc": other,
            }
        )
    )
    await determine_for_entity(session, "enterprise", other, lapsed, at=date(2026, 6, 1))
    codes = set(
        (
            await session.execute(select(Entitlement.policy_code).where(Entitlement.entity_id == other))
        ).scalars()
    )
    assert "KS-KJ-007" not in codes
