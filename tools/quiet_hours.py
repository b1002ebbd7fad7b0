# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""When a text may reach its recipient: quiet hours in the recipient's time.

Pure Python (standard library and ``phonenumbers``), no Odoo import.

A *week* is a tuple of seven lists (Monday first) of allowed ``(start, end)``
intervals in minutes after local midnight. The rules are data:

- ``US_FEDERAL``: 8:00-21:00 every day, the recipient's local time
  (47 CFR 64.1200(c)(1));
- ``US_STATES``: narrower state windows (Florida, Oklahoma, Maryland,
  Mississippi and New Jersey 8:00-20:00; Connecticut 9:00-20:00; Texas
  9:00-21:00 Monday to Saturday and 12:00-21:00 on Sunday; Rhode Island
  9:00-18:00 on weekdays and 10:00-17:00 at weekends);
- the company's own quiet hours, on top, in the company's time zone
  (``company_week``): the business's own hours.

``next_allowed`` answers None when a text may go now, else the first moment
(UTC) when every applicable window is open in every candidate time zone of
the recipient. Texts are postponed, never dropped.

Where the recipient is: the contact's time zone when set, else the zones
``phonenumbers`` knows for the number (all of them, so the answer is safe when
a number spans several); the US state comes from the number's area code
(``phonenumbers.geocoder``), which is what US rules allow when the address is
unknown.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import geocoder, timezone

MINUTES_PER_DAY = 24 * 60
HORIZON = timedelta(days=14)


class NoOverlap(ValueError):
    """The windows given never open at the same time."""


ALWAYS = tuple([(0, MINUTES_PER_DAY)] for _day in range(7))


def every_day(start_hour, end_hour):
    return tuple([(int(start_hour * 60), int(end_hour * 60))] for _day in range(7))


def by_weekday(weekday, weekend):
    """Mon-Fri ``weekday``, Sat-Sun ``weekend`` (hour pairs)."""
    return tuple(
        [(int(hours[0] * 60), int(hours[1] * 60))]
        for hours in (weekday,) * 5 + (weekend,) * 2
    )


US_FEDERAL = every_day(8, 21)
US_STATES = {
    "FL": every_day(8, 20),
    "OK": every_day(8, 20),
    "MD": every_day(8, 20),
    "MS": every_day(8, 20),
    "NJ": every_day(8, 20),
    "CT": every_day(9, 20),
    "TX": tuple([(9 * 60, 21 * 60)] for _day in range(6)) + ([(12 * 60, 21 * 60)],),
    "RI": by_weekday((9, 18), (10, 17)),
}
#: Country rules (ISO region code -> week); states refine them.
COUNTRIES = {"US": US_FEDERAL}
STATES = {"US": US_STATES}
#: The geocoder names some US numbers by state, others by "City, ST".
_STATE_NAMES = {
    "Florida": "FL",
    "Oklahoma": "OK",
    "Maryland": "MD",
    "Mississippi": "MS",
    "New Jersey": "NJ",
    "Connecticut": "CT",
    "Texas": "TX",
    "Rhode Island": "RI",
}


def intersect(*weeks):
    """The intervals open in every week."""
    result = ALWAYS
    for week in weeks:
        days = []
        for mine, theirs in zip(result, week, strict=True):
            day = []
            for a_start, a_end in mine:
                for b_start, b_end in theirs:
                    start, end = max(a_start, b_start), min(a_end, b_end)
                    if start < end:
                        day.append((start, end))
            days.append(sorted(day))
        result = tuple(days)
    return result


def company_week(quiet_from, quiet_until):
    """The allowed week outside a company's daily quiet hours (hours, floats).

    21.0 -> 8.0 allows 8:00-21:00; 12.0 -> 14.0 allows all but lunch.
    """
    start, end = int(quiet_from * 60), int(quiet_until * 60)
    if start == end:
        return ALWAYS
    if start > end:  # quiet over midnight
        day = [(end, start)]
    else:
        day = [(0, start), (end, MINUTES_PER_DAY)]
    return tuple(list(day) for _day in range(7))


def locate(number):
    """``(region, state, zones)`` of an E.164 number, as far as it is known."""
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return None, None, ()
    region = phonenumbers.region_code_for_number(parsed)
    zones = tuple(
        zone
        for zone in timezone.time_zones_for_number(parsed)
        if zone != timezone.UNKNOWN_TIMEZONE
    )
    state = None
    if region == "US":
        place = geocoder.description_for_number(parsed, "en")
        if len(place) > 4 and place[-4:-2] == ", ":
            state = place[-2:]
        else:
            state = _STATE_NAMES.get(place)
    return region, state, zones


def legal_week(region, state):
    """The week allowed by law where the recipient is (ALWAYS if no rule)."""
    weeks = [COUNTRIES.get(region, ALWAYS)]
    state_week = STATES.get(region, {}).get(state)
    if state_week:
        weeks.append(state_week)
    return intersect(*weeks)


def _zone(name):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def _next_in_zone(now, zone, week):
    """First UTC moment >= ``now`` open in ``week`` in ``zone``; None if never."""
    local = now.astimezone(zone)
    minute = local.hour * 60 + local.minute
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        for start, end in week[day.weekday()]:
            if offset == 0 and minute >= end:
                continue
            if offset == 0 and start <= minute:
                return now
            moment = datetime(day.year, day.month, day.day, tzinfo=zone)
            moment += timedelta(minutes=start)
            return moment.astimezone(UTC)
    return None


def next_allowed(now, constraints):
    """None if a text may go at ``now`` (aware or naive UTC); else the first
    UTC moment (aware) when it may.

    ``constraints`` is a list of ``(zones, week)``: ``week`` must be open in
    every time zone of ``zones`` (names; unknown ones are ignored, and with
    none left UTC is used).
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    rules = []
    for zones, week in constraints:
        infos = [zone for zone in map(_zone, zones) if zone] or [UTC]
        rules.extend((zone, week) for zone in infos)
    moment = now
    # Each rule may push the moment later, until all agree. Windows that
    # never overlap would push forever: give up after two weeks.
    while moment - now < HORIZON:
        later = moment
        for zone, week in rules:
            candidate = _next_in_zone(later, zone, week)
            if candidate is None:
                return None  # a week with no open interval: never block
            later = max(later, candidate)
        if later == moment:
            return None if moment == now else moment
        moment = later
    raise NoOverlap(constraints)


def next_allowed_for(
    now, number, partner_tz=None, company=None, company_tz=None, law=True
):
    """The whole rule for one recipient: the law where the number is, in the
    contact's time zone when known, else the number's; and the company's
    own quiet hours (``company`` = ``(quiet_from, quiet_until)`` or None) in
    the company's time zone, on top. ``law=False`` leaves the law out."""
    region, state, zones = locate(number) if number and law else (None, None, ())
    zone_names = (partner_tz,) if partner_tz and _zone(partner_tz) else zones
    constraints = [(zone_names, legal_week(region, state))]
    if company:
        constraints.append(((company_tz or "UTC",), company_week(*company)))
    try:
        return next_allowed(now, constraints)
    except NoOverlap:
        # The company's hours never meet the recipient's legal ones (a business
        # in Paris open 6:00-7:00 texting Los Angeles): the law decides.
        return next_allowed(now, constraints[:1])
