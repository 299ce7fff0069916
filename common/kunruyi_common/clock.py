"""The platform's one clock: Kunshan's local time (Asia/Shanghai, UTC+8, no daylight saving).

Timestamps are stored in UTC; dates that mean something to people — a fiscal period, a deadline, "today" — are
Beijing dates. Between 16:00 and 24:00 UTC the UTC date is still yesterday in Kunshan, so never take a business
date from ``date.today()`` or ``datetime.now(UTC).date()``: use :func:`local_today` (or :func:`local_date` of a
given moment).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utc_now() -> datetime:
    return datetime.now(UTC)


def local_now(now: datetime | None = None) -> datetime:
    """The moment ``now`` (default: this instant) in Asia/Shanghai; a naive ``now`` is taken as UTC."""
    moment = now or utc_now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TZ)


def local_date(moment: datetime) -> date:
    """The Beijing date of a moment (a naive moment is taken as UTC)."""
    return local_now(moment).date()


def local_today(now: datetime | None = None) -> date:
    """Today's date in Kunshan (at ``now`` when given)."""
    return local_now(now).date()
