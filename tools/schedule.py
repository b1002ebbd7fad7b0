# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Recurrence dates and local wall-clock times, the way a person expects them.

Pure Python (pytz and dateutil, both required by Odoo), no ``odoo`` import.

* Every occurrence is computed from the first date (the anchor), never from
  the previous occurrence: a monthly message on the 31st goes out on the last
  day of shorter months and is back on the 31st afterwards; a yearly message on
  29 February goes out on 28 February in other years, and on the 29th again in
  leap years.
* Times are local wall-clock times in a named time zone, converted to UTC per
  occurrence, so 09:00 stays 09:00 across daylight-saving changes. A time that
  does not exist on a given day (skipped by the clock change) is sent when the
  clock shows the same time after the jump (02:30 -> 03:30); a time that occurs
  twice (clock set back) is sent at its first occurrence.
"""

from datetime import date, datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

NONE = "none"
DAILY = "daily"
WEEKLY = "weekly"
MONTHLY = "monthly"
YEARLY = "yearly"
RECURRENCES = (NONE, DAILY, WEEKLY, MONTHLY, YEARLY)


def occurrence_date(start: date, recurrence: str, interval: int, index: int) -> date:
    """The local date of occurrence ``index`` (0 is ``start`` itself)."""
    if index < 0:
        raise ValueError("index must be positive")
    if index == 0:
        return start
    step = max(interval or 1, 1) * index
    if recurrence == DAILY:
        return start + timedelta(days=step)
    if recurrence == WEEKLY:
        return start + timedelta(weeks=step)
    if recurrence == MONTHLY:
        # relativedelta clamps to the month's last day; from the anchor each
        # time, so the 31st comes back after a 30-day month.
        return start + relativedelta(months=step)
    if recurrence == YEARLY:
        return start + relativedelta(years=step)
    raise ValueError(f"occurrence {index} of a message that does not repeat")


def hour_to_time(hour: float) -> time:
    """09.5 -> 09:30 (a float_time field to a time, minutes rounded)."""
    minutes = round((hour or 0.0) * 60)
    minutes = min(max(minutes, 0), 24 * 60 - 1)
    return time(minutes // 60, minutes % 60)


def localize(naive: datetime, tz_name: str) -> datetime:
    """``naive`` local wall-clock time made aware in ``tz_name``.

    A time skipped by a clock change is moved forward by the jump; a time that
    occurs twice is taken at its first occurrence."""
    tz = pytz.timezone(tz_name or "UTC")
    try:
        return tz.localize(naive, is_dst=None)
    except pytz.AmbiguousTimeError:
        return tz.localize(naive, is_dst=True)
    except pytz.NonExistentTimeError:
        return tz.normalize(tz.localize(naive, is_dst=False))


def local_to_utc(day: date, hour: float, tz_name: str) -> datetime:
    """Naive UTC datetime (as Odoo stores it) of ``day`` at ``hour`` local."""
    aware = localize(datetime.combine(day, hour_to_time(hour)), tz_name)
    return aware.astimezone(pytz.utc).replace(tzinfo=None)


def utc_to_local(naive_utc: datetime, tz_name: str) -> datetime:
    """Naive local datetime of a naive UTC datetime."""
    aware = pytz.utc.localize(naive_utc).astimezone(pytz.timezone(tz_name or "UTC"))
    return aware.replace(tzinfo=None)


def birthday_in_year(birthdate: date, year: int) -> date:
    """The day a birthday is celebrated in ``year`` (29 February -> 28 February
    in years that have none)."""
    return birthdate + relativedelta(years=year - birthdate.year)
