"""The scheduled batch: the waiting queue is retried without anyone pressing a button, e.g. when a new month
gives a broker their capacity back. Real commits on a database of its own; ``run_once`` is one tick of the job."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from kunruyi_common.crypto import FieldCipher
from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_common.periodic import PeriodicTask
from kunruyi_common.settings import DEV_PII_KEY
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import migrated_database, staff
from kunruyi_matching.broker import service as broker_service
from kunruyi_matching.broker.scheduler import JOB, assign_waiting
from kunruyi_matching.broker.schemas import BrokerCreate
from kunruyi_matching.demand import service as demand_service
from kunruyi_matching.demand.models import Demand
from kunruyi_matching.demand.schemas import DemandCreate, DemandReview
from kunruyi_matching.synthetic.identifiers import make_uscc
from sqlalchemy import select, update


@pytest.fixture(scope="session")
def scheduler_db_url(infra: Infra) -> str:
    return migrated_database(infra, "kunruyi_matching", "matching_scheduler")


CIPHER = FieldCipher.from_b64(DEV_PII_KEY)


async def test_the_schedule_assigns_waiting_demands_when_capacity_returns(scheduler_db_url: str) -> None:
    engine = create_engine(scheduler_db_url, pool_size=2)
    sm = create_sessionmaker(engine)
    woken: list[bool] = []
    scheduler = PeriodicTask(
        service="matching",
        job=JOB,
        sessionmaker=sm,
        tick=assign_waiting,
        interval_s=3600,
        after_commit=lambda: woken.append(True),
    )

    async def tick() -> object:
        outcome, run = await scheduler.run_once()
        assert outcome == "ran"
        return run

    officer = staff("officer")
    try:
        assert await tick() is None  # nothing waits: no run recorded
        async with sm() as session, session.begin():
            await broker_service.create(
                session,
                BrokerCreate(
                    subject="sched-b",
                    name="冯经纪",
                    agency="昆山技术转移中心",
                    certification="中级",
                    chains=["semiconductor"],
                    monthly_capacity=1,
                ),
            )
            ids = []
            for n in range(2):
                demand, _ = await demand_service.submit(
                    session,
                    DemandCreate(
                        enterprise_uscc=make_uscc(random.Random(n)),
                        title=f"芯片测试需求{n}",
                        description="需要芯片测试方案",
                        industry_chain="semiconductor",
                        technical_field="ic_design",
                        demand_type="检测服务",
                    ),
                    officer,
                    cipher=CIPHER,
                )
                await demand_service.review(
                    session, demand.id, DemandReview(decision="approve"), officer, cipher=CIPHER
                )
                ids.append(demand.id)

        run = await tick()
        assert run is not None and (run.considered, run.assigned) == (2, 1) and woken == [True]
        async with sm() as session:
            rows = {d.id: d for d in (await session.execute(select(Demand))).scalars()}
        first = next(i for i in ids if rows[i].status == "assigned")
        second = next(i for i in ids if i != first)
        assert rows[first].assignment_mode == "batch" and rows[second].status == "unassigned"

        # Still full this month: the next tick changes nothing.
        run = await tick()
        assert run is not None and run.assigned == 0

        # A new month: last month's assignment no longer counts against the capacity.
        async with sm() as session, session.begin():
            await session.execute(
                update(Demand)
                .where(Demand.id == first)
                .values(assigned_at=datetime.now(UTC) - timedelta(days=40))
            )
        run = await tick()
        assert run is not None and run.assigned == 1
        async with sm() as session:
            again = await session.get(Demand, second)
            assert again is not None and again.status == "assigned" and again.stage == "assigned"
        assert await tick() is None
    finally:
        await engine.dispose()
