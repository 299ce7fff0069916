"""The index refresher reads committed rows only: a rolled-back write never reaches the index (no ghosts)."""

import pytest
from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import migrated_database
from kunruyi_matching.search.index import Filters
from kunruyi_matching.search.lifecycle import IndexKeeper
from kunruyi_matching.settings import Settings
from kunruyi_matching.supply.schemas import SupplyIn
from kunruyi_matching.supply.service import upsert
from kunruyi_matching.text.segmenter import index_tokens


@pytest.fixture(scope="session")
def keeper_db_url(infra: Infra) -> str:
    return migrated_database(infra, "kunruyi_matching", "matching_keeper")


async def test_refresh_applies_commits_only_and_follows_versions(keeper_db_url: str, infra: Infra) -> None:
    engine = create_engine(keeper_db_url, pool_size=2)
    sm = create_sessionmaker(engine)
    keeper = IndexKeeper(
        sm, Settings(database_url=keeper_db_url, nats_url=infra.nats_url, index_refresh_interval_s=3600)
    )
    try:
        await keeper.build()
        async with sm() as session:
            async with session.begin():
                await upsert(
                    session,
                    SupplyIn(kind="expert", natural_key="ghost", name="幽灵", summary="光刻胶"),
                    "test",
                )
                await session.rollback()
        assert await keeper.tick() == 0
        assert keeper.index.search("expert", index_tokens("光刻胶"), Filters(), 10) == []

        async with sm() as session, session.begin():
            await upsert(
                session, SupplyIn(kind="expert", natural_key="real", name="真人", summary="光刻胶"), "test"
            )
        assert await keeper.tick() == 1
        hits = keeper.index.search("expert", index_tokens("光刻胶"), Filters(), 10)
        assert len(hits) == 1 and hits[0].doc.version == 1
        assert await keeper.tick() == 0  # the overlap window re-reads the row; same version, nothing changes

        async with sm() as session, session.begin():
            await upsert(
                session, SupplyIn(kind="expert", natural_key="real", name="真人", summary="离子注入"), "test"
            )
        assert await keeper.tick() == 1
        assert keeper.index.search("expert", index_tokens("光刻胶"), Filters(), 10) == []
        assert len(keeper.index.search("expert", index_tokens("离子注入"), Filters(), 10)) == 1
    finally:
        await engine.dispose()
