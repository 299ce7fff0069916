"""The service desk's health as metrics, for the alert rules and the time-to-first-reply objective (docs/slo.md):
a periodic check counts open tickets and the overdue ones among them; a ticket's first reply is timed and marked
in time or late against its deadline (working days, set when it was submitted).

Every replica runs the check and exports the same values (the rules take ``max()``).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from kunruyi_common.clock import local_date
from kunruyi_common.health_checks import PeriodicCheck
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import text

from kunruyi_talent.models import Ticket

TICKETS_AWAITING_REPLY = Gauge(
    "kunruyi_talent_tickets_awaiting_reply", "Tickets not replied to yet (open, any department)"
)
TICKETS_OVERDUE = Gauge(
    "kunruyi_talent_tickets_overdue",
    "Tickets flagged overdue (past their reply deadline, by the desk's scan) and still not replied to",
)
FIRST_REPLIES = Counter(
    "kunruyi_talent_ticket_first_replies_total",
    "Tickets replied to for the first time, by whether the reply came by the ticket's deadline",
    ["in_time"],
)
for _in_time in ("true", "false"):
    FIRST_REPLIES.labels(_in_time)  # both at zero from the start, so rate() sees the first late reply
FIRST_REPLY_SECONDS = Histogram(
    "kunruyi_talent_ticket_first_reply_seconds",
    "From a ticket's submission to its first reply",
    buckets=(3600, 4 * 3600, 8 * 3600, 86400, 2 * 86400, 3 * 86400, 5 * 86400, 7 * 86400, 10 * 86400),
)


def observe_first_reply(ticket: Ticket, now: datetime) -> None:
    """Called when a ticket is replied to for the first time (in the reply's unit of work: a reply whose
    transaction then fails was still counted; rare, and on the safe side of the objective only when on time)."""
    FIRST_REPLIES.labels("true" if local_date(now) <= ticket.deadline else "false").inc()
    FIRST_REPLY_SECONDS.observe(max(0.0, (now - ticket.submitted_at).total_seconds()))


async def check_tickets(app: FastAPI) -> None:
    async with app.state.sessionmaker() as session:
        row = (
            await session.execute(
                text(
                    "SELECT count(*) AS open, count(*) FILTER (WHERE overdue_at IS NOT NULL) AS overdue "
                    "FROM tickets WHERE replied_at IS NULL AND status NOT IN ('resolved', 'closed')"
                )
            )
        ).one()
    TICKETS_AWAITING_REPLY.set(int(row.open))
    TICKETS_OVERDUE.set(int(row.overdue))


CHECKS = (PeriodicCheck("tickets", check_tickets, 60.0),)
