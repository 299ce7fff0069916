"""``python -m kunruyi_launcher backup`` / ``restore`` on real PostgreSQL and NATS (a small stack of their own).

The source: every app migrated and seeded, an outbox with events the stream has and one it lost. A restore into a
new data directory brings back every row count of the manifest and every message with its ``Nats-Msg-Id``, and
marks the lost event unpublished so the relay sends it again. Bad backups and non-empty targets are refused
before anything is touched, naming the part that is wrong.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest
from kunruyi_common.events.bus import ensure_stream
from kunruyi_launcher.__main__ import main as launcher
from kunruyi_launcher.apps import APPS
from kunruyi_launcher.backup import LocalServers, compare_counts
from kunruyi_launcher.stack import Infra, migrate_all, seed_all

pytestmark = pytest.mark.timeout(600)

PUBLISHED_AND_STREAMED = [str(uuid.uuid4()) for _ in range(3)]
PUBLISHED_BUT_LOST = str(uuid.uuid4())


async def _events(servers: LocalServers) -> None:
    """Four policy events marked published; the stream holds three of them (one was lost with NATS)."""
    conn = await asyncpg.connect(servers.target().url("policy"))
    try:
        for event_id in [*PUBLISHED_AND_STREAMED, PUBLISHED_BUT_LOST]:
            await conn.execute(
                "INSERT INTO outbox_events (id, type, envelope, published_at) VALUES ($1, $2, $3, now())",
                event_id,
                "kunruyi.policy.test.happened",
                json.dumps({"id": event_id}),
            )
    finally:
        await conn.close()
    nc = await nats.connect(servers.nats.url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, "KUNRUYI_POLICY", ["kunruyi.policy.>"])
        for event_id in PUBLISHED_AND_STREAMED:
            await js.publish(
                "kunruyi.policy.test.happened",
                json.dumps({"id": event_id}).encode(),
                headers={"Nats-Msg-Id": event_id},
            )
    finally:
        await nc.close()


# Not pytest's tmp_path: test runs of other checkouts on this machine prune /tmp/pytest-of-<user> under our feet.
WORK = Path(__file__).resolve().parents[1] / "var" / "bk" / str(os.getpid())


@pytest.fixture(scope="module")
def work() -> Iterator[Path]:
    WORK.mkdir(parents=True, exist_ok=True)
    yield WORK
    shutil.rmtree(WORK, ignore_errors=True)


@pytest.fixture
def tmp_path(work: Path) -> Path:
    path = work / f"t{len(list(work.iterdir()))}"  # short: PostgreSQL's socket path has a length limit
    path.mkdir()
    return path


@pytest.fixture(scope="module")
def source(work: Path) -> Iterator[LocalServers]:
    servers = LocalServers.start(work / "source")
    try:
        infra = Infra(database_admin_url=servers.postgres.url("postgres"), nats_url=servers.nats.url)
        migrate_all(infra, APPS)
        seed_all(infra, [a for a in APPS if a.name in ("policy", "disbursement", "gateway")])
        asyncio.run(_events(servers))
        yield servers
    finally:
        servers.stop()


@pytest.fixture(scope="module")
def backup_dir(source: LocalServers, work: Path) -> Path:
    out = work / "backup"
    assert (
        launcher(
            [
                "backup",
                str(out),
                "--nats-url",
                source.nats.url,
                "--database-url",
                source.postgres.url("postgres", driver=""),
            ]
        )
        == 0
    )
    return out


def _manifest(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    return data


def test_the_manifest_describes_what_was_dumped(backup_dir: Path) -> None:
    manifest = _manifest(backup_dir)
    assert set(manifest["apps"]) == {a.name for a in APPS}
    for app in manifest["apps"].values():
        assert app["alembic_heads"], app
        assert (backup_dir / app["file"]).stat().st_size == app["bytes"]
    disbursement = manifest["apps"]["disbursement"]
    assert disbursement["row_counts"]["ledger_accounts"] > 0  # the seeded budgets
    ledger = disbursement["ledger"]
    assert ledger["total_debits_posted_fen"] == ledger["total_credits_posted_fen"]
    assert disbursement["audit_head"]["last_seq"] >= 0
    assert manifest["apps"]["policy"]["row_counts"]["outbox_events"] >= 4
    assert manifest["streams"]["KUNRUYI_POLICY"]["messages"] == 3
    assert manifest["versions"]["pg_dump"].startswith("pg_dump")


def test_restore_into_an_empty_data_directory_brings_everything_back(
    backup_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "restored"
    assert launcher(["restore", str(backup_dir), "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    report = json.loads(out[out.index("{") : out.index("\nstart it:")])
    assert report["streams"]["KUNRUYI_POLICY"] == 3
    assert report["outbox_rows_to_republish"]["policy"] == 1

    servers = LocalServers.start(data_dir)  # the restored directory starts like any `run --data-dir`
    try:
        target = servers.target()
        # Every row count, ledger total and the audit head as in the manifest; the lost event is due again.
        assert asyncio.run(compare_counts(target, _manifest(backup_dir))) == []
        unpublished = asyncio.run(
            _unpublished(target)
        )  # the seed's events never were published (no relay ran)
        assert PUBLISHED_BUT_LOST in unpublished
        assert not set(PUBLISHED_AND_STREAMED) & set(unpublished)

        async def stream_ids() -> list[str]:
            nc = await nats.connect(servers.nats.url)
            try:
                js = nc.jetstream()
                return [
                    str((await js.get_msg("KUNRUYI_POLICY", seq=s)).headers["Nats-Msg-Id"])  # type: ignore[index]
                    for s in (1, 2, 3)
                ]
            finally:
                await nc.close()

        assert asyncio.run(stream_ids()) == PUBLISHED_AND_STREAMED
    finally:
        servers.stop()


async def _unpublished(target: Any) -> list[str]:
    conn = await asyncpg.connect(target.url("policy"))
    try:
        rows = await conn.fetch("SELECT id::text FROM outbox_events WHERE published_at IS NULL")
    finally:
        await conn.close()
    return [str(r["id"]) for r in rows]


def _broken_copy(backup_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(backup_dir, copy)
    return copy


def _refused(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert launcher(args) == 2
    return capsys.readouterr().err


def test_an_incomplete_backup_is_refused_naming_the_missing_part(
    backup_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = _broken_copy(backup_dir, tmp_path)
    (copy / "nats" / "KUNRUYI_POLICY.jsonl").unlink()
    data_dir = tmp_path / "target"
    err = _refused(["restore", str(copy), "--data-dir", str(data_dir)], capsys)
    assert "stream KUNRUYI_POLICY" in err and "missing" in err, err
    assert not data_dir.exists()  # nothing touched

    (copy / "manifest.json").unlink()
    err = _refused(["restore", str(copy), "--data-dir", str(data_dir)], capsys)
    assert "manifest.json" in err and "missing" in err, err


def test_a_file_that_does_not_match_the_manifest_is_refused(
    backup_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = _broken_copy(backup_dir, tmp_path)
    with (copy / "db" / "talent.dump").open("ab") as f:
        f.write(b"\0")
    data_dir = tmp_path / "target"
    err = _refused(["restore", str(copy), "--data-dir", str(data_dir)], capsys)
    assert "database talent" in err and "checksum" in err, err
    assert not data_dir.exists()


def test_a_backup_from_another_version_is_refused(
    backup_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = _broken_copy(backup_dir, tmp_path)
    manifest = _manifest(copy)
    manifest["apps"]["disbursement"]["alembic_heads"] = ["disbursement_9999_from_the_future"]
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    err = _refused(["restore", str(copy), "--check"], capsys)
    assert "database disbursement" in err and "another version" in err and "disbursement_9999" in err, err


def test_a_target_with_data_is_refused_and_left_alone(
    source: LocalServers, backup_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = asyncio.run(compare_counts(source.target(), _manifest(backup_dir)))
    err = _refused(
        [
            "restore",
            str(backup_dir),
            "--database-url",
            source.postgres.url("postgres", driver=""),
            "--nats-url",
            source.nats.url,
        ],
        capsys,
    )
    assert "target database" in err and "already has tables" in err, err
    assert asyncio.run(compare_counts(source.target(), _manifest(backup_dir))) == before


def test_a_backup_never_writes_over_another(
    source: LocalServers, backup_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (backup_dir / "manifest.json").read_bytes()
    args = ["backup", str(backup_dir), "--nats-url", source.nats.url]
    err = _refused([*args, "--database-url", source.postgres.url("postgres", driver="")], capsys)
    assert "is not empty" in err, err
    assert (backup_dir / "manifest.json").read_bytes() == before
