"""A bank callback the service cannot apply is refused cleanly, with nothing written: a signature header with
characters beyond ASCII is 401 ``invalid_bank_signature`` (``hmac.compare_digest`` raised ``TypeError`` on such a
``str``: a 500 to an unauthenticated caller); a sequence beyond int4, an amount beyond int8, a NUL in the event id
(sent without a JSON content type, so the kit's NUL check never saw it) or a settlement time no UTC instant holds is
422 ``invalid_callback`` (each was a 500 from the driver). The same payment then settles once on a good callback."""

from __future__ import annotations

import json
from typing import Any

import pytest
from disbursement_testkit import sign
from kunruyi_disbursement.settings import DEV_BANK_CALLBACK_SECRET
from kunruyi_launcher.testing import staff
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from test_settlement_amounts import in_flight


async def test_a_signature_beyond_ascii_is_401_not_500(client) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("finance", department="科技局")) as c:
        resp = await c.post(
            "/api/v1/bank/callbacks", content=b"{}", headers={"x-bank-signature": b"sha256=\xe9\xe9"}
        )
    assert resp.status_code == 401, resp.text
    assert resp.json()["code"] == "invalid_bank_signature"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sequence": 2**40}, "sequence"),
        ({"amount_fen": 2**70}, "amount_fen"),
        ({"event_id": "a\u0000b"}, "event_id"),
        ({"settled_at": "0001-01-01T00:00:00+14:00"}, "settled_at"),
    ],
)
async def test_a_callback_no_column_can_hold_is_422_and_writes_nothing(
    client, session: AsyncSession, change: dict[str, Any], field: str
) -> None:  # type: ignore[no-untyped-def]
    (d,) = await in_flight(client, session, 1)
    good = {"reference": str(d.reservation_id), "status": "settled", "sequence": 2, "amount_fen": 100_000}
    async with client(staff("finance", department="科技局")) as c:
        body = json.dumps({**good, **change}).encode()
        resp = await c.post(
            "/api/v1/bank/callbacks",
            content=body,
            headers={"x-bank-signature": sign(body, DEV_BANK_CALLBACK_SECRET)},
        )
        assert resp.status_code == 422, resp.text
        assert resp.json()["code"] == "invalid_callback" and field in resp.json()["detail"]
        stored = await session.scalar(
            text("SELECT count(*) FROM bank_callbacks WHERE reference = :r"), {"r": str(d.reservation_id)}
        )
        assert stored == 0
        assert (await c.get(f"/api/v1/disbursements/{d.id}")).json()["status"] == "instructed"
        body = json.dumps(good).encode()
        resp = await c.post(
            "/api/v1/bank/callbacks",
            content=body,
            headers={"x-bank-signature": sign(body, DEV_BANK_CALLBACK_SECRET)},
        )
        assert (resp.status_code, resp.json()["outcome"]) == (200, "applied"), resp.text
        assert (await c.get(f"/api/v1/disbursements/{d.id}")).json()["status"] == "settled"
        assert (await c.get("/api/v1/ledger/invariants")).json()["ok"]
