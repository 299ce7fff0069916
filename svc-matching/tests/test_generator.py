"""The synthetic supply generator writes from per-field knowledge (synthetic/field_knowledge.txt), not templates."""

import random
import re
from collections import Counter
from importlib import resources

import pytest
from kunruyi_matching.synthetic.generator import KEYS, generate, generate_record, knowledge, parse_knowledge
from kunruyi_matching.taxonomy.data import FIELDS_BY_CODE, TECHNICAL_FIELDS


def test_every_field_has_its_knowledge_and_the_file_is_well_formed() -> None:
    known = knowledge()
    assert set(known) == set(FIELDS_BY_CODE)
    for k in known.values():
        assert len(k.lines) >= 5 and len(k.processes) >= 5 and len(k.orgs) >= 3, k.code
        assert all(code in FIELDS_BY_CODE and code != k.code for code in k.near), k.code
        assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9 \-]*", short) for short in k.abbr.values()), k.abbr
    text = resources.files("kunruyi_matching.synthetic").joinpath("field_knowledge.txt").read_text("utf-8")
    assert parse_knowledge(text) == known
    with pytest.raises(ValueError):
        parse_knowledge("[ic_design]\nlines: 模拟芯片设计\n")
    assert KEYS[-1] == "near"


def test_records_read_like_profiles_of_their_field() -> None:
    records = list(generate(2000, seed=4))
    assert records == list(generate(2000, seed=4))  # reproducible
    summaries = [r["summary"] for r in records]
    # Many distinct sentence shapes, not three templates: the first six characters of a summary vary a lot.
    assert len({s[:6] for s in summaries if len(s) > 6}) > 200
    for r in records[:400]:
        field = FIELDS_BY_CODE[r["technical_field"]]
        k = knowledge()[field.code]
        vocabulary = [*field.keywords, *k.lines, *k.processes, *k.materials, *k.equipment]
        assert sum(1 for word in vocabulary if word in r["summary"]) >= 2, r
    experts = [r for r in records if r["kind"] == "expert"]
    fitting = [r for r in experts if r["organization"] in knowledge()[r["technical_field"]].orgs]
    assert len(fitting) > len(experts) / 3
    # English abbreviations mixed in, lines borrowed from a neighbouring field, near-duplicates, terse rows.
    assert sum(1 for s in summaries if re.search(r"[A-Za-z]{2,}", s)) > len(summaries) / 5
    assert sum(1 for s in summaries if re.search("兼做|曾为|合作开展", s)) > len(summaries) / 10
    repeated = Counter(summaries)
    assert any(n > 1 for n in repeated.values())
    assert sum(1 for s in summaries if "。" not in s) > len(summaries) / 20


def test_a_record_is_the_same_whoever_asks_for_it() -> None:
    field = TECHNICAL_FIELDS[3]
    assert generate_record(7, random.Random(1), field) == generate_record(7, random.Random(1), field)
