"""Personal data typed into a demand's free text is stored and shown masked, the original kept encrypted, also in
the event other services receive."""

import random

from kunruyi_common.crypto import FieldCipher
from kunruyi_common.pii_text import find_pii, reveal_text
from kunruyi_common.settings import DEV_PII_KEY
from kunruyi_common.validators import resident_id_check_char
from kunruyi_launcher.testing import partner, staff
from sqlalchemy import text

from .test_demands import demand_body


def _rid(rng: random.Random) -> str:
    first17 = (
        f"3205{rng.randint(10, 99)}{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    )
    first17 += f"{rng.randint(0, 999):03d}"
    return first17 + resident_id_check_char(first17)


async def test_numbers_in_demand_text_are_masked_everywhere_and_kept_encrypted(client, session) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    for _ in range(5):
        rid = _rid(rng)
        phone = f"1{rng.choice('3456789')}{rng.randint(0, 10**9 - 1):09d}"
        description = f"联系人身份证{rid}，电话 {phone[:3]} {phone[3:7]} {phone[7:]}，需要封装专家。"
        async with client(staff("officer")) as c:
            created = await c.post(
                "/api/v1/demands", json=demand_body(title=f"封装需求 联系{phone}", description=description)
            )
            assert created.status_code == 201, created.text
            demand = created.json()
            reviewed = await c.post(
                f"/api/v1/demands/{demand['id']}/review",
                json={"decision": "approve", "note": f"已电话{phone}核实"},
            )
            assert reviewed.status_code == 200, reviewed.text
            shown = created.text + reviewed.text + (await c.get(f"/api/v1/demands/{demand['id']}")).text
        assert demand["description"] == (
            f"联系人身份证{rid[0]}{'*' * 16}{rid[-1]}，电话 {phone[:3]}****{phone[-4:]}，需要封装专家。"
        )
        row = (
            await session.execute(
                text(
                    "SELECT title, description, review_note, title_encrypted, description_encrypted, "
                    "review_note_encrypted FROM demands WHERE id = :id"
                ),
                {"id": demand["id"]},
            )
        ).one()
        events = (
            await session.execute(
                text("SELECT envelope::text FROM outbox_events WHERE subject = :id"), {"id": demand["id"]}
            )
        ).scalars()
        clear = "\n".join([row[0], row[1], row[2], *events])
        for number in (rid, phone, rid[6:14]):
            assert number not in shown and number not in clear
        assert find_pii(clear) == []
        cipher = FieldCipher.from_b64(DEV_PII_KEY)
        ad = f"demands.description:{demand['id']}".encode()
        assert reveal_text(row[1], row[4], cipher, associated_data=ad) == description
        assert phone in reveal_text(
            row[2], row[5], cipher, associated_data=f"demands.review_note:{demand['id']}".encode()
        )
        assert row[3] is not None


async def test_officer_reveals_a_demand_with_an_audit_record_and_others_cannot(client) -> None:  # type: ignore[no-untyped-def]
    description = "联系人手机 188-1234-5678，身份证 320583198212181827"
    async with client(partner("matching:write", "matching:read")) as c:
        created = await c.post("/api/v1/demands", json=demand_body(description=description))
        assert created.status_code == 201, created.text
        demand_id = created.json()["id"]
        refused = await c.post(f"/api/v1/demands/{demand_id}/reveal", json={"reason": "核对"})
        assert refused.status_code == 403 and "18812345678" not in refused.text
    async with client(staff("broker", subject="not-assigned")) as c:
        refused = await c.post(f"/api/v1/demands/{demand_id}/reveal", json={"reason": "核对"})
        assert (refused.status_code, refused.json()["code"]) == (403, "not_handling_staff")
    async with client(staff("officer", subject="li", name="李审核")) as c:
        missing = await c.post(f"/api/v1/demands/{demand_id}/reveal", json={})
        assert (missing.status_code, missing.json()["field"]) == (422, "reason")
        r = await c.post(
            f"/api/v1/demands/{demand_id}/reveal", json={"reason": "回电核实需求，电话13900001111"}
        )
        assert r.status_code == 200, r.text
        assert r.json()["description"] == description and r.json()["review_note"] is None
        audit = (await c.get(f"/api/v1/demands/{demand_id}/reveals")).json()
        assert [(a["actor"], a["actor_name"], a["reason"]) for a in audit] == [
            ("staff:li", "李审核", "回电核实需求，电话139****1111")
        ]
