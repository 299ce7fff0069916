"""Bank / treasury emulator (国库集中支付): payment instructions, settlement callbacks, polling, daily statements.

Its own process: ``python -m kunruyi_emulators.bank --port 8101``. The contract is in ``deploy/emulators/BANK.md``.
Its knobs (latency, failures, returns, timeouts, duplicate and out-of-order callbacks, injected statement
mismatches) are set by environment variables at start and by ``POST /_control`` while it runs.

Like a bank, it remembers what it paid: with ``KRY_BANK_STATE_FILE`` (or ``--state-file``) every change of a
payment is appended to a JSON-lines journal (flushed per write, so a killed process loses nothing it answered)
and replayed at start; a payment still being processed when the process died is processed again. Without a state
file the state lives in memory (unit tests).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from kunruyi_emulators import shared_secret

logger = logging.getLogger("kunruyi.emulators.bank")

DEFAULT_CALLBACK_URL = "http://127.0.0.1:8003/api/v1/bank/callbacks"
DEFAULT_CALLBACK_SECRET = "kunruyi-dev-bank-callback-secret"
SIGNATURE_HEADER = "x-bank-signature"

# Sequence numbers per payment: a callback with a lower sequence than one already seen is stale.
SEQUENCE = {"accepted": 1, "settled": 2, "failed": 2, "returned": 3}


class BankConfig(BaseModel):
    callback_url: str | None = DEFAULT_CALLBACK_URL
    callback_secret: str = DEFAULT_CALLBACK_SECRET
    latency_ms: int = Field(50, ge=0)
    failure_rate: float = Field(0.0, ge=0, le=1)
    return_rate: float = Field(0.0, ge=0, le=1)
    timeout_rate: float = Field(0.0, ge=0, le=1)
    timeout_s: float = Field(10.0, ge=0)
    duplicate_callbacks: bool = False
    out_of_order_callbacks: bool = False
    callbacks_enabled: bool = True
    callback_batch_size: int = Field(1, ge=1, le=1000)
    seed: int | None = None
    state_file: str | None = None

    @classmethod
    def from_env(cls) -> BankConfig:
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = os.environ.get(f"KRY_BANK_{name.upper()}")
            if raw is not None:
                values[name] = raw
        return cls.model_validate(values)


class Payee(BaseModel):
    mode: Literal["account", "registered_account"] = "account"
    entity_type: Literal["enterprise", "talent"]
    entity_id: str = Field(min_length=1, max_length=64)
    account_name: str | None = None
    account_number: str | None = Field(None, pattern=r"^[0-9]{8,32}$")
    bank_name: str | None = None


class Instruction(BaseModel):
    reference: str = Field(min_length=1, max_length=64)
    amount_fen: int = Field(gt=0)
    currency: Literal["CNY"] = "CNY"
    payee: Payee
    purpose: str | None = Field(None, max_length=200)
    policy_code: str | None = None


class BatchInstructions(BaseModel):
    instructions: list[Instruction] = Field(min_length=1, max_length=1000)


class Injection(BaseModel):
    kind: Literal["phantom_settlement", "omit_from_statement", "amount_mismatch"]
    reference: str
    amount_fen: int | None = None
    date: dt.date | None = None


@dataclass
class Payment:
    reference: str
    amount_fen: int
    payee: Payee
    purpose: str | None
    policy_code: str | None
    accepted_at: datetime
    status: str = "accepted"
    sequence: int = 1
    settled_at: datetime | None = None
    returned_at: datetime | None = None
    failure_reason: str | None = None
    instruction_count: int = 1
    phantom: bool = False

    def view(self) -> dict[str, Any]:
        digits = self.payee.account_number or ""
        return {
            "reference": self.reference,
            "amount_fen": self.amount_fen,
            "status": self.status,
            "sequence": self.sequence,
            "accepted_at": self.accepted_at.isoformat(),
            "settled_at": self.settled_at.isoformat() if self.settled_at else None,
            "returned_at": self.returned_at.isoformat() if self.returned_at else None,
            "failure_reason": self.failure_reason,
            "instruction_count": self.instruction_count,
            "payee": {
                "mode": self.payee.mode,
                "entity_type": self.payee.entity_type,
                "entity_id": self.payee.entity_id,
                "account_number_masked": f"{digits[:4]} **** **** {digits[-4:]}" if digits else None,
                "bank_name": self.payee.bank_name,
            },
        }


def _payment_record(payment: Payment) -> dict[str, Any]:
    return {
        "kind": "payment",
        "reference": payment.reference,
        "amount_fen": payment.amount_fen,
        "payee": payment.payee.model_dump(),
        "purpose": payment.purpose,
        "policy_code": payment.policy_code,
        "accepted_at": payment.accepted_at.isoformat(),
        "status": payment.status,
        "sequence": payment.sequence,
        "settled_at": payment.settled_at.isoformat() if payment.settled_at else None,
        "returned_at": payment.returned_at.isoformat() if payment.returned_at else None,
        "failure_reason": payment.failure_reason,
        "instruction_count": payment.instruction_count,
        "phantom": payment.phantom,
    }


def _payment_from(record: dict[str, Any]) -> Payment:
    def when(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    return Payment(
        reference=record["reference"],
        amount_fen=record["amount_fen"],
        payee=Payee.model_validate(record["payee"]),
        purpose=record["purpose"],
        policy_code=record["policy_code"],
        accepted_at=datetime.fromisoformat(record["accepted_at"]),
        status=record["status"],
        sequence=record["sequence"],
        settled_at=when(record["settled_at"]),
        returned_at=when(record["returned_at"]),
        failure_reason=record["failure_reason"],
        instruction_count=record["instruction_count"],
        phantom=record["phantom"],
    )


class Journal:
    """An append-only JSON-lines record of every payment change and injection; the last line per reference wins."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._file: Any = None
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self._file = open(path, "a", encoding="utf-8")  # kept open for the process's life

    def load(self, state: BankState) -> None:
        if not self.path or not os.path.exists(self.path):
            return
        with open(self.path, encoding="utf-8") as lines:
            for line in lines:
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    # A line cut short by a crash mid-write: nothing after it was acknowledged either.
                    logger.warning("ignoring a torn journal line")
                    continue
                kind = record.get("kind")
                if kind == "payment":
                    state.payments[record["reference"]] = _payment_from(record)
                elif kind == "omit":
                    state.omitted.add(record["reference"])
                elif kind == "amount_override":
                    state.amount_overrides[record["reference"]] = record["amount_fen"]
                elif kind == "reset":
                    state.payments.clear()
                    state.omitted.clear()
                    state.amount_overrides.clear()

    def append(self, record: dict[str, Any]) -> None:
        if self._file is not None:
            self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._file.flush()

    def payment(self, payment: Payment) -> None:
        self.append(_payment_record(payment))


@dataclass
class BankState:
    config: BankConfig
    payments: dict[str, Payment] = field(default_factory=dict)
    omitted: set[str] = field(default_factory=set)
    amount_overrides: dict[str, int] = field(default_factory=dict)
    instructions_received: int = 0
    callbacks_sent: int = 0
    callbacks_failed: int = 0
    # Which callback URL the next delivery starts at (``callback_url`` may list every replica of the receiver).
    callback_turn: int = 0
    rng: random.Random = field(default_factory=random.Random)
    # One item per payment: its callbacks, delivered in the order the scenario chose.
    queue: asyncio.Queue[list[dict[str, Any]]] | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    journal: Journal = field(default_factory=lambda: Journal(None))

    def reset(self) -> None:
        self.payments.clear()
        self.omitted.clear()
        self.amount_overrides.clear()
        self.instructions_received = self.callbacks_sent = self.callbacks_failed = 0
        self.rng = random.Random(self.config.seed)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _callback(payment: Payment, status: str) -> dict[str, Any]:
    return {
        "event_id": f"{payment.reference}:{status}",
        "reference": payment.reference,
        "status": status,
        "sequence": SEQUENCE[status],
        "amount_fen": payment.amount_fen,
        "settled_at": payment.settled_at.isoformat() if payment.settled_at else None,
        "failure_reason": payment.failure_reason,
        "occurred_at": datetime.now(UTC).isoformat(),
    }


def create_app(config: BankConfig | None = None) -> FastAPI:
    config = config or BankConfig.from_env()
    state = BankState(config, journal=Journal(config.state_file))
    state.reset()
    state.journal.load(state)

    async def process(payment: Payment) -> None:
        cfg = state.config
        await asyncio.sleep(cfg.latency_ms / 1000)
        events: list[dict[str, Any]] = []
        if state.rng.random() < cfg.failure_rate:
            payment.status, payment.sequence = "failed", SEQUENCE["failed"]
            payment.failure_reason = "收款账户状态异常"
            events.append(_callback(payment, "failed"))
        else:
            payment.status, payment.sequence = "settled", SEQUENCE["settled"]
            payment.settled_at = datetime.now(UTC)
            events.append(_callback(payment, "settled"))
            if state.rng.random() < cfg.return_rate:
                payment.status, payment.sequence = "returned", SEQUENCE["returned"]
                payment.returned_at = datetime.now(UTC)
                payment.failure_reason = "收款行退票"
                events.append(_callback(payment, "returned"))
        state.journal.payment(payment)
        if cfg.out_of_order_callbacks:
            # The newest first, then the older ones, then a stale acknowledgement of the instruction.
            events = list(reversed(events)) + [{**_callback(payment, "accepted"), "settled_at": None}]
        if cfg.duplicate_callbacks:
            events = [e for e in events for _ in (0, 1)]
        if cfg.callbacks_enabled and cfg.callback_url and state.queue is not None:
            state.queue.put_nowait(events)

    def spawn(coro: Any) -> None:
        task = asyncio.create_task(coro)
        state.tasks.add(task)
        task.add_done_callback(state.tasks.discard)

    async def deliver(client: httpx.AsyncClient, batch: list[dict[str, Any]]) -> None:
        cfg = state.config
        body = json.dumps(batch[0] if len(batch) == 1 else {"events": batch}, ensure_ascii=False).encode()
        # ``callback_url`` is one URL or, comma-separated, every replica of the receiver: deliveries take them in
        # turn, and a failed attempt goes on to the next one at once (a replica that died is passed over); six
        # rounds over them, with a growing pause between rounds.
        urls = [u.strip() for u in (cfg.callback_url or "").split(",") if u.strip()] or [""]
        start = state.callback_turn
        state.callback_turn += 1
        for attempt in range(6 * len(urls)):
            url = urls[(start + attempt) % len(urls)]
            try:
                resp = await client.post(
                    url,
                    content=body,
                    headers={
                        "content-type": "application/json",
                        SIGNATURE_HEADER: sign(cfg.callback_secret, body),
                    },
                )
                # 404 means the receiver does not know the reference: a final answer, not worth retrying.
                if resp.status_code < 500 and resp.status_code != 429:
                    state.callbacks_sent += len(batch)
                    return
            except httpx.HTTPError as exc:
                logger.warning("callback delivery to %s failed: %s", url, exc)
            if (attempt + 1) % len(urls) == 0:
                await asyncio.sleep(min(0.2 * 2 ** (attempt // len(urls)), 5.0))
        state.callbacks_failed += len(batch)

    async def deliver_in_order(client: httpx.AsyncClient, events: list[dict[str, Any]]) -> None:
        for event in events:
            await deliver(client, [event])

    async def callback_sender() -> None:
        assert state.queue is not None
        async with httpx.AsyncClient(timeout=10.0) as client:
            while True:
                batch = list(await state.queue.get())
                while len(batch) < state.config.callback_batch_size and not state.queue.empty():
                    batch.extend(state.queue.get_nowait())
                if state.config.callback_batch_size > 1:
                    await deliver(client, batch)
                else:
                    # Payments in parallel, each payment's callbacks one after another.
                    spawn(deliver_in_order(client, batch))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.queue = asyncio.Queue()
        senders = [asyncio.create_task(callback_sender()) for _ in range(4)]
        # Instructions accepted before a restart but not yet processed are processed now.
        for payment in state.payments.values():
            if payment.status == "accepted" and not payment.phantom:
                spawn(process(payment))
        try:
            yield
        finally:
            for task in [*senders, *state.tasks]:
                task.cancel()

    app = FastAPI(title="银行/国库集中支付模拟器", version="1.0", lifespan=lifespan)
    app.state.bank = state

    def accept(instruction: Instruction) -> tuple[dict[str, Any], int]:
        state.instructions_received += 1
        existing = state.payments.get(instruction.reference)
        if existing is not None:
            if existing.amount_fen != instruction.amount_fen or existing.payee != instruction.payee:
                return {
                    "code": "reference_conflict",
                    "title": "参考号已用于另一笔指令",
                    "reference": instruction.reference,
                }, 409
            existing.instruction_count += 1
            state.journal.payment(existing)
            return {**existing.view(), "duplicate": True}, 200
        payment = Payment(
            reference=instruction.reference,
            amount_fen=instruction.amount_fen,
            payee=instruction.payee,
            purpose=instruction.purpose,
            policy_code=instruction.policy_code,
            accepted_at=datetime.now(UTC),
        )
        state.payments[payment.reference] = payment
        state.journal.payment(payment)
        spawn(process(payment))
        return {**payment.view(), "duplicate": False}, 201

    async def maybe_time_out() -> None:
        if state.config.timeout_rate and state.rng.random() < state.config.timeout_rate:
            await asyncio.sleep(state.config.timeout_s)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "bank-emulator"}

    @app.post("/payments")
    async def create_payment(instruction: Instruction) -> JSONResponse:
        body, status = accept(instruction)
        # The payment is recorded before the (simulated) slow answer: the caller cannot tell whether it arrived.
        await maybe_time_out()
        return JSONResponse(body, status_code=status)

    @app.post("/payments/batch")
    async def create_payments(batch: BatchInstructions) -> dict[str, Any]:
        results = []
        for instruction in batch.instructions:
            body, status = accept(instruction)
            results.append({**body, "http_status": status})
        await maybe_time_out()
        return {"results": results}

    @app.get("/payments/{reference}")
    async def get_payment(reference: str) -> JSONResponse:
        payment = state.payments.get(reference)
        if payment is None:
            return JSONResponse(
                {"code": "unknown_reference", "title": "无此支付指令", "reference": reference},
                status_code=404,
            )
        return JSONResponse(payment.view())

    @app.get("/statements/{statement_date}")
    async def statement(statement_date: date) -> dict[str, Any]:
        entries: list[dict[str, Any]] = []
        for payment in state.payments.values():
            if payment.settled_at is None or payment.settled_at.date() != statement_date:
                continue
            if payment.reference in state.omitted:
                continue
            entries.append(
                {
                    "reference": payment.reference,
                    "amount_fen": state.amount_overrides.get(payment.reference, payment.amount_fen),
                    "status": payment.status,
                    "settled_at": payment.settled_at.isoformat(),
                    "returned_at": payment.returned_at.isoformat() if payment.returned_at else None,
                }
            )
        entries.sort(key=lambda e: (e["settled_at"], e["reference"]))
        net = sum(e["amount_fen"] for e in entries if e["status"] == "settled")
        return {
            "date": statement_date.isoformat(),
            "entries": entries,
            "count": len(entries),
            "net_paid_fen": net,
        }

    @app.get("/_control")
    async def get_control() -> dict[str, Any]:
        return {
            "config": state.config.model_dump(),
            "stats": {
                "payments": len(state.payments),
                "instructions_received": state.instructions_received,
                "callbacks_sent": state.callbacks_sent,
                "callbacks_failed": state.callbacks_failed,
                "pending_callbacks": state.queue.qsize() if state.queue else 0,
                "by_status": _count_by_status(state),
            },
        }

    @app.post("/_control")
    async def set_control(request: Request) -> dict[str, Any]:
        changes = await request.json()
        state.config = BankConfig.model_validate({**state.config.model_dump(), **changes})
        if "seed" in changes:
            state.rng = random.Random(state.config.seed)
        return {"config": state.config.model_dump()}

    @app.post("/_control/reset")
    async def reset() -> dict[str, str]:
        state.reset()
        state.journal.append({"kind": "reset"})
        return {"status": "reset"}

    @app.post("/_control/inject")
    async def inject(injection: Injection) -> dict[str, Any]:
        if injection.kind == "phantom_settlement":
            when = (
                datetime.combine(injection.date, datetime.now(UTC).timetz())
                if injection.date
                else datetime.now(UTC)
            )
            state.payments[injection.reference] = Payment(
                reference=injection.reference,
                amount_fen=injection.amount_fen or 100,
                payee=Payee(mode="registered_account", entity_type="enterprise", entity_id="UNKNOWN"),
                purpose="injected",
                policy_code=None,
                accepted_at=when,
                status="settled",
                sequence=2,
                settled_at=when,
                phantom=True,
            )
            state.journal.payment(state.payments[injection.reference])
        elif injection.kind == "omit_from_statement":
            state.omitted.add(injection.reference)
            state.journal.append({"kind": "omit", "reference": injection.reference})
        else:
            state.amount_overrides[injection.reference] = injection.amount_fen or 1
            state.journal.append(
                {
                    "kind": "amount_override",
                    "reference": injection.reference,
                    "amount_fen": injection.amount_fen or 1,
                }
            )
        return {"status": "injected", "kind": injection.kind, "reference": injection.reference}

    return app


def _count_by_status(state: BankState) -> dict[str, int]:
    counts: dict[str, int] = {}
    for payment in state.payments.values():
        counts[payment.status] = counts.get(payment.status, 0) + 1
    return counts


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m kunruyi_emulators.bank")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--callback-url", default=None)
    parser.add_argument("--callback-secret", default=None)
    parser.add_argument(
        "--state-file", default=None, help="JSON-lines journal of payments (kept across restarts)"
    )
    args = parser.parse_args(argv)
    config = BankConfig.from_env()
    if args.state_file:
        config.state_file = args.state_file
    if args.callback_url:
        config.callback_url = args.callback_url
    if args.callback_secret:
        config.callback_secret = args.callback_secret
    elif "KRY_BANK_CALLBACK_SECRET" not in os.environ:
        config.callback_secret = shared_secret("KRY_BANK_CALLBACK_SECRET", config.callback_secret)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s bank-emulator %(levelname)s %(message)s")
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
