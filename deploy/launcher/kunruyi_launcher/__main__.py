"""``python -m kunruyi_launcher run``: the whole platform on this machine (what ``make run`` calls)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from kunruyi_launcher.apps import APPS
from kunruyi_launcher.stack import migrate_all, seed_all, start_apps, start_infra

ROOT = Path(__file__).resolve().parents[3]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kunruyi_launcher")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start PostgreSQL, NATS and every app; Ctrl-C stops them all")
    run.add_argument("--data-dir", type=Path, default=ROOT / "var" / "run")
    run.add_argument("--no-seed", action="store_true")
    args = parser.parse_args(argv)

    data_dir: Path = args.data_dir
    log_dir = data_dir / "log"
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    infra = start_infra(
        data_dir,
        pg_port=int(os.environ.get("KRY_PG_PORT", "55432")),
        nats_port=int(os.environ.get("KRY_NATS_PORT", "54222")),
    )
    platform = None
    try:
        print("migrating databases …", flush=True)
        migrate_all(infra)
        if not args.no_seed:
            print("seeding demo data …", flush=True)
            seed_all(infra)
        print("starting apps …", flush=True)
        platform = start_apps(infra, log_dir)
        gw = platform.gateway_url
        print("\n昆如意 Kunruyi is running\n", flush=True)
        print(f"  gateway      {gw}")
        print(f"  API docs     {gw}/docs")
        for a in APPS:
            print(f"  {a.name:<12} http://127.0.0.1:{a.port}  (log: {log_dir / (a.name + '.log')})")
        for emulator in platform.emulators:
            print(f"  emulator     {emulator.spec.name:<10} {emulator.url}  (log: {emulator.log_path})")
        print(f"  PostgreSQL   {infra.database_admin_url}")
        print(f"  NATS         {infra.nats_url}")
        print(f"  data         {data_dir}\n\nCtrl-C stops everything.", flush=True)
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
        if platform is not None:
            platform.stop()
        infra.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
