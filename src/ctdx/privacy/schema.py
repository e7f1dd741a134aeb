"""The publication schema: HTCDS case records turned into CTDC-style de-identified columns.

The columns, their HTCDS sources and the value mappings are data (``data/publication.json``, after the
CTDC 2024 codebook and data-standard.md section 7). The **domain of every column comes from the standard
and the configuration, never from the data**: a domain read from the data would publish which rare
values exist (a country with one victim). ``load_publication_schema`` checks the mapping against the
standard when it loads: every source field exists, every mapped value is in the field's vocabulary, and
every vocabulary value is either published or listed as deliberately unpublished.

Flags are ``1`` (recorded), ``0`` (the field was recorded without this value) or missing (the field was
not recorded at all), so that percentages can follow CTDC's denominator rule (data-standard.md 6.6).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from ctdx.errors import ConfigError, ValidationError
from ctdx.standard import Standard, alpha3, load_standard
from ctdx.standard.countries import alpha2_codes

MISSING = -1
Codes = npt.NDArray[np.int32]

KINDS = frozenset(
    {
        "year",
        "picklist",
        "age_band",
        "majority",
        "majority_from_age",
        "country",
        "country_of_exploitation",
        "duration_band",
        "flag",
    }
)


@dataclass(frozen=True)
class Column:
    """One published column: its name, its categories (the whole domain) and how it is generalised."""

    name: str
    title: str
    kind: str
    source: str
    categories: tuple[str, ...]
    hierarchy: str
    group: str | None = None
    spec: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def code(self, value: str) -> int:
        """The index of ``value`` in the categories, or ``MISSING`` for the empty string."""
        if value == "":
            return MISSING
        try:
            return self._index()[value]
        except KeyError:
            raise ValidationError(f"a value outside the domain of column {self.name}", column=self.name) from None

    def _index(self) -> dict[str, int]:
        return _category_index(self.categories)


@cache
def _category_index(categories: tuple[str, ...]) -> dict[str, int]:
    return {value: i for i, value in enumerate(categories)}


@dataclass(frozen=True)
class PublicationSchema:
    """The columns of a release, with the year range the release covers."""

    name: str
    version: str
    columns: tuple[Column, ...]
    years: tuple[int, int]
    age_bands: tuple[tuple[int, int | None], ...]
    duration_bands: tuple[tuple[int, int | None], ...]
    majority_age: int

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise ValidationError(f"no published column named {name!r}", column=name)

    def groups(self) -> dict[str, tuple[str, ...]]:
        """Flag columns by group (means of control, exploitation type, ...): the denominator rule's groups."""
        out: dict[str, list[str]] = {}
        for c in self.columns:
            if c.group:
                out.setdefault(c.group, []).append(c.name)
        return {g: tuple(names) for g, names in out.items()}


def band_label(low: int, high: int | None) -> str:
    """CTDC's band spelling: ``0--8``, ``48+``."""
    return f"{low}+" if high is None else f"{low}--{high}"


def _bands(raw: Sequence[Sequence[int | None]]) -> tuple[tuple[int, int | None], ...]:
    return tuple((int(b[0] or 0), None if b[1] is None else int(b[1])) for b in raw)


@cache
def _raw_schema() -> dict[str, Any]:
    text = resources.files("ctdx.privacy").joinpath("data", "publication.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def mapping_problems(raw: Mapping[str, Any], standard: Standard) -> list[str]:
    """Every way the column mapping disagrees with the standard (an empty list when it agrees)."""
    problems: list[str] = []
    covered: dict[str, set[str]] = {}
    for spec in raw["columns"]:
        name, source, kind = spec["name"], spec["from"], spec["kind"]
        if kind not in KINDS:
            problems.append(f"{name}: unknown kind {kind!r}")
            continue
        sources = [source, *spec.get("at", []), *([spec["to"]] if "to" in spec else []), *spec.get("fallback", [])]
        missing = [s for s in sources if not standard.has(s)]
        if missing:
            problems.append(f"{name}: the standard has no field {', '.join(missing)}")
            continue
        f = standard.field(source)
        if kind == "picklist":
            vocab = set(f.value_names)
            mapped = set(spec["map"]) | set(spec.get("missing", []))
            problems += [f"{name}: {v!r} is not a value of {source}" for v in sorted(mapped - vocab)]
            problems += [f"{name}: value {v!r} of {source} is not mapped" for v in sorted(vocab - mapped)]
        elif kind == "flag":
            vocab = set(f.value_names)
            problems += [f"{name}: {v!r} is not a value of {source}" for v in spec["values"] if v not in vocab]
            covered.setdefault(source, set()).update(spec["values"])
    unpublished = raw.get("unpublished", {})
    for source, values in covered.items():
        rest = set(standard.field(source).value_names) - values - set(unpublished.get(source, []))
        problems += [f"value {v!r} of {source} is neither published nor listed as unpublished" for v in sorted(rest)]
    return problems


def load_publication_schema(*, first_year: int, last_year: int) -> PublicationSchema:
    """The CTDC-style schema for releases covering registration years ``first_year`` to ``last_year``."""
    if first_year > last_year:
        raise ValidationError("the first year of a release is after its last year")
    raw = _raw_schema()
    standard = load_standard()
    problems = mapping_problems(raw, standard)
    if problems:
        raise ConfigError("the publication mapping disagrees with the standard: " + "; ".join(problems))
    age_bands = _bands(raw["age_bands"]["bands"])
    duration_bands = _bands(raw["duration_bands"]["bands"])
    countries = tuple(sorted(alpha3(c) for c in alpha2_codes()))
    columns = []
    for spec in raw["columns"]:
        kind = spec["kind"]
        categories: tuple[str, ...]
        if kind == "year":
            categories = tuple(str(y) for y in range(first_year, last_year + 1))
        elif kind == "picklist":
            categories = tuple(dict.fromkeys(spec["map"].values()))
        elif kind == "age_band":
            categories = tuple(band_label(lo, hi) for lo, hi in age_bands)
        elif kind in ("majority", "majority_from_age"):
            categories = ("Adult", "Minor")
        elif kind in ("country", "country_of_exploitation"):
            categories = countries
        elif kind == "duration_band":
            categories = tuple(band_label(lo, hi) for lo, hi in duration_bands)
        else:
            categories = ("0", "1")
        columns.append(
            Column(
                name=spec["name"],
                title=spec["title"],
                kind=kind,
                source=spec["from"],
                categories=categories,
                hierarchy=spec["hierarchy"],
                group=spec.get("group"),
                spec=spec,
            )
        )
    return PublicationSchema(
        name=raw["name"],
        version=raw["version"],
        columns=tuple(columns),
        years=(first_year, last_year),
        age_bands=age_bands,
        duration_bands=duration_bands,
        majority_age=int(raw["majority_age"]["age"]),
    )


@dataclass(frozen=True)
class PublicationTable:
    """Rows of published columns, each column stored as category codes (``MISSING`` = -1)."""

    schema: PublicationSchema
    codes: Mapping[str, Codes]

    def __len__(self) -> int:
        first = next(iter(self.codes.values()), None)
        return 0 if first is None else len(first)

    def values(self, name: str) -> list[str]:
        """The column's values as text, ``""`` for missing."""
        categories = self.schema.column(name).categories
        return ["" if c == MISSING else categories[c] for c in self.codes[name].tolist()]

    def rows(self) -> Iterator[tuple[str, ...]]:
        columns = [self.values(name) for name in self.schema.names]
        return iter(zip(*columns, strict=True))

    def take(self, mask: npt.NDArray[np.bool_]) -> PublicationTable:
        return PublicationTable(self.schema, {k: v[mask] for k, v in self.codes.items()})

    @classmethod
    def from_rows(
        cls, schema: PublicationSchema, header: Sequence[str], rows: Iterable[Sequence[str]]
    ) -> PublicationTable:
        """A table from text rows (a CSV, say), every value checked against its column's domain."""
        unknown = [h for h in header if h not in schema.names]
        absent = [n for n in schema.names if n not in header]
        if unknown or absent:
            raise ValidationError(
                f"the header does not match schema {schema.name}: unknown {unknown}, absent {absent}",
                unknown=unknown,
                absent=absent,
            )
        position = {h: i for i, h in enumerate(header)}
        columns: dict[str, list[int]] = {n: [] for n in schema.names}
        for row_number, row in enumerate(rows, start=1):
            if len(row) != len(header):
                raise ValidationError(
                    f"row {row_number} has {len(row)} cells, the header {len(header)}", row=row_number
                )
            for column in schema.columns:
                try:
                    columns[column.name].append(column.code(row[position[column.name]]))
                except ValidationError as exc:
                    raise ValidationError(
                        f"row {row_number}: {exc.message}", row=row_number, column=column.name
                    ) from None
        return cls(schema, {n: np.asarray(v, dtype=np.int32) for n, v in columns.items()})
