"""The bank's statement is checked before it is compared: a bank that refuses (404), an answer that is not JSON,
not a statement, a line without a reference, or an amount that is not an integer of fen (yuan with decimals, a
string, null) is 503 ``bank_unavailable`` naming what was wrong, with no run recorded — each was a 500, and ``100.7``
was silently booked as 100 fen. A reference the statement lists twice counts twice: the bank paying once more than
the ledger is an ``amount_mismatch``, not ``matched`` (the second line overwrote the first)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from kunruyi_disbursement.payments.bank_client import BankClient
from kunruyi_disbursement.reconciliation import service as reconciliation
from kunruyi_launcher.testing import staff
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from test_settlement_amounts import in_flight

DAY = "2026-01-02"


def bank_answers(monkeypatch: pytest.MonkeyPatch, status: int, body: bytes) -> None:
    """The statement request answered ``status`` with ``body`` (the bank client's one HTTP transport replaced)."""

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == f"/statements/{DAY}"
        return httpx.Response(status, content=body, headers={"content-type": "application/json"})

    class Bank(BankClient):
        def __init__(self, base_url: str, *, timeout_s: float = 5.0, transport: Any = None) -> None:
            super().__init__(base_url, timeout_s=timeout_s, transport=httpx.MockTransport(answer))

    monkeypatch.setattr(reconciliation, "BankClient", Bank)


async def runs(session: AsyncSession) -> int:
    return int(await session.scalar(text("SELECT count(*) FROM reconciliation_runs")) or 0)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, b'{"code": "no_statement"}'),
        (200, b"not json"),
        (200, b"[]"),
        (200, b'{"entries": null}'),
        (200, b'{"entries": [{"amount_fen": 1, "status": "settled"}]}'),
        (200, b'{"entries": [{"reference": "r", "amount_fen": "12.50", "status": "settled"}]}'),
        (200, b'{"entries": [{"reference": "r", "amount_fen": null, "status": "settled"}]}'),
        (200, b'{"entries": [{"reference": "r", "amount_fen": 100.7, "status": "settled"}]}'),
        (200, b'{"entries": [{"reference": "r\\u0000", "amount_fen": 1, "status": "settled"}]}'),
    ],
)
async def test_a_statement_that_is_not_one_is_503_and_records_no_run(
    client, session: AsyncSession, monkeypatch: pytest.MonkeyPatch, status: int, body: bytes
) -> None:  # type: ignore[no-untyped-def]
    before = await runs(session)
    bank_answers(monkeypatch, status, body)
    async with client(staff("finance", department="科技局")) as c:
        resp = await c.post("/api/v1/reconciliation/runs", json={"date": DAY})
    assert resp.status_code == 503, resp.text
    assert resp.json()["code"] == "bank_unavailable"
    assert await runs(session) == before


async def test_a_reference_listed_twice_is_a_mismatch_not_matched(
    client, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    (d,) = await in_flight(client, session, 1)
    await session.execute(
        text("UPDATE disbursements SET status = 'settled', settled_at = :at WHERE id = :id"),
        {"at": datetime(2026, 1, 2, 8, tzinfo=UTC), "id": d.id},
    )
    line = {"reference": str(d.reservation_id), "amount_fen": 100_000, "status": "settled"}
    bank_answers(monkeypatch, 200, json.dumps({"date": DAY, "entries": [line, line]}).encode())
    async with client(staff("finance", department="科技局")) as c:
        resp = await c.post("/api/v1/reconciliation/runs", json={"date": DAY})
    assert resp.status_code == 201, resp.text
    report = resp.json()
    assert (report["ok"], report["matched"], report["amount_mismatch"]) == (False, 0, 1)
    assert report["bank_total_fen"] == 200_000 and report["ledger_total_fen"] == 100_000
    (mismatch,) = report["mismatches"]
    assert mismatch == {
        "kind": "amount_mismatch",
        "reference": str(uuid.UUID(line["reference"])),
        "ledger_amount_fen": 100_000,
        "bank_amount_fen": 200_000,
    }
