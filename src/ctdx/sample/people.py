"""The people of a sample cohort and their trafficking story, one array per attribute (numpy, vectorised).

A person is drawn once and may be recorded several times (``ctdx.sample.cohort``): who they are (sex, age,
citizenship, names, birth date, phone, identity number) and what happened to them (country of
exploitation, exploitation types, industry, means of control, relation to the recruiter, duration) stay
the same across their records; what each record holds is decided there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ctdx.sample.identities import birth_dates, completed_years, identity_numbers, phone_numbers
from ctdx.sample.names import NameBank, ObjectArray
from ctdx.sample.targets import Categorical, IntArray, Profiles, Targets
from ctdx.standard import Standard

DateArray = npt.NDArray[np.datetime64]
DAYS_PER_MONTH = 30.436875
FEMININE = ("Feminine", "TransgenderFeminine")


def tuples(values: list[tuple[str, ...]]) -> ObjectArray:
    """An object array whose items are the tuples themselves (``np.array`` would make a 2-D array)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def in_standard_order(values: tuple[str, ...], order: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(values, key=order.index))


@dataclass(frozen=True)
class People:
    """``n`` people: identity, the dates of their first identification, and their story (countries are
    indices into ``countries``)."""

    sex: ObjectArray
    female: npt.NDArray[np.bool_]
    countries: tuple[str, ...]
    citizenship: IntArray
    exploitation_country: IntArray
    identification_country: IntArray
    opened: DateArray
    identified: DateArray
    age: IntArray
    born: DateArray
    name_group: IntArray
    given: ObjectArray
    middle: ObjectArray
    family: ObjectArray
    phone: ObjectArray
    identity_number: ObjectArray
    exploitation: ObjectArray
    labour_industry: ObjectArray
    sex_exploitation: ObjectArray
    methods_of_control: ObjectArray
    relation: ObjectArray
    recruitment: ObjectArray
    trafficking_status: ObjectArray
    decision_org: ObjectArray
    exploitation_start: DateArray
    exploitation_end: DateArray
    age_when_trafficked: IntArray

    def __len__(self) -> int:
        return len(self.sex)


def _pick(categorical: Categorical, rng: np.random.Generator, n: int) -> ObjectArray:
    return np.array(categorical.values, dtype=object)[categorical.draw(rng, n)]


def _pick_profiles(profiles: Profiles, rng: np.random.Generator, n: int, order: tuple[str, ...]) -> ObjectArray:
    choices = tuples([in_standard_order(v, order) for v in profiles.values])
    return choices[profiles.draw(rng, n)]


def _sex_key(sex: ObjectArray) -> ObjectArray:
    return np.where(sex == "Feminine", "Feminine", np.where(sex == "Masculine", "Masculine", "other"))


def _dates_in_years(rng: np.random.Generator, years: IntArray) -> DateArray:
    start = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    end = (years - 1969).astype("datetime64[Y]").astype("datetime64[D]")
    days = np.floor(rng.random(len(years)) * (end - start).astype(np.int64)).astype(np.int64)
    dates: DateArray = start + days.astype("timedelta64[D]")
    return dates


def _methods_of_control(
    rng: np.random.Generator, shares: dict[str, float], order: tuple[str, ...], n: int
) -> ObjectArray:
    """Several methods per person: each drawn on its own, at least one (the likeliest draw if none came up)."""
    names = [v for v in order if v in shares]
    probs = np.array([shares[v] for v in names])
    u = rng.random((n, len(names)))
    chosen = u < probs
    none = ~chosen.any(axis=1)
    chosen[none, np.argmin(u[none] / probs, axis=1)] = True
    bits = (chosen * (1 << np.arange(len(names), dtype=np.int64))).sum(axis=1)
    unique, inverse = np.unique(bits, return_inverse=True)
    combos = tuples([tuple(v for i, v in enumerate(names) if int(b) >> i & 1) for b in unique])
    return combos[inverse]


def draw_people(rng: np.random.Generator, n: int, targets: Targets, names: NameBank, standard: Standard) -> People:
    """``n`` people following ``targets``."""
    sex = _pick(targets.sex, rng, n)
    female = np.isin(sex, FEMININE) | ((sex == "NonConforming") & (rng.random(n) < 0.5))
    flow = targets.flows.draw(rng, n)
    countries = targets.flows.countries
    citizenship = targets.flows.citizenship_index()[flow]
    exploitation_country = targets.flows.exploitation_index()[flow]
    in_origin = rng.random(n) < targets.number("flows", "identified_in_origin")
    years = np.array([int(y) for y in targets.years.values], dtype=np.int64)[targets.years.draw(rng, n)]
    opened = _dates_in_years(rng, years)
    lag = rng.integers(0, int(targets.number("identities", "case_opened_after_identification_days")) + 1, n)
    identified = opened - lag.astype("timedelta64[D]")
    band = targets.age_band_probs.draw(rng, n)
    low = np.array([b.low for b in targets.age_bands], dtype=np.int64)[band]
    high = np.array([b.high for b in targets.age_bands], dtype=np.int64)[band]
    age = low + np.floor(rng.random(n) * (high - low + 1)).astype(np.int64)
    born = birth_dates(rng, identified, age)
    group = names.draw_groups(rng, citizenship, countries)
    drawn = names.draw(rng, group, female)

    key = _sex_key(sex)
    exploitation = np.empty(n, dtype=object)
    types_order = standard.field("vic_TypeOfExploitation").value_names
    for k, profiles in targets.exploitation.items():
        mask = key == k
        exploitation[mask] = _pick_profiles(profiles, rng, int(mask.sum()), types_order)
    industry = np.empty(n, dtype=object)
    for k, categorical in targets.labour_industry.items():
        mask = female if k == "Feminine" else ~female
        industry[mask] = _pick(categorical, rng, int(mask.sum()))
    sex_order = standard.field("vic_TypeOfSexExploitation").value_names
    control_order = standard.field("vic_MethodsOfControl").value_names

    months = _duration_months(rng, targets, n)
    start = np.maximum(identified - np.floor(months * DAYS_PER_MONTH).astype("timedelta64[D]"), born)
    end = np.maximum(identified - rng.integers(0, 61, n).astype("timedelta64[D]"), start)
    return People(
        sex=sex,
        female=female,
        countries=countries,
        citizenship=citizenship,
        exploitation_country=exploitation_country,
        identification_country=np.where(in_origin, citizenship, exploitation_country),
        opened=opened,
        identified=identified,
        age=age,
        born=born,
        name_group=group,
        given=drawn.given,
        middle=drawn.middle,
        family=drawn.family,
        phone=phone_numbers(rng, citizenship, countries),
        identity_number=identity_numbers(rng, citizenship, countries),
        exploitation=exploitation,
        labour_industry=tuples([(v,) for v in industry]),
        sex_exploitation=_pick_profiles(targets.sex_exploitation, rng, n, sex_order),
        methods_of_control=_methods_of_control(rng, targets.methods_of_control, control_order, n),
        relation=_pick(targets.relation, rng, n),
        recruitment=tuples([(v,) for v in _pick(targets.recruitment, rng, n)]),
        trafficking_status=_pick(targets.trafficking_status, rng, n),
        decision_org=_pick(targets.decision_org, rng, n),
        exploitation_start=start,
        exploitation_end=end,
        age_when_trafficked=completed_years(born, start),
    )


def _duration_months(rng: np.random.Generator, targets: Targets, n: int) -> npt.NDArray[np.float64]:
    band = targets.duration_probs.draw(rng, n)
    low = np.array([b[0] for b in targets.duration_bands], dtype=np.float64)[band]
    high = np.array([b[1] for b in targets.duration_bands], dtype=np.float64)[band]
    result: npt.NDArray[np.float64] = low + rng.random(n) * (high - low + 1)
    return result
