"""The shared taxonomy as a contract: every vocabulary value a producer can put in an event is mapped by every
consumer of that event — nothing a producer emits becomes ``None`` (or a default) on the other side.

Producers here: svc-talent's enterprise and person events (industry_chain, district, qualifications, platforms),
whose values come from its reference lists. Consumers: svc-policy (rule variables' dictionaries) and svc-matching
(chain and field codes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pytest
from kunruyi_common.errors import UnknownIndustryChain, UnknownTaxonomyTerm
from kunruyi_common.taxonomy import TAXONOMY, Taxonomy, load
from kunruyi_matching.taxonomy import normalise_chain as matching_chain
from kunruyi_matching.taxonomy import normalise_field as matching_field
from kunruyi_policy.rules import variables as policy
from kunruyi_talent.enterprise import reference as talent

Check = Callable[[str], bool]


def producer_values() -> dict[str, tuple[str, ...]]:
    """What svc-talent can publish, per vocabulary (read at call time, so a test can add a value)."""
    chains = {
        talent.normalize_chain(v) or v for t in TAXONOMY.industry_chains for v in (t.code, t.name, *t.aliases)
    }
    return {
        "industry_chain": tuple(sorted(set(talent.INDUSTRY_CHAINS) | chains)),
        "district": talent.DISTRICTS,
        "qualifications": tuple(talent.QUALIFICATIONS),
        "platforms": tuple(talent.PLATFORMS),
    }


def consumers() -> dict[str, dict[str, Check]]:
    return {
        "industry_chain": {
            "svc-policy": lambda v: v in policy.INDUSTRY_CHAINS,
            "svc-matching": lambda v: matching_chain(v) is not None,
        },
        "district": {"svc-policy": lambda v: v in policy.DISTRICTS},
        "qualifications": {"svc-policy": lambda v: v in policy.ENTERPRISE_QUALIFICATIONS},
        "platforms": {"svc-policy": lambda v: v in policy.PLATFORMS},
    }


def unmappable(values: Mapping[str, Iterable[str]], checks: dict[str, dict[str, Check]]) -> list[str]:
    return [
        f"{consumer} cannot map {vocabulary}={value!r}"
        for vocabulary, produced in values.items()
        for consumer, understands in checks[vocabulary].items()
        for value in produced
        if not understands(value)
    ]


def test_every_value_a_producer_can_emit_normalises_in_every_consumer() -> None:
    problems = unmappable(producer_values(), consumers())
    assert not problems, "\n".join(problems)
    # The four chains svc-matching used to drop (an expert in them lost their chain):
    for name in ("新能源新材料", "元宇宙", "量子科技", "人形机器人"):
        assert matching_chain(name) is not None


def test_a_chain_a_consumer_cannot_map_fails_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check is not vacuous: svc-talent starting to publish a chain outside the taxonomy is caught."""
    monkeypatch.setattr(talent, "INDUSTRY_CHAINS", (*talent.INDUSTRY_CHAINS, "火星产业"))
    problems = unmappable(producer_values(), consumers())
    assert problems == [
        "svc-policy cannot map industry_chain='火星产业'",
        "svc-matching cannot map industry_chain='火星产业'",
    ]


def test_technical_fields_hang_under_known_chains_and_every_chain_under_a_national_chain() -> None:
    for field in TAXONOMY.technical_fields:
        assert field.parents and field.parents[0] in TAXONOMY.industry_chains, field.code
        assert matching_field(field.name) == field.code
    for chain in TAXONOMY.industry_chains:
        national = [p for p in chain.parents if p in TAXONOMY.national_chains]
        assert national, f"{chain.code} is not mapped to the national chain list"


def test_normalise_returns_codes_and_refuses_unknown_values_with_the_field_named() -> None:
    chains = TAXONOMY.industry_chains
    assert chains.normalise(" 半导体 ") == chains.normalise("集成电路") == "semiconductor"
    assert chains.display("semiconductor") == "集成电路"
    assert chains.root(chains.normalise("新材料")) == "new_energy_materials"
    assert TAXONOMY.districts.normalise("玉山镇") == "high_tech_zone"
    with pytest.raises(UnknownIndustryChain) as chain_error:
        chains.normalise("火星产业", field="industry_chain")
    assert chain_error.value.field == "industry_chain" and chain_error.value.status == 422
    with pytest.raises(UnknownTaxonomyTerm) as district_error:
        TAXONOMY.districts.normalise("火星", field="district")
    assert district_error.value.field == "district"


def test_the_source_refuses_a_name_used_twice(tmp_path: Path) -> None:
    import json

    from kunruyi_common.taxonomy import SOURCE

    raw = json.loads(SOURCE.read_text(encoding="utf-8"))
    raw["vocabularies"]["districts"]["terms"].append({"code": "yushan", "name": "玉山镇"})
    path = tmp_path / "taxonomy.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match="玉山镇"):
        load(path)
    assert isinstance(TAXONOMY, Taxonomy) and TAXONOMY.version


def test_consumers_refuse_a_chain_outside_the_taxonomy_instead_of_dropping_it() -> None:
    """svc-policy and svc-matching turn svc-talent's values into their own through the taxonomy; a value outside
    it raises EventRejected (the kit dead-letters it with the reason and counts it) — never a silent None."""
    from kunruyi_common.events import EventRejected
    from kunruyi_matching.supply.consumer import TalentPerson, to_supply
    from kunruyi_policy.profiles.handlers import EnterpriseEventData, enterprise_profile

    profile = enterprise_profile(
        EnterpriseEventData(uscc="91320583MA1XXXXX9M", industry_chain="半导体", district="玉山镇")
    )
    assert (profile["industry_chain"], profile["district"]) == ("集成电路", "高新区")
    expert = to_supply(TalentPerson(talent_id="t-1", name="专家", industry_chain="量子科技", is_expert=True))
    assert expert.industry_chain == "quantum_technology"
    with pytest.raises(EventRejected) as policy_refused:
        enterprise_profile(EnterpriseEventData(uscc="91320583MA1XXXXX9M", industry_chain="火星产业"))
    assert policy_refused.value.reason == "unknown_industry_chain"
    with pytest.raises(EventRejected) as district_refused:
        enterprise_profile(EnterpriseEventData(uscc="91320583MA1XXXXX9M", district="火星"))
    assert district_refused.value.reason == "unknown_district"
    with pytest.raises(EventRejected) as matching_refused:
        to_supply(TalentPerson(talent_id="t-2", name="专家", industry_chain="火星产业", is_expert=True))
    assert matching_refused.value.reason == "unknown_industry_chain"
