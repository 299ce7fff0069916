"""talent_0005 protects the free text already stored: tickets filed before it are masked in place, the original
encrypted beside, and the reveal gives them back."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from alembic import command
from kunruyi_common.crypto import FieldCipher
from kunruyi_common.pii_text import reveal_text
from kunruyi_common.settings import DEV_PII_KEY
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import database_at

RID = "320583198212181827"


async def test_existing_tickets_are_masked_and_encrypted_by_the_migration(infra: Infra) -> None:
    cfg, dsn = await database_at(infra, "kunruyi_talent", "talent_free_text_migration", "talent_0003")
    conn = await asyncpg.connect(dsn)
    ticket_id = uuid.uuid4()
    description = f"本人身份证{RID}，手机188-1234-5678"
    try:
        await conn.execute(
            "INSERT INTO tickets (id, ticket_number, access_secret_hash, type, title, description, channel, "
            "requester_kind, department, officer, status, deadline, submitted_at, reply) VALUES ($1, 'KS1', 'h', "
            "'政策咨询', '咨询', $2, 'window', 'person', '人才办', '韩主任', 'replied', '2026-12-31', now(), "
            "'已回电13912345678')",
            ticket_id,
            description,
        )
        await conn.execute(
            "INSERT INTO ticket_transitions (ticket_id, from_status, to_status, actor, comment, at) "
            "VALUES ($1, NULL, 'submitted', 'x', '卡号6222021234567890128', now()), "
            "($1, 'submitted', 'accepted', 'x', '无号码', now())",
            ticket_id,
        )
        await asyncio.to_thread(command.upgrade, cfg, "head")
        row = await conn.fetchrow("SELECT * FROM tickets WHERE id = $1", ticket_id)
        comments = await conn.fetch(
            "SELECT comment, comment_encrypted FROM ticket_transitions WHERE ticket_id = $1 ORDER BY id",
            ticket_id,
        )
    finally:
        await conn.close()
    assert row["description"] == "本人身份证3****************7，手机188****5678"
    assert row["reply"] == "已回电139****5678"
    assert row["title"] == "咨询" and row["title_encrypted"] is None
    cipher = FieldCipher.from_b64(DEV_PII_KEY)
    ad = f"tickets.description:{ticket_id}".encode()
    assert (
        reveal_text(row["description"], row["description_encrypted"], cipher, associated_data=ad)
        == description
    )
    assert [c["comment"] for c in comments] == ["卡号6222********0128", "无号码"]
    assert comments[1]["comment_encrypted"] is None
    ad = f"ticket_transitions.comment:{ticket_id}".encode()
    assert (
        reveal_text(comments[0][0], comments[0][1], cipher, associated_data=ad) == "卡号6222021234567890128"
    )
