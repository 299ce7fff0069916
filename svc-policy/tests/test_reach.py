"""A policy newly in reach: announced once per entry into reach, not on every profile event."""

from __future__ import annotations

import uuid

from kunruyi_policy.profiles.handlers import on_enterprise
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from .test_entitlements import enterprise_event


async def reach_events(session: AsyncSession, kind: str = "gained") -> list[dict]:  # type: ignore[type-arg]
    rows = await session.execute(
        text("SELECT envelope FROM outbox_events WHERE type = :t ORDER BY seq"),
        {"t": f"kunruyi.policy.reach.{kind}"},
    )
    return [r[0]["data"] for r in rows]


def again(**overrides) -> object:  # type: ignore[no-untyped-def]
    return enterprise_event(**overrides).model_copy(update={"id": str(uuid.uuid4())})


async def test_a_policy_newly_in_reach_is_announced_once(session: AsyncSession) -> None:
    await on_enterprise(session, enterprise_event())
    first = await reach_events(session)
    assert first, "the test company should be in reach of some application policy"
    assert {e["entity_id"] for e in first} == {"91320583MA1XXXXX0A"}
    assert all(e["mode"] != "automatic" for e in first)
    assert all(e["status"] in ("eligible", "needs_confirmation") for e in first)
    assert len({e["policy_code"] for e in first}) == len(first)

    # The same profile again (another event): nothing new to announce.
    await on_enterprise(session, again())
    assert len(await reach_events(session)) == len(first)

    # Out of reach, then back: announced again.
    await on_enterprise(
        session,
        again(
            industry_chain=None,
            employees=0,
            revenue_fen=0,
            rd_expense_fen=0,
            tax_paid_fen=0,
            rd_ratio=0.0,
            high_tech_revenue_ratio=0.0,
            qualifications=[],
            new_qualifications=[],
            invention_patents=0,
            platforms=[],
            founded_years=0,
        ),
    )
    dropped = await reach_events(session)
    count = await session.scalar(text("SELECT count(*) FROM policy_reach"))
    # Falling out of reach is announced too, once per policy that was in reach (svc-talent's 对策清单 drops it).
    gone = await reach_events(session, "lost")
    in_reach_before = {e["policy_code"] for e in first}
    left = {e["policy_code"] for e in gone}
    assert left and left <= in_reach_before and len(gone) == len(left)
    assert left == in_reach_before - set(
        (await session.execute(text("SELECT policy_code FROM policy_reach"))).scalars()
    )
    assert all(e["entity_id"] == "91320583MA1XXXXX0A" and e["policy_title"] for e in gone)
    await on_enterprise(session, again())
    back = await reach_events(session)
    assert len(back) > len(dropped), "regaining reach is news again"
    announced = [e["policy_code"] for e in back]
    # Each policy announced at first and lost with the bad year is announced a second time, no more.
    twice = {code for code in announced if announced.count(code) == 2}
    assert twice and all(announced.count(code) <= 2 for code in announced)
    assert twice <= {e["policy_code"] for e in first}
    assert await session.scalar(text("SELECT count(*) FROM policy_reach")) >= (count or 0)
