"""Idempotency-Key on the record-creating POSTs: a retry gets the first answer (and creates nothing), the same key
with another body is refused, and the stored answer never holds a ticket's secret or a phone in clear."""

from __future__ import annotations

from kunruyi_common.auth import Principal
from kunruyi_launcher.testing import partner, staff
from kunruyi_talent.identifiers import make_resident_id, make_uscc
from sqlalchemy import text

OFFICER = staff("officer", department="人才办")
USCC = make_uscc(4242)


async def test_a_retried_ticket_is_filed_once_and_the_requester_gets_the_same_secret(client, session) -> None:  # type: ignore[no-untyped-def]
    phone_user = Principal(kind="public", subject="qr:idem", target=USCC)
    body = {
        "type": "子女入学",
        "title": "孩子明年入学，需要准备哪些材料",
        "channel": "qr",
        "requester_name": "周先生",
        "requester_phone": "13900002222",
    }
    async with client(phone_user) as c:
        first = await c.post("/api/v1/tickets", json=body, headers={"Idempotency-Key": "form-7f3a"})
        again = await c.post("/api/v1/tickets", json=body, headers={"Idempotency-Key": "form-7f3a"})
        other = await c.post(
            "/api/v1/tickets", json=body | {"title": "另一个问题"}, headers={"Idempotency-Key": "form-7f3a"}
        )
    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_conflict")

    number, secret = first.json()["ticket_number"], first.json()["access_secret"]
    filed = await session.scalar(
        text("SELECT count(*) FROM tickets WHERE title = :t"), {"t": "孩子明年入学，需要准备哪些材料"}
    )
    assert filed == 1
    stored = await session.scalar(text("SELECT response::text FROM idempotency_keys WHERE key = 'form-7f3a'"))
    assert (
        stored is not None and secret not in stored and number not in stored and "13900002222" not in stored
    )


async def test_a_retried_registration_returns_the_record_instead_of_a_duplicate_error(client) -> None:  # type: ignore[no-untyped-def]
    body = {
        "uscc": USCC,
        "name": "昆山重试科技有限公司",
        "district": "花桥",
        "industry_chain": "集成电路",
        "founded_on": "2020-05-01",
        "employees": 30,
    }
    async with client(partner("talent:write", "talent:read")) as c:
        first = await c.post("/api/v1/enterprises", json=body, headers={"Idempotency-Key": "ent-1"})
        again = await c.post("/api/v1/enterprises", json=body, headers={"Idempotency-Key": "ent-1"})
        plain_retry = await c.post("/api/v1/enterprises", json=body)
        talent = {
            "name": "吴工",
            "id_number": make_resident_id(4242),
            "education": "master",
            "employer_uscc": USCC,
        }
        t1 = await c.post("/api/v1/talents", json=talent, headers={"Idempotency-Key": "tal-1"})
        t2 = await c.post("/api/v1/talents", json=talent, headers={"Idempotency-Key": "tal-1"})
        too_long = await c.post("/api/v1/talents", json=talent, headers={"Idempotency-Key": "k" * 201})
    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()["id"]) == (201, first.json()["id"])
    # Without a key, a second registration is the documented duplicate.
    assert plain_retry.status_code == 409
    assert t1.status_code == 201, t1.text
    assert (t2.status_code, t2.json()["talent_id"]) == (201, t1.json()["talent_id"])
    assert (too_long.status_code, too_long.json()["field"]) == (422, "header.Idempotency-Key")


async def test_the_same_key_from_two_callers_is_two_requests(client) -> None:  # type: ignore[no-untyped-def]
    body = {"type": "政策咨询", "title": "高企认定奖励何时发放", "channel": "api", "enterprise_uscc": USCC}
    async with client(OFFICER) as c:
        mine = await c.post("/api/v1/tickets", json=body, headers={"Idempotency-Key": "shared-key"})
    async with client(staff("officer", department="人才办", subject="another")) as c:
        theirs = await c.post("/api/v1/tickets", json=body, headers={"Idempotency-Key": "shared-key"})
    assert mine.status_code == theirs.status_code == 201, (mine.text, theirs.text)
    assert mine.json()["ticket_number"] != theirs.json()["ticket_number"]
