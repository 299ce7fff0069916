"""Free text typed about a talent (expertise, school, title, skill level, tags, fields, program names) may carry a
phone or an ID number: it is stored masked, so the profile, its history and the ``person.registered|updated``
events never hold one; and talent_0023 masks the rows written before it."""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg
from alembic import command
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import database_at
from kunruyi_talent.identifiers import make_resident_id
from sqlalchemy import text

from .test_registry import OFFICER

PHONE = "13812345678"
OTHER_PHONE = "13987654321"
RID = "320583198212181827"


async def test_a_phone_in_an_experts_free_text_is_masked_everywhere(client, session) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        created = await c.post(
            "/api/v1/talents",
            json={
                "name": "陈专家",
                "id_number": make_resident_id(7631),
                "education": "doctor",
                "is_expert": True,
                "expertise": f"功率器件可靠性，合作请致电 {PHONE}",
                "school": f"东南大学（导师电话{OTHER_PHONE}）",
                "tags": ["集成电路", f"微信{OTHER_PHONE}"],
            },
        )
        assert created.status_code == 201, created.text
        talent_id = created.json()["talent_id"]
        assert created.json()["expertise"] == "功率器件可靠性，合作请致电 138****5678"
        updated = await c.patch(
            f"/api/v1/talents/{talent_id}",
            json={"expertise": f"身份证 {RID} 的同事推荐；电话 {OTHER_PHONE}", "title": f"高工{PHONE}"},
        )
        assert updated.status_code == 200, updated.text
        read = await c.get(f"/api/v1/talents/{talent_id}")
        history = await c.get(f"/api/v1/talents/{talent_id}/history")
    assert read.status_code == 200 and history.status_code == 200
    assert read.json()["expertise"].endswith("的同事推荐；电话 139****4321")
    assert read.json()["title"] == "高工138****5678"

    events = [
        row[0]
        for row in await session.execute(
            text(
                "SELECT envelope::text FROM outbox_events WHERE subject = :s "
                "AND type IN ('kunruyi.talent.person.registered', 'kunruyi.talent.person.updated') ORDER BY seq"
            ),
            {"s": talent_id},
        )
    ]
    assert len(events) == 2
    assert json.loads(events[0])["data"]["expertise"] == "功率器件可靠性，合作请致电 138****5678"
    stored = (
        await session.execute(
            text(
                "SELECT concat_ws('|', school, title, expertise, tags::text) FROM talents WHERE id = CAST(:i AS uuid)"
            ),
            {"i": talent_id},
        )
    ).scalar_one()
    raw_history = [
        r[0]
        for r in await session.execute(
            text("SELECT changes::text FROM talent_history WHERE talent_id = CAST(:i AS uuid)"),
            {"i": talent_id},
        )
    ]
    for blob in [created.text, updated.text, read.text, history.text, stored, *events, *raw_history]:
        for number in (PHONE, OTHER_PHONE, RID):
            assert number not in blob, (number, blob)


async def test_existing_profiles_and_history_are_masked_by_the_migration(infra: Infra) -> None:
    cfg, dsn = await database_at(infra, "kunruyi_talent", "talent_profile_text_migration", "talent_0022")
    conn = await asyncpg.connect(dsn)
    talent_id, plain_id = uuid.uuid4(), uuid.uuid4()
    try:
        insert = (
            "INSERT INTO talents (id, name, id_number_encrypted, id_number_index, id_number_masked, "
            "birth_date_encrypted, gender, school, title, expertise, tags, programs) "
            "VALUES ($1, $2, 'x', $3, '3****************7', 'x', 'female', $4, $5, $6, $7, $8::jsonb)"
        )
        await conn.execute(
            insert,
            talent_id,
            "陈专家",
            "index-1",
            f"东南大学{OTHER_PHONE}",
            "高级工程师",
            f"合作请致电 {PHONE}",
            ["集成电路", f"微信{OTHER_PHONE}"],
            json.dumps([{"name": f"昆山双创 {PHONE}", "year": 2023, "application_id": "APP-2023-0001"}]),
        )
        await conn.execute(
            insert, plain_id, "周工", "index-2", "南京大学", None, "2024 年 3 项发明专利", [], "[]"
        )
        await conn.execute(
            "INSERT INTO talent_history (talent_id, actor, action, changes) VALUES ($1, 'staff:x', 'updated', $2::jsonb)",
            talent_id,
            json.dumps(
                {
                    "expertise": {"from": "功率器件", "to": f"合作请致电 {PHONE}"},
                    "employer_id": {"from": None, "to": "13812345-6789-4000-8000-000000000000"},
                },
                ensure_ascii=False,
            ),
        )
        await asyncio.to_thread(command.upgrade, cfg, "head")
        row = await conn.fetchrow(
            "SELECT school, title, expertise, tags, programs::text FROM talents WHERE id = $1", talent_id
        )
        plain = await conn.fetchrow("SELECT school, expertise FROM talents WHERE id = $1", plain_id)
        changes = json.loads(
            await conn.fetchval("SELECT changes::text FROM talent_history WHERE talent_id = $1", talent_id)
        )
    finally:
        await conn.close()
    assert (row["school"], row["title"], row["expertise"]) == (
        "东南大学139****4321",
        "高级工程师",
        "合作请致电 138****5678",
    )
    assert sorted(row["tags"]) == sorted(["集成电路", "微信139****4321"])
    programs = json.loads(row["programs"])
    assert programs == [{"name": "昆山双创 138****5678", "year": 2023, "application_id": "APP-2023-0001"}]
    assert tuple(plain) == ("南京大学", "2024 年 3 项发明专利")
    assert changes["expertise"] == {"from": "功率器件", "to": "合作请致电 138****5678"}
    assert changes["employer_id"]["to"] == "13812345-6789-4000-8000-000000000000"
