"""One-million-entity benchmark of the supply index against bm25s alone on the same corpus and tokens.

    .venv/bin/python bench/matching/bench_index.py --count 1000000 --out bench/matching/results_1m.json

Steps: generate the corpus (synthetic, seed 2026) → segment it once (search-mode jieba with the domain
dictionary, in worker processes; this is the ingestion cost, paid at import) → build the index (all kinds) →
top-20 queries with the engine (segmentation + BM25 + filter mask + fusion + reasons) with and without an
industry-chain filter → the comparator: ``bm25s.BM25.retrieve`` top-20 on the same expert corpus and tokens →
queries with a 1,000-document delta → merging that delta (full rebuild of the expert index).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import re
import resource
import statistics
import sys
import time
from functools import lru_cache
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import bm25s
from kunruyi_matching.search.engine import MatchContext, RankOptions, rank
from kunruyi_matching.search.index import Filters, IndexDoc, SupplyIndex
from kunruyi_matching.search.semantic import IVF_PROBES
from kunruyi_matching.supply.schemas import SupplyIn
from kunruyi_matching.supply.service import searchable_text
from kunruyi_matching.synthetic.evaluation import DEMAND_TEMPLATES
from kunruyi_matching.synthetic.generator import generate_record
from kunruyi_matching.taxonomy import SUPPLY_KINDS, TECHNICAL_FIELDS
from kunruyi_matching.text.segmenter import analyse_query, index_tokens, plain_tokens, thesaurus, tokenizer

CHUNK = 5000


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# jieba segments each run of Han characters / word characters on its own (its block regex), so segmenting block
# by block gives exactly the tokens of the whole text; caching blocks makes the template-written synthetic corpus
# cheap to segment. The ingestion cost of real text is measured separately, uncached, on a sample.
_BLOCK = re.compile(r"[^\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+")


@lru_cache(maxsize=500_000)
def _block_tokens(block: str) -> tuple[str, ...]:
    return tuple(plain_tokens(block))


def cached_index_tokens(text: str) -> list[str]:
    tokens = [t for block in _BLOCK.split(text) if block for t in _block_tokens(block)]
    return tokens + thesaurus().canonicals_in(text, tokens)


def _segment_chunk(args: tuple[int, int, int]) -> list[tuple[Any, ...]]:
    start, stop, seed = args
    tokenizer()
    out = []
    for i in range(start, stop):
        rng = random.Random(seed * 1_000_003 + i)
        record = SupplyIn.model_validate(generate_record(i, rng))
        out.append(
            (
                record.natural_key,
                record.kind,
                cached_index_tokens(searchable_text(record)),
                record.industry_chain,
                record.technical_field,
                record.region,
                record.maturity,
            )
        )
    return out


def queries(n: int, seed: int = 99) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        f = rng.choice(TECHNICAL_FIELDS)
        a, b = rng.sample(f.keywords, 2)
        out.append((rng.choice(DEMAND_TEMPLATES).format(a=a, b=b), f.chain, f.code))
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(fn: Any, items: list[Any]) -> dict[str, float]:
    samples = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        samples.append((time.perf_counter() - t) * 1000)
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(percentile(samples, 99), 2),
        "mean_ms": round(statistics.fmean(samples), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result: dict[str, Any] = {
        "count": args.count,
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "python": sys.version.split()[0],
            "bm25s": bm25s.__version__,
            "ram_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        },
    }
    model = ""
    try:
        model = next(
            line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    result["machine"]["cpu_model"] = model
    # The machine is shared: the load average at the start, after the build and at the end says how busy it was.
    result["load_average"] = {"start": [round(x, 2) for x in os.getloadavg()]}
    tokenizer()
    # Uncached segmentation throughput on a sample (the real ingestion cost per document), and proof that the
    # block cache yields the same tokens.
    sample = [SupplyIn.model_validate(generate_record(i, random.Random(i))) for i in range(2000)]
    t = time.perf_counter()
    uncached = [index_tokens(searchable_text(r)) for r in sample]
    result["segment_uncached_ms_per_doc"] = round((time.perf_counter() - t) / len(sample) * 1000, 3)
    assert uncached == [cached_index_tokens(searchable_text(r)) for r in sample]
    base_rss = rss_mb()

    t = time.perf_counter()
    ranges = [(s, min(s + CHUNK, args.count), 2026) for s in range(0, args.count, CHUNK)]
    docs: list[IndexDoc] = []
    with Pool(args.workers) as pool:
        for chunk in pool.imap(_segment_chunk, ranges):
            docs.extend(
                IndexDoc.make(k, kind, toks, industry_chain=c, technical_field=f, region=r, maturity=m)
                for k, kind, toks, c, f, r, m in chunk
            )
    result["generate_and_segment_s"] = round(time.perf_counter() - t, 1)
    result["segment_workers"] = args.workers
    result["tokens_per_doc"] = round(sum(len(d.tokens) for d in docs) / len(docs), 1)
    gc.collect()
    docs_rss = rss_mb()
    result["rss_docs_mb"] = round(docs_rss - base_rss)

    t = time.perf_counter()
    index = SupplyIndex.build(SUPPLY_KINDS, docs)
    result["index_build_s"] = round(time.perf_counter() - t, 1)
    del docs
    gc.collect()
    result["rss_after_build_mb"] = round(rss_mb())
    result["load_average"]["after_build"] = [round(x, 2) for x in os.getloadavg()]
    result["peak_rss_mb"] = round(peak_mb())
    result["documents"] = index.stats()

    qs = queries(args.queries)
    experts = index.kinds["expert"]
    assert experts.main.retriever is not None
    rank(index, "expert", qs[0][0])  # warm-up
    result["engine_top20_chain_filter"] = timed(
        lambda q: rank(
            index,
            "expert",
            q[0],
            context=MatchContext(q[1], q[2]),
            filters=Filters(industry_chain=q[1]),
            limit=20,
        ),
        qs,
    )
    result["engine_top20_no_filter"] = timed(
        lambda q: rank(index, "expert", q[0], context=MatchContext(q[1], q[2]), limit=20), qs
    )
    result["engine_top20_no_filter_no_semantic"] = timed(
        lambda q: rank(
            index,
            "expert",
            q[0],
            context=MatchContext(q[1], q[2]),
            limit=20,
            options=RankOptions(semantic=False),
        ),
        qs,
    )
    result["semantic_dims"] = {
        kind: (i.main.semantic.dims if i.main.semantic is not None else 0) for kind, i in index.kinds.items()
    }
    # The coarse index's recall: its 50 semantic neighbours against an exhaustive scan, per query.
    model = experts.main.semantic
    if model is not None and experts.main.coarse is not None:
        overlaps = []
        for q in qs:
            vector = model.embed((t, 1.0) for t in analyse_query(q[0]).strong)
            if vector is None:
                continue
            exact = {i for i, _ in experts.main.neighbours(vector, Filters(), 50, 0.0, exact=True)}
            approx = {i for i, _ in experts.main.neighbours(vector, Filters(), 50, 0.0)}
            overlaps.append(len(exact & approx) / max(1, len(exact)))
        result["semantic_ivf_recall_at_50"] = round(sum(overlaps) / max(1, len(overlaps)), 3)
        result["semantic_ivf_cells"] = len(experts.main.coarse.centroids)
        result["semantic_ivf_probes"] = IVF_PROBES
    result["engine_top20_results_chain_filter"] = timed(
        lambda q: rank(
            index,
            "result",
            q[0],
            context=MatchContext(q[1], q[2]),
            filters=Filters(industry_chain=q[1]),
            limit=20,
        ),
        qs,
    )
    retriever = experts.main.retriever

    def plain(q: tuple[str, str, str]) -> None:
        tokens = [t for t in index_tokens(q[0]) if t in retriever.vocab_dict]
        retriever.retrieve([tokens], k=20, show_progress=False, n_threads=1)

    result["bm25s_alone_top20"] = timed(plain, qs)
    result["ratio_engine_filter_to_bm25s_p50"] = round(
        result["engine_top20_chain_filter"]["p50_ms"] / result["bm25s_alone_top20"]["p50_ms"], 2
    )

    # bm25s alone, indexing the same expert tokens (the comparator for build time).
    expert_tokens = [list(d.tokens) for d in experts.main.docs]
    t = time.perf_counter()
    bm25s.BM25(k1=1.5, b=0.75, method="lucene").index(expert_tokens, show_progress=False)
    result["bm25s_alone_build_experts_s"] = round(time.perf_counter() - t, 1)
    del expert_tokens
    t = time.perf_counter()
    rng = random.Random(5)
    for i in range(1000):
        record = SupplyIn.model_validate(generate_record(args.count + i * 20, rng))
        index.upsert(
            IndexDoc.make(
                f"NEW{i}",
                "expert",
                index_tokens(searchable_text(record)),
                industry_chain=record.industry_chain,
                technical_field=record.technical_field,
                region=record.region,
            )
        )
    result["delta_upsert_1000_s"] = round(time.perf_counter() - t, 2)
    result["engine_top20_chain_filter_with_1000_delta"] = timed(
        lambda q: rank(
            index,
            "expert",
            q[0],
            context=MatchContext(q[1], q[2]),
            filters=Filters(industry_chain=q[1]),
            limit=20,
        ),
        qs,
    )
    t = time.perf_counter()
    index.kinds["expert"].merge()
    result["merge_expert_index_s"] = round(time.perf_counter() - t, 1)
    result["peak_rss_mb"] = round(peak_mb())
    result["load_average"]["end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
