"""PII key rotation over every encrypted column of svc-talent (docs/operations.md "Rotating the PII key").

Key A writes a talent (ID number, phone, birth date, a sealed idempotent answer) and a ticket whose title,
description, reply and transition comment hold personal data; B becomes the key with A retired and everything
still reads; ``reencrypt`` (the CLI's own command over ``ENCRYPTED_COLUMNS``) rewrites every ciphertext under B;
then A is dropped and the talent and the revealed ticket still read as written.
"""

from __future__ import annotations

import base64
import os
from datetime import timedelta

from fastapi import FastAPI
from kunruyi_common.cli import reencrypt_command
from kunruyi_common.clock import local_now
from kunruyi_common.crypto import key_id
from kunruyi_launcher.testing import KeyRotation, key_rotation_fixtures, staff
from kunruyi_talent.identifiers import make_phone, make_resident_id, make_uscc
from kunruyi_talent.messages.auth import RecipientRef
from kunruyi_talent.messages.service import notify
from kunruyi_talent.pii import ENCRYPTED_COLUMNS, PersonalData
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

KEY_A = base64.b64encode(os.urandom(32)).decode()
KEY_B = base64.b64encode(os.urandom(32)).decode()
OFFICE = staff("officer", department="人才办", subject="rotation", name="轮换")
ID_NUMBER = make_resident_id(931)
TITLE = f"回电 {make_phone(93_101)}"
DESCRIPTION = f"本人身份证 {ID_NUMBER}，手机 {make_phone(93_102)}，请回电"
REPLY = f"已致电 {make_phone(93_103)} 说明"
COMMENT = f"回拨 {make_phone(93_104)}"
TASK = f"请联系 {make_phone(93_107)} 安排公寓"
ANSWER = f"已与 {make_phone(93_108)} 约定看房"
HOUSING = staff("officer", department="住建局", subject="rotation-co", name="协办")

rotation_db, rotation = key_rotation_fixtures("kunruyi_talent", "talent_rotation", ENCRYPTED_COLUMNS)


async def test_every_encrypted_column_reads_across_a_rotation_and_after_the_old_key_is_dropped(
    rotation: KeyRotation,
) -> None:
    under_a = rotation.app(KEY_A)
    async with rotation.client(under_a, OFFICE) as c:
        r = await c.post(
            "/api/v1/enterprises",
            json={
                "uscc": make_uscc(931),
                "name": "轮换科技",
                "district": "陆家",
                "contacts": [{"name": "联系人", "phone": make_phone(93_106)}],
            },
        )
        assert r.status_code == 201, r.text
        r = await c.post(
            "/api/v1/talents",
            json={"name": "轮换丙", "id_number": ID_NUMBER, "phone": make_phone(93_100)},
            headers={"Idempotency-Key": "rotation-talent"},
        )
        assert r.status_code == 201, r.text
        talent = r.json()
        r = await c.post(
            "/api/v1/tickets",
            json={
                "type": "政策咨询",
                "title": TITLE,
                "description": DESCRIPTION,
                "requester_phone": make_phone(93_105),
            },
        )
        assert r.status_code == 201, r.text
        number = r.json()["ticket_number"]
        for step in ("accepted", "in_progress"):
            moved = await c.post(f"/api/v1/tickets/{number}/transitions", json={"to": step})
            assert moved.status_code == 200, moved.text
        invited = await c.post(f"/api/v1/tickets/{number}/parts", json={"department": "住建局", "task": TASK})
        assert invited.status_code == 201, invited.text
    async with rotation.client(under_a, HOUSING) as c:
        answered = await c.post(f"/api/v1/tickets/{number}/parts/住建局/answer", json={"answer": ANSWER})
        assert answered.status_code == 200, answered.text
    async with rotation.client(under_a, OFFICE) as c:
        replied = await c.post(
            f"/api/v1/tickets/{number}/transitions",
            json={"to": "replied", "reply": REPLY, "comment": COMMENT},
        )
        assert replied.status_code == 200, replied.text
        # A person registered for an activity with name and phone (activities/).
        start = local_now() + timedelta(days=2)
        activity = await c.post(
            "/api/v1/activities",
            json={
                "kind": "沙龙",
                "title": "轮换沙龙",
                "department": "人才办",
                "venue": "科创中心",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=2)).isoformat(),
                "capacity": 10,
            },
        )
        assert activity.status_code == 201, activity.text
        signed_up = await c.post(
            f"/api/v1/activities/{activity.json()['id']}/sign-ups",
            json={"name": "轮换丁", "phone": make_phone(93_107)},
        )
        assert signed_up.status_code == 201, signed_up.text
    # A message whose SMS is queued: the phone copied into sms_deliveries under A.
    async with AsyncSession(rotation.engine, expire_on_commit=False) as session, session.begin():
        queued = await notify(
            session,
            PersonalData.from_settings(rotation.settings(KEY_A)),
            recipient=RecipientRef("enterprise", make_uscc(931)),
            kind="payment_settled",
            values={"policy": "轮换奖励", "amount": "¥1.00", "date": "12月5日"},
            source="rotation",
            default_quiet=None,
        )
        assert queued is not None
    written = await rotation.key_ids()
    assert {label for label, ids in written.items() if ids} == {c.label for c in ENCRYPTED_COLUMNS}
    assert set().union(*written.values()) == {key_id(base64.b64decode(KEY_A))}

    async def reads_as_written(app: FastAPI) -> None:
        async with rotation.client(app, OFFICE) as c:
            shown = await c.get(f"/api/v1/talents/{talent['talent_id']}")
            assert shown.status_code == 200, shown.text
            assert shown.json()["age"] == talent["age"]
            replay = await c.post(
                "/api/v1/talents",
                json={"name": "轮换丙", "id_number": ID_NUMBER, "phone": make_phone(93_100)},
                headers={"Idempotency-Key": "rotation-talent"},
            )
            assert replay.status_code == 201 and replay.json() == talent
            r = await c.post(
                f"/api/v1/tickets/{number}/reveal", json={"field": "text", "reason": "轮换后核对原文"}
            )
            assert r.status_code == 200, r.text
            revealed = r.json()
            assert (revealed["title"], revealed["description"], revealed["reply"]) == (
                TITLE,
                DESCRIPTION,
                REPLY,
            )
            assert revealed["history"][-1]["comment"] == COMMENT
            assert revealed["parts"] == [{"department": "住建局", "task": TASK, "answer": ANSWER}]
            r = await c.post(
                f"/api/v1/tickets/{number}/reveal", json={"field": "requester_phone", "reason": "轮换后回电"}
            )
            assert r.status_code == 200 and r.json()["requester_phone"] == make_phone(93_105)
        async with AsyncSession(rotation.engine) as session:
            sms_phone = await session.scalar(text("SELECT phone_encrypted FROM sms_deliveries"))
            attendee_phone = await session.scalar(
                text("SELECT attendee_phone_encrypted FROM activity_registrations")
            )
        personal_data = PersonalData.from_settings(app.state.settings)
        assert personal_data.decrypt(sms_phone, "sms_deliveries.phone") == make_phone(93_106)
        assert personal_data.decrypt(attendee_phone, "activity_registrations.attendee_phone") == make_phone(
            93_107
        )

    # B is the key, A retired: rows written under A still read.
    rotating = rotation.settings(KEY_B, [KEY_A])
    await reads_as_written(rotation.app(KEY_B, [KEY_A]))

    reports = await reencrypt_command(rotating, ENCRYPTED_COLUMNS, batch_size=2)
    assert {r.column: r.unreadable for r in reports} == {c.label: 0 for c in ENCRYPTED_COLUMNS}
    assert all(r.rewritten > 0 for r in reports), [r.as_dict() for r in reports]
    assert set().union(*(await rotation.key_ids()).values()) == {key_id(base64.b64decode(KEY_B))}

    # A dropped: everything still reads as written.
    await reads_as_written(rotation.app(KEY_B))
