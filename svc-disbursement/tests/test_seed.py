from __future__ import annotations

from kunruyi_common.validators import is_valid_uscc
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
    entities = set(
        (
            await session.execute(
                text("SELECT entity_id FROM disbursements WHERE entity_type = 'enterprise'")
            )
        ).scalars()
    )
    entities |= set(
        (
            await session.execute(
                text("SELECT applicant_id FROM applications WHERE applicant_type = 'enterprise'")
            )
        ).scalars()
    )
    assert entities and all(is_valid_uscc(e) for e in entities)  # GB 32100 with its GB 11714 part
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
