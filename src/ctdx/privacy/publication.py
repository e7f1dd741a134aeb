"""From case records to a publication table: consent filter, derivations, and a report of every problem.

Only cases whose consent allows publication enter; the caller says how consent is decided (``consent``
is a required argument; ``checkbox_consent`` reads HTCDS ``con_Consent``). A value that cannot be
published as it stands (an unknown picklist value, a year outside the release, an impossible age) is a
reported issue, never a silent guess: the release builder refuses a table with issues.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from ctdx.model import CaseRecord, FieldValue
from ctdx.privacy.schema import MISSING, Column, PublicationSchema, PublicationTable, band_label
from ctdx.standard import alpha3, is_country_code, load_standard

MAX_PLAUSIBLE_AGE = 120


@dataclass(frozen=True)
class Issue:
    """One value that could not be published: which record (its source id), which column, and why."""

    record: str
    column: str
    code: str
    message: str


@dataclass(frozen=True)
class Publication:
    """The table of consented cases, the problems found, and how many cases were left out for consent."""

    table: PublicationTable
    issues: tuple[Issue, ...]
    without_consent: int
    records: tuple[str, ...] = field(repr=False)


class _Problem(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def checkbox_consent(record: CaseRecord) -> bool:
    """HTCDS 2.0's single consent checkbox (``con_Consent``): publish only when it is ticked."""
    return record.get("con_Consent") is True


def _text(record: CaseRecord, name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Problem("wrong_type", f"{name} should hold one value")
    official = load_standard().field(name).aliases.get(value, value)
    return official


def _date(record: CaseRecord, name: str) -> dt.date | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, dt.date):
        raise _Problem("wrong_type", f"{name} should hold a date")
    return value


def _selected(record: CaseRecord, name: str) -> tuple[str, ...] | None:
    value: FieldValue | None = record.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple):
        return value
    raise _Problem("wrong_type", f"{name} should hold picklist values")


def _band(value: int, bands: tuple[tuple[int, int | None], ...]) -> str:
    for low, high in bands:
        if value >= low and (high is None or value <= high):
            return band_label(low, high)
    raise _Problem("out_of_range", f"{value} is in no band")


def _age(schema: PublicationSchema, record: CaseRecord, column: Column) -> int | None:
    birth = _date(record, column.source)
    at = next((d for d in (_date(record, n) for n in column.spec["at"]) if d is not None), None)
    if birth is None or at is None:
        return None
    age = at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))
    if age < 0 or age > MAX_PLAUSIBLE_AGE:
        raise _Problem("implausible_age", f"the age at identification is outside 0-{MAX_PLAUSIBLE_AGE}")
    return age


def _country(code: str | None, source: str) -> str | None:
    if code is None:
        return None
    if not is_country_code(code):
        raise _Problem("unknown_country", f"{source} holds a value that is not an ISO 3166-1 alpha-2 code")
    return alpha3(code)


def _exploitation_country(record: CaseRecord, column: Column) -> str | None:
    direct = _text(record, column.source)
    if direct is not None:
        return _country(direct, column.source)
    for event in record.events:
        country = event.get("hte_Country")
        if event.get("hte_Type") == "Exploitation" and isinstance(country, str):
            return _country(country, "hte_Country")
    return _country(_text(record, "ext_CountryOfIdentification"), "ext_CountryOfIdentification")


def _months(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def _derive(schema: PublicationSchema, record: CaseRecord, column: Column) -> str | None:
    kind, spec = column.kind, column.spec
    if kind == "year":
        opened = _date(record, column.source)
        if opened is None:
            return None
        first, last = schema.years
        if not first <= opened.year <= last:
            raise _Problem("year_outside_release", f"the year is outside the release's years {first}-{last}")
        return str(opened.year)
    if kind == "picklist":
        value = _text(record, column.source)
        if value is None or value in spec.get("missing", []):
            return None
        if value not in spec["map"]:
            raise _Problem("unknown_value", f"{column.source} holds a value outside its vocabulary")
        return str(spec["map"][value])
    if kind in ("age_band", "majority"):
        age = _age(schema, record, column)
        if age is None:
            return None
        if kind == "age_band":
            return _band(age, schema.age_bands)
        return "Adult" if age >= schema.majority_age else "Minor"
    if kind == "majority_from_age":
        years = record.get(column.source)
        if years is None:
            return None
        if isinstance(years, bool) or not isinstance(years, int | float) or not 0 <= years <= MAX_PLAUSIBLE_AGE:
            raise _Problem("implausible_age", f"{column.source} is not an age in years")
        return "Adult" if years >= schema.majority_age else "Minor"
    if kind == "country":
        selected = _selected(record, column.source)
        return _country(selected[0], column.source) if selected else None
    if kind == "country_of_exploitation":
        return _exploitation_country(record, column)
    if kind == "duration_band":
        start, end = _date(record, column.source), _date(record, spec["to"])
        if start is None or end is None:
            return None
        if end < start:
            raise _Problem("end_before_start", "the exploitation ends before it starts")
        return _band(_months(start, end), schema.duration_bands)
    selected = _selected(record, column.source)
    if selected is None:
        return None
    vocabulary = load_standard().field(column.source)
    official = [vocabulary.aliases.get(v, v) for v in selected]
    if any(v not in vocabulary.value_names for v in official):
        raise _Problem("unknown_value", f"{column.source} holds a value outside its vocabulary")
    return "1" if set(official) & set(spec["values"]) else "0"


def publish_records(
    records: Iterable[CaseRecord],
    schema: PublicationSchema,
    *,
    consent: Callable[[CaseRecord], bool],
) -> Publication:
    """The publication table of the records whose ``consent`` allows it, and a report of every problem."""
    columns: dict[str, list[int]] = {c.name: [] for c in schema.columns}
    issues: list[Issue] = []
    kept: list[str] = []
    without_consent = 0
    for record in records:
        if not consent(record):
            without_consent += 1
            continue
        row: dict[str, int] = {}
        for column in schema.columns:
            try:
                value = _derive(schema, record, column)
            except _Problem as problem:
                issues.append(Issue(record.source.record_id, column.name, problem.code, problem.message))
                value = None
            row[column.name] = MISSING if value is None else column.code(value)
        for name, code in row.items():
            columns[name].append(code)
        kept.append(record.source.record_id)
    table = PublicationTable(schema, {n: np.asarray(v, dtype=np.int32) for n, v in columns.items()})
    return Publication(table=table, issues=tuple(issues), without_consent=without_consent, records=tuple(kept))
