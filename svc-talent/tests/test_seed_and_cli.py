"""The demo seed (idempotent, through the service layer) and the import CLI."""

from __future__ import annotations

import asyncio
from pathlib import Path

from kunruyi_common.db import create_engine
from kunruyi_common.validators import is_valid_uscc
from kunruyi_launcher.testing import migrated_database
from kunruyi_talent.cli import handle
from kunruyi_talent.identifiers import make_uscc
from kunruyi_talent.seed import seed
from kunruyi_talent.settings import Settings
from sqlalchemy import text

# The demo's full size (300/300/120) is what `python -m kunruyi_talent seed` loads; a smaller run keeps the
# suite fast and exercises the same code.
ENTERPRISES, TALENTS, TICKETS = 60, 60, 30

COUNTS = """
SELECT (SELECT count(*) FROM enterprises), (SELECT count(*) FROM talents),
       (SELECT count(*) FROM tickets WHERE campaign_id IS NULL),
       (SELECT count(*) FROM housing_projects), (SELECT count(*) FROM outbox_events),
       (SELECT count(DISTINCT status) FROM tickets), (SELECT count(*) FROM talents WHERE is_expert),
       (SELECT count(DISTINCT district) FROM enterprises), (SELECT count(*) FROM housing_offers)
"""


async def test_seed_is_idempotent_and_covers_the_demo(infra, settings) -> None:  # type: ignore[no-untyped-def]
    url = await asyncio.to_thread(migrated_database, infra, "kunruyi_talent", "talent_seed")
    seed_settings = Settings(database_url=url, nats_url=settings.nats_url)
    await seed(seed_settings, enterprises=ENTERPRISES, talents=TALENTS, tickets=TICKETS)
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            first = (await conn.execute(text(COUNTS))).one()
        await seed(seed_settings, enterprises=ENTERPRISES, talents=TALENTS, tickets=TICKETS)
        async with engine.connect() as conn:
            second = (await conn.execute(text(COUNTS))).one()
            registered = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM outbox_events WHERE type = 'kunruyi.talent.enterprise.registered'"
                    )
                )
            ).scalar_one()
            usccs = list((await conn.execute(text("SELECT uscc FROM enterprises"))).scalars())
    finally:
        await engine.dispose()
    assert first == second
    # The seed went through the service layer, which validates; the stored codes are valid USCCs (GB 11714 too).
    assert len(usccs) == ENTERPRISES and all(is_valid_uscc(code) for code in usccs)
    enterprises, talents, tickets, projects, _events, states, experts, districts, offers = first
    assert (enterprises, talents, tickets, projects) == (ENTERPRISES, TALENTS, TICKETS, 3)
    assert states == 6 and experts == TALENTS // 10 and districts == 12 and offers > 0
    assert registered == ENTERPRISES


async def test_the_seeded_service_month_reproduces_the_seed_figures(infra, settings) -> None:  # type: ignore[no-untyped-def]
    """001_*: five teams, 167 companies visited, 201 problems, 100 % replied, 98 % solved — counted back by the
    campaign statistics (and by hand from the rows)."""
    from kunruyi_common.db import create_sessionmaker
    from kunruyi_talent.campaigns import service as campaigns
    from kunruyi_talent.seed import MONTH_CODE

    url = await asyncio.to_thread(migrated_database, infra, "kunruyi_talent", "talent_month")
    await seed(Settings(database_url=url, nats_url=settings.nats_url), enterprises=167, talents=0, tickets=0)
    engine = create_engine(url, pool_size=1)
    try:
        async with create_sessionmaker(engine)() as session:
            campaign = await campaigns.get(session, MONTH_CODE)
            totals, by_team, by_district = await campaigns.stats(session, campaign)
            raw = (
                await session.execute(
                    text(
                        "SELECT count(*), count(replied_at), count(*) FILTER (WHERE status IN ('resolved', 'closed')),"
                        " count(DISTINCT visit_id) FROM tickets WHERE campaign_id = :c"
                    ),
                    {"c": campaign.id},
                )
            ).one()
    finally:
        await engine.dispose()
    assert (totals.visits, totals.visited_targets, totals.targets) == (167, 167, 167)
    assert (totals.problems, totals.replied, totals.solved) == (201, 201, 197) == tuple(raw[:3])
    assert (totals.reply_rate, round(totals.solve_rate or 0, 2)) == (1.0, 0.98)
    assert len(by_team) == 5 and sum(t.problems for t in by_team) == 201
    assert sum(d.visits for d in by_district) == 167


async def test_import_cli_with_progress(infra, settings, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    url = await asyncio.to_thread(migrated_database, infra, "kunruyi_talent", "talent_cli")
    csv_file = tmp_path / "企业.csv"
    csv_file.write_text(
        f"统一社会信用代码,企业名称,区镇\n{make_uscc(901)},昆山一号,陆家\n{make_uscc(902)[:17]}0,昆山二号,千灯\n",
        encoding="utf-8",
    )

    class CliSettings(Settings):
        database_url: str = url

    code = await asyncio.to_thread(handle, ["import", "enterprises", str(csv_file)], CliSettings)
    out = capsys.readouterr()
    assert '"created": 1' in out.out and '"failed"' in out.out
    assert code == (0 if make_uscc(902)[17] == "0" else 1)
    assert "导入 企业.csv" in out.err  # the tqdm progress bar
    assert handle(["serve"], CliSettings) is None
