"""Phone numbers, identity numbers and birth dates for generated people (vectorised with numpy).

Phone numbers are E.164 (``+`` country code, mobile prefix, subscriber digits) in the numbering plan of the
person's citizenship; identity numbers follow a passport- or ID-card-like shape per country
(``data/countries.json``). Both are random: any resemblance to a real number is chance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from ctdx.sample.names import ObjectArray
from ctdx.sample.targets import IntArray

DAYS_PER_YEAR = 365.2425
LETTERS = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"), dtype=object)
DIGITS = np.array(list("0123456789"), dtype=object)


@dataclass(frozen=True)
class NumberingPlan:
    """How a country's mobile numbers and identity numbers look."""

    country_code: str
    mobile_prefixes: tuple[str, ...]
    national_length: int
    identity_pattern: str


@cache
def numbering_plans() -> dict[str, NumberingPlan]:
    raw = json.loads(resources.files("ctdx.sample").joinpath("data", "countries.json").read_text(encoding="utf-8"))
    return {
        country: NumberingPlan(spec["cc"], tuple(spec["mobile"]), int(spec["nsn"]), spec["id"])
        for country, spec in raw["countries"].items()
    }


def _by_country(
    citizenship: IntArray, countries: tuple[str, ...]
) -> list[tuple[NumberingPlan, npt.NDArray[np.bool_], int]]:
    """For each country present: its plan, which people hold it, and how many."""
    plans = numbering_plans()
    found = []
    for i in np.unique(citizenship).tolist():
        mask = citizenship == i
        found.append((plans[countries[i]], mask, int(mask.sum())))
    return found


def phone_numbers(rng: np.random.Generator, citizenship: IntArray, countries: tuple[str, ...]) -> ObjectArray:
    """One E.164 mobile number per person (``citizenship`` indexes ``countries``), in their country's plan."""
    out = np.empty(len(citizenship), dtype=object)
    for plan, mask, k in _by_country(citizenship, countries):
        numbers = np.empty(k, dtype=object)
        which = rng.integers(0, len(plan.mobile_prefixes), k)
        for p, prefix in enumerate(plan.mobile_prefixes):
            chosen = which == p
            if not chosen.any():
                continue
            digits = plan.national_length - len(prefix)
            subscriber = np.char.zfill(rng.integers(0, 10**digits, int(chosen.sum())).astype(f"U{digits}"), digits)
            numbers[chosen] = np.char.add(f"+{plan.country_code}{prefix}", subscriber).astype(object)
        out[mask] = numbers
    return out


def identity_numbers(rng: np.random.Generator, citizenship: IntArray, countries: tuple[str, ...]) -> ObjectArray:
    """One identity-document number per person, in the shape used by their country."""
    out = np.empty(len(citizenship), dtype=object)
    for plan, mask, k in _by_country(citizenship, countries):
        columns = []
        for char in plan.identity_pattern:
            if char == "A":
                columns.append(LETTERS[rng.integers(0, len(LETTERS), k)])
            elif char == "9":
                columns.append(DIGITS[rng.integers(0, 10, k)])
            else:
                columns.append(np.full(k, char, dtype=object))
        out[mask] = ["".join(parts) for parts in zip(*columns, strict=True)]
    return out


def birth_dates(rng: np.random.Generator, at: npt.NDArray[np.datetime64], ages: IntArray) -> npt.NDArray[np.datetime64]:
    """Birth dates that make each person ``ages`` years old (completed years) on the date ``at``."""
    days = np.floor((ages + rng.random(len(ages)) * 0.997) * DAYS_PER_YEAR).astype(np.int64) + 1
    born: npt.NDArray[np.datetime64] = at - days.astype("timedelta64[D]")
    # Near a birthday the mean year length is a day off the calendar: move those births by that day.
    exact: npt.NDArray[np.datetime64] = born + (completed_years(born, at) - ages).astype("timedelta64[D]")
    return exact


def completed_years(born: npt.NDArray[np.datetime64], at: npt.NDArray[np.datetime64]) -> IntArray:
    """Age in completed years on ``at`` of people born on ``born`` (calendar-exact)."""
    born_y = born.astype("datetime64[Y]").astype(np.int64)
    at_y = at.astype("datetime64[Y]").astype(np.int64)
    # Compare month and day, not day of year, so that leap years do not shift a birthday.
    born_m = born.astype("datetime64[M]").astype(np.int64) % 12
    at_m = at.astype("datetime64[M]").astype(np.int64) % 12
    born_d = (born - born.astype("datetime64[M]")).astype(np.int64)
    at_d = (at - at.astype("datetime64[M]")).astype(np.int64)
    before_birthday = (at_m < born_m) | ((at_m == born_m) & (at_d < born_d))
    years: IntArray = (at_y - born_y - before_birthday).astype(np.int64)
    return years
