"""The payment worker: instructs the bank for reserved disbursements, polls for settlements the callbacks missed,
and retries reservations waiting for budget.

Exactly one payment per disbursement, whatever crashes: a disbursement is claimed (status ``instructing``,
``instruction_sent_at`` recorded, a retry time set) and that claim COMMITTED before the bank hears anything; the
instruction's reference is the reservation transfer id, which the bank deduplicates. A crash anywhere after the
claim leaves the row ``instructing``; when its retry time comes the same instruction is sent again and the bank
answers with its first acceptance. Each unit of work here opens and commits its own session.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from kunruyi_common.periodic import PeriodicTask, start_periodic
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_disbursement.disbursements.service import resume_awaiting
from kunruyi_disbursement.ledger import service as ledger
from kunruyi_disbursement.payments import repository
from kunruyi_disbursement.payments.bank_client import BankClient, BankError, BankRejected
from kunruyi_disbursement.payments.payees import instruction_payee
from kunruyi_disbursement.payments.settlement import BankUpdate, accounts_touched, apply_bank_update
from kunruyi_disbursement.settings import Settings

logger = logging.getLogger("kunruyi.disbursement.payments")


async def _halt_for_kill(point: str, where: str) -> None:
    """Test-only fault injection: the payment worker stops for good at ``point`` (the rest of the process keeps
    running) so that a test can SIGKILL the process exactly there."""
    logger.error("crash point %s reached (%s): the payment worker stops here", point, where)
    await asyncio.Event().wait()


class PaymentWorker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        bank: BankClient | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.bank = bank or BankClient(settings.bank_url, timeout_s=settings.bank_timeout_s)
        self.instructions: PeriodicTask | None = None

    def wake(self) -> None:
        """Instruct now (a commit may have reserved something): cuts the instruction task's wait short."""
        if self.instructions is not None:
            self.instructions.wake()

    async def stop(self) -> None:
        await self.bank.close()

    # The ticks of the three periodic tasks. Each step opens and commits its own sessions (a claim must be
    # committed before the bank hears of it), so the task's own transaction only carries the job's lock.
    async def instruct_tick(self, _session: AsyncSession) -> bool:
        return await self.instruct_due() > 0

    async def poll_tick(self, _session: AsyncSession) -> bool:
        return await self.poll_due() > 0

    async def sweep_tick(self, _session: AsyncSession) -> bool:
        return await self.sweep_awaiting_budget() > 0

    async def instruct_due(self) -> int:
        s = self.settings
        async with self.sessionmaker() as session, session.begin():
            claimed = await repository.claim_due(
                session,
                limit=s.payment_batch_size,
                base_s=s.payment_retry_base_s,
                max_s=s.payment_retry_max_s,
            )
        if not claimed:
            return 0
        if s.crash_point == "before_instruct":
            await _halt_for_kill("before_instruct", "claimed and committed, the bank not yet instructed")
        instructions = [self._instruction(d) for d in claimed]
        try:
            results = await self.bank.send_instructions(instructions)
        except BankError as exc:
            # Unknown whether the bank got them: the claim's retry time resends the same references.
            logger.warning("bank unreachable for %d instructions: %s", len(claimed), exc)
            await self._record_error(claimed, str(exc))
            return len(claimed)
        except BankRejected:
            # One bad instruction must not hold the others hostage: send them one by one.
            results = [await self._send_one(instruction) for instruction in instructions]
        if s.crash_point == "after_instruct":
            await _halt_for_kill("after_instruct", "the bank accepted, the acceptance not yet recorded")
        await self._record_acceptances(claimed, results)
        return len(claimed)

    async def _send_one(self, instruction: dict[str, Any]) -> dict[str, Any]:
        try:
            return {**await self.bank.send_instruction(instruction), "http_status": 201}
        except BankRejected as exc:
            body = exc.body if isinstance(exc.body, dict) else {}
            return {**body, "reference": instruction["reference"], "http_status": exc.status}
        except BankError as exc:
            return {"reference": instruction["reference"], "http_status": 503, "error": str(exc)}

    def _instruction(self, d: Any) -> dict[str, Any]:
        return {
            "reference": str(d.reservation_id),
            "amount_fen": d.amount_fen,
            "currency": "CNY",
            "payee": instruction_payee(self.settings, d),
            "policy_code": d.policy_code,
            "purpose": f"{d.policy_code} {d.period} 政策兑现",
        }

    async def _record_error(self, claimed: list[Any], error: str) -> None:
        async with self.sessionmaker() as session, session.begin():
            await repository.set_last_error(session, [d.id for d in claimed], error[:500])

    async def _record_acceptances(self, claimed: list[Any], results: list[dict[str, Any]]) -> None:
        by_ref = {r.get("reference"): r for r in results}
        accepted, rejected, conflicting = [], [], []
        for d in claimed:
            result = by_ref.get(str(d.reservation_id))
            status = result.get("http_status") if result is not None else None
            if status in (200, 201):
                accepted.append(d.id)
            elif status == 409:
                # The bank already holds a payment under this reference (and may pay it): never void the
                # reservation on that answer. Ask the bank what became of it instead, right away.
                logger.error("bank reports a conflicting instruction for reference %s", d.reservation_id)
                conflicting.append(d.id)
            elif status is not None and 400 <= status < 500:
                rejected.append((d, result))
            # Anything else (no answer for it, a transient error): the claim's retry time sends it again.
        poll_at = datetime.now(UTC) + timedelta(seconds=self.settings.payment_poll_after_s)
        async with self.sessionmaker() as session, session.begin():
            # The lock order of every money path: the disbursement rows by id, then all the accounts in one go.
            await repository.lock_ids(
                session, sorted([*accepted, *conflicting, *(d.id for d, _ in rejected)])
            )
            if rejected:
                await ledger.ensure_account(session, ledger.CLEARING_ACCOUNT, "clearing")
                await ledger.lock_accounts(session, accounts_touched([d for d, _ in rejected]))
            if accepted:
                # A callback may already have settled some of them: only rows still 'instructing' move on.
                await repository.mark_instructed(session, accepted, next_attempt_at=poll_at, last_error=None)
            if conflicting:
                await repository.mark_instructed(
                    session, conflicting, next_attempt_at=func.now(), last_error="bank: reference_conflict"
                )
            for d, result in rejected:
                await apply_bank_update(
                    session,
                    BankUpdate(
                        reference=str(d.reservation_id),
                        status="failed",
                        sequence=2,
                        failure_reason=f"银行拒绝指令：{(result or {}).get('title') or (result or {}).get('code') or '未知'}",
                    ),
                    source="instruction",
                )

    async def poll_due(self) -> int:
        """Ask the bank about instructed payments whose callback is late (the polling fallback)."""
        async with self.sessionmaker() as session, session.begin():
            due = await repository.claim_poll_due(
                session, limit=self.settings.payment_batch_size, after_s=self.settings.payment_poll_after_s
            )
        for row in due:
            try:
                payment = await self.bank.get_payment(str(row.reservation_id))
            except BankError as exc:
                logger.warning("polling the bank failed: %s", exc)
                return len(due)
            async with self.sessionmaker() as session, session.begin():
                if payment is None:
                    # The bank never got it (a lost request): instruct again with the same reference.
                    await repository.instruct_again(session, row.id)
                    continue
                await apply_bank_update(
                    session,
                    BankUpdate(
                        reference=payment["reference"],
                        status=payment["status"],
                        sequence=payment["sequence"],
                        amount_fen=payment["amount_fen"],
                        settled_at=payment.get("settled_at"),
                        failure_reason=payment.get("failure_reason"),
                    ),
                    source="poll",
                )
        return len(due)

    async def sweep_awaiting_budget(self) -> int:
        async with self.sessionmaker() as session, session.begin():
            # Only budgets with something left are worth trying.
            budgets = await repository.budgets_with_parked_and_room(session)
        reserved = 0
        for b in budgets:
            # One transaction per budget: each locks its own accounts up front, in id order, and holds them briefly.
            async with self.sessionmaker() as session, session.begin():
                reserved += await resume_awaiting(
                    session, policy_code=b.policy_code, fiscal_year=b.fiscal_year
                )
        if reserved:
            self.wake()
        return reserved


async def start_background_work(app: FastAPI) -> None:
    """Start the payment worker's periodic tasks (off when background workers are) and have every commit —
    requests (approvals, top-ups), consumers and periodic jobs — wake its instruction task.

    - instructions: on every replica (claims are shared with ``FOR UPDATE SKIP LOCKED``), at once again while
      there was work, else every ``PAYMENT_WORKER_IDLE_S`` or when woken;
    - the bank status poll and the awaiting-budget sweep: one replica per tick (the kit's advisory lock).
    """
    settings: Settings = app.state.settings
    app.state.payment_worker = None
    if not settings.run_background_workers or not settings.payment_worker_enabled:
        return
    worker = PaymentWorker(app.state.sessionmaker, settings)
    worker.instructions = start_periodic(
        app,
        job="payment-instructions",
        tick=worker.instruct_tick,
        interval_s=settings.payment_worker_idle_s,
        exclusive=False,
        first_delay_s=0,
        again_when_busy=True,
    )
    start_periodic(
        app,
        job="payment-status-poll",
        tick=worker.poll_tick,
        interval_s=min(1.0, settings.payment_poll_after_s),
    )
    start_periodic(
        app, job="awaiting-budget-sweep", tick=worker.sweep_tick, interval_s=settings.awaiting_budget_sweep_s
    )
    app.state.after_commit.register(worker.wake)
    app.state.payment_worker = worker


async def stop_background_work(app: FastAPI) -> None:
    worker = getattr(app.state, "payment_worker", None)
    if worker is not None:
        await worker.stop()
    calculator = getattr(app.state, "policy_calculator", None)
    if calculator is not None:
        await calculator.close()
