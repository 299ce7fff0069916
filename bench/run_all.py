"""Run every benchmark one after another: ``make bench`` (quick sizes, a few minutes) or ``make bench-full``
(the sizes docs/benchmarks.md reports, about an hour). Quick runs print their figures and leave every
RESULTS.md untouched; the gateway's report goes to var/bench/.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUICK_GATEWAY_REPORT = ROOT / "var" / "bench" / "gateway-quick.md"

QUICK: list[tuple[str, list[str]]] = [
    ("policy_calculator", ["bench/policy_calculator/run.py", "--rounds", "50"]),
    ("entitlement_run", ["bench/entitlement_run/run.py", "--entities", "10000", "--sample", "200"]),
    ("entitlement_run-db", ["bench/entitlement_run/db_run.py", "--companies", "5000"]),
    ("catalog_import", ["bench/catalog_import/run.py", "--repeat", "1"]),
    (
        "talent_registry",
        ["bench/talent_registry/run.py", "--rows", "20000", "--registrations", "200", "--lookups", "200"],
    ),
    (
        "disbursement_pipeline",
        ["bench/disbursement_pipeline/run.py", "--events", "1000", "--pgbench-seconds", "5"],
    ),
    ("matching", ["bench/matching/bench_index.py", "--count", "20000", "--queries", "50"]),
    ("matching-quality", ["bench/matching/eval.py", "--corpus", "2000", "--demands", "40"]),
    ("gateway", ["bench/gateway/run.py", "--duration", "2", "--out", str(QUICK_GATEWAY_REPORT)]),
    (
        "replicas",
        [
            "bench/replicas/run.py",
            "--duration",
            "2",
            "--out",
            str(ROOT / "var" / "bench" / "replicas-quick.md"),
        ],
    ),
]

FULL: list[tuple[str, list[str]]] = [
    ("policy_calculator", ["bench/policy_calculator/run.py"]),
    ("policy_calculator-http", ["bench/policy_calculator/http_run.py"]),
    ("entitlement_run", ["bench/entitlement_run/run.py"]),
    ("entitlement_run-db", ["bench/entitlement_run/db_run.py", "--companies", "50000"]),
    ("catalog_import", ["bench/catalog_import/run.py", "--repeat", "3"]),
    ("talent_registry", ["bench/talent_registry/run.py"]),
    ("disbursement_pipeline", ["bench/disbursement_pipeline/run.py", "--events", "10000", "--write"]),
    ("matching", ["bench/matching/bench_index.py", "--count", "1000000"]),
    ("matching-quality", ["bench/matching/eval.py", "--seed", "23"]),
    ("gateway", ["bench/gateway/run.py"]),
    ("replicas", ["bench/replicas/run.py"]),
]


def main(argv: list[str]) -> int:
    plan = FULL if "--full" in argv else QUICK
    QUICK_GATEWAY_REPORT.parent.mkdir(parents=True, exist_ok=True)
    failed = []
    for name, args in plan:
        print(f"\n=== {name}: {' '.join(args)}", flush=True)
        started = time.monotonic()
        rc = subprocess.call([sys.executable, *args], cwd=ROOT)
        print(f"=== {name}: exit {rc} after {time.monotonic() - started:.0f} s", flush=True)
        if rc != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
