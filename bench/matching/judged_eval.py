"""The engine against plain BM25 on the hand-judged set in ``bench/matching/judged/`` (not the engine's generator).

    .venv/bin/python bench/matching/judged_eval.py [--kind expert] [--out bench/matching/results_judged.json]

- corpus: ``judged/supply.psv`` (experts and institutes written by hand), ingested through the service's own path
  (``row_values``: the field's name and the organisation are part of the searchable text, as in production);
- demands: ``judged/demands.psv`` (title + description, declared chain and field as the form asks);
- labels: ``judged/qrels.txt`` (0–3 per pair, written by reading each demand against the corpus; every pair not
  listed is judged 0).

Systems, each ranking one kind (default: experts) top 10:
- ``bm25``: bm25s (Lucene, k1 1.5, b 0.75) over the search-mode jieba tokens of the same texts (domain dictionary
  loaded, no thesaurus, no structured signal); the query is the search-mode tokens of title + description;
- ``engine``: ``kunruyi_matching.search.engine.rank`` with the default weights and the demand's chain and field;
- ablations of the engine (``--ablations``): each switch of ``RankOptions`` turned off.

Reported: mean nDCG@10 (gain 2^g − 1), P@5 (grade ≥ 2), the share of the top 10 in the declared chain, a paired
bootstrap 95 % interval of engine − bm25 (10,000 resamples of the demands, fixed seed), wins / losses / ties per
demand (|Δ| > 0.01), for each ablation the engine minus it (paired, with its interval), every demand where the
engine loses, and every system's nDCG@10 per demand.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
from kunruyi_matching.search import engine as engine_mod
from kunruyi_matching.search.engine import MatchContext, Weights, rank
from kunruyi_matching.search.index import IndexDoc, SupplyIndex
from kunruyi_matching.supply.schemas import SupplyIn
from kunruyi_matching.supply.service import row_values, searchable_text
from kunruyi_matching.synthetic.profiles import CHAIN_CODES, parse_profiles
from kunruyi_matching.text.segmenter import plain_tokens

HERE = Path(__file__).resolve().parent / "judged"
CHAINS = CHAIN_CODES


@dataclass
class Demand:
    id: str
    chain: str
    field: str
    title: str
    description: str

    @property
    def text(self) -> str:
        return f"{self.title} {self.description}"


def _rows(path: Path) -> list[list[str]]:
    return [
        [c.strip() for c in line.split(" | ")]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


def load_supply(root: Path = HERE) -> list[SupplyIn]:
    return parse_profiles((root / "supply.psv").read_text(encoding="utf-8"))


def load_demands(root: Path = HERE) -> list[Demand]:
    return [Demand(i, CHAINS[c], f, t, d) for i, c, f, t, d in _rows(root / "demands.psv")]


def load_qrels(root: Path = HERE) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for line in (root / "qrels.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        demand, *pairs = line.split()
        qrels[demand] = {p.split(":")[0]: int(p.split(":")[1]) for p in pairs}
    return qrels


def ndcg_at(ranked: list[str], judgments: dict[str, int], k: int = 10) -> float:
    dcg = sum((2 ** judgments.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(judgments.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def precision_at(ranked: list[str], judgments: dict[str, int], k: int = 5, min_grade: int = 2) -> float:
    return sum(1 for d in ranked[:k] if judgments.get(d, 0) >= min_grade) / k


class PlainBM25:
    """bm25s over the search-mode tokens of the same searchable text: the comparator."""

    def __init__(self, records: list[SupplyIn]) -> None:
        self.ids = [r.natural_key for r in records]
        self.retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
        self.retriever.index([plain_tokens(searchable_text(r)) for r in records], show_progress=False)

    def rank(self, text: str, k: int) -> list[str]:
        known = [t for t in plain_tokens(text) if t in self.retriever.vocab_dict]
        if not known:
            return []
        scores = self.retriever.get_scores(known)
        order = np.argsort(-scores, kind="stable")[:k]
        return [self.ids[i] for i in order if scores[i] > 0]


def engine_ranker(records: list[SupplyIn], kind: str, **options: Any) -> Callable[[Demand, int], list[str]]:
    docs = []
    for r in records:
        values = row_values(r, "judged")
        docs.append(
            IndexDoc.make(
                r.natural_key,
                r.kind,
                values["search_tokens"].split(),
                industry_chain=values["industry_chain"],
                technical_field=values["technical_field"],
                region=values["region"],
            )
        )
    index = SupplyIndex.build([kind], docs)
    rank_options = getattr(engine_mod, "RankOptions", None)
    extra: dict[str, Any] = {}
    if rank_options is not None:
        extra["options"] = replace(rank_options(), **options)

    def run(d: Demand, k: int) -> list[str]:
        ctx = MatchContext(d.chain, d.field)
        return [r.id for r in rank(index, kind, d.text, context=ctx, weights=Weights(), limit=k, **extra)]

    return run


def bootstrap(diffs: list[float], n: int = 10_000, seed: int = 7) -> tuple[float, float]:
    rng = random.Random(seed)
    means = sorted(sum(rng.choice(diffs) for _ in diffs) / len(diffs) for _ in range(n))
    return means[int(0.025 * n)], means[int(0.975 * n) - 1]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", default="expert")
    parser.add_argument("--ablations", action="store_true")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--show", action="store_true", help="print each system's top 10 per demand")
    args = parser.parse_args(argv)
    records = [r for r in load_supply() if r.kind == args.kind]
    kept = {r.natural_key for r in records}
    qrels = {d: {s: g for s, g in j.items() if s in kept} for d, j in load_qrels().items()}
    demands = [d for d in load_demands() if any(qrels.get(d.id, {}).values())]
    bm25 = PlainBM25(records)
    systems: dict[str, Callable[[Demand, int], list[str]]] = {
        "bm25": lambda d, k: bm25.rank(d.text, k),
        "engine": engine_ranker(records, args.kind),
    }
    options = getattr(engine_mod, "RankOptions", None)
    if args.ablations and options is not None:
        for f in fields(options):
            systems[f"engine_no_{f.name}"] = engine_ranker(records, args.kind, **{f.name: False})
    per: dict[str, dict[str, float]] = {name: {} for name in systems}
    p5: dict[str, list[float]] = {name: [] for name in systems}
    chain_of = {r.natural_key: r.industry_chain for r in records}
    same_chain: dict[str, list[int]] = {name: [0, 0] for name in systems}
    for d in demands:
        for name, run in systems.items():
            ranked = run(d, 10)
            per[name][d.id] = ndcg_at(ranked, qrels[d.id])
            p5[name].append(precision_at(ranked, qrels[d.id]))
            same_chain[name][0] += sum(1 for r in ranked if chain_of.get(r) == d.chain)
            same_chain[name][1] += len(ranked)
            if args.show:
                print(d.id, name, " ".join(f"{r}:{qrels[d.id].get(r, 0)}" for r in ranked), file=sys.stderr)
    result: dict[str, Any] = {
        "kind": args.kind,
        "corpus": len(records),
        "demands": len(demands),
        "systems": {
            name: {
                "ndcg10": round(sum(v.values()) / len(v), 4),
                "p5": round(sum(p5[name]) / len(p5[name]), 4),
                # Share of the top 10 in the demand's declared chain.
                "same_chain_top10": round(same_chain[name][0] / max(1, same_chain[name][1]), 3),
            }
            for name, v in per.items()
        },
    }
    for name in systems:
        if name == "bm25":
            continue
        diffs = [per[name][d.id] - per["bm25"][d.id] for d in demands]
        low, high = bootstrap(diffs)
        result["systems"][name] |= {
            "delta_vs_bm25": round(sum(diffs) / len(diffs), 4),
            "ci95": [round(low, 4), round(high, 4)],
            "wins": sum(1 for x in diffs if x > 0.01),
            "losses": sum(1 for x in diffs if x < -0.01),
            "ties": sum(1 for x in diffs if abs(x) <= 0.01),
        }
    # What each switched-off component was worth: the engine minus the ablation, paired per demand.
    for name in systems:
        if not name.startswith("engine_no_"):
            continue
        diffs = [per["engine"][d.id] - per[name][d.id] for d in demands]
        low, high = bootstrap(diffs)
        result["systems"][name]["engine_minus_this"] = {
            "mean": round(sum(diffs) / len(diffs), 4),
            "ci95": [round(low, 4), round(high, 4)],
            "engine_better": sum(1 for x in diffs if x > 0.01),
            "engine_worse": sum(1 for x in diffs if x < -0.01),
        }
    result["engine_losses"] = {
        d.id: {"engine": round(per["engine"][d.id], 3), "bm25": round(per["bm25"][d.id], 3), "title": d.title}
        for d in demands
        if per["engine"][d.id] < per["bm25"][d.id] - 0.01
    }
    result["per_demand"] = {
        d.id: {name: round(per[name][d.id], 3) for name in systems} | {"title": d.title} for d in demands
    }
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
