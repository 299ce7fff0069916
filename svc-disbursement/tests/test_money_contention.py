"""Budget top-ups racing bank settlement callbacks (and the worker's sweep and the batched entitlement intake) over
the same payees: no deadlock, no 500, no 503, nothing twice.

A top-up resumes the disbursements parked for lack of budget (budget → payable reservations); a settlement callback
posts a reservation and moves the money on (payable → clearing). When both touch the same payable accounts and the
audit chain head, they used to take them in opposite orders and PostgreSQL killed one with "deadlock detected"
(issue 14). Real app, real pool, real concurrent transactions.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from kunruyi_common.app import create_service_app
from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_disbursement.audit import service as audit
from kunruyi_disbursement.disbursements.batch import intake_entitlements
from kunruyi_disbursement.disbursements.service import EntitlementDetermined, create_disbursement
from kunruyi_disbursement.ledger import service as ledger
from kunruyi_disbursement.main import build_spec
from kunruyi_disbursement.payments.worker import PaymentWorker
from kunruyi_disbursement.settings import Settings
from kunruyi_emulators.bank import SIGNATURE_HEADER, sign
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import migrated_database, principal_headers, staff
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

AMOUNT = 10_000
PAYEES = [f"91320583MA{i:08d}" for i in range(12)]
PARKED_POLICIES = ["KS-LOCK-P1", "KS-LOCK-P2", "KS-LOCK-P3"]
PAID_POLICIES = ["KS-LOCK-Q1", "KS-LOCK-Q2"]
SWEPT_POLICY = "KS-LOCK-S1"  # parked, funded behind the top-up's back: the worker's sweep resumes it
INTAKE_POLICY = "KS-LOCK-R1"  # batched 免申即享 intake for the same payees
SECRET = "contention-callback-secret"


@pytest.fixture(scope="module")
async def committed_app(infra: Infra) -> AsyncIterator[tuple[FastAPI, AsyncEngine]]:
    db_url = await asyncio.to_thread(
        migrated_database, infra, "kunruyi_disbursement", "disbursement_contention"
    )
    settings = Settings(
        database_url=db_url,
        nats_url=infra.nats_url,
        run_background_workers=False,
        bank_callback_secret=SECRET,
    )
    app = create_service_app(build_spec(), settings)
    engine = create_engine(db_url, pool_size=40)
    # No lifespan: the app gets a real pool, and every request its own session and transaction.
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.settings = settings
    app.state.after_commit = lambda: None
    yield app, engine
    await engine.dispose()


def finance(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://svc",
        headers=principal_headers(staff("finance", department="科技局", subject="finance-1")),
    )


def _policy(code: str) -> dict[str, Any]:
    return {"title": f"并发锁序测试 {code}", "department": "科技局", "mode": "automatic"}


async def _fund(c: httpx.AsyncClient, code: str, amount: int, key: str) -> httpx.Response:
    return await c.post(
        "/api/v1/budgets",
        headers={"Idempotency-Key": key},
        json={"policy_code": code, "fiscal_year": 2026, "amount_fen": amount, "policy": _policy(code)},
    )


async def _disburse(engine: AsyncEngine, code: str, payee: str) -> Any:
    async with create_sessionmaker(engine)() as session, session.begin():
        d = await create_disbursement(
            session,
            mode="automatic",
            policy_code=code,
            policy_version=1,
            department="科技局",
            district=None,
            entity_type="enterprise",
            entity_id=payee,
            period="2026",
            amount_fen=AMOUNT,
            entitlement_id=f"ent-{code}-{payee}",
            approved_by="system:auto",
        )
        assert d is not None
        return d


async def _intake(engine: AsyncEngine, period: str) -> dict[str, int]:
    """One batch of the entitlement consumer: an entitlement per payee, reserved set-based."""
    items = [
        EntitlementDetermined(
            entitlement_id=f"ent-{INTAKE_POLICY}-{period}-{p}",
            policy_code=INTAKE_POLICY,
            period=period,
            entity_type="enterprise",
            entity_id=p,
            amount_fen=AMOUNT,
        )
        for p in PAYEES
    ]
    async with create_sessionmaker(engine)() as session, session.begin():
        return await intake_entitlements(session, items, auto_approve_max_fen=5_000_000)


async def _callback(c: httpx.AsyncClient, events: list[dict[str, Any]]) -> httpx.Response:
    body = json.dumps(events[0] if len(events) == 1 else {"events": events}).encode()
    return await c.post(
        "/api/v1/bank/callbacks",
        content=body,
        headers={SIGNATURE_HEADER: sign(SECRET, body), "content-type": "application/json"},
    )


def _settled(d: Any) -> dict[str, Any]:
    return {
        "event_id": f"{d.reservation_id}:settled",
        "reference": str(d.reservation_id),
        "status": "settled",
        "sequence": 2,
        "amount_fen": AMOUNT,
    }


def _failed(d: Any) -> dict[str, Any]:
    return {
        "event_id": f"{d.reservation_id}:failed",
        "reference": str(d.reservation_id),
        "status": "failed",
        "sequence": 2,
        "amount_fen": AMOUNT,
        "failure_reason": "账户已销户",
    }


async def test_concurrent_top_ups_and_settlement_callbacks_never_deadlock(
    committed_app: tuple[FastAPI, AsyncEngine],
) -> None:
    app, engine = committed_app
    async with finance(app) as c:
        # Parked: every payee waits on each of three budgets that hold 1 fen.
        for code in PARKED_POLICIES:
            assert (await _fund(c, code, 1, f"seed-{code}")).status_code == 201
        assert (await _fund(c, SWEPT_POLICY, 1, f"seed-{SWEPT_POLICY}")).status_code == 201
        parked = [await _disburse(engine, code, p) for code in PARKED_POLICIES for p in PAYEES]
        swept = [await _disburse(engine, SWEPT_POLICY, p) for p in PAYEES]
        assert {d.status for d in parked + swept} == {"awaiting_budget"}
        async with create_sessionmaker(engine)() as session, session.begin():
            # Money arrives in the budget without a top-up request (nothing resumes): the sweep's work.
            await ledger.create_transfer(
                session,
                ledger.Transfer(
                    id=uuid.uuid4(),
                    debit_account_id=await ledger.ensure_account(session, ledger.FUNDING_ACCOUNT, "funding"),
                    credit_account_id=ledger.account_id(ledger.budget_code(SWEPT_POLICY, 2026)),
                    amount_fen=AMOUNT * len(PAYEES),
                    phase="single",
                    cause_type="budget_funding",
                    cause_id=f"{SWEPT_POLICY}:2026",
                ),
            )
        assert (
            await _fund(c, INTAKE_POLICY, 2 * AMOUNT * len(PAYEES), f"seed-{INTAKE_POLICY}")
        ).status_code == 201
        # In flight: the same payees are being paid from two other budgets (the worker instructed the bank).
        for code in PAID_POLICIES:
            assert (await _fund(c, code, AMOUNT * len(PAYEES), f"seed-{code}")).status_code == 201
        paying = [await _disburse(engine, code, p) for code in PAID_POLICIES for p in PAYEES]
        assert {d.status for d in paying} == {"reserved"}
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE disbursements SET status = 'instructed', instruction_sent_at = now(), "
                    "instruction_attempts = 1, bank_accepted_at = now(), bank_sequence = 1 WHERE id = ANY(:ids)"
                ),
                {"ids": [d.id for d in paying]},
            )

        # One top-up per parked budget, each enough for all its payees; every in-flight payment settles (one in
        # six fails), half of them by single callbacks, the rest in batches of three, as the bank sends them.
        singles = paying[::2]
        batched = paying[1::2]
        fails = {d.id for d in paying[::6]}

        def event(d: Any) -> dict[str, Any]:
            return _failed(d) if d.id in fails else _settled(d)

        calls = [_fund(c, code, AMOUNT * len(PAYEES), f"top-up-{code}") for code in PARKED_POLICIES]
        calls += [_callback(c, [event(d)]) for d in singles]
        calls += [_callback(c, [event(d) for d in batched[i : i + 3]]) for i in range(0, len(batched), 3)]
        # Interleave so that top-ups and callbacks start together.
        order = [calls[i] for i in (0, 3, 4, 1, 5, 6, 2)] + calls[7:]
        # Beside them, the payment worker's sweep and two batches of the entitlement consumer.
        worker = PaymentWorker(create_sessionmaker(engine), app.state.settings)
        others = asyncio.gather(
            worker.sweep_awaiting_budget(), _intake(engine, "2026-03"), _intake(engine, "2026-04")
        )
        responses, (swept_now, *intakes) = await asyncio.gather(asyncio.gather(*order), others)
        await worker.stop()

        top_ups = [responses[0], responses[3], responses[6]]
        bad = [(r.status_code, r.text[:300]) for r in responses if r.status_code not in (200, 201)]
        assert not bad, bad
        # The sweep may take parked rows of a budget before its top-up claims them; each is resumed once either way.
        assert sum(r.json()["resumed_disbursements"] for r in top_ups) + swept_now == len(parked) + len(swept)
        assert [i["reserved"] for i in intakes] == [len(PAYEES), len(PAYEES)]

        # Every answer was the first and only effect: replaying all of them changes nothing.
        again = await asyncio.gather(
            *[_fund(c, code, AMOUNT * len(PAYEES), f"top-up-{code}") for code in PARKED_POLICIES],
            *[_callback(c, [event(d)]) for d in paying],
        )
        assert all(r.status_code in (200, 201) for r in again), [r.text[:200] for r in again]
        assert [r.json() for r in again[:3]] == [r.json() for r in top_ups]
        assert {r.json()["outcome"] for r in again[3:]} == {"stale"}

    async with create_sessionmaker(engine)() as session:
        statuses = dict(
            (
                await session.execute(
                    text("SELECT id, status FROM disbursements WHERE id = ANY(:ids)"),
                    {"ids": [d.id for d in parked + swept + paying]},
                )
            ).all()
        )
        assert {statuses[d.id] for d in parked + swept} == {"reserved"}
        assert {d.id for d in paying if statuses[d.id] == "failed"} == fails
        assert {statuses[d.id] for d in paying if d.id not in fails} == {"settled"}
        # Each parked disbursement reserved once, each payment posted or voided once, nothing paid twice.
        per_phase = dict(
            (
                await session.execute(
                    text(
                        "SELECT phase, count(*) FROM ledger_transfers WHERE pending_id = ANY(:r) OR id = ANY(:r) "
                        "GROUP BY phase"
                    ),
                    {"r": [d.reservation_id for d in parked + swept + paying]},
                )
            ).all()
        )
        assert per_phase == {
            "pending": len(parked) + len(swept) + len(paying),
            "post": len(paying) - len(fails),
            "void": len(fails),
        }
        for code in PARKED_POLICIES:
            budget = await ledger.account_balance(session, ledger.budget_code(code, 2026))
            assert budget is not None
            assert budget["debits_pending"] == AMOUNT * len(PAYEES) and budget["available_fen"] == 1
        invariants = await ledger.check_invariants(session)
        assert invariants["ok"], invariants
        chain = await audit.verify(session)
        assert chain["ok"], chain
        reserved_entries = (
            await session.execute(
                text(
                    "SELECT entity_id, count(*) FROM audit_log WHERE action = 'ledger.reserved' "
                    "AND entity_id = ANY(:ids) GROUP BY entity_id"
                ),
                {"ids": [str(d.id) for d in parked + swept]},
            )
        ).all()
        assert len(reserved_entries) == len(parked + swept) and {n for _, n in reserved_entries} == {1}
        intake_budget = await ledger.account_balance(session, ledger.budget_code(INTAKE_POLICY, 2026))
        assert intake_budget is not None and intake_budget["available_fen"] == 0


class _Refused(Exception):
    pass


async def test_audit_entries_are_written_at_commit_in_order_and_dropped_with_their_savepoint(
    committed_app: tuple[FastAPI, AsyncEngine],
) -> None:
    _, engine = committed_app
    sessions = create_sessionmaker(engine)

    async def entry(session: Any, name: str) -> None:
        await audit.append(
            session, actor="t", action="test.queued", entity_type="test", entity_id=name, data={"n": name}
        )

    async with sessions() as first, sessions() as second:
        async with first.begin():
            await entry(first, "first-a")
            try:
                async with first.begin_nested():
                    await entry(first, "refused")
                    raise _Refused
            except _Refused:
                pass
            # The chain head is not taken before commit: another transaction appends and commits meanwhile.
            async with second.begin():
                await entry(second, "second")
            await entry(first, "first-b")
        async with second.begin():
            await entry(second, "rolled-back")
            await second.rollback()
    async with sessions() as session:
        written = (
            (
                await session.execute(
                    text("SELECT entity_id FROM audit_log WHERE action = 'test.queued' ORDER BY seq")
                )
            )
            .scalars()
            .all()
        )
        assert written == ["second", "first-a", "first-b"]
        chain = await audit.verify(session)
        assert chain["ok"], chain
