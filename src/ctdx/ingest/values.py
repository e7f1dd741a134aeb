"""Reading one cell into the typed value of one standard field, or a report issue saying why not.

Picklists accept the system name, the label (case-insensitive, spaces and non-breaking spaces folded) and
the aliases the standard lists (official misspellings). Countries accept ISO 3166-1 alpha-2 codes, and
alpha-3 codes or exact names with an info issue saying what they were read as; anything else is an error
with a suggestion, never a guess that is applied. Dates are ISO ``YYYY-MM-DD`` unless a mapping declares
other formats. Nothing is coerced: a value that does not fit is reported, not bent into shape. Text that
ctdx itself neutralised against formula injection (``'=...``, ``'+...``) reads back without the quote.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import pycountry

from ctdx.cells import FORMULA_PREFIXES
from ctdx.ingest.report import Issue, Severity
from ctdx.model.records import FieldValue
from ctdx.standard import Field, resolve_country, suggest_country

Raw = str | int | float | bool | dt.date | dt.datetime | None

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EARLIEST_DATE = dt.date(1900, 1, 1)
# Dates that may lie in the future: a plan's end date is planned.
FUTURE_ALLOWED = frozenset({"spl_PlannedEndDate"})
WHOLE_NUMBER_FIELDS = frozenset({"prs_NumberOfChildren", "vic_AgeWhenTrafficked"})
# An age above 120 is beyond any verified human lifespan (the record is 122, Jeanne Calment); ages are
# "at least 0 and at most 120" as issue 2 of this project sets out.
MAX_AGE = 120
CACHE_SIZE = 100_000
TRUE_WORDS = frozenset({"true", "1", "yes", "y", "t"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "f"})


def fold(text: str) -> str:
    """Case- and space-insensitive form of a label: non-breaking spaces and runs of spaces fold to one."""
    return " ".join(text.replace("\xa0", " ").split()).casefold()


@dataclass
class Choices:
    """How the strings a user may write map to the system names of one picklist."""

    names: dict[str, str] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)

    def resolve(self, text: str) -> str | None:
        return self.names.get(text.strip()) or self.names.get(fold(text))

    def suggest(self, text: str) -> str | None:
        found = difflib.get_close_matches(fold(text), [k for k in self.names if k == k.casefold()], n=1, cutoff=0.75)
        return self.names[found[0]] if found else None


_CHOICES: dict[str, Choices] = {}


def choices_for(f: Field) -> Choices:
    """The choices of ``f`` (cached by name: hashing a whole ``Field`` on every cell is slow)."""
    found = _CHOICES.get(f.name)
    if found is None:
        found = _CHOICES[f.name] = _build_choices(f)
    return found


def _build_choices(f: Field) -> Choices:
    out = Choices()
    for i, v in enumerate(f.values):
        out.order[v.name] = i
        out.names[v.name] = v.name
        out.names[fold(v.name)] = v.name
        out.names.setdefault(fold(v.label), v.name)
    for alias, name in f.aliases.items():
        out.names[alias] = name
        out.names[fold(alias)] = name
    return out


@cache
def _languages() -> dict[str, str]:
    names: dict[str, str] = {}
    for lang in pycountry.languages:
        code = getattr(lang, "bibliographic", None) or getattr(lang, "alpha_3", None)
        if not code:
            continue
        names[fold(code)] = code
        names[fold(lang.alpha_3)] = code
        if getattr(lang, "alpha_2", None):
            names[fold(lang.alpha_2)] = code
        names[fold(lang.name)] = code
    return names


def raw_text(raw: Raw) -> str:
    """A cell as the text a user typed (spreadsheet numbers that are whole print without ``.0``)."""
    if type(raw) is str:
        return raw.strip()
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime | dt.date):
        return raw.isoformat()
    return str(raw).strip()


def is_blank(raw: Raw) -> bool:
    if type(raw) is str:
        return not raw or raw.isspace()
    return raw is None


class ValueReader:
    """Reads cells into typed values of the standard, reporting what does not fit."""

    def __init__(self, today: dt.date | None = None, date_formats: Sequence[str] = ()) -> None:
        self.today = today or dt.date.today()
        self.date_formats = tuple(date_formats)
        # Text of a picklist cell -> its system name, for the values that resolved cleanly: files repeat
        # the same few codes millions of times. Bounded: cleared when it grows past CACHE_SIZE.
        self._resolved: dict[tuple[str, str], str] = {}

    def read(
        self, f: Field, parts: Sequence[Raw], *, row: int, column: str, date_formats: Sequence[str] = ()
    ) -> tuple[FieldValue | None, list[Issue]]:
        """The value of ``f`` from the non-blank ``parts`` of a cell (several only for multi-selects)."""
        issues: list[Issue] = []
        values: list[FieldValue] = []
        for part in parts:
            value, issue = self.one(f, part, row=row, column=column, date_formats=date_formats)
            if issue is not None:
                issues.append(issue)
            if value is not None:
                values.append(value)
        if not values or any(i.severity == "error" for i in issues):
            return None, issues
        if f.multiple:
            return self._ordered(f, values), issues
        if len(values) > 1:
            return None, [
                self._issue(f, "multiple_values", f"{f.name} takes one value, not {len(values)}", row, column)
            ]
        return values[0], issues

    def _ordered(self, f: Field, values: list[FieldValue]) -> tuple[str, ...]:
        unique = list(dict.fromkeys(str(v) for v in values))
        order = choices_for(f).order
        if order:
            unique.sort(key=lambda v: order.get(v, len(order)))
        return tuple(unique)

    def _issue(
        self,
        f: Field,
        code: str,
        message: str,
        row: int,
        column: str,
        raw: Raw = None,
        suggestion: str | None = None,
        severity: Severity = "error",
    ) -> Issue:
        shown = None if f.identifying or raw is None else raw_text(raw)
        return Issue(code, severity, message, row, column, f.name, shown, suggestion)

    def one(
        self, f: Field, raw: Raw, row: int, column: str, date_formats: Sequence[str] = ()
    ) -> tuple[FieldValue | None, Issue | None]:
        """One non-blank value of a field that takes one (None and an error issue when it does not fit)."""
        if f.values or f.vocabulary:
            key = (f.name, raw_text(raw))
            cached = self._resolved.get(key)
            if cached is not None:
                return cached, None
            value, issue = self._pick(f, raw, row, column)
            if issue is None and isinstance(value, str):
                if len(self._resolved) > CACHE_SIZE:
                    self._resolved.clear()
                self._resolved[key] = value
            return value, issue
        if f.type == "date":
            if not date_formats and not self.date_formats and isinstance(raw, str) and ISO_DATE.match(raw):
                try:  # the usual case, ISO text, without the general path's checks of shape
                    day = dt.date.fromisoformat(raw)
                except ValueError:
                    pass
                else:
                    if EARLIEST_DATE <= day <= self.today or (day > self.today and f.name in FUTURE_ALLOWED):
                        return day, None
            return self._date(f, raw, row, column, tuple(date_formats) or self.date_formats)
        if f.type == "checkbox":
            return self._checkbox(f, raw, row, column)
        if f.type in ("number", "geolocation"):
            return self._number(f, raw, row, column)
        text = raw_text(raw)
        if text[:1] == "'" and text[1:2] and text[1] in FORMULA_PREFIXES:
            text = text[1:]  # a cell neutralised by ctdx.cells.neutralise reads back as what was written
        return text, None

    def _pick(self, f: Field, raw: Raw, row: int, column: str) -> tuple[str | None, Issue | None]:
        if f.vocabulary == "iso3166_alpha2":
            return self._country(f, raw, row, column)
        if f.vocabulary == "iso639_2":
            code = _languages().get(fold(raw_text(raw)))
            if code is None:
                return None, self._issue(
                    f, "not_a_language", f"not an ISO 639-2 language in {f.name}", row, column, raw
                )
            return code, None
        if f.values:
            return self._choice(f, raw, row, column)
        return raw_text(raw), None

    def _country(self, f: Field, raw: Raw, row: int, column: str) -> tuple[str | None, Issue | None]:
        text = raw_text(raw)
        code = resolve_country(text)
        if code is None:
            hint = suggest_country(text)
            return None, self._issue(
                f, "not_a_country", f"not an ISO 3166-1 country in {f.name}", row, column, raw, hint
            )
        if code != text:
            msg = f"read as the ISO 3166-1 code {code}"
            return code, self._issue(f, "country_name_resolved", msg, row, column, raw, severity="info")
        return code, None

    def _choice(self, f: Field, raw: Raw, row: int, column: str) -> tuple[str | None, Issue | None]:
        text = raw_text(raw)
        choices = choices_for(f)
        name = choices.resolve(text)
        if name is None:
            hint = choices.suggest(text)
            return None, self._issue(f, "unknown_value", f"not a value of {f.name}", row, column, raw, hint)
        return name, None

    def _date(
        self, f: Field, raw: Raw, row: int, column: str, formats: tuple[str, ...]
    ) -> tuple[dt.date | None, Issue | None]:
        if isinstance(raw, dt.datetime):
            value = raw.date()
        elif isinstance(raw, dt.date):
            value = raw
        elif isinstance(raw, str):
            parsed = _parse_date(raw.strip(), formats)
            if isinstance(parsed, str):
                expected = " or ".join(formats) if formats else "YYYY-MM-DD"
                code = parsed
                msg = f"{f.name}: not a real date" if code == "impossible_date" else f"{f.name}: expected {expected}"
                return None, self._issue(f, code, msg, row, column, raw)
            value = parsed
        else:
            return None, self._issue(f, "invalid_date", f"{f.name}: expected a date", row, column, raw)
        if value < EARLIEST_DATE:
            return None, self._issue(f, "impossible_date", f"{f.name}: before 1900", row, column, raw)
        if value > self.today and f.name not in FUTURE_ALLOWED:
            return None, self._issue(f, "future_date", f"{f.name}: after today", row, column, raw)
        return value, None

    def _checkbox(self, f: Field, raw: Raw, row: int, column: str) -> tuple[bool | None, Issue | None]:
        if isinstance(raw, bool):
            return raw, None
        word = fold(raw_text(raw))
        if word in TRUE_WORDS:
            return True, None
        if word in FALSE_WORDS:
            return False, None
        msg = f"{f.name}: expected TRUE/FALSE, 1/0 or yes/no"
        return None, self._issue(f, "invalid_checkbox", msg, row, column, raw)

    def _number(self, f: Field, raw: Raw, row: int, column: str) -> tuple[int | float | None, Issue | None]:
        value: int | float
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            value = raw
        else:
            text = raw_text(raw)
            try:
                value = int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
            except ValueError:
                return None, self._issue(f, "invalid_number", f"{f.name}: not a number", row, column, raw)
        if f.name in WHOLE_NUMBER_FIELDS:
            if isinstance(value, float) and not value.is_integer():
                return None, self._issue(f, "invalid_number", f"{f.name}: not a whole number", row, column, raw)
            value = int(value)
        if f.name == "vic_AgeWhenTrafficked" and not 0 <= value <= MAX_AGE:
            msg = f"{f.name}: an age must be between 0 and {MAX_AGE}"
            return None, self._issue(f, "age_out_of_range", msg, row, column, raw)
        limit = 90 if f.name.endswith("Latitude") else 180 if f.name.endswith("Longitude") else None
        if (limit is not None and abs(value) > limit) or (f.name in WHOLE_NUMBER_FIELDS and value < 0):
            return None, self._issue(f, "out_of_range", f"{f.name}: out of range", row, column, raw)
        return value, None


def _format_shape(fmt: str) -> re.Pattern[str]:
    """A regular expression for the *shape* of a strptime format: tells "30/02/2021" from "tomorrow"."""
    parts = re.split(r"(%[a-zA-Z])", fmt)
    pieces = {"%d": r"\d{1,2}", "%m": r"\d{1,2}", "%Y": r"\d{4}", "%y": r"\d{2}"}
    return re.compile("^" + "".join(pieces.get(p, ".+") if p.startswith("%") else re.escape(p) for p in parts) + "$")


def _parse_date(text: str, formats: tuple[str, ...]) -> dt.date | str:
    """The date, or the issue code: ``impossible_date`` when the text has a date's shape, else ``invalid_date``."""
    if not formats:
        if not ISO_DATE.match(text):
            return "invalid_date"
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return "impossible_date"
    shaped = False
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            shaped = shaped or bool(_format_shape(fmt).match(text))
    return "impossible_date" if shaped else "invalid_date"
