"""``python -m kunruyi_launcher ops …``: the operator's command line for every app.

Each subcommand reads the apps' databases / NATS named by :mod:`kunruyi_launcher.targets` (or ``--database-url``,
``--nats-url``), prints a table, and exits 1 when something needs a person (2 when the request itself is refused).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, cast

import asyncpg
import nats
from kunruyi_common.events.bus import EventBus
from kunruyi_common.events.envelope import DLQ_STREAM
from kunruyi_common.events.inbox import replay_dead_letter
from nats.js.errors import NotFoundError

from kunruyi_launcher.apps import APPS
from kunruyi_launcher.targets import Target, resolve_target

OK, NEEDS_A_PERSON, REFUSED = 0, 1, 2


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if not rows:
        lines.append("(none)")
    return "\n".join(lines)


class _Bus:
    """What ``replay_dead_letter`` uses of an :class:`EventBus`: its JetStream context."""

    def __init__(self, js: Any) -> None:
        self.js = js


async def _connect(target: Target) -> Any:
    return await nats.connect(target.nats_url, connect_timeout=5, max_reconnect_attempts=2)


# --- dead letters -----------------------------------------------------------------------------------------------


async def dead_letters(target: Target) -> list[dict[str, Any]]:
    nc = await _connect(target)
    try:
        js = nc.jetstream(timeout=10)
        try:
            info = await js.stream_info(DLQ_STREAM)
        except NotFoundError:
            return []
        found = []
        seq = info.state.first_seq
        while info.state.messages and seq <= info.state.last_seq:
            try:
                msg = await js.get_msg(DLQ_STREAM, seq=seq, subject=">", next=True)
            except NotFoundError:
                break
            headers = msg.headers or {}
            try:
                envelope = json.loads(msg.data or b"{}")
            except ValueError:
                envelope = {}
            found.append(
                {
                    "seq": msg.seq,
                    "consumer": headers.get("Kry-Consumer", str(msg.subject).split(".", 1)[-1]),
                    "subject": headers.get("Kry-Original-Subject"),
                    "event_id": envelope.get("id") if isinstance(envelope, dict) else None,
                    "at": msg.time.isoformat(timespec="seconds") if msg.time else None,
                    "error": headers.get("Kry-Error"),
                }
            )
            seq = int(msg.seq or seq) + 1
        return found
    finally:
        await nc.close()


async def consumers(target: Target) -> dict[str, list[dict[str, Any]]]:
    """Every durable consumer on every ``KUNRUYI_*`` stream (but the dead-letter stream) with its lag."""
    nc = await _connect(target)
    try:
        js = nc.jetstream(timeout=10)
        out: dict[str, list[dict[str, Any]]] = {}
        for stream in await js.streams_info():
            name = stream.config.name
            if not name.startswith("KUNRUYI_") or name == DLQ_STREAM:
                continue
            out[name] = [
                {
                    "consumer": c.name,
                    "num_pending": c.num_pending or 0,
                    "num_ack_pending": c.num_ack_pending or 0,
                    "redelivered": c.num_redelivered or 0,
                }
                for c in await js.consumers_info(name)
            ]
        return out
    finally:
        await nc.close()


async def replay(target: Target, seq: int) -> tuple[int, str]:
    """Replay DLQ message ``seq`` when its consumer still exists, then delete it from the dead-letter stream."""
    nc = await _connect(target)
    try:
        js = nc.jetstream(timeout=10)
        try:
            msg = await js.get_msg(DLQ_STREAM, seq=seq)
        except NotFoundError:
            return REFUSED, f"no dead letter #{seq} in {DLQ_STREAM}"
        consumer = (msg.headers or {}).get("Kry-Consumer") or str(msg.subject).split(".", 1)[-1]
        existing = sorted(c["consumer"] for cs in (await consumers(target)).values() for c in cs)
        if consumer not in existing:
            return REFUSED, (
                f"refused: consumer {consumer!r} of dead letter #{seq} no longer exists; "
                f"consumers: {', '.join(existing) or '(none)'}"
            )
        subject = await replay_dead_letter(cast(EventBus, _Bus(js)), consumer, seq)
        await js.delete_msg(DLQ_STREAM, seq)
        return OK, f"dead letter #{seq} replayed on {subject} for {consumer}; removed from {DLQ_STREAM}"
    finally:
        await nc.close()


# --- outbox and payments ----------------------------------------------------------------------------------------


async def outbox_lag(target: Target) -> list[dict[str, Any]]:
    rows = []
    for app in APPS:
        conn = await asyncpg.connect(target.url(app.name))
        try:
            r = await conn.fetchrow(
                "SELECT count(*) AS n, extract(epoch FROM now() - min(created_at)) AS age, "
                "coalesce(max(attempts), 0) AS attempts, "
                "(SELECT last_error FROM outbox_events WHERE published_at IS NULL AND last_error IS NOT NULL "
                " ORDER BY seq LIMIT 1) AS last_error "
                "FROM outbox_events WHERE published_at IS NULL"
            )
        finally:
            await conn.close()
        assert r is not None
        rows.append(
            {
                "app": app.name,
                "unpublished": int(r["n"]),
                "oldest_age_s": round(float(r["age"]), 1) if r["age"] is not None else 0.0,
                "max_attempts": int(r["attempts"]),
                "last_error": r["last_error"],
            }
        )
    return rows


async def periodic_runs(target: Target) -> list[dict[str, Any]]:
    """Each exclusive periodic job's record (the kit's ``periodic_runs``): runs across replicas and restarts, and
    how long ago the last one began. Apps without exclusive jobs have no such table."""
    rows: list[dict[str, Any]] = []
    for app in APPS:
        conn = await asyncpg.connect(target.url(app.name))
        try:
            if await conn.fetchval("SELECT to_regclass('periodic_runs')") is None:
                continue
            found = await conn.fetch(
                "SELECT job, runs, last_run_at, extract(epoch FROM now() - last_run_at) AS age "
                "FROM periodic_runs ORDER BY job"
            )
        finally:
            await conn.close()
        rows.extend(
            {
                "app": app.name,
                "job": r["job"],
                "runs": int(r["runs"]),
                "last_run_at": r["last_run_at"].isoformat(timespec="seconds"),
                "age_s": round(float(r["age"]), 1),
            }
            for r in found
        )
    return rows


async def stuck_payments(target: Target, minutes: float) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(target.url("disbursement"))
    try:
        rows = await conn.fetch(
            "SELECT id, entity_type, entity_id, policy_code, amount_fen, status, instruction_attempts, "
            "instruction_sent_at, reservation_id FROM disbursements "
            "WHERE status IN ('instructing', 'instructed') "
            "AND coalesce(instruction_sent_at, updated_at) < now() - make_interval(secs => $1) "
            "ORDER BY coalesce(instruction_sent_at, updated_at)",
            minutes * 60,
        )
    finally:
        await conn.close()
    now = datetime.now(UTC)
    return [
        {
            "id": str(r["id"]),
            "entity": f"{r['entity_type']}:{r['entity_id']}",
            "policy": r["policy_code"],
            "amount_fen": r["amount_fen"],
            "status": r["status"],
            "attempts": r["instruction_attempts"],
            "in_flight_min": round((now - r["instruction_sent_at"]).total_seconds() / 60, 1)
            if r["instruction_sent_at"]
            else None,
            "bank_reference": str(r["reservation_id"]),
        }
        for r in rows
    ]


# --- svc-disbursement's own checks (its CLI, run against the target's database) ---------------------------------


def disbursement_command(
    target: Target, args: list[str], bank_url: str | None = None
) -> tuple[int, dict[str, Any]]:
    env = dict(os.environ)
    url = target.url("disbursement")
    env["KRY_DISBURSEMENT_DATABASE_URL"] = url.replace("postgresql://", "postgresql+asyncpg://", 1)
    if bank_url:
        env["KRY_DISBURSEMENT_BANK_URL"] = bank_url
    proc = subprocess.run(
        [sys.executable, "-m", "kunruyi_disbursement", *args], env=env, capture_output=True, text=True
    )
    try:
        report: dict[str, Any] = json.loads(proc.stdout)
    except ValueError:
        report = {"ok": False, "error": (proc.stderr or proc.stdout).strip()[-2000:]}
    return proc.returncode, report


def reencrypt_all_apps(target: Target, batch_size: int) -> list[dict[str, Any]]:
    """Each app's own ``reencrypt`` (its encrypted columns, its keys from its settings) on the target database."""
    rows = []
    for app in APPS:
        env = dict(os.environ)
        env[f"{app.env_prefix}DATABASE_URL"] = target.url(app.name).replace(
            "postgresql://", "postgresql+asyncpg://", 1
        )
        proc = subprocess.run(
            [sys.executable, "-m", app.package, "reencrypt", "--batch-size", str(batch_size)],
            env=env,
            capture_output=True,
            text=True,
        )
        summary = re.search(r"(\d+) columns, (\d+) rewritten, (\d+) unreadable", proc.stdout)
        lines = (proc.stdout.strip() or proc.stderr.strip()).splitlines()
        rows.append(
            {
                "app": app.name,
                "exit": proc.returncode,
                "columns": summary.group(1) if summary else None,
                "rewritten": summary.group(2) if summary else None,
                "unreadable": summary.group(3) if summary else None,
                "message": "" if summary and proc.returncode == 0 else (lines[-1][:200] if lines else ""),
            }
        )
    return rows


# --- the command line -------------------------------------------------------------------------------------------


def _print_rows(rows: list[dict[str, Any]], columns: Sequence[str]) -> None:
    print(table(columns, [[r.get(c) for c in columns] for r in rows]))


def add_parser(sub: Any) -> None:
    ops = sub.add_parser(
        "ops", help="operator commands: dead letters, lag, reconciliation, audit, stuck payments"
    )
    ops.add_argument("--database-url", help="admin URL of the apps' PostgreSQL (default: the apps' settings)")
    ops.add_argument("--nats-url", help="NATS URL (default: KRY_NATS_URL or make run's server)")
    cmd = ops.add_subparsers(dest="ops_command", required=True)
    cmd.add_parser("dead-letters", help="list dead-lettered events with their errors (exit 1 if any)")
    rp = cmd.add_parser("replay", help="put a dead-lettered event back on its subject")
    rp.add_argument("seq", type=int, help="the dead letter's number (first column of dead-letters)")
    ob = cmd.add_parser(
        "outbox-lag", help="unpublished outbox rows per app (exit 1 if older than --max-age-s)"
    )
    ob.add_argument("--max-age-s", type=float, default=120.0)
    pr = cmd.add_parser(
        "periodic-runs",
        help="each exclusive periodic job: runs across replicas, last run (exit 1 if older than --max-age-s)",
    )
    pr.add_argument("--max-age-s", type=float, default=None)
    cl = cmd.add_parser("consumer-lag", help="pending / unacked / redelivered per durable consumer")
    cl.add_argument("--max-pending", type=int, default=1000)
    rc = cmd.add_parser("reconcile", help="re-run the bank reconciliation of one day (exit 1 on mismatches)")
    rc.add_argument("--date", required=True, type=date.fromisoformat)
    rc.add_argument("--bank-url", default=os.environ.get("KRY_DISBURSEMENT_BANK_URL"))
    cmd.add_parser("audit-verify", help="verify the audit hash chain and the ledger invariants")
    re_ = cmd.add_parser("reencrypt", help="re-encrypt personal data under the current PII key, every app")
    re_.add_argument("--batch-size", type=int, default=500)
    sp = cmd.add_parser("stuck-payments", help="payments in flight longer than --minutes (exit 1 if any)")
    sp.add_argument("--minutes", type=float, default=15.0)


def main(args: argparse.Namespace) -> int:
    target = resolve_target(args.database_url, args.nats_url)
    command = args.ops_command
    if command == "dead-letters":
        letters = asyncio.run(dead_letters(target))
        _print_rows(letters, ["seq", "consumer", "subject", "event_id", "at", "error"])
        return NEEDS_A_PERSON if letters else OK
    if command == "replay":
        code, message = asyncio.run(replay(target, args.seq))
        print(message, file=sys.stderr if code else sys.stdout)
        return code
    if command == "outbox-lag":
        rows = asyncio.run(outbox_lag(target))
        _print_rows(rows, ["app", "unpublished", "oldest_age_s", "max_attempts", "last_error"])
        return NEEDS_A_PERSON if any(r["oldest_age_s"] > args.max_age_s for r in rows) else OK
    if command == "periodic-runs":
        rows = asyncio.run(periodic_runs(target))
        _print_rows(rows, ["app", "job", "runs", "last_run_at", "age_s"])
        limit = args.max_age_s
        return NEEDS_A_PERSON if limit is not None and any(r["age_s"] > limit for r in rows) else OK
    if command == "consumer-lag":
        by_stream = asyncio.run(consumers(target))
        rows = [{"stream": s, **c} for s, cs in sorted(by_stream.items()) for c in cs]
        _print_rows(rows, ["stream", "consumer", "num_pending", "num_ack_pending", "redelivered"])
        return NEEDS_A_PERSON if any(r["num_pending"] > args.max_pending for r in rows) else OK
    if command == "reconcile":
        code, report = disbursement_command(
            target, ["reconcile", "--date", args.date.isoformat()], args.bank_url
        )
        keys = ["statement_date", "ok", "matched", "missing_in_ledger", "missing_in_bank", "amount_mismatch"]
        print(table(keys, [[report.get(k) for k in keys]]))
        if report.get("mismatches"):
            print()
            _print_rows(report["mismatches"], ["kind", "reference", "ledger_amount_fen", "bank_amount_fen"])
        if report.get("error"):
            print(report["error"], file=sys.stderr)
        return OK if code == 0 and report.get("ok") else NEEDS_A_PERSON
    if command == "audit-verify":
        rows = []
        worst = OK
        for check, cli in (("audit chain", "audit-verify"), ("ledger invariants", "ledger-check")):
            code, report = disbursement_command(target, [cli])
            failing = [k for k, v in (report.get("checks") or {}).items() if not v]
            problems = report.get("problems") or failing or report.get("error")
            if problems:
                detail = json.dumps(problems, ensure_ascii=False)
            elif cli == "audit-verify":
                detail = f"{report.get('entries_checked')} entries, head {report.get('last_seq')}"
            else:
                detail = f"{report.get('accounts')} accounts, {report.get('transfers')} transfers"
            rows.append({"check": check, "ok": report.get("ok"), "detail": detail})
            if code != 0 or not report.get("ok"):
                worst = NEEDS_A_PERSON
        _print_rows(rows, ["check", "ok", "detail"])
        return worst
    if command == "reencrypt":
        rows = reencrypt_all_apps(target, args.batch_size)
        _print_rows(rows, ["app", "exit", "columns", "rewritten", "unreadable", "message"])
        return OK if all(r["exit"] == 0 for r in rows) else NEEDS_A_PERSON
    if command == "stuck-payments":
        rows = asyncio.run(stuck_payments(target, args.minutes))
        _print_rows(
            rows,
            ["id", "entity", "policy", "amount_fen", "status", "attempts", "in_flight_min", "bank_reference"],
        )
        return NEEDS_A_PERSON if rows else OK
    raise AssertionError(command)
