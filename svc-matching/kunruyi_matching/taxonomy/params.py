from __future__ import annotations

from kunruyi_common.errors import UnknownIndustryChain

from kunruyi_matching.taxonomy.data import normalise_chain


def known_chain(value: str, field: str = "industry_chain") -> str:
    """A chain code from a query parameter (code or Chinese name), or a 422 naming the parameter."""
    code = normalise_chain(value)
    if code is None:
        raise UnknownIndustryChain(f"未知产业链：{value[:64]!r}", field=field)
    return code
