"""Every generator of demo, seed, test and benchmark identifiers produces codes that the shared validators accept
(GB 32100 with its GB 11714 organisation code, GB 11643 and the 2023 foreigners' permanent residence IDs).

The seeds themselves run through the service layer in each service's seed test (svc-talent's, svc-disbursement's,
svc-matching's), which refuses an invalid code; this test calls the generators directly, over the same ranges the
seeds use, plus the ones no seed test reaches (benchmarks, the disbursement test kit, the gateway's demo code).
"""

from __future__ import annotations

import importlib.util
import random
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from kunruyi_common.validators import parse_resident_id, parse_uscc

ROOT = Path(__file__).resolve().parents[1]


def _load(relative: str) -> ModuleType:
    """A script that is not a package (bench/…, a service's tests/…), loaded from its file."""
    path = ROOT / relative
    name = "demo_ids_" + path.with_suffix("").as_posix().replace("/", "_").replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _all_valid_usccs(codes: list[str]) -> None:
    assert codes and len(set(codes)) == len(codes)
    for code in codes:
        assert parse_uscc(code).code == code


def test_talent_seed_enterprises_and_talents() -> None:
    from kunruyi_talent import seed

    enterprises = [seed._enterprise(i)[0] for i in range(seed.ENTERPRISES)]
    _all_valid_usccs([e.uscc for e in enterprises])
    talents = [seed._talent(i, seed.ENTERPRISES) for i in range(seed.TALENTS)]
    kinds = {parse_resident_id(t.id_number).kind for t in talents}
    assert kinds == {"resident", "foreign_permanent_resident"}  # the demo has foreign talents too
    for t in talents:
        assert t.employer_uscc is None or parse_uscc(t.employer_uscc).code == t.employer_uscc


def test_talent_identifier_helpers() -> None:
    from kunruyi_talent.identifiers import make_foreign_resident_id, make_resident_id, make_uscc

    _all_valid_usccs([make_uscc(n) for n in range(0, 40_000, 7)])
    for n in range(0, 40_000, 7):
        assert parse_resident_id(make_resident_id(n)).kind == "resident"
        assert parse_resident_id(make_foreign_resident_id(n)).kind == "foreign_permanent_resident"


def test_matching_synthetic_usccs() -> None:
    from kunruyi_matching.synthetic.identifiers import make_uscc

    # The seed's conflicts (Random(k)) and demands (Random(1000 + i)), and the tests' Random(n).
    _all_valid_usccs([make_uscc(random.Random(k)) for k in range(2_000)])


def test_disbursement_seed_and_test_kit() -> None:
    from kunruyi_disbursement.seed import demo_uscc

    _all_valid_usccs([demo_uscc(n) for n in range(1, 1_000)])
    testkit = _load("svc-disbursement/tests/disbursement_testkit.py")
    _all_valid_usccs([testkit.make_uscc(n) for n in range(1, 10_000)])


def test_gateway_demo_code_is_the_talent_seeds_second_enterprise() -> None:
    from kunruyi_gateway.seed import DEMO_CODES
    from kunruyi_talent.identifiers import make_uscc
    from kunruyi_talent.seed import SEED_BASE

    targets = [target for _, kind, target, _, _ in DEMO_CODES if kind == "enterprise"]
    _all_valid_usccs(targets)
    assert targets == [make_uscc(SEED_BASE + 2)]


@pytest.mark.parametrize(
    ("script", "generator", "kind"),
    [
        ("bench/disbursement_pipeline/run.py", "uscc", "uscc"),
        ("bench/talent_registry/run.py", "resident_id", "resident_id"),
    ],
)
def test_benchmark_generators(script: str, generator: str, kind: str) -> None:
    make: Callable[[int], str] = getattr(_load(script), generator)
    codes = [make(n) for n in range(0, 2_000_000, 997)]
    if kind == "uscc":
        _all_valid_usccs(codes)
    else:
        assert len(set(codes)) == len(codes)
        for code in codes:
            assert parse_resident_id(code).number == code
