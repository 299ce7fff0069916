"""``python -m kunruyi_launcher backup DIR`` / ``restore DIR``: every app database and every JetStream stream.

Backup
  1. One REPEATABLE READ transaction per app database, all opened first; each exports its snapshot
     (``pg_export_snapshot``). The manifest's row counts, ledger totals and audit head are read inside those
     transactions, and ``pg_dump -Fc --snapshot=…`` dumps exactly what was counted. The five snapshots are taken
     within milliseconds of each other; the outbox/inbox make a small skew between apps harmless.
  2. Then every ``KUNRUYI_*`` stream is read message by message through the JetStream API (subject, headers —
     ``Nats-Msg-Id`` included — and data) into ``nats/<stream>.jsonl``. Taken after the databases, the streams hold
     at least every event an outbox had marked published at dump time.
  3. ``manifest.json``: format, versions, alembic heads, row counts, ledger totals, audit head, stream message
     counts and the sha256 of every file.

Restore (into an empty target only)
  Refuses before touching anything when a file is missing, a checksum differs, the manifest is from another
  version (alembic heads differ from this code's), or a target database/stream already holds data. Then:
  ``pg_restore`` per app, row counts compared with the manifest, streams re-created and republished in order with
  their original headers (so ``Nats-Msg-Id`` de-duplication keeps working), and every outbox row marked published
  whose event is not in the restored stream is set unpublished so the relay sends it again. The apps' consumers are
  created afresh at start and read the streams from the beginning; the restored inbox tables drop what each
  consumer had already applied.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import importlib.metadata
import json
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import nats
from kunruyi_common.db.migrations import head_revisions
from kunruyi_common.events.bus import ensure_stream
from nats.js.errors import NotFoundError

from kunruyi_launcher.apps import APPS
from kunruyi_launcher.infra import NatsServer, PostgresServer, ensure_databases, free_port
from kunruyi_launcher.targets import Target, pg_bin_dir

FORMAT = 1
MANIFEST = "manifest.json"
STREAM_PREFIX = "KUNRUYI_"


class RestoreRefused(Exception):
    """The backup or the target is not fit for a restore; nothing was changed. ``part`` names what is wrong."""

    def __init__(self, part: str, problem: str) -> None:
        super().__init__(f"{part}: {problem}")
        self.part = part
        self.problem = problem


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def code_heads() -> dict[str, list[str]]:
    return {a.name: sorted(head_revisions(a.package)) for a in APPS}


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package.replace("_", "-"))
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


async def _tables(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    return [str(r["tablename"]) for r in rows]


async def row_counts(conn: asyncpg.Connection) -> dict[str, int]:
    counts = {}
    for name in await _tables(conn):
        counts[name] = int(await conn.fetchval(f'SELECT count(*) FROM public."{name}"'))
    return counts


async def money_facts(conn: asyncpg.Connection) -> dict[str, Any]:
    """Ledger totals and the audit chain's head (svc-disbursement's tables), read in the dump's snapshot."""
    tables = set(await _tables(conn))
    facts: dict[str, Any] = {}
    if "ledger_accounts" in tables:
        row = await conn.fetchrow(
            "SELECT coalesce(sum(debits_posted), 0) AS dq, coalesce(sum(credits_posted), 0) AS cq, "
            "coalesce(sum(debits_pending), 0) AS dp, coalesce(sum(credits_pending), 0) AS cp FROM ledger_accounts"
        )
        assert row is not None
        facts["ledger"] = {
            "total_debits_posted_fen": int(row["dq"]),
            "total_credits_posted_fen": int(row["cq"]),
            "total_debits_pending_fen": int(row["dp"]),
            "total_credits_pending_fen": int(row["cp"]),
        }
    if "audit_chain_head" in tables:
        head = await conn.fetchrow("SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1")
        if head is not None:
            facts["audit_head"] = {"last_seq": int(head["last_seq"]), "last_hash": str(head["last_hash"])}
    return facts


async def _alembic_heads(conn: asyncpg.Connection) -> list[str]:
    if "alembic_version" not in await _tables(conn):
        return []
    return sorted(str(r["version_num"]) for r in await conn.fetch("SELECT version_num FROM alembic_version"))


# --- backup -----------------------------------------------------------------------------------------------------


@dataclass
class Snapshot:
    app: str
    url: str
    conn: asyncpg.Connection
    snapshot_id: str
    facts: dict[str, Any] = field(default_factory=dict)


async def _dump_databases(target: Target, out: Path, pg_bin: Path) -> dict[str, Any]:
    (out / "db").mkdir(parents=True, exist_ok=True)
    snapshots: list[Snapshot] = []
    try:
        for app in APPS:
            url = target.url(app.name)
            conn = await asyncpg.connect(url)
            await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snapshot_id = str(await conn.fetchval("SELECT pg_export_snapshot()"))
            snapshots.append(Snapshot(app.name, url, conn, snapshot_id))
        taken_at = datetime.now(UTC).isoformat()
        server_version = str(await snapshots[0].conn.fetchval("SHOW server_version"))
        for snap in snapshots:
            snap.facts = {
                "database": snap.url.rsplit("/", 1)[1].split("?", 1)[0],
                "alembic_heads": await _alembic_heads(snap.conn),
                "row_counts": await row_counts(snap.conn),
                **await money_facts(snap.conn),
            }

        async def dump(snap: Snapshot) -> None:
            path = out / "db" / f"{snap.app}.dump"
            proc = await asyncio.create_subprocess_exec(
                str(pg_bin / "pg_dump"),
                "-Fc",
                "--no-owner",
                f"--snapshot={snap.snapshot_id}",
                "-f",
                str(path),
                "-d",
                snap.url,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            _, err = await proc.communicate()
            if proc.returncode != 0:
                raise RuntimeError(f"pg_dump of {snap.app} failed: {err.decode(errors='replace')}")
            snap.facts["file"] = f"db/{snap.app}.dump"
            snap.facts["sha256"] = sha256_file(path)
            snap.facts["bytes"] = path.stat().st_size

        await asyncio.gather(*(dump(s) for s in snapshots))
        return {
            "taken_at": taken_at,
            "server_version": server_version,
            "apps": {s.app: s.facts for s in snapshots},
        }
    finally:
        for snap in snapshots:
            try:
                await snap.conn.execute("COMMIT")
            finally:
                await snap.conn.close()


async def _stream_names(js: Any) -> list[str]:
    return sorted(s.config.name for s in await js.streams_info() if s.config.name.startswith(STREAM_PREFIX))


async def _dump_streams(nats_url: str, out: Path) -> dict[str, Any]:
    (out / "nats").mkdir(parents=True, exist_ok=True)
    nc = await nats.connect(nats_url, connect_timeout=5, max_reconnect_attempts=2)
    try:
        js = nc.jetstream(timeout=10)
        streams: dict[str, Any] = {}
        for name in await _stream_names(js):
            info = await js.stream_info(name)
            last = info.state.last_seq
            path = out / "nats" / f"{name}.jsonl"
            count = 0
            with path.open("w", encoding="utf-8") as f:
                seq = info.state.first_seq
                while info.state.messages and seq <= last:
                    try:
                        msg = await js.get_msg(name, seq=seq, subject=">", next=True)
                    except NotFoundError:
                        break
                    if msg.seq is None or msg.seq > last:
                        break
                    record = {
                        "seq": msg.seq,
                        "subject": msg.subject,
                        "headers": msg.headers or {},
                        "time": msg.time.isoformat() if msg.time else None,
                        "data": base64.b64encode(msg.data or b"").decode(),
                    }
                    f.write(json.dumps(record, ensure_ascii=False) + "\n")
                    count += 1
                    seq = msg.seq + 1
            streams[name] = {
                "file": f"nats/{name}.jsonl",
                "subjects": list(info.config.subjects or []),
                "messages": count,
                "first_seq": info.state.first_seq,
                "last_seq": last,
                "sha256": sha256_file(path),
                "bytes": path.stat().st_size,
            }
        v = nc.connected_server_version
        return {"server_version": f"{v.major}.{v.minor}.{v.patch}", "streams": streams}
    finally:
        await nc.close()


def backup(target: Target, out: Path, *, pg_bin: Path | None = None) -> dict[str, Any]:
    """Write a backup of ``target`` into ``out`` (new or empty) and return its manifest."""
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty: a backup goes into a new directory")
    out.mkdir(parents=True, exist_ok=True)
    bin_dir = pg_bin or pg_bin_dir()
    started = time.monotonic()
    db = asyncio.run(_dump_databases(target, out, bin_dir))
    db_s = time.monotonic() - started
    bus = asyncio.run(_dump_streams(target.nats_url, out))
    pg_dump_version = subprocess.run(
        [str(bin_dir / "pg_dump"), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "versions": {
            "apps": {a.name: _version(a.package) for a in APPS},
            "postgres_server": db["server_version"],
            "pg_dump": pg_dump_version,
            "nats_server": bus["server_version"],
        },
        "databases_taken_at": db["taken_at"],
        "apps": db["apps"],
        "streams": bus["streams"],
        "timings_s": {
            "databases": round(db_s, 2),
            "streams": round(time.monotonic() - started - db_s, 2),
            "total": round(time.monotonic() - started, 2),
        },
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


# --- restore ----------------------------------------------------------------------------------------------------


def check_backup(src: Path) -> dict[str, Any]:
    """Everything restore needs, checked before anything is touched. Raises :class:`RestoreRefused`."""
    path = src / MANIFEST
    if not path.is_file():
        raise RestoreRefused(MANIFEST, f"missing in {src} (not a backup directory, or an incomplete one)")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise RestoreRefused(MANIFEST, f"not valid JSON: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise RestoreRefused(MANIFEST, f"format {manifest.get('format')!r}, this code reads format {FORMAT}")
    apps = manifest.get("apps") or {}
    heads = code_heads()
    for app in APPS:
        entry = apps.get(app.name)
        if entry is None:
            raise RestoreRefused(f"database {app.name}", "not in the manifest (incomplete backup)")
        if sorted(entry.get("alembic_heads") or []) != heads[app.name]:
            raise RestoreRefused(
                f"database {app.name}",
                f"from another version: alembic heads {entry.get('alembic_heads')} in the backup, "
                f"{heads[app.name]} in this code (restore with the matching release, then migrate)",
            )
    files = [(f"database {name}", e) for name, e in apps.items()] + [
        (f"stream {name}", e) for name, e in (manifest.get("streams") or {}).items()
    ]
    for part, entry in files:
        file = src / str(entry.get("file", ""))
        if not entry.get("file") or not file.is_file():
            raise RestoreRefused(part, f"file {entry.get('file')!r} missing (incomplete backup)")
        if sha256_file(file) != entry.get("sha256"):
            raise RestoreRefused(part, f"{entry['file']} does not match the manifest's checksum")
    return manifest


async def _check_target_empty(target: Target, manifest: dict[str, Any]) -> None:
    for app in APPS:
        url = target.url(app.name)
        try:
            conn = await asyncpg.connect(url)
        except asyncpg.InvalidCatalogNameError:
            continue
        try:
            if await _tables(conn):
                raise RestoreRefused(
                    f"target database {app.name}",
                    "already has tables: restore goes into an empty database only",
                )
        finally:
            await conn.close()
    nc = await nats.connect(target.nats_url, connect_timeout=5, max_reconnect_attempts=2)
    try:
        js = nc.jetstream(timeout=10)
        for name in manifest.get("streams", {}):
            try:
                info = await js.stream_info(name)
            except NotFoundError:
                continue
            if info.state.messages:
                raise RestoreRefused(
                    f"target stream {name}", "already has messages: restore into an empty NATS"
                )
    finally:
        await nc.close()


async def _create_databases(target: Target) -> None:
    for app in APPS:
        base, _, name = target.url(app.name).rpartition("/")
        await ensure_databases(f"{base}/postgres", [name.split("?", 1)[0]])


def _pg_restore(target: Target, src: Path, manifest: dict[str, Any], bin_dir: Path) -> None:
    procs = []
    for app in APPS:
        entry = manifest["apps"][app.name]
        procs.append(
            (
                app.name,
                subprocess.Popen(
                    [
                        str(bin_dir / "pg_restore"),
                        "--no-owner",
                        "--exit-on-error",
                        "-d",
                        target.url(app.name),
                        str(src / entry["file"]),
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                ),
            )
        )
    failures = []
    for name, proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            failures.append(f"pg_restore of {name} failed: {err.decode(errors='replace')}")
    if failures:
        raise RuntimeError("\n".join(failures))


async def compare_counts(target: Target, manifest: dict[str, Any]) -> list[str]:
    """Every row count and money fact in the manifest, compared with the target; returns the differences."""
    problems = []
    for app in APPS:
        entry = manifest["apps"][app.name]
        conn = await asyncpg.connect(target.url(app.name))
        try:
            counts = await row_counts(conn)
            facts = await money_facts(conn)
        finally:
            await conn.close()
        for table, n in entry["row_counts"].items():
            if counts.get(table) != n:
                problems.append(f"{app.name}.{table}: {counts.get(table)} rows, manifest says {n}")
        for key in ("ledger", "audit_head"):
            if key in entry and facts.get(key) != entry[key]:
                problems.append(f"{app.name} {key}: {facts.get(key)}, manifest says {entry[key]}")
    return problems


async def _restore_streams(
    nats_url: str, src: Path, manifest: dict[str, Any]
) -> tuple[dict[str, int], dict[str, set[str]]]:
    """Republish every stream's messages in order with their headers; returns counts and the Nats-Msg-Ids."""
    nc = await nats.connect(nats_url, connect_timeout=5, max_reconnect_attempts=2)
    counts: dict[str, int] = {}
    ids: dict[str, set[str]] = {}
    try:
        js = nc.jetstream(timeout=10)
        for name, entry in manifest.get("streams", {}).items():
            await ensure_stream(js, name, entry["subjects"])
            published = 0
            seen: set[str] = set()
            with (src / entry["file"]).open(encoding="utf-8") as f:
                for line in f:
                    record = json.loads(line)
                    headers = record.get("headers") or None
                    await js.publish(
                        record["subject"], base64.b64decode(record["data"]), headers=headers, timeout=10
                    )
                    if headers and headers.get("Nats-Msg-Id"):
                        seen.add(str(headers["Nats-Msg-Id"]))
                    published += 1
            info = await js.stream_info(name)
            counts[name] = int(info.state.messages)
            ids[name] = seen
            if counts[name] != entry["messages"]:
                raise RuntimeError(
                    f"stream {name}: {counts[name]} messages after restore, manifest says {published}"
                )
    finally:
        await nc.close()
    return counts, ids


async def _unpublish_missing(target: Target, ids: dict[str, set[str]]) -> dict[str, int]:
    """Outbox rows marked published whose event is not in the restored stream: the relay sends them again."""
    reset: dict[str, int] = {}
    for app in APPS:
        stream_ids = sorted(ids.get(f"{STREAM_PREFIX}{app.name.upper()}", set()))
        conn = await asyncpg.connect(target.url(app.name))
        try:
            if "outbox_events" not in await _tables(conn):
                continue
            status = await conn.execute(
                "UPDATE outbox_events SET published_at = NULL "
                "WHERE published_at IS NOT NULL AND published_at > now() - interval '30 days' "
                "AND NOT (id::text = ANY($1::text[]))",
                stream_ids,
            )
            reset[app.name] = int(status.split()[-1])
        finally:
            await conn.close()
    return reset


def restore(
    src: Path, target: Target, *, pg_bin: Path | None = None, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Restore ``src`` into ``target`` (empty databases or none, an empty NATS). Returns a report."""
    manifest = check_backup(src)
    asyncio.run(_check_target_empty(target, manifest))
    bin_dir = pg_bin or pg_bin_dir()
    started = time.monotonic()
    log("creating databases and running pg_restore …")
    asyncio.run(_create_databases(target))
    _pg_restore(target, src, manifest, bin_dir)
    db_s = time.monotonic() - started
    problems = asyncio.run(compare_counts(target, manifest))
    if problems:
        raise RuntimeError("restored databases differ from the manifest:\n" + "\n".join(problems))
    log("republishing the streams …")
    counts, ids = asyncio.run(_restore_streams(target.nats_url, src, manifest))
    reset = asyncio.run(_unpublish_missing(target, ids))
    return {
        "ok": True,
        "databases": {name: "restored, counts match" for name in manifest["apps"]},
        "streams": counts,
        "outbox_rows_to_republish": reset,
        "timings_s": {
            "databases": round(db_s, 2),
            "streams": round(time.monotonic() - started - db_s, 2),
            "total": round(time.monotonic() - started, 2),
        },
    }


@dataclass
class LocalServers:
    """The embedded PostgreSQL and NATS of a ``make run`` data directory (``--data-dir``), started for a restore."""

    postgres: PostgresServer
    nats: NatsServer

    @classmethod
    def start(cls, data_dir: Path) -> LocalServers:
        pg = PostgresServer(data_dir / "postgres", free_port())
        pg.start()
        bus = NatsServer(data_dir / "nats", free_port())
        try:
            bus.start()
        except Exception:
            pg.stop()
            raise
        return cls(pg, bus)

    def target(self) -> Target:
        return Target(
            database_urls={a.name: self.postgres.url(a.database, driver="") for a in APPS},
            nats_url=self.nats.url,
        )

    def stop(self) -> None:
        self.nats.stop()
        self.postgres.stop()


def restore_into_data_dir(
    src: Path, data_dir: Path, *, pg_bin: Path | None = None, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Restore into a new ``make run`` data directory; afterwards ``run --data-dir DIR --no-seed`` starts it."""
    check_backup(src)
    if data_dir.exists() and any(data_dir.iterdir()):
        raise RestoreRefused("data directory", f"{data_dir} is not empty: restore goes into an empty one")
    servers = LocalServers.start(data_dir)
    try:
        return restore(src, servers.target(), pg_bin=pg_bin, log=log)
    except BaseException:
        servers.stop()
        shutil.rmtree(data_dir / "postgres", ignore_errors=True)
        shutil.rmtree(data_dir / "nats", ignore_errors=True)
        raise
    finally:
        servers.stop()
