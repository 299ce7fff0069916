"""Chinese full-text search over the catalog: jieba with a domain dictionary, ranked by BM25.

The catalog is small (hundreds of items), so ranking in Python over the filtered rows is simpler and more exact
than a database text-search configuration for Chinese; the tokens are stored pre-segmented on each policy.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

from kunruyi_policy.catalog.taxonomy import DOMAIN_TERMS

_WORD = re.compile(r"[\w\u4e00-\u9fff]")
_STOP = frozenset({"的", "和", "与", "及", "或", "在", "对", "为", "等", "按", "给予", "年", "万元", "元"})
K1, B = 1.5, 0.75


@lru_cache(maxsize=1)
def _tokenizer():  # type: ignore[no-untyped-def]
    # jieba loads its dictionary on import (seconds, tens of MB): only when the catalog is first searched.
    import jieba

    jieba.setLogLevel(logging.WARNING)
    for term in DOMAIN_TERMS:
        jieba.add_word(term, freq=200000)
    return jieba


def tokenize(text: str) -> list[str]:
    jieba = _tokenizer()
    tokens = []
    for token in jieba.lcut_for_search(text.lower()):
        token = token.strip()
        if token and token not in _STOP and _WORD.search(token):
            tokens.append(token)
    return tokens


def searchable_text(parts: Iterable[str | None]) -> str:
    return " ".join(tokenize(" ".join(p for p in parts if p)))


def rank(query: str, documents: Sequence[tuple[str, str]]) -> list[tuple[str, float]]:
    """BM25 scores of ``(key, pre-segmented tokens)`` documents for ``query``; keys with no match are dropped."""
    terms = list(dict.fromkeys(tokenize(query)))
    if not terms or not documents:
        return []
    docs = [(key, tokens.split()) for key, tokens in documents]
    average = sum(len(t) for _, t in docs) / len(docs) or 1.0
    frequency = Counter(term for _, tokens in docs for term in set(tokens) if term in terms)
    scored = []
    for key, tokens in docs:
        counts = Counter(tokens)
        score = 0.0
        for term in terms:
            tf = counts.get(term, 0)
            if not tf:
                continue
            idf = math.log(1 + (len(docs) - frequency[term] + 0.5) / (frequency[term] + 0.5))
            score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * len(tokens) / average))
        if score > 0:
            scored.append((key, score))
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored
