"""The reference lists an enterprise file is checked against, read from the platform's one taxonomy.

The lists live in ``kunruyi_common/taxonomy/taxonomy.json`` (shared by every service; officers extend the X list
there when the city adds a field). Industry chains follow Kunshan's "2+6+X" layout: two pillar industries
(电子信息, 装备制造), the strategic emerging chains and X frontier fields. svc-talent stores and publishes a chain
and a district by their Chinese names (the taxonomy's display names, which every consumer normalises), and
qualifications and platforms by their codes.
"""

from __future__ import annotations

from kunruyi_common.taxonomy import TAXONOMY

_CHAINS = TAXONOMY.industry_chains

# 区镇: the development zones and towns of Kunshan.
DISTRICTS: tuple[str, ...] = TAXONOMY.districts.names()

# The "2+6+X" chains themselves (a sub-chain such as 新能源 is filed under its chain, 新能源新材料).
_TOP = [t for t in _CHAINS if _CHAINS.parent_in_vocabulary(t.code) is None]
PILLAR_CHAINS = tuple(t.name for t in _TOP if t.tier == "2")
STRATEGIC_CHAINS = tuple(t.name for t in _TOP if t.tier == "6")
FRONTIER_CHAINS = tuple(t.name for t in _TOP if t.tier == "X")
INDUSTRY_CHAINS: tuple[str, ...] = PILLAR_CHAINS + STRATEGIC_CHAINS + FRONTIER_CHAINS

QUALIFICATIONS: dict[str, str] = {t.code: t.name for t in TAXONOMY.qualifications}
PLATFORMS: dict[str, str] = {t.code: t.name for t in TAXONOMY.platform_kinds}


def normalize_chain(value: str | None) -> str | None:
    """The "2+6+X" chain a code, name or alias belongs to (by its name); the value itself when the taxonomy does
    not know it (the caller refuses it); None when empty."""
    if value is None or not value.strip():
        return None
    code = _CHAINS.lookup(value)
    if code is None:
        return value.strip()
    return _CHAINS.display(_CHAINS.root(code))


def normalize_district(value: str) -> str | None:
    """The district's name from its name, code or an alias (玉山镇 → 高新区); None when unknown."""
    code = TAXONOMY.districts.lookup(value)
    return TAXONOMY.districts.display(code) if code else None


def normalize_platform(value: str) -> str | None:
    return TAXONOMY.platform_kinds.lookup(value)
