"""talent_0024 masks again the IDs that free text kept with the old mask (city and last four, which an age narrows
to a few dozen numbers): the way every ID is shown now, in every column svc-talent stored masked text in."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from alembic import command
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import database_at

OLD = "3205**********1827"
NEW = "3****************7"


async def test_ids_masked_the_old_way_are_masked_again(infra: Infra) -> None:
    cfg, dsn = await database_at(infra, "kunruyi_talent", "talent_remask_migration", "talent_0023")
    conn = await asyncpg.connect(dsn)
    ticket_id = uuid.uuid4()
    try:
        await conn.execute(
            "INSERT INTO tickets (id, ticket_number, access_secret_hash, type, title, description, channel, "
            "requester_kind, department, officer, status, deadline, submitted_at, reply) VALUES ($1, 'KS1', 'h', "
            "'政策咨询', '咨询', $2, 'window', 'person', '人才办', '韩主任', 'replied', '2026-12-31', now(), "
            "'已回电139****5678')",
            ticket_id,
            f"本人身份证{OLD}，卡号6222********0128",
        )
        await conn.execute(
            "INSERT INTO need_demands (demand_id, enterprise_uscc, title, industry_chain, technical_field, "
            "demand_type, channel, status, received_at) VALUES ('D-1', '91320583MA1XXXXXX1', $1, 'ic', 'tf', "
            "'攻关', 'web', 'submitted', now())",
            f"联系人证件{OLD}",
        )
        for _ in range(2):  # a second run changes nothing
            await asyncio.to_thread(command.downgrade, cfg, "talent_0023")
            await asyncio.to_thread(command.upgrade, cfg, "head")
        row = await conn.fetchrow("SELECT description, reply FROM tickets WHERE id = $1", ticket_id)
        need = await conn.fetchval("SELECT title FROM need_demands WHERE demand_id = 'D-1'")
    finally:
        await conn.close()
    # The ID loses its city and last digits but one; a card's and a phone's masks stay as they were.
    assert row["description"] == f"本人身份证{NEW}，卡号6222********0128"
    assert row["reply"] == "已回电139****5678"
    assert need == f"联系人证件{NEW}"
