"""``python -m kunruyi_launcher ops …`` against real PostgreSQL, NATS and the bank emulator (a small stack of its
own: every app migrated, the disbursement budgets seeded). Each subcommand prints a table and exits 1 when
something needs a person, 0 when all is well, 2 when it refuses the request."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import asyncpg
import httpx
import nats
import pytest
from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_common.events.bus import EventBus, ensure_stream
from kunruyi_common.events.envelope import CloudEvent
from kunruyi_common.events.inbox import EventConsumer
from kunruyi_launcher.__main__ import main as launcher
from kunruyi_launcher.apps import APPS, EMULATORS
from kunruyi_launcher.backup import LocalServers
from kunruyi_launcher.infra import free_port
from kunruyi_launcher.stack import Infra, RunningEmulator, migrate_all, seed_all
from sqlalchemy.ext.asyncio import AsyncSession

pytestmark = pytest.mark.timeout(600)

WORK = Path(__file__).resolve().parents[1] / "var" / "ops" / str(os.getpid())
SUBJECT = "kunruyi.policy.opstest.happened"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalServers]:
    WORK.mkdir(parents=True, exist_ok=True)
    servers = LocalServers.start(WORK)
    try:
        infra = Infra(database_admin_url=servers.postgres.url("postgres"), nats_url=servers.nats.url)
        migrate_all(infra, APPS)
        seed_all(infra, [a for a in APPS if a.name == "disbursement"])
        yield servers
    finally:
        servers.stop()
        shutil.rmtree(WORK, ignore_errors=True)


@pytest.fixture(scope="module")
def bank(stack: LocalServers) -> Iterator[str]:
    spec = next(e for e in EMULATORS if e.name == "bank")
    env = {**os.environ, "KRY_BANK_CALLBACKS_ENABLED": "false", "KRY_BANK_LATENCY_MS": "0"}
    running = RunningEmulator(spec, free_port(), WORK / "bank.log", env)
    running.start()
    try:
        running.wait_ready()
        yield running.url
    finally:
        running.stop()


def ops(stack: LocalServers, *args: str) -> list[str]:
    return [
        "ops",
        "--database-url",
        stack.postgres.url("postgres", driver=""),
        "--nats-url",
        stack.nats.url,
        *args,
    ]


def run(capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, str, str]:
    code = launcher(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def _dead_letter(stack: LocalServers, name: str, error: str) -> None:
    """A real consumer (the kit's) whose handler always fails, with max_deliver 1: its event is dead-lettered."""
    bus = EventBus(stack.nats.url, name=f"ops-test-{name}", own_streams=["policy"])
    await bus.start()
    await bus.wait_connected()
    engine = create_engine(stack.target().url("policy").replace("postgresql://", "postgresql+asyncpg://"))

    async def fail(session: AsyncSession, event: CloudEvent) -> None:
        raise RuntimeError(error)

    consumer = EventConsumer(
        bus=bus,
        sessionmaker=create_sessionmaker(engine),
        service="ops",
        name=name,
        producer="policy",
        handlers={SUBJECT: fail},
        max_deliver=1,
    )
    dlq_before = await _messages(bus, "KUNRUYI_DLQ")
    consumer.start()
    event = CloudEvent(source="policy", type=SUBJECT, data={"n": 1})
    await bus.js.publish(SUBJECT, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id})
    for _ in range(200):
        if await _messages(bus, "KUNRUYI_DLQ") > dlq_before:
            break
        await asyncio.sleep(0.05)
    await consumer.stop()
    await bus.close()
    await engine.dispose()


async def _messages(bus: EventBus, stream: str) -> int:
    return int((await bus.js.stream_info(stream)).state.messages)


async def _stream_messages(url: str, stream: str) -> int:
    nc = await nats.connect(url)
    try:
        return int((await nc.jetstream().stream_info(stream)).state.messages)
    finally:
        await nc.close()


def test_dead_letters_listed_with_their_errors_and_replayed(
    stack: LocalServers, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, ops(stack, "dead-letters"))
    assert code == 0 and "(none)" in out

    asyncio.run(_dead_letter(stack, "replayable", "payee bank closed"))
    code, out, _ = run(capsys, ops(stack, "dead-letters"))
    assert code == 1
    line = next(line for line in out.splitlines() if "ops-replayable" in line)
    assert SUBJECT in line and "payee bank closed" in line, out
    seq = line.split()[0]

    before = asyncio.run(_stream_messages(stack.nats.url, "KUNRUYI_POLICY"))
    code, out, _ = run(capsys, ops(stack, "replay", seq))
    assert code == 0 and f"replayed on {SUBJECT}" in out, out
    assert asyncio.run(_stream_messages(stack.nats.url, "KUNRUYI_POLICY")) == before + 1
    code, out, _ = run(capsys, ops(stack, "dead-letters"))
    assert code == 0 and "(none)" in out, out


def test_replaying_for_a_consumer_that_no_longer_exists_is_refused_with_the_list(
    stack: LocalServers, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_dead_letter(stack, "retired", "boom"))
    asyncio.run(_dead_letter(stack, "staying", "boom"))

    async def retire() -> None:
        nc = await nats.connect(stack.nats.url)
        try:
            await nc.jetstream().delete_consumer("KUNRUYI_POLICY", "ops-retired")
        finally:
            await nc.close()

    asyncio.run(retire())
    code, out, _ = run(capsys, ops(stack, "dead-letters"))
    seq = next(line for line in out.splitlines() if "ops-retired" in line).split()[0]
    code, out, err = run(capsys, ops(stack, "replay", seq))
    assert code == 2
    assert "'ops-retired'" in err and "no longer exists" in err and "ops-staying" in err, err
    code, out, _ = run(capsys, ops(stack, "dead-letters"))
    assert "ops-retired" in out  # still there, untouched

    code, _, err = run(capsys, ops(stack, "replay", "999999"))
    assert code == 2 and "no dead letter #999999" in err


def test_outbox_lag_per_app(stack: LocalServers, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, ops(stack, "outbox-lag", "--max-age-s", "3600"))
    assert code == 0, out
    assert {line.split()[0] for line in out.splitlines()[2:]} == {a.name for a in APPS}

    async def stale() -> None:
        conn = await asyncpg.connect(stack.target().url("talent"))
        try:
            await conn.execute(
                "INSERT INTO outbox_events (id, type, envelope, created_at, attempts, last_error) "
                "VALUES ($1, 'kunruyi.talent.test.stuck', '{}', now() - interval '10 minutes', 7, 'nats: timeout')",
                str(uuid.uuid4()),
            )
        finally:
            await conn.close()

    asyncio.run(stale())
    code, out, _ = run(capsys, ops(stack, "outbox-lag", "--max-age-s", "120"))
    assert code == 1
    talent = next(line for line in out.splitlines() if line.startswith("talent"))
    cols = talent.split()
    assert cols[1] == "1" and float(cols[2]) >= 600 and cols[3] == "7" and "nats: timeout" in talent, out


def test_periodic_runs_per_job(stack: LocalServers, capsys: pytest.CaptureFixture[str]) -> None:
    async def record() -> None:
        for app, job, runs, ago in (
            ("matching", "broker-assignment", 42, 5.0),
            ("talent", "sms-sender", 7, 7200.0),
        ):
            conn = await asyncpg.connect(stack.target().url(app))
            try:
                await conn.execute(
                    "INSERT INTO periodic_runs (job, last_run_at, runs) VALUES ($1, now() - make_interval(secs => $2), $3)",
                    job,
                    ago,
                    runs,
                )
            finally:
                await conn.close()

    asyncio.run(record())
    code, out, _ = run(capsys, ops(stack, "periodic-runs"))
    assert code == 0, out
    rows = {tuple(line.split()[:3]) for line in out.splitlines()[2:]}
    assert {("matching", "broker-assignment", "42"), ("talent", "sms-sender", "7")} <= rows, out
    assert not any(line.startswith("policy") for line in out.splitlines()), "svc-policy has no exclusive job"
    # A job that has not run for longer than it should needs a person.
    code, out, _ = run(capsys, ops(stack, "periodic-runs", "--max-age-s", "3600"))
    assert code == 1, out
    stale = next(line for line in out.splitlines() if "sms-sender" in line)
    assert float(stale.split()[-1]) >= 7200, out


def test_consumer_lag_per_durable(stack: LocalServers, capsys: pytest.CaptureFixture[str]) -> None:
    async def lagging() -> None:
        nc = await nats.connect(stack.nats.url)
        try:
            js = nc.jetstream()
            await ensure_stream(js, "KUNRUYI_MATCHING", ["kunruyi.matching.>"])
            await js.add_consumer(
                "KUNRUYI_MATCHING",
                durable_name="ops-slow",
                filter_subject="kunruyi.matching.>",
                ack_policy="explicit",
            )
            for n in range(3):
                await js.publish("kunruyi.matching.test.queued", json.dumps({"n": n}).encode())
        finally:
            await nc.close()

    asyncio.run(lagging())
    code, out, _ = run(capsys, ops(stack, "consumer-lag", "--max-pending", "2"))
    assert code == 1
    row = next(line for line in out.splitlines() if "ops-slow" in line).split()
    assert row[0] == "KUNRUYI_MATCHING" and row[2:] == ["3", "0", "0"], out
    code, out, _ = run(capsys, ops(stack, "consumer-lag", "--max-pending", "10"))
    assert code == 0


def test_stuck_payments(stack: LocalServers, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, ops(stack, "stuck-payments", "--minutes", "15"))
    assert code == 0 and "(none)" in out
    ids = {"stuck": uuid.uuid4(), "fresh": uuid.uuid4()}

    async def in_flight() -> None:
        conn = await asyncpg.connect(stack.target().url("disbursement"))
        try:
            for label, minutes in (("stuck", 40), ("fresh", 2)):
                await conn.execute(
                    "INSERT INTO disbursements (id, mode, policy_code, entity_type, entity_id, period, fiscal_year, "
                    "amount_fen, status, reservation_id, instruction_sent_at, instruction_attempts) VALUES "
                    "($1, 'automatic', 'KS-OPS-1', 'enterprise', $2, '2026', 2026, 500000, 'instructed', $3, "
                    "now() - make_interval(mins => $4), 3)",
                    ids[label],
                    f"ENT-{label}",
                    uuid.uuid4(),
                    minutes,
                )
        finally:
            await conn.close()

    asyncio.run(in_flight())
    code, out, _ = run(capsys, ops(stack, "stuck-payments", "--minutes", "15"))
    assert code == 1
    assert str(ids["stuck"]) in out and "enterprise:ENT-stuck" in out and "instructed" in out, out
    assert str(ids["fresh"]) not in out
    code, out, _ = run(capsys, ops(stack, "stuck-payments", "--minutes", "60"))
    assert code == 0 and "(none)" in out, out


def test_audit_chain_and_ledger_verified(stack: LocalServers, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, ops(stack, "audit-verify"))
    assert code == 0, out
    assert "audit chain" in out and "ledger invariants" in out

    async def tamper(delta: int) -> None:
        conn = await asyncpg.connect(stack.target().url("disbursement"))
        try:
            await conn.execute(
                "UPDATE ledger_accounts SET credits_posted = credits_posted + $1 "
                "WHERE id = (SELECT id FROM ledger_accounts ORDER BY code LIMIT 1)",
                delta,
            )
        finally:
            await conn.close()

    asyncio.run(tamper(1))
    try:
        code, out, _ = run(capsys, ops(stack, "audit-verify"))
        assert code == 1
        ledger = next(line for line in out.splitlines() if line.startswith("ledger invariants"))
        assert "False" in ledger and "balances_equal_sum_of_transfers" in ledger, out
    finally:
        asyncio.run(tamper(-1))

    async def rewrite_history(tampered: bool) -> None:
        """Someone edits the first audit entry's actor (and, in ``finally``, puts it back)."""
        change = "'X' || actor" if tampered else "substr(actor, 2)"
        conn = await asyncpg.connect(stack.target().url("disbursement"))
        try:
            async with conn.transaction():  # past the append-only trigger, as a superuser could
                await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
                await conn.execute(
                    f"UPDATE audit_log SET actor = {change} WHERE seq = (SELECT min(seq) FROM audit_log)"
                )
                await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        finally:
            await conn.close()

    code, out, _ = run(capsys, ops(stack, "audit-verify"))
    audit = next(line for line in out.splitlines() if line.startswith("audit chain"))
    assert code == 0 and "entries" in audit, out
    asyncio.run(rewrite_history(True))
    try:
        code, out, _ = run(capsys, ops(stack, "audit-verify"))
        assert code == 1
        audit = next(line for line in out.splitlines() if line.startswith("audit chain"))
        assert "False" in audit and "altered" in audit, out
    finally:
        asyncio.run(rewrite_history(False))
    code, out, _ = run(capsys, ops(stack, "audit-verify"))
    assert code == 0, out


def test_reconciliation_day_rerun(stack: LocalServers, bank: str, capsys: pytest.CaptureFixture[str]) -> None:
    # A quiet day (the seed's demo payments settled today, at a bank this emulator never was).
    day = date(2025, 1, 15).isoformat()
    code, out, _ = run(capsys, ops(stack, "reconcile", "--date", day, "--bank-url", bank))
    assert code == 0, out
    assert "True" in out.splitlines()[2]

    phantom = str(uuid.uuid4())
    resp = httpx.post(
        f"{bank}/_control/inject",
        json={"kind": "phantom_settlement", "reference": phantom, "amount_fen": 12345, "date": day},
    )
    assert resp.status_code == 200, resp.text
    code, out, _ = run(capsys, ops(stack, "reconcile", "--date", day, "--bank-url", bank))
    assert code == 1
    assert "missing_in_ledger" in out and phantom in out and "12345" in out, out


def test_reencrypt_runs_every_apps_own_command(
    stack: LocalServers, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, ops(stack, "reencrypt"))
    assert code == 0, out + err
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:]}
    assert set(rows) == {a.name for a in APPS}, out
    assert all(row[1] == "0" and row[4] == "0" for row in rows.values()), out  # exit 0, nothing unreadable
