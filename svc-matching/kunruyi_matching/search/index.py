"""The in-memory supply index: per kind, a main bm25s index plus a small delta searched alongside it.

Documents arrive pre-segmented (``supply_entities.search_tokens``). The main index is an immutable bm25s index
built from all documents of one kind; new or changed documents go to the delta (a plain dict scored with the
same Lucene BM25 formula, using the main index's document frequencies plus the delta's own), and a changed
document's old main entry is masked out. When the delta grows past a threshold or has waited long enough,
``merge`` rebuilds the main index off the event loop and swaps it in.

Structured attributes (chain, field, region, maturity, past deals) sit in numpy arrays aligned with the main
index so filters are vector masks and the fusion step reads them without touching the database.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import bm25s
import numpy as np
import numpy.typing as npt

from kunruyi_matching.search.semantic import IVF_MIN_DOCS, CoarseIndex, SemanticModel, Vector
from kunruyi_matching.search.signals import region_proximity
from kunruyi_matching.taxonomy import FIELDS_BY_CODE, INDUSTRY_CHAINS, TECHNICAL_FIELDS

K1 = 1.5
B = 0.75
_CHAIN_IDS = {c.code: i + 1 for i, c in enumerate(INDUSTRY_CHAINS)}
_FIELD_IDS = {f.code: i + 1 for i, f in enumerate(TECHNICAL_FIELDS)}
_CATEGORIES = sorted({f.category for f in TECHNICAL_FIELDS})
_CATEGORY_IDS = {c: i + 1 for i, c in enumerate(_CATEGORIES)}
_MASK_CACHE = 32


@dataclass(frozen=True, slots=True)
class IndexDoc:
    id: str
    kind: str
    tokens: tuple[str, ...]
    industry_chain: str | None = None
    technical_field: str | None = None
    region: str | None = None
    maturity: int | None = None
    deals_count: int = 0
    version: int = 1

    @staticmethod
    def make(
        id: str,
        kind: str,
        tokens: Iterable[str],
        *,
        industry_chain: str | None = None,
        technical_field: str | None = None,
        region: str | None = None,
        maturity: int | None = None,
        deals_count: int = 0,
        version: int = 1,
    ) -> IndexDoc:
        # Interning shares one string object per distinct token across a million documents.
        return IndexDoc(
            id,
            kind,
            tuple(sys.intern(t) for t in tokens),
            industry_chain,
            technical_field,
            region,
            maturity,
            deals_count,
            version,
        )


@dataclass
class Hit:
    id: str
    bm25: float
    doc: IndexDoc


@dataclass(frozen=True)
class Filters:
    industry_chain: str | None = None
    technical_field: str | None = None
    region: str | None = None


class _Main:
    """An immutable bm25s index with its aligned attribute arrays."""

    def __init__(self, docs: list[IndexDoc]) -> None:
        self.docs = docs
        self.position = {d.id: i for i, d in enumerate(docs)}
        n = len(docs)
        self.alive = np.ones(n, dtype=np.float32)
        self.chain = np.fromiter((_CHAIN_IDS.get(d.industry_chain or "", 0) for d in docs), np.int16, n)
        self.field = np.fromiter((_FIELD_IDS.get(d.technical_field or "", 0) for d in docs), np.int16, n)
        self.category = np.fromiter(
            (_CATEGORY_IDS.get(_category(d.technical_field) or "", 0) for d in docs), np.int16, n
        )
        self.region = np.fromiter((region_proximity(d.region) for d in docs), np.float32, n)
        self.retriever: bm25s.BM25 | None = None
        self.df: dict[str, int] = {}
        self.total_len = 0
        if n:
            self.retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
            self.retriever.index([list(d.tokens) for d in docs], show_progress=False)
            indptr = self.retriever.scores["indptr"]
            counts = np.diff(indptr)
            self.df = {tok: int(counts[i]) for tok, i in self.retriever.vocab_dict.items() if i < len(counts)}
            self.total_len = sum(len(d.tokens) for d in docs)
        # The semantic index (LSA learned from these documents): a model and one unit row per document, held by
        # the coarse index (grouped by cell) once there are enough documents for one.
        fitted = (
            SemanticModel.fit_and_embed([d.tokens for d in docs], [d.id for d in docs], self.df or None)
            if n
            else None
        )
        self.semantic = fitted[0] if fitted is not None else None
        self.coarse = (
            CoarseIndex.build(fitted[1], [d.id for d in docs])
            if fitted is not None and n >= IVF_MIN_DOCS
            else None
        )
        self.vectors = fitted[1] if fitted is not None and self.coarse is None else None
        # Filter masks by filter, reused by the query's lexical passes and its semantic pass (cleared when a
        # document is masked out).
        self._masks: dict[Filters, npt.NDArray[np.float32]] = {}
        self._epoch = 0

    def __len__(self) -> int:
        return len(self.docs)

    def kill(self, position: int) -> None:
        """Mask a document out (a newer version lives in the delta)."""
        self.alive[position] = 0.0
        self._epoch += 1
        self._masks.clear()

    def mask(self, filters: Filters) -> npt.NDArray[np.float32]:
        if not (filters.industry_chain or filters.technical_field or filters.region):
            return self.alive
        cached = self._masks.get(filters)
        if cached is not None:
            return cached
        epoch = self._epoch
        mask = self.alive
        if filters.industry_chain:
            mask = mask * (self.chain == _CHAIN_IDS.get(filters.industry_chain, -1))
        if filters.technical_field:
            mask = mask * (self.field == _FIELD_IDS.get(filters.technical_field, -1))
        if filters.region:
            mask = mask * (self.region >= region_proximity(filters.region))
        mask = mask.astype(np.float32, copy=False)
        if len(self._masks) >= _MASK_CACHE:
            self._masks.clear()
        if epoch == self._epoch:  # not if a document was masked out meanwhile: the mask may predate it
            self._masks[filters] = mask
        return mask

    def _weights(self, filters: Filters) -> npt.NDArray[np.float32] | None:
        """The filter mask, or None when it would keep every document (no filter, nothing masked out)."""
        if self._epoch == 0 and not (filters.industry_chain or filters.technical_field or filters.region):
            return None
        return self.mask(filters)

    def search(self, tokens: list[str], filters: Filters, k: int) -> list[tuple[int, float]]:
        if self.retriever is None:
            return []
        known = [t for t in tokens if t in self.retriever.vocab_dict]
        if not known:
            return []
        # Unfiltered with every document alive, the mask is all ones: skip bm25s' pass multiplying by it.
        scores = self.retriever.get_scores(known, weight_mask=self._weights(filters))
        # Only documents that hold a query term can be hits: select among them, not among all n.
        held = np.flatnonzero(scores > 0)
        held = held[_top_k(scores[held], k, lambda j: self.docs[held[j]].id)]
        return [(int(i), float(scores[i])) for i in held]

    def neighbours(
        self, query: Vector, filters: Filters, k: int, floor: float, *, exact: bool = False
    ) -> list[tuple[int, float]]:
        """The documents whose semantic vector is closest to ``query`` (cosine above ``floor``): every document in
        a small index (or with ``exact``), else those in the query's nearest cells of the coarse index."""
        mask = self._weights(filters)
        if self.coarse is not None:
            positions, sims = self.coarse.scan(query, exact=exact)
            if mask is not None:
                sims = sims * mask[positions]
        elif self.vectors is not None and len(self.vectors):
            # einsum, not BLAS: a matrix-vector product in a multi-threaded BLAS fights the other threads of a busy
            # host (8–16 ms against 1 ms for 15 k × 128 on two shared cores).
            positions = None
            sims = np.einsum("ij,j->i", self.vectors, query)
            if mask is not None:
                sims = sims * mask
        else:
            return []
        above = np.flatnonzero(sims > floor)
        at = above if positions is None else positions[above]
        above = above[_top_k(sims[above], k, lambda j: self.docs[at[j]].id)]
        return [(int(i if positions is None else positions[i]), float(sims[i])) for i in above]


def _top_k(values: npt.NDArray[np.float32], k: int, key: Callable[[int], str]) -> npt.NDArray[np.int64]:
    """Indices of the ``k`` highest values; ties at the cut are broken by ``key`` (the document id), not by where
    the documents happen to lie, so the pool — and the fused ranks built on it — do not depend on the row order.
    (The synthetic and real corpora hold near-duplicates: many documents can share the k-th score.)"""
    n = len(values)
    if n <= k:
        return np.arange(n)
    kth = np.partition(values, n - k)[n - k]
    above = np.flatnonzero(values > kth)
    tied = np.flatnonzero(values == kth)
    need = k - len(above)
    if need < len(tied):
        tied = np.asarray(sorted(tied.tolist(), key=key)[:need], dtype=np.int64)
    return np.concatenate([above, tied])


def _category(field_code: str | None) -> str | None:
    f = FIELDS_BY_CODE.get(field_code or "")
    return f.category if f else None


@dataclass
class KindIndex:
    kind: str
    main: _Main = field(default_factory=lambda: _Main([]))
    delta: dict[str, IndexDoc] = field(default_factory=dict)
    delta_since: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The delta's inverted index: token → {doc id: BM25 term-frequency part}, kept in step with ``delta``.
    _postings: dict[str, dict[str, float]] = field(default_factory=dict)
    _delta_len: int = 0
    # The delta's semantic vectors, projected with the main index's model (refitted at the next merge).
    _delta_vectors: dict[str, Vector] = field(default_factory=dict)

    def version_of(self, doc_id: str) -> int | None:
        d = self.delta.get(doc_id)
        if d is not None:
            return d.version
        pos = self.main.position.get(doc_id)
        return self.main.docs[pos].version if pos is not None else None

    def _unpost(self, doc: IndexDoc) -> None:
        for tok in set(doc.tokens):
            posting = self._postings.get(tok)
            if posting is not None:
                posting.pop(doc.id, None)
                if not posting:
                    del self._postings[tok]
        self._delta_len -= len(doc.tokens)

    def _post(self, doc: IndexDoc) -> None:
        # The term-frequency part of BM25 is fixed per posting, using the main index's average length (the delta
        # is small next to it), so a query only multiplies by the IDF.
        n = len(self.main)
        avgdl = self.main.total_len / n if n else max(1, len(doc.tokens))
        norm = K1 * (1 - B + B * len(doc.tokens) / avgdl)
        for tok, tf in Counter(doc.tokens).items():
            self._postings.setdefault(tok, {})[doc.id] = tf * (K1 + 1) / (tf + norm)
        self._delta_len += len(doc.tokens)

    def upsert(self, doc: IndexDoc) -> bool:
        """Add or replace a document (newer versions only). True when the index changed."""
        with self.lock:
            known = self.version_of(doc.id)
            if known is not None and known >= doc.version:
                return False
            pos = self.main.position.get(doc.id)
            if pos is not None:
                self.main.kill(pos)
            previous = self.delta.get(doc.id)
            if previous is not None:
                self._unpost(previous)
            self.delta[doc.id] = doc
            self._post(doc)
            self._delta_vectors.pop(doc.id, None)
            if self.main.semantic is not None:
                self._delta_vectors[doc.id] = self.main.semantic.embed_documents([doc.tokens])[0]
            if self.delta_since is None:
                self.delta_since = time.monotonic()
            return True

    def __len__(self) -> int:
        return int(self.main.alive.sum()) + len(self.delta)

    def doc_freq(self, token: str) -> int:
        """Documents holding ``token`` (main index, counting masked ones, plus the delta): corpus statistics."""
        return self.main.df.get(token, 0) + len(self._postings.get(token, ()))

    @property
    def semantic(self) -> SemanticModel | None:
        return self.main.semantic

    def _eligible(self, doc: IndexDoc, filters: Filters) -> bool:
        return (
            (not filters.industry_chain or doc.industry_chain == filters.industry_chain)
            and (not filters.technical_field or doc.technical_field == filters.technical_field)
            and (not filters.region or region_proximity(doc.region) >= region_proximity(filters.region))
        )

    def neighbours(self, query: Vector, filters: Filters, k: int, floor: float) -> list[Hit]:
        """Semantic neighbours of ``query`` from the main index and the delta; ``Hit.bm25`` holds the cosine."""
        main = self.main
        hits = [Hit(main.docs[i].id, s, main.docs[i]) for i, s in main.neighbours(query, filters, k, floor)]
        pending = [
            (doc, vector)
            for doc_id, vector in list(self._delta_vectors.items())
            if (doc := self.delta.get(doc_id)) is not None and self._eligible(doc, filters)
        ]
        if pending:
            sims = np.einsum("ij,j->i", np.stack([vector for _, vector in pending]), query)
            hits += [
                Hit(doc.id, float(s), doc) for (doc, _), s in zip(pending, sims, strict=True) if s > floor
            ]
        hits.sort(key=lambda h: (-h.bm25, h.id))
        return hits[:k]

    def _delta_scores(self, tokens: list[str], filters: Filters) -> list[tuple[IndexDoc, float]]:
        if not self.delta:
            return []
        eligible: set[str] | None = None
        if filters.industry_chain or filters.technical_field or filters.region:
            floor = region_proximity(filters.region) if filters.region else 0.0
            eligible = {
                d.id
                for d in self.delta.values()
                if (not filters.industry_chain or d.industry_chain == filters.industry_chain)
                and (not filters.technical_field or d.technical_field == filters.technical_field)
                and (not filters.region or region_proximity(d.region) >= floor)
            }
            if not eligible:
                return []
        n = len(self.main) + len(self.delta)
        scores: dict[str, float] = {}
        for tok, qn in Counter(tokens).items():
            posting = self._postings.get(tok)
            if not posting:
                continue
            df = self.main.df.get(tok, 0) + len(posting)
            weight = qn * math.log(1 + (n - df + 0.5) / (df + 0.5))
            for doc_id, tf_part in posting.items():
                if eligible is None or doc_id in eligible:
                    scores[doc_id] = scores.get(doc_id, 0.0) + weight * tf_part
        return [(self.delta[doc_id], score) for doc_id, score in scores.items()]

    def search(self, tokens: list[str], filters: Filters, k: int) -> list[Hit]:
        main = self.main
        hits = [Hit(main.docs[i].id, s, main.docs[i]) for i, s in main.search(tokens, filters, k)]
        hits += [Hit(d.id, s, d) for d, s in self._delta_scores(tokens, filters)]
        hits.sort(key=lambda h: (-h.bm25, h.id))
        return hits[:k]

    def merge(self) -> int:
        """Rebuild the main index with the delta folded in (blocking; call from a worker thread)."""
        with self.lock:
            taken = dict(self.delta)
            survivors = [
                d for d in self.main.docs if d.id not in taken and self.main.alive[self.main.position[d.id]]
            ]
        rebuilt = _Main(survivors + list(taken.values()))
        with self.lock:
            # Documents that arrived while rebuilding stay in the delta and are masked in the new main.
            for doc_id, doc in list(self.delta.items()):
                if taken.get(doc_id) is doc:
                    del self.delta[doc_id]
                    self._unpost(doc)
                    self._delta_vectors.pop(doc_id, None)
                else:
                    pos = rebuilt.position.get(doc_id)
                    if pos is not None:
                        rebuilt.kill(pos)
            self.main = rebuilt
            # Documents still in the delta are projected with the refitted model.
            self._delta_vectors = (
                dict(
                    zip(
                        self.delta,
                        rebuilt.semantic.embed_documents([d.tokens for d in self.delta.values()]),
                        strict=True,
                    )
                )
                if rebuilt.semantic is not None and self.delta
                else {}
            )
            self.delta_since = time.monotonic() if self.delta else None
        return len(taken)


class SupplyIndex:
    """All kinds' indexes, the unit kept in ``app.state.supply_index``."""

    def __init__(self, kinds: Iterable[str]) -> None:
        self.kinds = {k: KindIndex(k) for k in kinds}

    @classmethod
    def build(cls, kinds: Iterable[str], docs: Iterable[IndexDoc]) -> SupplyIndex:
        index = cls(kinds)
        by_kind: dict[str, list[IndexDoc]] = {k: [] for k in index.kinds}
        for d in docs:
            by_kind.setdefault(d.kind, []).append(d)
        for kind, kind_docs in by_kind.items():
            index.kinds.setdefault(kind, KindIndex(kind)).main = _Main(kind_docs)
        return index

    def upsert(self, doc: IndexDoc) -> bool:
        return self.kinds.setdefault(doc.kind, KindIndex(doc.kind)).upsert(doc)

    def search(self, kind: str, tokens: list[str], filters: Filters, k: int) -> list[Hit]:
        index = self.kinds.get(kind)
        return index.search(tokens, filters, k) if index else []

    def semantic(self, kind: str) -> SemanticModel | None:
        index = self.kinds.get(kind)
        return index.semantic if index else None

    def neighbours(self, kind: str, query: Vector, filters: Filters, k: int, floor: float) -> list[Hit]:
        index = self.kinds.get(kind)
        return index.neighbours(query, filters, k, floor) if index else []

    def doc_share(self, kind: str, token: str) -> tuple[int, int]:
        """(documents of ``kind`` holding ``token``, documents of ``kind``)."""
        index = self.kinds.get(kind)
        if index is None:
            return 0, 0
        return index.doc_freq(token), len(index.main) + len(index.delta)

    def due_for_merge(self, threshold: int, max_wait_s: float) -> list[KindIndex]:
        now = time.monotonic()
        return [
            i
            for i in self.kinds.values()
            if i.delta
            and (
                len(i.delta) >= threshold or (i.delta_since is not None and now - i.delta_since >= max_wait_s)
            )
        ]

    def stats(self) -> dict[str, dict[str, int]]:
        return {k: {"documents": len(i), "delta": len(i.delta)} for k, i in self.kinds.items()}
