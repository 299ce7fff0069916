"""Hand-written supply profiles (experts and institutes) for the demo seed.

``profiles.psv`` is a copy of ``bench/matching/judged/supply.psv`` (a test keeps the two identical): profiles that
read like real ones — research lines, processes, equipment, materials, standards — with organisations that fit and
overlap across chains. People and companies are fictional.
"""

from __future__ import annotations

from importlib import resources

from kunruyi_matching.supply.schemas import SupplyIn

PROFILES = "profiles.psv"
CHAIN_CODES = {
    "ei": "electronic_information",
    "he": "high_end_equipment",
    "sc": "semiconductor",
    "od": "optoelectronic_display",
    "bio": "small_nucleic_acid_biomedicine",
    "icv": "intelligent_connected_vehicle",
    "sm": "smart_manufacturing",
    "ne": "new_energy",
    "ai": "artificial_intelligence",
    "nm": "new_materials",
    "ca": "commercial_aerospace",
}


def parse_profiles(text: str, *, key_prefix: str = "") -> list[SupplyIn]:
    """``id | kind | chain | field | region | name | organization | summary`` lines; ``#`` starts a comment."""
    records = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, kind, chain, field, region, name, org, summary = (c.strip() for c in line.split(" | "))
        records.append(
            SupplyIn.model_validate(
                {
                    "kind": kind,
                    "natural_key": key_prefix + key,
                    "name": name,
                    "organization": org,
                    "summary": summary,
                    "industry_chain": CHAIN_CODES[chain],
                    "technical_field": field,
                    "region": region,
                }
            )
        )
    return records


def load_profiles(key_prefix: str = "profile-") -> list[SupplyIn]:
    text = resources.files("kunruyi_matching.synthetic").joinpath(PROFILES).read_text(encoding="utf-8")
    return parse_profiles(text, key_prefix=key_prefix)
