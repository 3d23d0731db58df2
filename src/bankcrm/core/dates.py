"""Calendar helpers shared by every app: month starts and month arithmetic."""

from __future__ import annotations

import datetime as dt


def months_before(d: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` months before the month of ``d`` (negative:
    after)."""
    y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
    return dt.date(y, m + 1, 1)


def shift_months(d: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (earlier when negative), or that month's last day."""
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    first = dt.date(y, m + 1, 1)
    last_day = (months_before(first, -1) - dt.timedelta(days=1)).day
    return first.replace(day=min(d.day, last_day))


def month_starts(end: dt.date, months: int) -> list[dt.date]:
    """The first day of each of the `months` months ending with the month of `end`."""
    return [months_before(end, k) for k in range(months - 1, -1, -1)]


def day_start_utc(d: dt.date) -> dt.datetime:
    """Midnight UTC at the start of ``d``: the bound of a date range over timestamps."""
    return dt.datetime.combine(d, dt.time.min, tzinfo=dt.UTC)
