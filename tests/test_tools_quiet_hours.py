# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Tests for tools/quiet_hours.py: US federal and state windows in the
recipient's local time, the company's own quiet hours in its time zone."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.addons.text_messaging.tools import quiet_hours as qh

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
CHICAGO = ZoneInfo("America/Chicago")
LA_NUMBER = "+12135550123"  # Los Angeles, CA
TX_NUMBER = "+17135550123"  # Houston, Texas
RI_NUMBER = "+14015550123"  # Rhode Island
FL_NUMBER = "+13055550123"  # Miami, Florida
CT_NUMBER = "+18605550123"  # Connecticut
NY_NUMBER = "+12125550123"  # New York, NY
UK_NUMBER = "+442071234567"


def local(zone, *args):
    return datetime(*args, tzinfo=zone)


@pytest.mark.parametrize(
    ("number", "region", "state", "zone"),
    [
        (LA_NUMBER, "US", "CA", "America/Los_Angeles"),
        (TX_NUMBER, "US", "TX", "America/Chicago"),
        (RI_NUMBER, "US", "RI", "America/New_York"),
        (FL_NUMBER, "US", "FL", "America/New_York"),
        (CT_NUMBER, "US", "CT", "America/New_York"),
        (UK_NUMBER, "GB", None, "Europe/London"),
    ],
)
def test_locate(number, region, state, zone):
    assert qh.locate(number) == (region, state, (zone,))


@pytest.mark.parametrize("number", ["", "garbage", "+999", "+1"])
def test_locate_unknown(number):
    assert qh.locate(number) == (None, None, ())


def test_los_angeles_from_a_new_york_company_at_half_past_eight():
    """A New York company whose own quiet hours start at 20:00 texts Los
    Angeles at 20:30 New York time (17:30 there): it waits for the company's
    morning, 8:00 in New York, which is 5:00 in Los Angeles, too early under
    federal law: so 8:00 Los Angeles time."""
    now = local(NEW_YORK, 2026, 12, 1, 20, 30)
    when = qh.next_allowed_for(
        now, LA_NUMBER, company=(20.0, 8.0), company_tz="America/New_York"
    )
    assert when == local(LOS_ANGELES, 2026, 12, 2, 8, 0)


def test_federal_window_in_the_recipients_time():
    # 21:30 in Los Angeles is 0:30 in New York: the law counts in LA.
    now = local(LOS_ANGELES, 2026, 12, 1, 21, 30)
    assert qh.next_allowed_for(now, LA_NUMBER) == local(LOS_ANGELES, 2026, 12, 2, 8)
    # 20:59 in Los Angeles: still allowed.
    assert (
        qh.next_allowed_for(local(LOS_ANGELES, 2026, 12, 1, 20, 59), LA_NUMBER) is None
    )
    # 7:59 waits one minute.
    assert qh.next_allowed_for(
        local(LOS_ANGELES, 2026, 12, 1, 7, 59), LA_NUMBER
    ) == local(LOS_ANGELES, 2026, 12, 1, 8, 0)


def test_texas_sunday_waits_until_noon():
    sunday_morning = local(CHICAGO, 2026, 12, 6, 10, 0)
    assert sunday_morning.weekday() == 6
    assert qh.next_allowed_for(sunday_morning, TX_NUMBER) == local(
        CHICAGO, 2026, 12, 6, 12, 0
    )
    # Saturday 10:00 is fine in Texas.
    assert qh.next_allowed_for(local(CHICAGO, 2026, 12, 5, 10, 0), TX_NUMBER) is None
    # Saturday 8:30: Texas opens at 9:00 (federal law would allow it).
    assert qh.next_allowed_for(local(CHICAGO, 2026, 12, 5, 8, 30), TX_NUMBER) == local(
        CHICAGO, 2026, 12, 5, 9, 0
    )


def test_rhode_island_weekends_and_evenings():
    assert qh.next_allowed_for(local(NEW_YORK, 2026, 12, 5, 9, 30), RI_NUMBER) == local(
        NEW_YORK, 2026, 12, 5, 10, 0
    )
    # Friday 18:30 -> Saturday 10:00.
    assert qh.next_allowed_for(
        local(NEW_YORK, 2026, 12, 4, 18, 30), RI_NUMBER
    ) == local(NEW_YORK, 2026, 12, 5, 10, 0)


@pytest.mark.parametrize(
    ("number", "allowed_at_2030"),
    [(FL_NUMBER, False), (CT_NUMBER, False), (NY_NUMBER, True)],
)
def test_states_closing_at_eight(number, allowed_at_2030):
    now = local(NEW_YORK, 2026, 12, 1, 20, 30)
    assert (qh.next_allowed_for(now, number) is None) is allowed_at_2030


def test_connecticut_opens_at_nine():
    assert qh.next_allowed_for(local(NEW_YORK, 2026, 12, 1, 8, 30), CT_NUMBER) == local(
        NEW_YORK, 2026, 12, 1, 9, 0
    )


def test_no_law_outside_the_us_only_the_company_window():
    late = local(ZoneInfo("Europe/London"), 2026, 12, 1, 23, 0)
    assert qh.next_allowed_for(late, UK_NUMBER) is None
    assert qh.next_allowed_for(
        late, UK_NUMBER, company=(21.0, 8.0), company_tz="Europe/London"
    ) == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def test_the_contacts_time_zone_wins_over_the_number():
    # A Los Angeles number whose owner lives in Tokyo: 21:00 there.
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    # 4:00 in Los Angeles: the number alone would wait until 8:00 there.
    assert qh.next_allowed_for(now, LA_NUMBER) == local(LOS_ANGELES, 2026, 12, 1, 8, 0)
    when = qh.next_allowed_for(now, LA_NUMBER, partner_tz="Asia/Tokyo")
    assert when == local(ZoneInfo("Asia/Tokyo"), 2026, 12, 2, 8, 0)
    # An unknown time zone name falls back to the number's.
    assert qh.next_allowed_for(now, LA_NUMBER, partner_tz="Mars/Olympus") == local(
        LOS_ANGELES, 2026, 12, 1, 8, 0
    )


def test_daylight_saving_change():
    # 2026-03-08: New York springs forward at 2:00. Waiting from 1:00 ends at 8:00 EDT.
    now = local(NEW_YORK, 2026, 3, 8, 1, 0)
    assert qh.next_allowed_for(now, NY_NUMBER) == local(NEW_YORK, 2026, 3, 8, 8, 0)
    assert qh.next_allowed_for(now, NY_NUMBER) == datetime(
        2026, 3, 8, 12, 0, tzinfo=UTC
    )


def test_company_week_shapes():
    assert qh.company_week(21.0, 8.0)[0] == [(480, 1260)]
    assert qh.company_week(12.0, 14.0)[0] == [(0, 720), (840, 1440)]
    assert qh.company_week(9.0, 9.0) == qh.ALWAYS


def test_company_hours_that_never_meet_the_law_yield_to_the_law():
    # Open 6:00-7:00 in Paris = 21:00-22:00 in Los Angeles: never legal there.
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # 4:00 in LA
    when = qh.next_allowed_for(
        now, LA_NUMBER, company=(7.0, 6.0), company_tz="Europe/Paris"
    )
    assert when == local(LOS_ANGELES, 2026, 12, 1, 8, 0)
    with pytest.raises(qh.NoOverlap):
        qh.next_allowed(
            now,
            [
                (("America/Los_Angeles",), qh.US_FEDERAL),
                (("Europe/Paris",), qh.company_week(7.0, 6.0)),
            ],
        )


def test_naive_datetimes_are_utc():
    naive = datetime(2026, 12, 2, 3, 30)  # 22:30 in New York
    aware = qh.next_allowed_for(naive, NY_NUMBER)
    assert aware == local(NEW_YORK, 2026, 12, 2, 8, 0)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)),
    st.sampled_from([LA_NUMBER, TX_NUMBER, RI_NUMBER, FL_NUMBER, UK_NUMBER, "bad"]),
    st.floats(min_value=0, max_value=23.9),
    st.floats(min_value=0, max_value=23.9),
)
def test_the_answer_is_open_and_never_earlier(now, number, start, end):
    now = now.replace(tzinfo=UTC)
    company = (start, end)
    when = qh.next_allowed_for(now, number, company=company, company_tz="Europe/Paris")
    if when is None:
        return
    assert when > now
    # The moment found is itself allowed, at least by the law.
    assert qh.next_allowed_for(when, number) is None
