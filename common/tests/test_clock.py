"""The platform's dates are Beijing dates: at 17:30 UTC on 31 December it is already 1 January in Kunshan."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from kunruyi_common.clock import local_date, local_now, local_today

NEW_YEAR_IN_BEIJING = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)  # 01:30 on 1 January 2027 in Beijing


def test_at_the_year_boundary_the_local_date_is_already_the_new_year() -> None:
    assert NEW_YEAR_IN_BEIJING.date() == date(2026, 12, 31), "the UTC date is still the old year"
    assert local_today(NEW_YEAR_IN_BEIJING) == date(2027, 1, 1)
    assert local_today(NEW_YEAR_IN_BEIJING).year == 2027, "a yearly period is the new year's"
    # Midnight in Beijing is 16:00 UTC.
    assert local_date(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == date(2026, 12, 31)
    assert local_date(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == date(2027, 1, 1)


def test_local_now_is_utc_plus_eight_whatever_the_input_zone() -> None:
    moment = local_now(NEW_YEAR_IN_BEIJING)
    assert (moment.year, moment.month, moment.day, moment.hour, moment.minute) == (2027, 1, 1, 1, 30)
    assert moment.utcoffset() == timedelta(hours=8)
    assert local_now(NEW_YEAR_IN_BEIJING.astimezone(timezone(timedelta(hours=-5)))) == moment
    assert local_now(NEW_YEAR_IN_BEIJING.replace(tzinfo=None)) == moment, "a naive moment is UTC"
    assert local_now().utcoffset() == timedelta(hours=8)
