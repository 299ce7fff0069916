"""Kunshan's industry chains ("2+6+X") and the technical fields, as svc-matching reads them.

The lists live in the shared taxonomy (``kunruyi_common/taxonomy/taxonomy.json``; edit there and grow
``text/domain_dict.txt`` with new terms); demands, supply and brokers are validated against these codes, and the
synthetic generator writes its text from the fields' keywords.
"""

from __future__ import annotations

from dataclasses import dataclass

from kunruyi_common.taxonomy import TAXONOMY


@dataclass(frozen=True)
class IndustryChain:
    code: str
    name: str
    tier: str  # "2" leading industries, "6" strategic emerging industries, "X" future industries
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class TechnicalField:
    code: str
    name: str
    category: str
    chain: str
    ipc: tuple[str, ...]
    keywords: tuple[str, ...]


# Both lists come from the platform's one taxonomy (kunruyi_common/taxonomy/taxonomy.json): a chain svc-talent
# registers an expert under is a chain here too.
INDUSTRY_CHAINS: tuple[IndustryChain, ...] = tuple(
    IndustryChain(t.code, t.name, t.tier or "X", t.aliases) for t in TAXONOMY.industry_chains
)

TECHNICAL_FIELDS: tuple[TechnicalField, ...] = tuple(
    TechnicalField(
        t.code,
        t.name,
        str(t.attrs["category"]),
        t.parents[0],
        tuple(t.attrs["ipc"]),
        tuple(t.attrs["keywords"]),
    )
    for t in TAXONOMY.technical_fields
)

CHAINS_BY_CODE = {c.code: c for c in INDUSTRY_CHAINS}
FIELDS_BY_CODE = {f.code: f for f in TECHNICAL_FIELDS}


DEMAND_TYPES = ("技术攻关", "成果转化", "人才引进", "设备共享", "检测服务")
CHANNELS = ("api", "qr", "yiqilaiban", "activity")
VISIBILITIES = ("public", "brokers", "private")
SUPPLY_KINDS = ("expert", "institute", "result", "park", "company")
SUPPLY_KIND_NAMES = {
    "expert": "专家",
    "institute": "院所",
    "result": "成果",
    "park": "园区",
    "company": "企业",
}


def normalise_chain(value: str | None) -> str | None:
    """A chain code from a code, its Chinese name or an alias; None when unknown."""
    return TAXONOMY.industry_chains.lookup(value)


def normalise_field(value: str | None) -> str | None:
    return TAXONOMY.technical_fields.lookup(value)


def field_category(code: str | None) -> str | None:
    field = FIELDS_BY_CODE.get(code or "")
    return field.category if field else None


def field_for_ipc(ipc: str | None) -> str | None:
    """The first field whose IPC subclass prefixes ``ipc`` (e.g. "H01L 21/56" → advanced_packaging)."""
    if not ipc:
        return None
    head = ipc.replace(" ", "")[:4].upper()
    for field in TECHNICAL_FIELDS:
        if head in field.ipc:
            return field.code
    return None
