"""Working-day calendars (weekends plus public holidays as data) and deadline arithmetic.

A deadline such as the UK NRM's "reasonable-grounds decision within 5 working days" skips weekends and
bank holidays; a deadline in calendar days does not. The holidays are data files under
``packs/calendars/`` with their source, covering a stated range of years. Counting working days across a
year the file does not cover raises ``ValidationError`` instead of quietly treating unknown holidays as
working days. We keep our own small arithmetic rather than a holiday library so the dates a deadline
depends on are visible, versioned and cited in the pack, and do not change when a dependency updates.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from ctdx.errors import ConfigError, ValidationError

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Unit(StrEnum):
    """How a pack counts an offset."""

    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    MONTHS = "months"


class _Holiday(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    date: dt.date
    name: str = Field(min_length=1)


class _CalendarFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    version: str
    title: str
    weekend: tuple[str, ...]
    first_year: int
    last_year: int
    source: str = Field(min_length=1)
    holidays: tuple[_Holiday, ...]


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days: not a weekend day, not a listed holiday, within the covered years."""

    id: str
    version: str
    source: str
    weekend: frozenset[int]
    first_year: int
    last_year: int
    holidays: dict[dt.date, str]

    def is_working_day(self, day: dt.date) -> bool:
        if not self.first_year <= day.year <= self.last_year:
            raise ValidationError(
                f"the {self.id} calendar (version {self.version}) covers {self.first_year}-{self.last_year}, "
                f"not {day.year}; add that year's holidays to the pack",
                calendar=self.id,
            )
        return day.weekday() not in self.weekend and day not in self.holidays

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The day ``days`` working days after ``start`` (the start day itself is day 0, as in "within 5 working
        days of the referral"); ``days`` 0 gives the start day, or the next working day if it is not one."""
        if days < 0:
            raise ValidationError("a working-day offset cannot be negative", field="offset")
        day = start
        if days == 0:
            while not self.is_working_day(day):
                day += dt.timedelta(days=1)
            return day
        counted = 0
        while counted < days:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day


def add_months(start: dt.date, months: int) -> dt.date:
    """``start`` moved by whole months, clipped to the month's last day (31 Jan + 1 month = 28 or 29 Feb)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(start.day, last))


def add_offset(start: dt.date, offset: int, unit: Unit, working: WorkingCalendar | None) -> dt.date:
    """``start`` plus ``offset`` in ``unit``; working days need a calendar (``ConfigError`` without one)."""
    if unit is Unit.CALENDAR_DAYS:
        return start + dt.timedelta(days=offset)
    if unit is Unit.MONTHS:
        return add_months(start, offset)
    if working is None:
        raise ConfigError("a working-day deadline needs a holiday calendar, and the pack names none")
    return working.add_working_days(start, offset)


def _parse(raw: Any, name: str) -> WorkingCalendar:
    try:
        data = _CalendarFile.model_validate(raw)
    except ValueError as exc:
        raise ConfigError(f"calendar file {name} is malformed: {exc}") from None
    unknown = [d for d in data.weekend if d not in _WEEKDAYS]
    if unknown:
        raise ConfigError(f"calendar file {name}: unknown weekend day(s) {unknown}")
    outside = [h.date for h in data.holidays if not data.first_year <= h.date.year <= data.last_year]
    if outside:
        raise ConfigError(f"calendar file {name}: holidays outside {data.first_year}-{data.last_year}: {outside}")
    return WorkingCalendar(
        id=data.id,
        version=data.version,
        source=data.source,
        weekend=frozenset(_WEEKDAYS.index(d) for d in data.weekend),
        first_year=data.first_year,
        last_year=data.last_year,
        holidays={h.date: h.name for h in data.holidays},
    )


@cache
def load_calendar(calendar_id: str) -> WorkingCalendar:
    """The holiday calendar ``packs/calendars/<calendar_id>.yaml`` shipped with this package."""
    folder = resources.files("ctdx.casework").joinpath("packs").joinpath("calendars")
    path = folder.joinpath(f"{calendar_id}.yaml")
    if not calendar_id.replace("-", "").isalnum() or not path.is_file():
        raise ConfigError(f"there is no holiday calendar called {calendar_id!r}")
    parsed = _parse(yaml.safe_load(path.read_text(encoding="utf-8")), f"{calendar_id}.yaml")
    if parsed.id != calendar_id:
        raise ConfigError(f"calendar file {calendar_id}.yaml declares the id {parsed.id!r}")
    return parsed
