"""贴息、担保费补贴、保费补贴 without an application: svc-matching's ``financing.closed`` feeds the enterprise read
model once per loan (the same event three times, or again under another id, is one record), the period variables
count a loan in its closing year only, each item pays within its cap, and an enterprise event keeps the financings."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from kunruyi_common.clock import local_today
from kunruyi_common.events import CloudEvent
from kunruyi_policy.calculator.service import calculate
from kunruyi_policy.demo.catalog_builders import WAN
from kunruyi_policy.entitlements.service import determine_for_entity
from kunruyi_policy.models import Entitlement, EntityProfile
from kunruyi_policy.profiles.financings import FinancingClosedData, fact_of, on_financing_closed
from kunruyi_policy.profiles.handlers import (
    EnterpriseEventData,
    enterprise_profile,
    on_enterprise,
    upsert_profile,
)
from kunruyi_policy.profiles.period import for_period
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

USCC = "91320583MA1FINANC8"
IP_INTEREST, GUARANTEE_FEE, PREMIUM = "KS-JR-122", "KS-JR-123", "KS-JR-124"
FINANCING_ITEMS = (IP_INTEREST, GUARANTEE_FEE, PREMIUM)
IP_APPLICATION = "KS-SB-051"  # 知识产权质押融资贴息, 申报


def closed(loan: str, **extra: Any) -> CloudEvent:
    data = {
        "pipeline_id": "p",
        "demand_id": "d",
        "enterprise_uscc": USCC,
        "institution": "昆山农商银行",
        "institution_kind": "bank",
        "product_id": "x",
        "product_kind": "ip_pledge_loan",
        "product_name": "知惠贷",
        "loan_number": loan,
        "amount_fen": 200 * WAN,
        "annual_rate_percent": "3.45",
        "term_months": 12,
        "first_year_interest_fen": 69_000 * 100,
        "closed_on": local_today().isoformat(),
        "collateral_kinds": ["patent"],
        "recorded_by": "ksrcb-bank",
        **extra,
    }
    return CloudEvent(source="matching", type="kunruyi.matching.financing.closed", data=data)


async def entitlements(session: AsyncSession) -> list[tuple[str, str, int]]:
    rows = await session.execute(
        select(Entitlement.policy_code, Entitlement.period, Entitlement.amount_fen)
        .where(Entitlement.entity_id == USCC, Entitlement.policy_code.in_(FINANCING_ITEMS))
        .order_by(Entitlement.policy_code)
    )
    return [(r[0], r[1], int(r[2])) for r in rows]


async def stored(session: AsyncSession) -> dict[str, Any]:
    row = (
        await session.execute(
            select(EntityProfile.profile).where(
                EntityProfile.entity_type == "enterprise", EntityProfile.entity_id == USCC
            )
        )
    ).scalar_one()
    profile: dict[str, Any] = row
    return profile


async def test_a_loan_delivered_three_times_is_one_record_and_one_subsidy(session: AsyncSession) -> None:
    registered = CloudEvent(
        source="talent",
        type="kunruyi.talent.enterprise.registered",
        time=datetime.now(UTC) - timedelta(days=1),
        data={
            "uscc": USCC,
            "name": "昆山示例光电科技有限公司",
            "employees": 80,
            "industry_chain": "光电显示",
        },
    )
    await on_enterprise(session, registered)
    event = closed("KSRCB-0001")
    again = closed("KSRCB-0001")  # the same loan under another event id
    for e in (event, event, again):
        await on_financing_closed(session, e)
    profile = await stored(session)
    assert list(profile["financings"]) == ["昆山农商银行|KSRCB-0001"]
    period = str(local_today().year)
    # 50 % of the first year's interest (69,000 元) = 34,500 元, under the 50万 cap; nothing for fees or premiums
    assert await entitlements(session) == [(IP_INTEREST, period, 34_500 * 100)]

    # a later enterprise event keeps the financings (and the entitlement is not determined again)
    await on_enterprise(
        session, CloudEvent(source="talent", type="kunruyi.talent.enterprise.updated", data={"uscc": USCC})
    )
    assert list((await stored(session))["financings"]) == ["昆山农商银行|KSRCB-0001"]
    assert await entitlements(session) == [(IP_INTEREST, period, 34_500 * 100)]


async def test_each_item_reads_its_figure_within_its_cap(session: AsyncSession) -> None:
    await on_financing_closed(session, closed("BIG-1", first_year_interest_fen=300 * WAN))
    await on_financing_closed(
        session,
        closed(
            "G-1",
            institution="昆山担保",
            institution_kind="guarantor",
            product_kind="guarantee",
            first_year_interest_fen=None,
            guarantee_fee_fen=4 * WAN,
        ),
    )
    await on_financing_closed(
        session,
        closed(
            "I-1",
            institution="某保险",
            institution_kind="insurer",
            product_kind="talent_startup_insurance",
            first_year_interest_fen=None,
            premium_fen=30 * WAN,
        ),
    )
    period = str(local_today().year)
    # a company svc-talent has not told us about yet: its profile holds the financings, its figures unknown
    profile = await stored(session)
    assert "employees" in profile["_unknown"] and len(profile["financings"]) == 3
    # the first event determined the interest subsidy at its cap; the later ones add the fee and premium items
    assert await entitlements(session) == [
        (IP_INTEREST, period, 50 * WAN),  # 150万 capped at 50万
        (GUARANTEE_FEE, period, 2 * WAN),  # 50 % of 4万
        (PREMIUM, period, 10 * WAN),  # 15万 capped at 10万
    ]

    # the registration arriving after the financings still lands and keeps them
    await upsert_profile(
        session,
        "enterprise",
        USCC,
        "昆山示例",
        enterprise_profile(EnterpriseEventData.model_validate({"uscc": USCC, "employees": 12})),
        datetime.now(UTC),
    )
    profile = await stored(session)
    assert profile["employees"] == 12 and len(profile["financings"]) == 3


async def test_a_loan_counts_only_in_its_closing_year(session: AsyncSession) -> None:
    last_year = date(local_today().year - 1, 12, 20)
    await on_financing_closed(session, closed("OLD-1", closed_on=last_year.isoformat()))
    assert await entitlements(session) == []  # outside this period: nothing today
    profile = await stored(session)
    assert for_period("enterprise", profile, local_today())["ip_pledge_interest_in_period_fen"] == 0
    assert for_period("enterprise", profile, last_year)["ip_pledge_interest_in_period_fen"] == 69_000 * 100
    # a run dated in that year would have paid it then, once; a run this year does not pay it again
    await determine_for_entity(session, "enterprise", USCC, profile, at=last_year)
    await determine_for_entity(session, "enterprise", USCC, profile)
    assert await entitlements(session) == [(IP_INTEREST, str(last_year.year), 34_500 * 100)]


async def test_the_calculator_reads_the_financings_of_a_posted_profile(client) -> None:  # type: ignore[no-untyped-def]
    today = local_today().isoformat()
    profile = {
        "employees": 20,
        "financings": {
            "b|1": {
                "product_kind": "ip_pledge_loan",
                "closed_on": today,
                "amount_fen": 100 * WAN,
                "first_year_interest_fen": 4 * WAN,
            },
        },
    }
    async with client() as c:
        body = (
            await c.post(
                "/api/v1/policy-calculator?detail=full",
                json={
                    "profile": profile,
                    "beneficiary": "enterprise",
                    "policy_codes": [IP_INTEREST, PREMIUM],
                },
            )
        ).json()
    found = {r["policy_code"]: r for r in body["results"]}
    assert found[IP_INTEREST]["status"] == "eligible" and found[IP_INTEREST]["amount_fen"] == 2 * WAN
    assert found[PREMIUM]["status"] == "ineligible"


async def rows(session: AsyncSession, code: str = IP_INTEREST) -> list[Entitlement]:
    found = await session.execute(
        select(Entitlement)
        .where(Entitlement.entity_id == USCC, Entitlement.policy_code == code)
        .order_by(Entitlement.sequence)
    )
    return list(found.scalars())


async def staged_subsidies(session: AsyncSession) -> list[dict[str, Any]]:
    """The entitlement.determined events staged in the outbox for this company's interest subsidy."""
    found = await session.execute(
        text(
            "SELECT envelope FROM outbox_events WHERE type = 'kunruyi.policy.entitlement.determined' "
            "AND envelope->'data'->>'entity_id' = :e AND envelope->'data'->>'policy_code' = :c "
            "ORDER BY envelope->'data'->>'sequence'"
        ),
        {"e": USCC, "c": IP_INTEREST},
    )
    return [dict(r[0]["data"]) for r in found]


async def test_a_second_loan_in_the_year_gets_one_supplement(session: AsyncSession) -> None:
    await on_financing_closed(session, closed("KSRCB-0001"))
    # the second loan closes after the year's 贴息 was determined: 8万 first-year interest
    second = closed("KSRCB-0002", first_year_interest_fen=8 * WAN)
    for e in (second, second, closed("KSRCB-0002", first_year_interest_fen=8 * WAN)):
        await on_financing_closed(session, e)
    # and every later evaluation (another event, a run) finds nothing new
    profile = await stored(session)
    await determine_for_entity(session, "enterprise", USCC, profile)
    await determine_for_entity(session, "enterprise", USCC, profile)
    first, supplement = await rows(session)
    assert (first.sequence, first.amount_fen, first.loan_keys) == (
        0,
        34_500 * 100,
        ["昆山农商银行|KSRCB-0001"],
    )
    assert supplement.sequence == 1 and supplement.supplement_of == first.id
    assert supplement.amount_fen == 4 * WAN and supplement.loan_keys == ["昆山农商银行|KSRCB-0002"]
    assert supplement.period == first.period and supplement.id != first.id
    events = await staged_subsidies(session)
    assert [(e["sequence"], e["amount_fen"], e["loan_keys"]) for e in events] == [
        (0, 34_500 * 100, ["昆山农商银行|KSRCB-0001"]),
        (1, 4 * WAN, ["昆山农商银行|KSRCB-0002"]),
    ]
    assert events[1]["supplement_of"] == events[0]["entitlement_id"]
    assert events[1]["entitlement_id"] == str(supplement.id)
    # both loans are subsidised now: the data check of the 申报 item and the calculator see nothing left
    view = for_period("enterprise", profile, local_today(), frozenset(first.loan_keys + supplement.loan_keys))
    assert view["ip_pledge_interest_unsubsidised_fen"] == 0
    assert view["ip_pledge_interest_in_period_fen"] == 149_000 * 100


async def test_a_supplement_keeps_the_period_within_the_cap(session: AsyncSession) -> None:
    # 45万 for the first loan (90万 interest), then 20万 more asked by the second: 5万 left under the 50万 cap
    await on_financing_closed(session, closed("CAP-1", first_year_interest_fen=90 * WAN))
    await on_financing_closed(session, closed("CAP-2", first_year_interest_fen=40 * WAN))
    assert [(r.sequence, r.amount_fen) for r in await rows(session)] == [(0, 45 * WAN), (1, 5 * WAN)]
    # the cap is used up: a third loan gets nothing, and stays unsubsidised for no one to pay twice
    await on_financing_closed(session, closed("CAP-3", first_year_interest_fen=10 * WAN))
    assert [(r.sequence, r.amount_fen) for r in await rows(session)] == [(0, 45 * WAN), (1, 5 * WAN)]
    assert sum(r.amount_fen for r in await rows(session)) == 50 * WAN


async def test_a_loan_outside_the_period_brings_no_supplement(session: AsyncSession) -> None:
    await on_financing_closed(session, closed("IN-1"))
    last_year = date(local_today().year - 1, 6, 1)
    await on_financing_closed(session, closed("OLD-2", closed_on=last_year.isoformat()))
    found = await rows(session)
    assert [(r.period, r.sequence, r.loan_keys) for r in found] == [
        (str(local_today().year), 0, ["昆山农商银行|IN-1"])
    ]


async def test_other_financing_items_get_supplements_too(session: AsyncSession) -> None:
    guarantee = {
        "institution": "昆山担保",
        "institution_kind": "guarantor",
        "product_kind": "guarantee",
        "first_year_interest_fen": None,
    }
    await on_financing_closed(session, closed("G-1", guarantee_fee_fen=4 * WAN, **guarantee))
    await on_financing_closed(session, closed("G-2", guarantee_fee_fen=2 * WAN, **guarantee))
    await on_financing_closed(session, closed("G-2", guarantee_fee_fen=2 * WAN, **guarantee))
    assert [(r.sequence, r.amount_fen, r.loan_keys) for r in await rows(session, GUARANTEE_FEE)] == [
        (0, 2 * WAN, ["昆山担保|G-1"]),
        (1, 1 * WAN, ["昆山担保|G-2"]),
    ]


async def test_an_entitlement_from_before_loan_keys_covers_the_loans_closed_by_then(
    session: AsyncSession,
) -> None:
    new_year = date(local_today().year, 1, 1)
    await on_financing_closed(session, closed("LEGACY-1", closed_on=new_year.isoformat()))
    (first,) = await rows(session)
    # as determined on 1 January, before loan keys were recorded
    first.loan_keys = None
    first.determined_at = datetime(new_year.year, 1, 1, 4, tzinfo=UTC)
    await session.flush()
    await on_financing_closed(session, closed("LEGACY-2", first_year_interest_fen=2 * WAN))
    assert [(r.sequence, r.amount_fen, r.loan_keys) for r in await rows(session)] == [
        (0, 34_500 * 100, None),
        (1, 1 * WAN, ["昆山农商银行|LEGACY-2"]),
    ]


async def test_two_replicas_at_once_determine_one_supplement(
    engine: AsyncEngine, demo_catalog_loaded: int
) -> None:
    """Two replicas (or a replica and a run) evaluate the company at the same moment after its second loan: both
    ask for supplement 1, the unique row lets one in, one event is staged."""
    uscc = "91320583MA1SUPPLE2X"
    key_b = "昆山农商银行|TWIN-B"
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s:
            await on_financing_closed(s, closed("TWIN-A", enterprise_uscc=uscc))
            await s.commit()
        async with AsyncSession(engine, expire_on_commit=False) as s:
            row = (await s.execute(select(EntityProfile).where(EntityProfile.entity_id == uscc))).scalar_one()
            _, fact = fact_of(FinancingClosedData.model_validate(closed("TWIN-B", enterprise_uscc=uscc).data))
            profile = {**row.profile, "financings": {**row.profile["financings"], key_b: fact}}
            row.profile = profile
            await s.commit()

        async def replica() -> None:
            async with AsyncSession(engine, expire_on_commit=False) as s:
                await determine_for_entity(s, "enterprise", uscc, profile)
                await s.commit()

        await asyncio.gather(replica(), replica(), replica())
        async with AsyncSession(engine) as s:
            found = (
                await s.execute(
                    select(Entitlement.sequence, Entitlement.loan_keys)
                    .where(Entitlement.entity_id == uscc, Entitlement.policy_code == IP_INTEREST)
                    .order_by(Entitlement.sequence)
                )
            ).all()
            events = (
                await s.execute(
                    text(
                        "SELECT count(*) FROM outbox_events WHERE type = 'kunruyi.policy.entitlement.determined' "
                        "AND envelope->'data'->>'entity_id' = :e"
                    ),
                    {"e": uscc},
                )
            ).scalar_one()
        assert [(r[0], r[1]) for r in found] == [(0, ["昆山农商银行|TWIN-A"]), (1, [key_b])]
        assert events == 2
    finally:
        async with AsyncSession(engine) as s:
            await s.execute(text("DELETE FROM entitlements WHERE entity_id = :e"), {"e": uscc})
            await s.execute(
                text("DELETE FROM outbox_events WHERE envelope->'data'->>'entity_id' = :e"), {"e": uscc}
            )
            await s.execute(text("DELETE FROM entity_profiles WHERE entity_id = :e"), {"e": uscc})
            await s.execute(text("DELETE FROM policy_reach WHERE entity_id = :e"), {"e": uscc})
            await s.commit()


async def test_the_application_item_checks_the_loan_numbers_not_a_person(session: AsyncSession) -> None:
    """KS-SB-051 (知识产权质押融资贴息, 申报): "the loan was not already subsidised" is decided from the loan numbers —
    a company whose only loan the partner bank's 免申即享 already paid is not eligible; a loan no 贴息 covers is."""
    await on_financing_closed(session, closed("APP-1"))
    assert [r.sequence for r in await rows(session)] == [0]
    profile = {k: v for k, v in (await stored(session)).items() if k != "_unknown"}
    profile["ip_pledge_interest_fen"] = 5 * WAN

    async def answer(p: dict[str, Any]) -> dict[str, Any]:
        body = await calculate(
            session, "enterprise", p, local_today(), codes=[IP_APPLICATION], entity_id=USCC
        )
        (result,) = body["results"]
        return dict(result)

    covered = await answer(profile)
    assert covered["status"] == "ineligible"
    assert [c["id"] for c in covered["criteria"] if c["state"] == "fail"] == ["not_auto_subsidised"]
    # a second loan (2万 interest) not yet subsidised: eligible, for 50 % of it at most
    _, fact = fact_of(
        FinancingClosedData.model_validate(closed("APP-2", first_year_interest_fen=2 * WAN).data)
    )
    with_second = {**profile, "financings": {**profile["financings"], "昆山农商银行|APP-2": fact}}
    fresh = await answer(with_second)
    assert fresh["status"] == "eligible" and fresh["amount_fen"] == 1 * WAN
    assert all(c["kind"] != "manual" for c in fresh["criteria"])
