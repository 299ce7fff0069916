"""The service desk's metrics: a ticket's first reply is counted in time or late against its deadline (the
time-to-first-reply objective), and the periodic check counts tickets awaiting a reply and overdue ones."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from kunruyi_talent.health_checks import check_tickets
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.servicedesk import service
from kunruyi_talent.servicedesk.schemas import TicketCreate
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def submit_at(session: AsyncSession, settings: Any, when: datetime) -> str:
    pii = PersonalData(settings.pii_key, settings.blind_index_key)
    ticket, _ = await service.submit(
        session,
        settings,
        pii,
        TicketCreate(type="政策咨询", title="t", channel="window", requester_phone="13700000000"),  # type: ignore[call-arg]
        None,
        now=when,
    )
    return ticket.ticket_number


async def reply(session: AsyncSession, number: str, when: datetime) -> None:
    ticket = await service.get_by_number(session, number)
    for step in ("accepted", "in_progress"):
        await service.move(session, ticket, step, "staff:x", now=when)
    await service.move(session, ticket, "replied", "staff:x", reply="答复", now=when)


async def test_first_replies_in_time_or_late_and_overdue_tickets(
    session: AsyncSession, settings: Any
) -> None:
    monday = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 政策咨询: 3 working days → deadline Thursday 2026-03-05
    on_time = await submit_at(session, settings, monday)
    late = await submit_at(session, settings, monday)
    never = await submit_at(session, settings, monday)
    in_time_before, late_before = (
        sample("kunruyi_talent_ticket_first_replies_total", in_time="true"),
        sample("kunruyi_talent_ticket_first_replies_total", in_time="false"),
    )
    replies_before = sample("kunruyi_talent_ticket_first_reply_seconds_count")

    await reply(session, on_time, datetime(2026, 3, 5, 8, 0, tzinfo=UTC))
    await reply(session, late, datetime(2026, 3, 6, 8, 0, tzinfo=UTC))
    assert sample("kunruyi_talent_ticket_first_replies_total", in_time="true") == in_time_before + 1
    assert sample("kunruyi_talent_ticket_first_replies_total", in_time="false") == late_before + 1
    assert sample("kunruyi_talent_ticket_first_reply_seconds_count") == replies_before + 2

    # A second reply (after a reopen) is not a first reply.
    ticket = await service.get_by_number(session, on_time)
    await service.move(session, ticket, "resolved", "staff:x", now=datetime(2026, 3, 5, 9, 0, tzinfo=UTC))
    await service.move(session, ticket, "in_progress", "staff:x", now=datetime(2026, 3, 7, 9, 0, tzinfo=UTC))
    await service.move(
        session, ticket, "replied", "staff:x", reply="再答复", now=datetime(2026, 3, 9, tzinfo=UTC)
    )
    assert sample("kunruyi_talent_ticket_first_reply_seconds_count") == replies_before + 2

    await service.flag_overdue(session, datetime(2026, 3, 6).date(), now=datetime(2026, 3, 6, 1, tzinfo=UTC))
    await session.flush()
    app = SimpleNamespace(
        state=SimpleNamespace(
            sessionmaker=async_sessionmaker(bind=session.bind, join_transaction_mode="create_savepoint")
        )
    )
    await check_tickets(app)  # type: ignore[arg-type]
    assert sample("kunruyi_talent_tickets_awaiting_reply") >= 1
    assert sample("kunruyi_talent_tickets_overdue") == 1, f"only {never} is overdue and unanswered"
