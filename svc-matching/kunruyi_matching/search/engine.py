"""Ranking: lexical candidates from the index, fused with structured signals into one score with reasons.

    base  = w_text · text + w_coverage · coverage + w_region · region + w_maturity · maturity/9 + w_deals · deals
    prior = 1 + w_chain · [same chain] + w_field · field_match          (at most 1.3 with the defaults)
    score = base · prior

``text`` is (BM25 of the strong query terms + 0.3 · BM25 of the weak ones) / the pool's best. Strong terms are the
demand's whole words and the thesaurus canonicals of its synonyms and abbreviations, minus generic words (the
maintained list and any word held by more than a fifth of the kind's documents); weak terms are sub-words of
words that are not domain terms and the thesaurus's related terms: they add candidates and a little score, never a
match reason. ``coverage`` is the share of the demand's domain concepts (dictionary or thesaurus terms, synonyms
counted once) the candidate holds. The declared chain and field are a bounded prior, not a filter: a candidate of
another chain whose text answers the demand outranks a same-chain one that only shares generic words, and its
reasons say 跨产业链.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from kunruyi_matching.search.index import Filters, Hit, SupplyIndex
from kunruyi_matching.search.signals import deals_score, field_match, maturity_score, region_proximity
from kunruyi_matching.taxonomy import CHAINS_BY_CODE, FIELDS_BY_CODE
from kunruyi_matching.text.segmenter import (
    Query,
    analyse_query,
    domain_terms,
    generic_terms,
    protected_terms,
    thesaurus,
)

WEAK_FACTOR = 0.3
# A word held by more than this share of a kind's documents is not evidence (once the kind has enough documents).
COMMON_SHARE = 0.2
COMMON_MIN_DOCS = 50


@lru_cache(maxsize=1)
def dictionary_terms() -> frozenset[str]:
    return frozenset(t.lower() for t in domain_terms())


@dataclass(frozen=True)
class Weights:
    text: float = 0.55
    coverage: float = 0.25
    region: float = 0.08
    maturity: float = 0.07
    deals: float = 0.05
    # The prior's multipliers: same chain, same field (0.5 of it for the same category).
    chain: float = 0.1
    field: float = 0.2


TEXT_ONLY = Weights(text=1.0, coverage=0.0, chain=0.0, field=0.0, region=0.0, maturity=0.0, deals=0.0)


@dataclass(frozen=True)
class RankOptions:
    """Switches for the evaluation's ablations; everything on in the service."""

    thesaurus: bool = True
    prior: bool = True
    generic_filter: bool = True
    weak_recall: bool = True


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
    options: RankOptions = RankOptions(),
) -> list[Ranked]:
    query = analyse_query(query_text, use_thesaurus=options.thesaurus, drop_generic=options.generic_filter)
    strong = query.strong
    if options.generic_filter:
        strong = [t for t in strong if not _common(index, kind, t)] or strong
    k = max(pool, limit)
    scores: dict[str, Hit] = {h.id: h for h in index.search(kind, strong, filters, k)} if strong else {}
    if options.weak_recall and query.weak:
        for h in index.search(kind, query.weak, filters, k):
            if h.id in scores:
                scores[h.id] = Hit(h.id, scores[h.id].bm25 + WEAK_FACTOR * h.bm25, h.doc)
            else:
                scores[h.id] = Hit(h.id, WEAK_FACTOR * h.bm25, h.doc)
    hits = sorted(scores.values(), key=lambda h: -h.bm25)[:k]
    if not hits:
        return []
    best = max(h.bm25 for h in hits)
    concepts = _concepts(strong)
    scored = sorted(
        ((_score(h, best, concepts, context, weights, options), h) for h in hits),
        key=lambda x: (-x[0][0], -x[1].bm25, x[1].id),
    )
    analysed = Query(strong, query.weak, query.related)
    # Reasons only for what is returned: the pool can be hundreds of hits.
    return [_explain(h, score, signals, analysed, context) for (score, signals), h in scored[:limit]]


def _common(index: SupplyIndex, kind: str, token: str) -> bool:
    df, n = index.doc_share(kind, token)
    return n >= COMMON_MIN_DOCS and df > COMMON_SHARE * n


def _canonical(token: str) -> str:
    return thesaurus().canonical_of.get(token, token)


def _concepts(strong: list[str]) -> dict[str, str]:
    """Each form (the canonical and its variants) of the query's domain concepts → the concept."""
    protected = protected_terms()
    concepts = {_canonical(t) for t in strong if t in protected or _canonical(t) != t} or set(strong)
    forms = _variants()
    return {form: c for c in concepts for form in (c, *forms.get(c, ()))}


@lru_cache(maxsize=1)
def _variants() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for variant, canonical in thesaurus().canonical_of.items():
        if variant != canonical:
            out.setdefault(canonical, []).append(variant)
    return {k: tuple(v) for k, v in out.items()}


def _score(
    hit: Hit,
    best: float,
    concepts: dict[str, str],
    context: MatchContext,
    weights: Weights,
    options: RankOptions,
) -> tuple[float, dict[str, float]]:
    doc = hit.doc
    n_concepts = len(set(concepts.values()))
    same_chain = bool(context.industry_chain and doc.industry_chain == context.industry_chain)
    signals = {
        "text": hit.bm25 / best if best > 0 else 0.0,
        "coverage": len({concepts[t] for t in doc.tokens if t in concepts}) / n_concepts
        if n_concepts
        else 0.0,
        "chain": 1.0 if same_chain else 0.0,
        "field": field_match(context.technical_field, doc.technical_field),
        "region": region_proximity(doc.region),
        "maturity": maturity_score(doc.maturity),
        "deals": deals_score(doc.deals_count),
        "cross_chain": 1.0
        if context.industry_chain and doc.industry_chain and doc.industry_chain != context.industry_chain
        else 0.0,
    }
    base = (
        weights.text * signals["text"]
        + weights.coverage * signals["coverage"]
        + weights.region * signals["region"]
        + weights.maturity * signals["maturity"]
        + weights.deals * signals["deals"]
    )
    prior = (
        1.0 + weights.chain * signals["chain"] + weights.field * signals["field"] if options.prior else 1.0
    )
    signals["prior"] = prior
    return base * prior, signals


def _explain(
    hit: Hit, score: float, signals: dict[str, float], query: Query, context: MatchContext
) -> Ranked:
    doc = hit.doc
    doc_tokens = set(doc.tokens)
    generic = generic_terms()
    protected = protected_terms()
    # Only whole, discriminative query terms are reasons; domain terms first, then longer words.
    matched = [t for t in query.strong if t in doc_tokens and t not in generic]
    matched.sort(key=lambda t: (t not in protected, -len(t)))
    related = [t for t in query.related if t in doc_tokens and t not in generic]
    reasons: list[str] = []
    if matched:
        reasons.append("匹配关键词：" + "、".join(matched[:8]))
    if related:
        reasons.append("相关术语：" + "、".join(related[:5]))
    if signals["chain"]:
        reasons.append(
            f"同属产业链：{CHAINS_BY_CODE[doc.industry_chain].name}"
            if doc.industry_chain in CHAINS_BY_CODE
            else "同属产业链"
        )
    elif signals["cross_chain"] and doc.industry_chain in CHAINS_BY_CODE:
        declared = CHAINS_BY_CODE.get(context.industry_chain or "")
        reasons.append(
            f"跨产业链：{CHAINS_BY_CODE[doc.industry_chain].name}"
            + (f"（需求属{declared.name}）" if declared else "")
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
