"""Ranking: lexical and semantic candidates from the index, fused with structured signals into one score with
reasons.

    base  = w_text · text + w_coverage · coverage + w_region · region + w_maturity · maturity/9 + w_deals · deals
    prior = 1 + w_chain · [same chain] + w_field · field_match          (at most 1.3 with the defaults)
    score = base · prior

Candidates come from two lists: the lexical one (BM25 of the strong query terms + 0.3 · BM25 of the weak ones) and
the semantic one (the nearest documents in the kind's LSA index, ``semantic.py``, cosine ≥ 0.3). ``text`` is
0.85 · BM25 / the pool's best + 0.15 · the reciprocal rank fusion of both lists / the best one, so a document the
semantic index alone finds can enter the list; its reasons say 语义相近 and name only discriminative words of its
own profile that lie near the demand on the latent dimensions (never a generic word). Strong terms are the
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
from kunruyi_matching.search.semantic import SemanticModel, Vector
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
# Semantic recall (``semantic.py``): neighbours taken per query, the least cosine that counts, the query's weights
# for its related terms and sub-words, and the reciprocal-rank-fusion constant.
SEMANTIC_POOL = 50
SEMANTIC_FLOOR = 0.3
SEMANTIC_RELATED_WEIGHT = 0.5
SEMANTIC_WEAK_WEIGHT = 0.3
RRF_K = 60
# The text signal: (1 − RRF_SHARE) · BM25 / the pool's best + RRF_SHARE · the fused rank score / the best one. Rank
# fusion alone throws away how far ahead the best lexical match is (nDCG@10 0.847 on the judged set against 0.900
# without semantic recall); bench/matching/RESULTS.md lists the variants measured.
RRF_SHARE = 0.15
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
    semantic: bool = True


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
    lexical = sorted(scores.values(), key=lambda h: (-h.bm25, h.id))[:k]
    semantic: list[Hit] = []
    query_vector = None
    model = index.semantic(kind) if options.semantic else None
    if model is not None and strong:
        query_vector = model.embed(
            [(t, 1.0) for t in strong]
            + [(t, SEMANTIC_RELATED_WEIGHT) for t in query.related]
            + ([(t, SEMANTIC_WEAK_WEIGHT) for t in query.weak] if options.weak_recall else [])
        )
        if query_vector is not None:
            semantic = index.neighbours(kind, query_vector, filters, SEMANTIC_POOL, SEMANTIC_FLOOR)
    fused = _fuse(lexical, semantic)
    if not fused:
        return []
    concepts = _concepts(strong)
    scored = sorted(
        ((_score(h, concepts, context, weights, options), h) for h in fused),
        key=lambda x: (-x[0][0], -x[1].lexical, x[1].hit.id),
    )
    analysed = Query(strong, query.weak, query.related)
    # Reasons only for what is returned: the pool can be hundreds of hits.
    return [
        _explain(h, score, signals, analysed, context, _semantic_terms(index, kind, model, query_vector, h))
        for (score, signals), h in scored[:limit]
    ]


@dataclass
class _Candidate:
    hit: Hit
    lexical: float  # BM25 (strong terms + WEAK_FACTOR · weak ones); 0 when found by the semantic index only
    similarity: float  # cosine in the semantic index; 0 when not among its neighbours
    fused: float  # the text signal: BM25 share blended with the reciprocal rank fusion of both lists


def _fuse(lexical: list[Hit], semantic: list[Hit]) -> list[_Candidate]:
    """Reciprocal rank fusion (each list adds 1 / (RRF_K + rank) for the candidates it holds), blended with the
    BM25 share so a clear lexical match keeps its lead."""
    candidates: dict[str, _Candidate] = {}
    for rank_, h in enumerate(lexical, 1):
        candidates[h.id] = _Candidate(h, h.bm25, 0.0, 1 / (RRF_K + rank_))
    for rank_, h in enumerate(semantic, 1):
        c = candidates.get(h.id)
        if c is None:
            candidates[h.id] = _Candidate(Hit(h.id, 0.0, h.doc), 0.0, h.bm25, 1 / (RRF_K + rank_))
        else:
            c.similarity = h.bm25
            c.fused += 1 / (RRF_K + rank_)
    best = max((c.fused for c in candidates.values()), default=0.0)
    best_lexical = max((c.lexical for c in candidates.values()), default=0.0)
    for c in candidates.values():
        lexical_share = c.lexical / best_lexical if best_lexical > 0 else 0.0
        c.fused = (1 - RRF_SHARE) * lexical_share + RRF_SHARE * (c.fused / best if best > 0 else 0.0)
    return list(candidates.values())


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
    candidate: _Candidate,
    concepts: dict[str, str],
    context: MatchContext,
    weights: Weights,
    options: RankOptions,
) -> tuple[float, dict[str, float]]:
    doc = candidate.hit.doc
    n_concepts = len(set(concepts.values()))
    same_chain = bool(context.industry_chain and doc.industry_chain == context.industry_chain)
    signals = {
        "text": candidate.fused,
        "semantic": candidate.similarity,
        # The query's few concept forms looked up in the document's tokens (a C-level scan), not the other way.
        "coverage": len({c for form, c in concepts.items() if form in doc.tokens}) / n_concepts
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


def _semantic_terms(
    index: SupplyIndex,
    kind: str,
    model: SemanticModel | None,
    query_vector: Vector | None,
    candidate: _Candidate,
) -> list[str] | None:
    """For a candidate the semantic index alone found: the domain terms (dictionary or thesaurus) of its profile
    nearest the demand, never a generic or common word (possibly none); None for a lexical candidate."""
    if candidate.lexical > 0 or model is None or query_vector is None:
        return None
    generic = generic_terms()
    protected = protected_terms()
    near = model.word_affinity(query_vector, [t for t in candidate.hit.doc.tokens if t in protected])
    return [
        t for t, sim in near if sim >= SEMANTIC_FLOOR and t not in generic and not _common(index, kind, t)
    ][:3]


def _explain(
    candidate: _Candidate,
    score: float,
    signals: dict[str, float],
    query: Query,
    context: MatchContext,
    semantic_terms: list[str] | None,
) -> Ranked:
    hit = candidate.hit
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
    if semantic_terms is not None:
        reasons.append("语义相近" + ("：" + "、".join(semantic_terms) if semantic_terms else ""))
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
