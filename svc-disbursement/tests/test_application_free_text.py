"""Personal data typed into an application's step comments, reject reason or objections is stored and shown masked,
the original kept encrypted beside it, and the status event carries the mask."""

from __future__ import annotations

from kunruyi_common.crypto import FieldCipher
from kunruyi_common.pii_text import find_pii, reveal_text
from kunruyi_common.settings import DEV_PII_KEY
from kunruyi_launcher.testing import partner, staff
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from test_applications import application, setup_policy

RID = "320583198212181827"
PHONE = "18812345678"
CARD = "6222021234567890128"


async def test_comments_reasons_and_objections_are_masked_and_kept_encrypted(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    await setup_policy(client, notice_days=7)
    async with client(partner("disbursement:write")) as c:
        created = await c.post(
            "/api/v1/applications", json=application(period="2026-H2", external_ref="PII-1")
        )
        assert created.status_code == 201, created.text
        app_id = created.json()["id"]
    people = {
        "accepted": staff("officer", department="科技局", subject="kj-officer"),
        "first_review": staff("reviewer", department="科技局", subject="kj-reviewer-1"),
        "second_review": staff("reviewer", department="科技局", subject="kj-reviewer-2"),
        "public_notice": staff("reviewer", department="科技局", subject="kj-reviewer-2"),
    }
    for stage, who in people.items():
        async with client(who) as c:
            comment = (
                f"已电话 {PHONE[:3]}-{PHONE[3:7]}-{PHONE[7:]} 联系申报人" if stage == "accepted" else None
            )
            r = await c.post(
                f"/api/v1/applications/{app_id}/steps", json={"to_status": stage, "comment": comment}
            )
            assert r.status_code == 200, r.text
    async with client(staff("officer", department="科技局", subject="kj-officer")) as c:
        objection = await c.post(
            f"/api/v1/applications/{app_id}/objections",
            json={"objector": "王先生", "content": f"举报人身份证 {RID}，收款卡号 {CARD} 与企业不符"},
        )
        assert objection.status_code == 201, objection.text
    async with client(staff("approver", department="科技局", subject="kj-approver")) as c:
        rejected = await c.post(
            f"/api/v1/applications/{app_id}/reject", json={"reason": f"经核实异议成立，联系电话{PHONE}"}
        )
        assert rejected.status_code == 200, rejected.text
        assert rejected.json()["reject_reason"] == f"经核实异议成立，联系电话{PHONE[:3]}****{PHONE[-4:]}"
        detail = await c.get(f"/api/v1/applications/{app_id}")
    shown = objection.text + rejected.text + detail.text
    assert detail.json()["steps"][1]["comment"] == f"已电话 {PHONE[:3]}****{PHONE[-4:]} 联系申报人"
    assert detail.json()["objections"][0]["content"] == (
        f"举报人身份证 {RID[0]}{'*' * 16}{RID[-1]}，收款卡号 {CARD[:4]}{'*' * 8}{CARD[-4:]} 与企业不符"
    )

    clear = "\n".join(
        str(v)
        for v in (
            await session.execute(
                text(
                    "SELECT a.reject_reason, (SELECT string_agg(coalesce(comment, ''), '|') FROM application_steps "
                    "WHERE application_id = a.id), (SELECT string_agg(content, '|') FROM application_objections "
                    "WHERE application_id = a.id), (SELECT string_agg(envelope::text, '|') FROM outbox_events "
                    "WHERE subject = CAST(a.id AS text)) FROM applications a WHERE a.id = :id"
                ),
                {"id": app_id},
            )
        ).one()
    )
    for number in (RID, PHONE, CARD, RID[6:14]):
        assert number not in shown and number not in clear
    assert find_pii(clear) == [] and find_pii(shown) == []

    cipher = FieldCipher.from_b64(DEV_PII_KEY)
    row = (
        await session.execute(
            text("SELECT content, content_encrypted FROM application_objections WHERE application_id = :id"),
            {"id": app_id},
        )
    ).one()
    ad = f"application_objections.content:{app_id}".encode()
    assert RID in reveal_text(row[0], row[1], cipher, associated_data=ad)

    # Staff of the policy's department reveal it, audited in the hash-chained log; another department cannot.
    async with client(staff("reviewer", department="人社局", subject="rs-reviewer")) as c:
        refused = await c.post(f"/api/v1/applications/{app_id}/reveal", json={"reason": "核对"})
        assert (refused.status_code, refused.json()["code"]) == (403, "other_department")
        assert RID not in refused.text
    async with client(partner("disbursement:write")) as c:
        assert (
            await c.post(f"/api/v1/applications/{app_id}/reveal", json={"reason": "核对"})
        ).status_code == 403
    async with client(staff("reviewer", department="科技局", subject="kj-reviewer-1", name="张审核")) as c:
        assert (await c.post(f"/api/v1/applications/{app_id}/reveal", json={})).status_code == 422
        revealed = await c.post(f"/api/v1/applications/{app_id}/reveal", json={"reason": "复核异议线索"})
        assert revealed.status_code == 200, revealed.text
        body = revealed.json()
        assert body["reject_reason"] == f"经核实异议成立，联系电话{PHONE}"
        assert body["objections"][0]["content"] == f"举报人身份证 {RID}，收款卡号 {CARD} 与企业不符"
        assert body["steps"][1]["comment"] == f"已电话 {PHONE[:3]}-{PHONE[3:7]}-{PHONE[7:]} 联系申报人"
        audit = (await c.get(f"/api/v1/applications/{app_id}/reveals")).json()["items"]
        assert [(a["actor"], a["actor_name"], a["reason"]) for a in audit] == [
            ("kj-reviewer-1", "张审核", "复核异议线索")
        ]
    async with client(staff("finance")) as c:
        chain = (await c.get("/api/v1/audit/verify")).json()
        assert chain["ok"] and chain["last_seq"] >= audit[0]["seq"]


async def test_ids_masked_the_old_way_are_masked_again(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    """disbursement_0016 masks again the IDs free text kept with the old mask (city and last four, which an age
    narrows to a few dozen numbers), the way every ID is shown now; other masks stay; a second run changes nothing."""
    import importlib.util
    from pathlib import Path

    import kunruyi_disbursement

    path = (
        Path(kunruyi_disbursement.__file__).parent
        / "migrations/versions/disbursement_0016_remask_free_text_ids.py"
    )
    spec = importlib.util.spec_from_file_location("disbursement_0016", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    await setup_policy(client, notice_days=7)
    async with client(partner("disbursement:write")) as c:
        created = await c.post(
            "/api/v1/applications", json=application(period="2026-H2", external_ref="PII-OLD-MASK")
        )
        assert created.status_code == 201, created.text
        app_id = created.json()["id"]
    old = f"举报人身份证 3205{'*' * 10}1827，收款卡号 6222{'*' * 8}0128"
    await session.execute(
        text("UPDATE applications SET reject_reason = :old WHERE id = :a"), {"old": old, "a": app_id}
    )
    for _ in range(2):
        await session.run_sync(lambda s: migration.remask(s.connection()))
        reason = (
            await session.execute(text("SELECT reject_reason FROM applications WHERE id = :a"), {"a": app_id})
        ).scalar_one()
        assert reason == f"举报人身份证 3{'*' * 16}7，收款卡号 6222{'*' * 8}0128"
