"""``python -m kunruyi_launcher run``: the whole platform on this machine (what ``make run`` calls)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kunruyi_launcher.apps import APPS, DEV_MODE_WARNING, enable_development_mode
from kunruyi_launcher.infra import StoreInUse
from kunruyi_launcher.stack import migrate_all, seed_all, start_apps, start_infra

ROOT = Path(__file__).resolve().parents[3]


STAFF_ROLES = [
    ("officer", "人社局"),
    ("reviewer", "科技局"),
    ("approver", "科技局"),
    ("finance", "财政局"),
    ("broker", "科创发展服务中心"),
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


def main(argv: list[str] | None = None) -> int:
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
    args = parser.parse_args(argv)

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
        platform = start_apps(infra, log_dir)
        gw = platform.gateway_url
        print("\n昆如意 Kunruyi is running\n", flush=True)
        print(f"  gateway      {gw}")
        print(f"  API docs     {gw}/docs")
        for a in APPS:
            print(
                f"  {a.name:<12} http://127.0.0.1:{a.port}  (metrics: {platform.apps[a.name].metrics_url}, "
                f"log: {log_dir / (a.name + '.log')})"
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
