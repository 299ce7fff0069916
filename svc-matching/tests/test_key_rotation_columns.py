"""PII key rotation over every encrypted column of svc-matching (docs/operations.md "Rotating the PII key").

Key A writes a demand whose title, description and review note hold personal data, with a contact phone and a
sealed Idempotency-Key answer, and a financing demand whose purpose and pipeline note hold a phone; B becomes the key with A
retired and the reveal still answers the original text; ``reencrypt`` (the CLI's own command over
``ENCRYPTED_COLUMNS``) rewrites every ciphertext under B; then A is dropped and the reveal still answers it.
"""

from __future__ import annotations

import base64
import os
import random

from fastapi import FastAPI
from httpx import AsyncClient
from kunruyi_common.cli import reencrypt_command
from kunruyi_common.crypto import key_id
from kunruyi_launcher.testing import KeyRotation, key_rotation_fixtures, staff
from kunruyi_matching.pii import ENCRYPTED_COLUMNS
from kunruyi_matching.synthetic.identifiers import make_uscc

from .test_demands import demand_body

KEY_A = base64.b64encode(os.urandom(32)).decode()
KEY_B = base64.b64encode(os.urandom(32)).decode()
OFFICER = staff("officer", subject="rotation", name="轮换")
TITLE = "封装需求 联系13900009311"
DESCRIPTION = "联系人身份证 320583198212181827，手机 188-1234-9312，需要封装专家"
NOTE = "已电话 13900009313 核实"
PHONE = "13900009314"
WAN = 1_000_000  # 1万元 in fen

rotation_db, rotation = key_rotation_fixtures("kunruyi_matching", "matching_rotation", ENCRYPTED_COLUMNS)


async def _financing_with_a_phone_in_its_text(c: AsyncClient) -> None:
    product = await c.post(
        "/api/v1/financing/products",
        json={
            "institution": "昆山农商银行",
            "institution_kind": "bank",
            "product_kind": "tech_loan",
            "name": "科技贷",
            "max_amount_fen": 500 * WAN,
        },
    )
    assert product.status_code == 201, product.text
    demand = await c.post(
        "/api/v1/financing/demands",
        json={
            "enterprise_uscc": make_uscc(random.Random(7)),
            "enterprise_name": "昆山示例精密制造有限公司",
            "amount_fen": 100 * WAN,
            "stage": "growth",
            "purpose": "购置设备，联系人手机 13900009315",
        },
    )
    assert demand.status_code == 201, demand.text
    pipeline = await c.post(
        f"/api/v1/financing/demands/{demand.json()['id']}/pipelines",
        json={"product_id": product.json()["id"], "note": "已与财务 13900009316 通话"},
    )
    assert pipeline.status_code == 201, pipeline.text


async def test_demand_text_reveals_across_a_rotation_and_after_the_old_key_is_dropped(
    rotation: KeyRotation,
) -> None:
    async with rotation.client(rotation.app(KEY_A), OFFICER) as c:
        # With a contact phone, and an Idempotency-Key: the answer (with the query code) is sealed.
        created = await c.post(
            "/api/v1/demands",
            json=demand_body(title=TITLE, description=DESCRIPTION, contact_name="王工", contact_phone=PHONE),
            headers={"Idempotency-Key": "rotation-demand-1"},
        )
        assert created.status_code == 201, created.text
        demand_id = created.json()["id"]
        reviewed = await c.post(
            f"/api/v1/demands/{demand_id}/review", json={"decision": "approve", "note": NOTE}
        )
        assert reviewed.status_code == 200, reviewed.text
        await _financing_with_a_phone_in_its_text(c)
    written = await rotation.key_ids()
    assert {label for label, ids in written.items() if ids} == {c.label for c in ENCRYPTED_COLUMNS}
    assert set().union(*written.values()) == {key_id(base64.b64decode(KEY_A))}

    async def reveals_as_written(app: FastAPI) -> None:
        async with rotation.client(app, OFFICER) as c:
            r = await c.post(f"/api/v1/demands/{demand_id}/reveal", json={"reason": "轮换后核对原文"})
            assert r.status_code == 200, r.text
            revealed = r.json()
            assert (revealed["title"], revealed["description"], revealed["review_note"]) == (
                TITLE,
                DESCRIPTION,
                NOTE,
            )
            assert revealed["contact_phone"] == PHONE

    # B is the key, A retired: text written under A still reveals.
    rotating = rotation.settings(KEY_B, [KEY_A])
    await reveals_as_written(rotation.app(KEY_B, [KEY_A]))

    reports = await reencrypt_command(rotating, ENCRYPTED_COLUMNS, batch_size=2)
    assert {r.column: r.unreadable for r in reports} == {c.label: 0 for c in ENCRYPTED_COLUMNS}
    assert all(r.rewritten > 0 for r in reports), [r.as_dict() for r in reports]
    assert set().union(*(await rotation.key_ids()).values()) == {key_id(base64.b64decode(KEY_B))}

    # A dropped: the reveal still answers the original text.
    await reveals_as_written(rotation.app(KEY_B))
