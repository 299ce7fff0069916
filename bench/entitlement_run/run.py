"""Benchmark: a 免申即享 run of N enterprises x M automatic policies, vectorised vs row by row in Python.

The vectorised path is the one `POST /api/v1/entitlement-runs` uses (kunruyi_policy.rules.bulk); the comparator is
the same compiled rules evaluated one entity at a time by the interpreter (evaluate_version, decision only). The
row-by-row figure is measured on a sample of entities and both paths are checked to agree on that sample.

    .venv/bin/python bench/entitlement_run/run.py [--entities 100000] [--policies 150] [--sample 2000]
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date

import numpy as np
from kunruyi_policy.demo.synthetic import compile_items, synthetic_catalog, synthetic_enterprises
from kunruyi_policy.rules.bulk import STATUS_CODES, Columns, evaluate_bulk
from kunruyi_policy.rules.evaluation import evaluate_version

AT = date(2025, 6, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--policies", type=int, default=150)
    parser.add_argument("--sample", type=int, default=2_000)
    args = parser.parse_args()

    compiled = compile_items(synthetic_catalog(args.policies, beneficiary="enterprise", mode="automatic"))
    begun = time.perf_counter()
    profiles = synthetic_enterprises(args.entities)
    generated = time.perf_counter() - begun

    begun = time.perf_counter()
    columns = Columns("enterprise", profiles)
    loaded = time.perf_counter() - begun

    begun = time.perf_counter()
    results = [evaluate_bulk(c, columns, AT) for c in compiled]
    bulk_s = time.perf_counter() - begun
    evaluations = args.entities * len(compiled)
    eligible = sum(int(((r.status == 0) & (r.amount_fen > 0)).sum()) for r in results)
    fallback = sum(1 for r in results if not r.vectorised)

    sample = profiles[: args.sample]
    begun = time.perf_counter()
    rows = [[evaluate_version(c, p, AT, explain=False) for c in compiled] for p in sample]
    row_s = time.perf_counter() - begun
    row_rate = len(sample) * len(compiled) / row_s

    for j, c in enumerate(compiled):
        for i in range(len(sample)):
            single = rows[i][j]
            assert int(results[j].status[i]) == STATUS_CODES[single["status"]], (c.meta.code, i)
            assert int(results[j].amount_fen[i]) == (single["amount_fen"] or 0), (c.meta.code, i)

    bulk_rate = evaluations / bulk_s
    total_amount = int(sum(int(np.where(r.status == 0, r.amount_fen, 0).sum()) for r in results))
    print(f"load average during run: {os.getloadavg()}")
    print(
        f"entities {args.entities:,} x automatic policies {len(compiled)} = {evaluations:,} evaluations "
        f"({fallback} policies fell back to row-by-row)"
    )
    print(f"synthetic generation {generated:.2f} s, column load {loaded:.2f} s (read-model rows -> arrays)")
    print(
        f"vectorised: {bulk_s:.3f} s  -> {bulk_rate:,.0f} evaluations/s; eligible {eligible:,}, "
        f"total {total_amount / 100:,.0f} 元"
    )
    print(f"row by row: {row_s:.3f} s for {len(sample):,} entities -> {row_rate:,.0f} evaluations/s")
    print(
        f"speed-up vectorised / row by row: {bulk_rate / row_rate:.1f}x "
        f"(including column load: {evaluations / (bulk_s + loaded) / row_rate:.1f}x); "
        f"both paths agree on the {len(sample):,}-entity sample"
    )


if __name__ == "__main__":
    main()
