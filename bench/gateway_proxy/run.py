"""Issue 2's proxy benchmark: the same small GET straight to a service and through the gateway at 1, 16 and 64
connections (requests/s, p50/p99, ratio). The harness lives in bench/gateway/run.py; this runs its proxy part.

    .venv/bin/python bench/gateway_proxy/run.py [--duration 5]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(
        subprocess.call(
            [
                sys.executable,
                str(HERE.parent / "gateway" / "run.py"),
                "--only",
                "proxy",
                "--out",
                str(HERE / "RESULTS.md"),
                *args,
            ]
        )
    )
