"""Trust item 6: personal data typed into free text is stored and shown masked; the handling officer reveals it
(and the requester's phone) with an audited action; nobody else can.

Through the gateway over real HTTP against the running platform; the clear database column is read directly.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from kunruyi_launcher.apps import APPS
from kunruyi_launcher.infra import with_database
from kunruyi_launcher.stack import run_coroutine

# 政策咨询 is routed to 人才办.
HANDLING = "人才办"
OTHER = "公安局"


def _talent_row(driver: Any, sql: str, *args: object) -> Any:
    url = with_database(
        driver.platform.infra.database_admin_url, next(a for a in APPS if a.name == "talent").database
    )

    async def fetch() -> Any:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return await conn.fetchrow(sql, *args)
        finally:
            await conn.close()

    return run_coroutine(fetch())


def test_ticket_free_text_is_masked_and_revealed_only_to_the_handling_officer_with_an_audit(
    driver: Any,
) -> None:
    rid = driver.new_resident_id()
    mobile = driver.new_phone()
    requester = driver.new_phone()
    dashed = f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"
    description = f"本人身份证 {rid}，手机 {dashed}，申请人才补贴一直没有回音"
    r = driver.partner.post(
        "/api/v1/tickets",
        json={
            "type": "政策咨询",
            "title": "补贴进度咨询",
            "description": description,
            "channel": "api",
            "requester_name": "刘女士",
            "requester_phone": requester,
        },
    )
    assert r.status_code == 201, r.text
    number = r.json()["ticket_number"]
    assert rid not in r.text and mobile[3:] not in r.text

    # The officer sees masks: the ID keeps its first and last character only (area, birth date and sequence
    # hidden), the phone its middle digits hidden.
    view = driver.as_staff("officer", "GET", f"/api/v1/tickets/{number}", HANDLING)
    assert view.status_code == 200, view.text
    masked = f"本人身份证 {rid[0]}{'*' * 16}{rid[-1]}，手机 {mobile[:3]}****{mobile[-4:]}，申请人才补贴一直没有回音"
    assert view.json()["description"] == masked
    assert view.json()["requester_phone"] == f"{requester[:3]}****{requester[-4:]}"
    listed = driver.as_staff("officer", "GET", "/api/v1/tickets", HANDLING, params={"limit": 200})
    for response in (view, listed):
        assert rid not in response.text and rid[6:14] not in response.text
        assert mobile not in response.text and dashed not in response.text and requester not in response.text

    # The clear column holds none of the numbers, not even the birth date; the original sits encrypted beside it.
    row = _talent_row(
        driver,
        "SELECT description, description_encrypted, requester_phone_masked FROM tickets WHERE ticket_number = $1",
        number,
    )
    assert row["description"] == masked
    assert rid[6:14] not in row["description"]
    assert row["description_encrypted"].startswith("v1.") and rid not in row["description_encrypted"]

    # The handling officer replies with the number they called; the reply is masked too.
    for step in ("accepted", "in_progress"):
        moved = driver.as_staff(
            "officer", "POST", f"/api/v1/tickets/{number}/transitions", HANDLING, json={"to": step}
        )
        assert moved.status_code == 200, moved.text
    replied = driver.as_staff(
        "officer",
        "POST",
        f"/api/v1/tickets/{number}/transitions",
        HANDLING,
        json={"to": "replied", "reply": f"已致电 {requester} 说明办理进度"},
    )
    assert replied.status_code == 200, replied.text
    assert requester not in replied.text

    # Another department's officer, a partner with the write scope, and an anonymous caller are refused.
    for what in ("text", "requester_phone"):
        refused = driver.as_staff(
            "officer",
            "POST",
            f"/api/v1/tickets/{number}/reveal",
            OTHER,
            json={"field": what, "reason": "核对"},
        )
        assert (refused.status_code, refused.json()["code"]) == (403, "other_department"), refused.text
        assert rid not in refused.text and requester not in refused.text
    by_partner = driver.partner.post(
        f"/api/v1/tickets/{number}/reveal", json={"field": "text", "reason": "核对"}
    )
    assert by_partner.status_code == 403 and rid not in by_partner.text
    anonymous = driver.http.post(f"/api/v1/tickets/{number}/reveal", json={"field": "text", "reason": "核对"})
    assert anonymous.status_code == 401
    no_reason = driver.as_staff(
        "officer", "POST", f"/api/v1/tickets/{number}/reveal", HANDLING, json={"field": "text"}
    )
    assert (no_reason.status_code, no_reason.json()["field"]) == (422, "reason")

    # The handling officer reveals the text and, to call back, the requester's phone.
    text = driver.as_staff(
        "officer",
        "POST",
        f"/api/v1/tickets/{number}/reveal",
        HANDLING,
        subject="e2e-liu",
        json={"field": "text", "reason": "核实申请人身份"},
    )
    assert text.status_code == 200, text.text
    assert text.json()["description"] == description
    assert text.json()["reply"] == f"已致电 {requester} 说明办理进度"
    phone = driver.as_staff(
        "officer",
        "POST",
        f"/api/v1/tickets/{number}/reveal",
        HANDLING,
        subject="e2e-liu",
        json={"field": "requester_phone", "reason": "回电告知进度"},
    )
    assert phone.status_code == 200, phone.text
    assert phone.json()["requester_phone"] == requester

    # Both reveals are in the audit list staff can read: who, when, what, why. Refusals revealed nothing.
    audit = driver.as_staff(
        "officer", "GET", "/api/v1/service-desk/reveals", HANDLING, params={"ticket_number": number}
    )
    assert audit.status_code == 200, audit.text
    items = audit.json()["items"]
    assert [(a["field"], a["actor"], a["reason"]) for a in items] == [
        ("requester_phone", "staff:e2e-liu", "回电告知进度"),
        ("text", "staff:e2e-liu", "核实申请人身份"),
    ]
    assert all(a["at"] and a["department"] == HANDLING for a in items)
    elsewhere = driver.as_staff(
        "officer", "GET", "/api/v1/service-desk/reveals", OTHER, params={"ticket_number": number}
    )
    assert elsewhere.status_code == 200 and elsewhere.json()["items"] == []
    admin = driver.as_staff("admin", "GET", "/api/v1/service-desk/reveals", params={"ticket_number": number})
    assert len(admin.json()["items"]) == 2
