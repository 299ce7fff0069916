"""Chinese segmentation with the maintained domain dictionary.

A private ``jieba.Tokenizer`` (not jieba's global one, so other code's ``add_word`` cannot change our tokens) loads
``domain_dict.txt``; HMM is off so unknown-word discovery never splits or glues dictionary terms differently from
one call to the next. ``segment`` is jieba's precise mode (domain terms whole, used for reasons and matched terms);
``index_tokens`` is search mode, which adds the dictionary sub-words of long terms ("先进封装" → 先进, 封装,
先进封装) so a partial overlap still scores, but less than the whole term with its higher IDF.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from importlib import resources

import jieba

DOMAIN_DICT = "domain_dict.txt"
_WORD = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)
STOPWORDS = frozenset(
    "的 了 和 与 及 或 在 对 为 是 等 将 把 被 其 该 以 于 从 向 中 上 下 并 而 且 可 能 会 需 要 有 无 "
    "一个 一种 一些 我们 公司 企业 进行 需要 希望 开展 相关 方面 问题 实现 提供 具有 通过 以及 研究 技术 "
    "应用 方法 系统 开发 领域 主要 能够 目前 寻求 合作 寻找 提升 解决 具备".split()
)
_lock = threading.Lock()
jieba.setLogLevel(logging.WARNING)


def domain_terms() -> list[str]:
    text = resources.files("kunruyi_matching.text").joinpath(DOMAIN_DICT).read_text(encoding="utf-8")
    return [line.split()[0] for line in text.splitlines() if line.strip()]


@lru_cache(maxsize=1)
def tokenizer() -> jieba.Tokenizer:
    with _lock:
        tk = jieba.Tokenizer()
        tk.initialize()
        path = resources.files("kunruyi_matching.text").joinpath(DOMAIN_DICT)
        with resources.as_file(path) as dict_path:
            tk.load_userdict(str(dict_path))
        return tk


def _keep(token: str) -> bool:
    token = token.strip()
    return len(token) > 1 and token not in STOPWORDS and _WORD.search(token) is not None


def segment(text: str) -> list[str]:
    """Precise-mode tokens, domain terms whole, stopwords and single characters dropped."""
    return [t.strip().lower() for t in tokenizer().cut(text or "", HMM=False) if _keep(t)]


def index_tokens(text: str) -> list[str]:
    """Search-mode tokens: every precise token plus the dictionary sub-words of long ones."""
    return [t.strip().lower() for t in tokenizer().cut_for_search(text or "", HMM=False) if _keep(t)]


def plain_tokens(text: str) -> list[str]:
    """Search-mode tokens with nothing added: what a plain BM25 comparator indexes (bench/matching)."""
    return [t.strip().lower() for t in tokenizer().cut_for_search(text or "", HMM=False) if _keep(t)]
