"""Ranking: BM25 candidates from the index, fused with structured signals into one score with reasons.

    score = w_text · bm25 / max_bm25(pool) + w_coverage · coverage + w_chain · [same chain] + w_field · field_match
            + w_region · region_proximity + w_maturity · maturity/9 + w_deals · deals_score

``coverage`` is the share of the query's whole domain-dictionary terms (e.g. 先进封装, 硅通孔) the candidate
contains: BM25 rewards repeating one term, coverage rewards having all of them. The pool is the top
``candidate_pool`` BM25 hits of the kind (after filters); normalising by the pool's best
BM25 puts text relevance on the same 0..1 scale as the signals. Weights are settings and sum to 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from kunruyi_matching.search.index import Filters, Hit, SupplyIndex
from kunruyi_matching.search.signals import deals_score, field_match, maturity_score, region_proximity
from kunruyi_matching.taxonomy import CHAINS_BY_CODE, FIELDS_BY_CODE
from kunruyi_matching.text.segmenter import domain_terms, index_tokens, segment


@lru_cache(maxsize=1)
def dictionary_terms() -> frozenset[str]:
    return frozenset(t.lower() for t in domain_terms())


@dataclass(frozen=True)
class Weights:
    text: float = 0.35
    coverage: float = 0.15
    chain: float = 0.15
    field: float = 0.15
    region: float = 0.08
    maturity: float = 0.07
    deals: float = 0.05


TEXT_ONLY = Weights(text=1.0, coverage=0.0, chain=0.0, field=0.0, region=0.0, maturity=0.0, deals=0.0)


@dataclass(frozen=True)
class MatchContext:
    """What a demand (or a free-text search) contributes beyond its words."""

    industry_chain: str | None = None
    technical_field: str | None = None


@dataclass
class Ranked:
    id: str
    kind: str
    score: float
    bm25: float
    signals: dict[str, float]
    reasons: list[str] = field(default_factory=list)
    matched_terms: list[str] = field(default_factory=list)


def rank(
    index: SupplyIndex,
    kind: str,
    query_text: str,
    *,
    context: MatchContext = MatchContext(),
    filters: Filters = Filters(),
    weights: Weights = Weights(),
    limit: int = 20,
    pool: int = 200,
    query_tokens: list[str] | None = None,
) -> list[Ranked]:
    tokens = query_tokens if query_tokens is not None else index_tokens(query_text)
    hits = index.search(kind, tokens, filters, max(pool, limit))
    if not hits:
        return []
    best = max(h.bm25 for h in hits)
    whole_terms = set(segment(query_text)) if query_tokens is None else set(tokens)
    domain = whole_terms & dictionary_terms()
    scored = sorted(
        ((_score(h, best, domain, context, weights), h) for h in hits),
        key=lambda x: (-x[0][0], -x[1].bm25, x[1].id),
    )
    # Reasons only for what is returned: the pool can be hundreds of hits.
    return [_explain(h, score, signals, tokens, whole_terms) for (score, signals), h in scored[:limit]]


def _score(
    hit: Hit, best: float, domain: set[str], context: MatchContext, weights: Weights
) -> tuple[float, dict[str, float]]:
    doc = hit.doc
    signals = {
        "text": hit.bm25 / best if best > 0 else 0.0,
        "coverage": len(domain.intersection(doc.tokens)) / len(domain) if domain else 0.0,
        "chain": 1.0 if context.industry_chain and doc.industry_chain == context.industry_chain else 0.0,
        "field": field_match(context.technical_field, doc.technical_field),
        "region": region_proximity(doc.region),
        "maturity": maturity_score(doc.maturity),
        "deals": deals_score(doc.deals_count),
    }
    score = (
        weights.text * signals["text"]
        + weights.coverage * signals["coverage"]
        + weights.chain * signals["chain"]
        + weights.field * signals["field"]
        + weights.region * signals["region"]
        + weights.maturity * signals["maturity"]
        + weights.deals * signals["deals"]
    )
    return score, signals


def _explain(
    hit: Hit, score: float, signals: dict[str, float], tokens: list[str], whole_terms: set[str]
) -> Ranked:
    doc = hit.doc
    doc_tokens = set(doc.tokens)
    # Whole query terms first (e.g. 先进封装), then the sub-words that also matched.
    matched = [t for t in dict.fromkeys(tokens) if t in doc_tokens]
    matched.sort(key=lambda t: (t not in whole_terms, -len(t)))
    reasons: list[str] = []
    if matched:
        reasons.append("匹配关键词：" + "、".join(matched[:8]))
    if signals["chain"]:
        reasons.append(
            f"同属产业链：{CHAINS_BY_CODE[doc.industry_chain].name}"
            if doc.industry_chain in CHAINS_BY_CODE
            else "同属产业链"
        )
    if signals["field"] == 1.0 and doc.technical_field in FIELDS_BY_CODE:
        reasons.append(f"技术领域一致：{FIELDS_BY_CODE[doc.technical_field].name}")
    elif signals["field"] == 0.5 and doc.technical_field in FIELDS_BY_CODE:
        reasons.append(f"技术领域相近：{FIELDS_BY_CODE[doc.technical_field].name}")
    if doc.region and signals["region"] >= 0.9:
        reasons.append(f"地域临近：{doc.region}")
    elif doc.region and signals["region"] >= 0.6:
        reasons.append(f"长三角地区：{doc.region}")
    if doc.maturity:
        reasons.append(f"成熟度 TRL {doc.maturity}")
    if doc.deals_count:
        reasons.append(f"历史成交 {doc.deals_count} 项")
    return Ranked(
        doc.id,
        doc.kind,
        round(score, 6),
        hit.bm25,
        {k: round(v, 4) for k, v in signals.items()},
        reasons,
        matched,
    )
