"""A labeled evaluation set for the matching engine, built by a documented procedure (bench/matching/README.md).

1. Corpus: ``corpus_size`` synthetic supply records (the generator, fixed seed); only results are judged.
2. Targets: ``n_demands`` results drawn at random. For each, a demand is written by *controlled paraphrase*: the
   target's own field keywords that occur in its text are the anchors; the demand keeps one or two anchors,
   rewrites the rest into demand language from fixed templates ("我司在…方面遇到难题"), and adds one generic
   keyword of the same field that the target may not contain. The demand carries the target's industry chain and
   technical field, as a company fills them in the form.
3. Hard negatives: for each demand three records are added to the corpus that share the anchor words (or
   their sub-words, e.g. 封装 for 先进封装) but belong to another field and chain, with region and maturity
   drawn like everything else.
4. Judgments (graded, a broker's rubric): 3 = the target; 2 = another result of the same technical field that
   contains every anchor and is ready to transfer nearby (TRL ≥ 6, within the Yangtze River Delta); 1 = the same
   without that readiness; 0 = everything else, including the hard negatives.

The rubric reads the demand's declared field, maturity and region, which the engine also reads and plain BM25
does not: the gain over BM25 is the value of that structured input, which is what the fusion is for.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from kunruyi_matching.search.engine import TEXT_ONLY, MatchContext, Weights, rank
from kunruyi_matching.search.index import IndexDoc, SupplyIndex
from kunruyi_matching.search.signals import region_proximity
from kunruyi_matching.supply.schemas import SupplyIn
from kunruyi_matching.supply.service import row_values
from kunruyi_matching.synthetic.generator import generate
from kunruyi_matching.taxonomy import FIELDS_BY_CODE, TECHNICAL_FIELDS
from kunruyi_matching.text.segmenter import index_tokens

DEMAND_TEMPLATES = (
    "我司在{a}方面遇到难题，希望寻找掌握{b}的团队合作，提升产品竞争力。",
    "企业计划引进{a}相关成果，重点关注{b}的工程化和量产可行性。",
    "现有产线{a}环节存在瓶颈，寻求{b}方向的成熟技术或专利许可。",
)
NEGATIVE_TEMPLATES = (
    "{x}产品的结构设计与{y}，面向{z}市场。",
    "涉及{x}的通用工艺，用于{y}和{z}。",
)


@dataclass
class EvalDemand:
    id: str
    text: str
    industry_chain: str
    technical_field: str
    judgments: dict[str, int] = field(default_factory=dict)


@dataclass
class EvalSet:
    docs: list[IndexDoc]
    demands: list[EvalDemand]


def _sub_words(term: str) -> list[str]:
    tokens = index_tokens(term)
    return [t for t in tokens if t != term] or [term]


def build_eval_set(corpus_size: int = 6_000, n_demands: int = 120, seed: int = 11) -> EvalSet:
    rng = random.Random(seed)
    records = [r for r in generate(corpus_size, seed=seed)]
    docs: list[IndexDoc] = []
    for r in records:
        values = row_values(SupplyIn.model_validate(r), "eval")
        docs.append(
            IndexDoc.make(
                r["natural_key"],
                r["kind"],
                values["search_tokens"].split(),
                industry_chain=values["industry_chain"],
                technical_field=values["technical_field"],
                region=values["region"],
                maturity=values["maturity"],
            )
        )
    results = [d for d in docs if d.kind == "result"]
    targets = rng.sample(results, k=n_demands)
    demands: list[EvalDemand] = []
    for n, target in enumerate(targets):
        f = FIELDS_BY_CODE[target.technical_field or ""]
        present = [k for k in f.keywords if k.lower() in target.tokens]
        anchors = rng.sample(present, k=min(2, len(present))) if present else [f.keywords[0]]
        extra = rng.choice(f.keywords)
        a = anchors[0]
        b = "、".join(anchors[1:] + [extra])
        text = rng.choice(DEMAND_TEMPLATES).format(a=a, b=b)
        demand = EvalDemand(f"D{n:04d}", text, f.chain, f.code)
        # Hard negatives: the anchors' words (or sub-words) in another field and chain.
        others = [x for x in TECHNICAL_FIELDS if x.chain != f.chain]
        for k in range(3):
            other = rng.choice(others)
            word = anchors[k % len(anchors)] if k < 2 else rng.choice(_sub_words(a))
            neg_text = rng.choice(NEGATIVE_TEMPLATES).format(
                x=word, y=rng.choice(other.keywords), z=rng.choice(other.keywords)
            )
            docs.append(
                IndexDoc.make(
                    f"NEG{n:04d}-{k}",
                    "result",
                    index_tokens(f"一种{word}{other.name}装置 {neg_text}"),
                    industry_chain=other.chain,
                    technical_field=other.code,
                    region=rng.choice(("昆山", "上海", "北京")),
                    maturity=rng.randint(1, 9),
                )
            )
        anchor_tokens = {x.lower() for x in anchors}
        for d in results:
            if d.technical_field == f.code and anchor_tokens <= set(d.tokens):
                ready = (d.maturity or 0) >= 6 and region_proximity(d.region) >= 0.6
                demand.judgments[d.id] = 2 if ready else 1
        demand.judgments[target.id] = 3
        demands.append(demand)
    return EvalSet(docs, demands)


def ndcg_at(ranked: list[str], judgments: dict[str, int], k: int) -> float:
    dcg = sum((2 ** judgments.get(doc, 0) - 1) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
    ideal = sorted(judgments.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], judgments: dict[str, int], k: int) -> float:
    relevant = {d for d, g in judgments.items() if g > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


@dataclass
class Scores:
    ndcg10: float
    recall20: float


def evaluate(eval_set: EvalSet, weights: Weights, index: SupplyIndex | None = None) -> Scores:
    index = index or SupplyIndex.build(["result"], [d for d in eval_set.docs if d.kind == "result"])
    ndcg: list[float] = []
    recall: list[float] = []
    for demand in eval_set.demands:
        ranked = [
            r.id
            for r in rank(
                index,
                "result",
                demand.text,
                context=MatchContext(demand.industry_chain, demand.technical_field),
                weights=weights,
                limit=20,
            )
        ]
        ndcg.append(ndcg_at(ranked, demand.judgments, 10))
        recall.append(recall_at(ranked, demand.judgments, 20))
    return Scores(sum(ndcg) / len(ndcg), sum(recall) / len(recall))


def compare(eval_set: EvalSet, engine_weights: Weights = Weights()) -> dict[str, Scores]:
    index = SupplyIndex.build(["result"], [d for d in eval_set.docs if d.kind == "result"])
    runs: dict[str, Callable[[], Scores]] = {
        "engine": lambda: evaluate(eval_set, engine_weights, index),
        "bm25": lambda: evaluate(eval_set, TEXT_ONLY, index),
    }
    return {name: run() for name, run in runs.items()}


__all__ = ["EvalSet", "Scores", "build_eval_set", "compare", "evaluate", "ndcg_at", "recall_at"]
