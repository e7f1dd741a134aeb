from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from ctdx.casework.calendars import Unit, add_months, add_offset, load_calendar
from ctdx.errors import ConfigError, ValidationError


def test_working_days_skip_weekends_and_bank_holidays() -> None:
    england = load_calendar("england-and-wales")
    # Thursday 17 April 2025; Good Friday 18 and Easter Monday 21 April are bank holidays.
    start = dt.date(2025, 4, 17)
    assert england.add_working_days(start, 5) == dt.date(2025, 4, 28)
    assert add_offset(start, 5, Unit.CALENDAR_DAYS, england) == dt.date(2025, 4, 22)
    # An ordinary week: Monday + 5 working days is the next Monday.
    assert england.add_working_days(dt.date(2025, 6, 2), 5) == dt.date(2025, 6, 9)


def test_the_same_deadline_differs_between_calendars() -> None:
    us = load_calendar("us-federal")
    england = load_calendar("england-and-wales")
    # Wednesday 26 November 2025: Thanksgiving (27th) is a US holiday, not an English one.
    start = dt.date(2025, 11, 26)
    assert us.add_working_days(start, 2) == dt.date(2025, 12, 1)
    assert england.add_working_days(start, 2) == dt.date(2025, 11, 28)


def test_a_zero_offset_on_a_holiday_moves_to_the_next_working_day() -> None:
    england = load_calendar("england-and-wales")
    assert england.add_working_days(dt.date(2025, 12, 25), 0) == dt.date(2025, 12, 29)


def test_years_the_calendar_does_not_cover_are_refused_not_guessed() -> None:
    with pytest.raises(ValidationError, match="covers 2024-2028"):
        load_calendar("england-and-wales").add_working_days(dt.date(2028, 12, 28), 5)


@pytest.mark.parametrize(("calendar_id", "per_year"), [("england-and-wales", 8), ("us-federal", 11)])
def test_holiday_files_cover_2024_to_2028_on_weekdays_with_a_source(calendar_id: str, per_year: int) -> None:
    calendar = load_calendar(calendar_id)
    assert (calendar.first_year, calendar.last_year) == (2024, 2028)
    assert calendar.source.startswith(("GOV.UK", "5 U.S.C."))
    assert all(day.weekday() < 5 for day in calendar.holidays)
    # Observed dates can fall in the year before (New Year's Day 2028 is observed on 31 December 2027).
    names_per_year = Counter(name.split(" (")[0] for name in calendar.holidays.values())
    assert set(names_per_year.values()) == {5}
    assert len(names_per_year) == per_year


def test_months_clip_to_the_end_of_the_month() -> None:
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 11, 15), 24) == dt.date(2027, 11, 15)


def test_unknown_calendar() -> None:
    with pytest.raises(ConfigError):
        load_calendar("atlantis")
