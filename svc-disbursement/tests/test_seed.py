from __future__ import annotations

from kunruyi_disbursement.seed import seed_data
from kunruyi_disbursement.settings import Settings
from kunruyi_launcher.testing import staff
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def test_seed_is_idempotent_and_covers_every_state(
    client, session: AsyncSession, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    assert await seed_data(session, settings) is True
    assert await seed_data(session, settings) is False
    statuses = set((await session.execute(text("SELECT DISTINCT status FROM disbursements"))).scalars())
    assert {
        "settled",
        "failed",
        "returned",
        "reserved",
        "pending_approval",
        "rejected",
        "awaiting_budget",
    } <= statuses
    app_statuses = set((await session.execute(text("SELECT DISTINCT status FROM applications"))).scalars())
    assert {
        "submitted",
        "first_review",
        "public_notice",
        "approved",
        "paid",
        "rejected",
        "supplement_required",
    } <= app_statuses
    async with client(staff("finance", department="科技局")) as c:
        assert (await c.get("/api/v1/ledger/invariants")).json()["ok"]
        assert (await c.get("/api/v1/audit/verify")).json()["ok"]
