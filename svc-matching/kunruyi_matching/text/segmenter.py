"""Chinese segmentation with the maintained domain dictionary, the domain thesaurus and the generic-word list.

A private ``jieba.Tokenizer`` (not jieba's global one, so other code's ``add_word`` cannot change our tokens) loads
``domain_dict.txt`` and every Chinese term of ``thesaurus.txt``; HMM is off so unknown-word discovery never splits
or glues dictionary terms differently from one call to the next.

- ``segment``: precise mode (domain terms whole: 电解槽, 贵金属, 无人机, 机器人 stay one token each).
- ``index_tokens`` (documents): search mode, which adds the dictionary sub-words of long words (先进封装 → 先进,
  封装), plus the thesaurus canonical of every synonym / abbreviation found in the text (FOWLP → 扇出型晶圆级封装).
- ``analyse_query`` (demands, searches): the *strong* terms are the precise-mode tokens and the canonicals, minus
  generic words (``generic_terms.txt``); the *weak* terms are search-mode sub-words of words that are not domain
  terms and the thesaurus's related terms. A domain term is never split on the query side, so 电解槽 cannot match
  a document's 电解 (from 电解质) and 无人机 cannot match 人机 (from 人机交互).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import jieba

DOMAIN_DICT = "domain_dict.txt"
THESAURUS = "thesaurus.txt"
GENERIC_TERMS = "generic_terms.txt"
_LATIN = re.compile(r"[a-z0-9]")
_WORD = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)
STOPWORDS = frozenset(
    "的 了 和 与 及 或 在 对 为 是 等 将 把 被 其 该 以 于 从 向 中 上 下 并 而 且 可 能 会 需 要 有 无 "
    "一个 一种 一些 我们 公司 企业 进行 需要 希望 开展 相关 方面 问题 实现 提供 具有 通过 以及 研究 技术 "
    "应用 方法 系统 开发 领域 主要 能够 目前 寻求 合作 寻找 提升 解决 具备".split()
)
_lock = threading.Lock()
jieba.setLogLevel(logging.WARNING)


def _data_lines(name: str) -> list[str]:
    text = resources.files("kunruyi_matching.text").joinpath(name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def domain_terms() -> list[str]:
    return [line.split()[0] for line in _data_lines(DOMAIN_DICT)]


@dataclass(frozen=True)
class Thesaurus:
    """``thesaurus.txt`` parsed: variant → canonical, and term → related terms."""

    canonical_of: dict[str, str] = field(default_factory=dict)
    related: dict[str, tuple[str, ...]] = field(default_factory=dict)
    latin: re.Pattern[str] | None = None

    @property
    def chinese_terms(self) -> set[str]:
        terms = set(self.canonical_of) | set(self.canonical_of.values())
        terms |= {t for rel in self.related.values() for t in rel} | set(self.related)
        return {t for t in terms if not _LATIN.search(t) and " " not in t}

    def canonicals_in(self, text: str, tokens: list[str]) -> list[str]:
        """The canonical term of every synonym or abbreviation in ``text`` (whole tokens or Latin whole words)."""
        found = [self.canonical_of[t] for t in tokens if t in self.canonical_of]
        if self.latin is not None:
            found += [self.canonical_of[m.group(1)] for m in self.latin.finditer(text.lower())]
        present = set(tokens)
        return [c for c in dict.fromkeys(found) if c not in present]


def parse_thesaurus(lines: list[str]) -> Thesaurus:
    canonical_of: dict[str, str] = {}
    related: dict[str, tuple[str, ...]] = {}
    for line in lines:
        mark, _, rest = line.partition(" ")
        terms = [t.strip().lower() for t in rest.split("|") if t.strip()]
        if mark not in ("=", "~") or len(terms) < 2:
            raise ValueError(
                f"thesaurus line must read '= canonical | variant …' or '~ term | related …': {line}"
            )
        if mark == "=":
            for variant in terms:
                canonical_of.setdefault(variant, terms[0])
        else:
            related[terms[0]] = tuple(dict.fromkeys(related.get(terms[0], ()) + tuple(terms[1:])))
    latin = sorted((v for v in canonical_of if _LATIN.search(v)), key=len, reverse=True)
    pattern = (
        re.compile(r"(?<![a-z0-9])(" + "|".join(re.escape(v) for v in latin) + r")(?![a-z0-9])")
        if latin
        else None
    )
    return Thesaurus(canonical_of, related, pattern)


@lru_cache(maxsize=1)
def thesaurus() -> Thesaurus:
    return parse_thesaurus(_data_lines(THESAURUS))


@lru_cache(maxsize=1)
def generic_terms() -> frozenset[str]:
    return frozenset(t.lower() for t in _data_lines(GENERIC_TERMS))


@lru_cache(maxsize=1)
def protected_terms() -> frozenset[str]:
    """Terms never split on the query side: the domain dictionary and the thesaurus."""
    return frozenset(t.lower() for t in domain_terms()) | frozenset(thesaurus().chinese_terms)


@lru_cache(maxsize=1)
def tokenizer() -> jieba.Tokenizer:
    with _lock:
        tk = jieba.Tokenizer()
        tk.initialize()
        path = resources.files("kunruyi_matching.text").joinpath(DOMAIN_DICT)
        with resources.as_file(path) as dict_path:
            tk.load_userdict(str(dict_path))
        for term in sorted(thesaurus().chinese_terms):
            tk.add_word(term, 50000)
        return tk


def _keep(token: str) -> bool:
    token = token.strip()
    return len(token) > 1 and token not in STOPWORDS and _WORD.search(token) is not None


def segment(text: str) -> list[str]:
    """Precise-mode tokens, domain terms whole, stopwords and single characters dropped."""
    return [t.strip().lower() for t in tokenizer().cut(text or "", HMM=False) if _keep(t)]


def index_tokens(text: str) -> list[str]:
    """Search-mode tokens (every precise token plus the dictionary sub-words of long ones) and the thesaurus
    canonical of each synonym or abbreviation in the text."""
    tokens = plain_tokens(text)
    return tokens + thesaurus().canonicals_in(text or "", tokens)


@dataclass(frozen=True)
class Query:
    strong: list[str]
    weak: list[str]
    related: list[str]


def analyse_query(text: str, *, use_thesaurus: bool = True, drop_generic: bool = True) -> Query:
    """Strong terms (whole, discriminative, with thesaurus canonicals) and weak ones (sub-words, related terms)."""
    generic = generic_terms() if drop_generic else frozenset()
    precise = segment(text)
    strong = [t for t in precise if t not in generic]
    related: list[str] = []
    if use_thesaurus:
        th = thesaurus()
        strong += th.canonicals_in(text or "", precise)
        strong = list(dict.fromkeys(strong))
        related = [r for t in strong for r in th.related.get(t, ())]
    protected = protected_terms()
    # Sub-words: any of an ordinary word; of a domain term only those that are domain terms themselves
    # (碱性电解槽 → 电解槽, never 电解; 无人机 → nothing).
    subwords = [
        s
        for t in precise
        if len(t) > 2
        for s in (w.strip().lower() for w in tokenizer().cut_for_search(t, HMM=False))
        if _keep(s) and s != t and (t not in protected or s in protected)
    ]
    taken = set(strong) | generic
    weak = list(dict.fromkeys(w for w in subwords + related if w not in taken))
    related = [r for r in dict.fromkeys(related) if r not in taken]
    return Query(list(dict.fromkeys(strong)), weak, related)


def plain_tokens(text: str) -> list[str]:
    """Search-mode tokens with nothing added: what a plain BM25 comparator indexes (bench/matching)."""
    return [t.strip().lower() for t in tokenizer().cut_for_search(text or "", HMM=False) if _keep(t)]
