"""PII key rotation over svc-disbursement's encrypted free text (docs/operations.md "Rotating the PII key").

Key A writes an application whose step comment, objection and reject reason hold personal data (the steps' and
objections' text is bound to the application's id, not their own); B becomes the key with A retired and the
reveal still answers the original text; ``reencrypt`` (the CLI's own command over ``ENCRYPTED_COLUMNS``)
rewrites every ciphertext under B; then A is dropped and the reveal still answers it.
"""

from __future__ import annotations

import base64
import os

from fastapi import FastAPI
from kunruyi_common.cli import reencrypt_command
from kunruyi_common.crypto import key_id
from kunruyi_disbursement.payments.payees import ENCRYPTED_COLUMNS
from kunruyi_launcher.testing import KeyRotation, key_rotation_fixtures, partner, staff
from test_applications import application, setup_policy

COMMENT = "已电话 188-1234-9321 联系申报人"
OBJECTION = "举报人身份证 320583198212181827，收款卡号 6222021234567890128 与企业不符"
REASON = "经核实异议成立，联系电话13900009322"
FREE_TEXT = {
    "applications.reject_reason_encrypted",
    "application_steps.comment_encrypted",
    "application_objections.content_encrypted",
}
KEY_A = base64.b64encode(os.urandom(32)).decode()
KEY_B = base64.b64encode(os.urandom(32)).decode()
REVIEWER = staff("reviewer", department="科技局", subject="kj-reviewer-1", name="张审核")

rotation_db, rotation = key_rotation_fixtures(
    "kunruyi_disbursement", "disbursement_rotation", ENCRYPTED_COLUMNS
)


async def test_application_text_reveals_across_a_rotation_and_after_the_old_key_is_dropped(
    rotation: KeyRotation,
) -> None:
    under_a = rotation.app(KEY_A)
    await setup_policy(lambda principal: rotation.client(under_a, principal), notice_days=7)
    async with rotation.client(under_a, partner("disbursement:write")) as c:
        created = await c.post(
            "/api/v1/applications", json=application(period="2026-H2", external_ref="ROT-1")
        )
        assert created.status_code == 201, created.text
        app_id = created.json()["id"]
    people = {
        "accepted": staff("officer", department="科技局", subject="kj-officer"),
        "first_review": REVIEWER,
        "second_review": staff("reviewer", department="科技局", subject="kj-reviewer-2"),
        "public_notice": staff("reviewer", department="科技局", subject="kj-reviewer-2"),
    }
    for stage, who in people.items():
        async with rotation.client(under_a, who) as c:
            r = await c.post(
                f"/api/v1/applications/{app_id}/steps",
                json={"to_status": stage, "comment": COMMENT if stage == "accepted" else None},
            )
            assert r.status_code == 200, r.text
    async with rotation.client(under_a, staff("officer", department="科技局", subject="kj-officer")) as c:
        r = await c.post(
            f"/api/v1/applications/{app_id}/objections", json={"objector": "王先生", "content": OBJECTION}
        )
        assert r.status_code == 201, r.text
    async with rotation.client(under_a, staff("approver", department="科技局", subject="kj-approver")) as c:
        r = await c.post(f"/api/v1/applications/{app_id}/reject", json={"reason": REASON})
        assert r.status_code == 200, r.text
    written = await rotation.key_ids()
    assert FREE_TEXT <= {label for label, ids in written.items() if ids}
    assert set().union(*written.values()) == {key_id(base64.b64decode(KEY_A))}

    async def reveals_as_written(app: FastAPI) -> None:
        async with rotation.client(app, REVIEWER) as c:
            r = await c.post(f"/api/v1/applications/{app_id}/reveal", json={"reason": "轮换后核对原文"})
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["reject_reason"] == REASON
            assert [o["content"] for o in body["objections"]] == [OBJECTION]
            assert body["steps"][1]["comment"] == COMMENT

    # B is the key, A retired: text written under A still reveals.
    rotating = rotation.settings(KEY_B, [KEY_A])
    await reveals_as_written(rotation.app(KEY_B, [KEY_A]))

    reports = await reencrypt_command(rotating, ENCRYPTED_COLUMNS, batch_size=2)
    assert {r.column: r.unreadable for r in reports} == {c.label: 0 for c in ENCRYPTED_COLUMNS}
    assert {r.column for r in reports if r.rewritten} == FREE_TEXT
    assert set().union(*(await rotation.key_ids()).values()) == {key_id(base64.b64decode(KEY_B))}

    # A dropped: the reveal still answers the original text.
    await reveals_as_written(rotation.app(KEY_B))
