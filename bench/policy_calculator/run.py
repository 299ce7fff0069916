"""Benchmark: one enterprise profile against a synthetic catalog of >= 463 policies, in process.

Measures the calculator's evaluation (full per-criterion trace + near-miss analysis, and decision-only) against
the same rules evaluated by the reference JSON Logic implementation from PyPI (json-logic-qubit, ``json_logic``).

    .venv/bin/python bench/policy_calculator/run.py [--policies 463] [--rounds 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from json_logic import jsonLogic
from kunruyi_policy.calculator.service import assemble, compact, encode_compact, evaluate_all, summarise
from kunruyi_policy.demo.samples import SAMPLE_ENTERPRISE
from kunruyi_policy.demo.synthetic import compile_items, synthetic_catalog
from kunruyi_policy.rules.evaluation import decide_many
from kunruyi_policy.rules.variables import EnterpriseProfile

AT = date(2025, 6, 1)


CPU: dict[str, list[float]] = {}


def timings(function: Callable[[], Any], rounds: int, name: str = "") -> list[float]:
    """Wall-clock milliseconds per round; the thread's CPU milliseconds go to ``CPU[name]``.

    On a shared machine the wall clock includes time the scheduler gave to other processes; the CPU time does not.
    """
    for _ in range(min(20, rounds)):
        function()
    samples = []
    cpu = CPU.setdefault(name, [])
    for _ in range(rounds):
        begun, begun_cpu = time.perf_counter(), time.thread_time()
        function()
        cpu.append((time.thread_time() - begun_cpu) * 1000)
        samples.append((time.perf_counter() - begun) * 1000)
    return samples


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--policies", type=int, default=463)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()

    items = synthetic_catalog(args.policies, beneficiary="enterprise")
    compiled = compile_items(items)
    pairs = [(None, c) for c in compiled]
    profile = EnterpriseProfile.model_validate(SAMPLE_ENTERPRISE).model_dump()
    criteria_count = sum(len(c.criteria) for c in compiled)

    def ours_full() -> Any:
        return evaluate_all(pairs, profile, AT)

    def answer() -> dict[str, Any]:
        results = evaluate_all(pairs, profile, AT)
        return {
            "evaluation_date": AT.isoformat(),
            "beneficiary": "enterprise",
            "profile": profile,
            "missing_data": [],
            "summary": summarise(results),
            "results": results,
            "almost": [{"policy_code": r["policy_code"], **r["almost"]} for r in results if r["almost"]],
            "versions_used": [{"policy_code": r["policy_code"], "version": r["version"]} for r in results],
        }

    def ours_compact_json() -> Any:
        # the default answer as served: untraced evaluation, encoded from per-version fragments (the same bytes
        # JSONResponse gives for the compact dict; checked below)
        results = evaluate_all(pairs, profile, AT, traced=False)
        return encode_compact("enterprise", AT, frozenset(), results, pairs).decode()

    def compact_dict_json() -> str:
        results = evaluate_all(pairs, profile, AT, traced=False)
        served = compact(assemble("enterprise", profile, AT, frozenset(), results, versions=False))
        served["evaluation_date"] = AT.isoformat()
        return json.dumps(served, ensure_ascii=False, separators=(",", ":"))

    def ours_full_json() -> Any:
        return json.dumps(answer(), ensure_ascii=False)

    def ours_decision() -> Any:
        return decide_many(compiled, profile, AT)

    resolved = [(c, c.parameter_values_at(AT)) for c in compiled]

    def reference() -> Any:
        # The same decision work with the reference library: every data criterion, then the amount when eligible.
        out = []
        for c, params in resolved:
            data = dict(profile)
            data["params"] = params
            ok = all(jsonLogic(cr.rule, data) for cr in c.criteria if cr.kind == "data")
            out.append(jsonLogic(c.amount_rule, data) if ok else None)
        return out

    results = {
        name: timings(fn, args.rounds, name)
        for name, fn in (
            ("ours_full_trace", ours_full),
            ("ours_full_json", ours_full_json),
            ("ours_compact_json", ours_compact_json),
            ("ours_decision_only", ours_decision),
            ("reference_json_logic", reference),
        )
    }
    assert ours_compact_json() == compact_dict_json(), "the served bytes differ from the compact answer's"
    sample = ours_full()
    decided = {code: (status, amount) for code, _, status, amount in ours_decision()}
    assert all(decided[r["policy_code"]] == (r["status"], r["amount_fen"]) for r in sample), "paths disagree"
    statuses = {
        s: sum(1 for r in sample if r["status"] == s)
        for s in ("eligible", "needs_confirmation", "needs_data", "excluded", "ineligible", "error")
    }
    import os

    print(f"load average during run: {os.getloadavg()}")
    print(
        f"catalog: {len(compiled)} enterprise policies, {criteria_count} criteria; one profile; {args.rounds} rounds"
    )
    print(f"outcome: {statuses}, almost={sum(1 for r in sample if r['almost'])}")
    print(
        f"answer size: full {len(ours_full_json().encode()) / 1024:.0f} KB, compact {len(ours_compact_json().encode()) / 1024:.0f} KB"
    )
    for name, samples in results.items():
        print(
            f"{name:>22}: p50 {statistics.median(samples):7.3f} ms   p99 {percentile(samples, 0.99):7.3f} ms"
            f"   min {min(samples):7.3f} ms"
        )
    for name, samples in CPU.items():
        print(
            f"{name:>22}: CPU p50 {statistics.median(samples):7.3f} ms   p99 {percentile(samples, 0.99):7.3f} ms"
        )
    ref = statistics.median(results["reference_json_logic"])
    print(
        f"ratio reference/ours (p50): full trace {ref / statistics.median(results['ours_full_trace']):.1f}x, "
        f"decision only {ref / statistics.median(results['ours_decision_only']):.1f}x"
    )
    ref_cpu = statistics.median(CPU["reference_json_logic"])
    print(
        f"ratio reference/ours (CPU p50): full trace {ref_cpu / statistics.median(CPU['ours_full_trace']):.1f}x, "
        f"decision only {ref_cpu / statistics.median(CPU['ours_decision_only']):.1f}x"
    )


if __name__ == "__main__":
    main()
