"""`python -m kunruyi_policy seed` is idempotent, and the synthetic generator makes catalogs of any size."""

import pytest
from kunruyi_policy.demo.seed import seed
from kunruyi_policy.demo.synthetic import compile_items, synthetic_catalog
from kunruyi_policy.models import Policy
from kunruyi_policy.rules.validation import validate_version
from kunruyi_policy.settings import Settings
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession


async def test_seeding_again_adds_nothing(
    settings: Settings, session: AsyncSession, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (await session.execute(select(func.count()).select_from(Policy))).scalar_one()
    await seed(settings)
    assert "0 demo policies added" in capsys.readouterr().out
    assert (await session.execute(select(func.count()).select_from(Policy))).scalar_one() == before >= 463


def test_synthetic_catalog_of_463_valid_items() -> None:
    items = synthetic_catalog(463)
    assert len({i["code"] for i in items}) == 463
    for item in items[:150]:
        # a team item reads the team variables (core_member_count …), validated against the team dictionary
        assert (
            validate_version(
                item["beneficiary"], item["criteria"], item["amount"], item["parameters"], mode=item["mode"]
            )
            == []
        )
    assert len(compile_items(items)) == 463
