"""The service process is SIGKILLed between reserving and instructing the bank (and between the bank's acceptance and
recording it), then restarted: the payment is made exactly once.

The service runs with a test-only crash point at which its payment worker stops for good; the test then kills the
whole process with SIGKILL from outside (no cleanup, no finally blocks, no flush) and starts a new one."""

from __future__ import annotations

import asyncio
import signal
import uuid

import pytest
from disbursement_testkit import (
    BankEmulator,
    ServiceProcess,
    entitlement_event,
    make_uscc,
    publish_events,
    wait_until,
)
from kunruyi_common.db import create_engine
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import migrated_database
from sqlalchemy import text


@pytest.mark.parametrize("crash_point", ["before_instruct", "after_instruct"])
async def test_payment_completes_exactly_once_after_a_crash(infra: Infra, crash_point: str) -> None:
    db_url = await asyncio.to_thread(
        migrated_database, infra, "kunruyi_disbursement", f"disbursement_crash_{crash_point}"
    )
    service = ServiceProcess(infra, db_url, bank_url="")
    bank = BankEmulator(f"{service.url}/api/v1/bank/callbacks", env={"KRY_BANK_LATENCY_MS": "10"})
    service.bank_url = bank.url
    engine = create_engine(db_url, pool_size=2)
    try:
        app = service.start(crash_point=crash_point)
        app.wait_ready(60)
        async with service.client("finance") as c:
            resp = await c.post(
                "/api/v1/budgets",
                headers={"Idempotency-Key": f"fund-{crash_point}"},
                json={
                    "policy_code": "KS-CRASH",
                    "fiscal_year": 2026,
                    "amount_fen": 1_000_000,
                    "policy": {"title": "崩溃恢复测试", "department": "科技局", "mode": "automatic"},
                },
            )
            assert resp.status_code == 201, resp.text
        entity = make_uscc(900 + len(crash_point))
        if crash_point == "after_instruct":
            # The process is alive until the kill: no callback may settle the payment before it dies.
            bank.control(callbacks_enabled=False)
        await publish_events(infra.nats_url, [entitlement_event("KS-CRASH", entity, 250_000)])

        async def at_crash_point() -> str | None:
            async with engine.connect() as conn:
                row = (
                    await conn.execute(
                        text(
                            "SELECT reservation_id FROM disbursements WHERE entity_id = :e "
                            "AND status = 'instructing' AND instruction_sent_at IS NOT NULL"
                        ),
                        {"e": entity},
                    )
                ).first()
            if row is None:
                return None
            reference = str(row.reservation_id)
            # After the instruction: wait until the bank has it (the worker stops before recording its answer).
            if crash_point == "after_instruct" and bank.payment(reference) is None:
                return None
            return reference

        reference = await wait_until(at_crash_point, within=30)
        assert app.process is not None
        app.kill()
        assert app.process.returncode == -signal.SIGKILL

        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    text("SELECT status, instruction_sent_at FROM disbursements WHERE entity_id = :e"),
                    {"e": entity},
                )
            ).one()
        assert row.status == "instructing" and row.instruction_sent_at is not None
        if crash_point == "before_instruct":
            assert bank.payment(reference) is None
        else:
            assert bank.payment(reference) is not None
        bank.control(callbacks_enabled=True)

        service.start().wait_ready(60)

        async def settled() -> bool:
            async with engine.connect() as conn:
                status = (
                    await conn.execute(
                        text("SELECT status FROM disbursements WHERE entity_id = :e"), {"e": entity}
                    )
                ).scalar_one()
            return status == "settled"

        await wait_until(settled, within=40)
        payment = bank.payment(reference)
        assert payment is not None and payment["status"] == "settled"
        assert bank.stats()["payments"] == 1
        async with engine.connect() as conn:
            postings = (
                await conn.execute(
                    text(
                        "SELECT phase, count(*) FROM ledger_transfers WHERE id = :p OR pending_id = :p GROUP BY phase"
                    ),
                    {"p": uuid.UUID(reference)},
                )
            ).all()
            events = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM outbox_events WHERE type = 'kunruyi.disbursement.payment.settled'"
                    )
                )
            ).scalar_one()
        assert dict(postings) == {"pending": 1, "post": 1}
        assert events == 1
        async with service.client("finance") as c:
            assert (await c.get("/api/v1/ledger/invariants")).json()["ok"]
    finally:
        service.stop()
        bank.stop()
        await engine.dispose()
