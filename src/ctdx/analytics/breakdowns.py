"""Breakdowns, trends and headline figures over a release, with the CTDC denominator rule.

A chart is answered from one published table, chosen in this order: the smallest DP aggregate table that
holds the chart's columns and every filtered column (official figures come from the aggregate file,
data-standard.md 6.5); otherwise the DP synthetic microdata; otherwise the k-anonymous microdata. Which
product answered, and how it was protected, travels with every result.

The denominator rule (data-standard.md 6.6): a share is computed only over the cases that have a value in
the variable (for a group of flags, at least one flag recorded), never over all cases; the denominator and
the share of missing values are returned beside every share. Aggregate answers add up published cells only
(a suppressed cell is part of no sum); microdata answers withhold any count below the release's threshold,
and withheld counts enter no denominator either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ctdx.analytics.database import ReleaseData, quote
from ctdx.analytics.release import AGGREGATE, K_ANONYMOUS, SYNTHETIC, Release, ReleaseTable
from ctdx.analytics.tablequery import Filter, sum_error_bound, where_clause
from ctdx.errors import ValidationError

FLAGS_EXPLOITATION = ("isForcedLabour", "isSexualExploit", "isOtherExploit")
FLAGS_MEANS = (
    "meansDebtBondageEarnings",
    "meansThreats",
    "meansAbusePsyPhySex",
    "meansFalsePromises",
    "meansDrugsAlcohol",
    "meansDenyBasicNeeds",
    "meansExcessiveWorkHours",
    "meansWithholdDocs",
)
FLAGS_LABOUR = (
    "typeOfLabourAgriculture",
    "typeOfLabourConstruction",
    "typeOfLabourDomesticWork",
    "typeOfLabourHospitality",
    "typeOfLabourOther",
)


@dataclass(frozen=True)
class Dimension:
    """What a chart breaks cases down by: one column, or a group of yes/no flags (multi-select)."""

    key: str
    columns: tuple[str, ...]
    ordered: bool = False

    @property
    def flags(self) -> bool:
        return len(self.columns) > 1


DIMENSIONS: dict[str, Dimension] = {
    d.key: d
    for d in (
        Dimension("year", ("yearOfRegistration",), ordered=True),
        Dimension("sex", ("gender",)),
        Dimension("age", ("ageBroad",), ordered=True),
        Dimension("exploitation", FLAGS_EXPLOITATION),
        Dimension("means", FLAGS_MEANS),
        Dimension("labour", FLAGS_LABOUR),
        Dimension("recruiter", ("recruiterRelation",)),
        Dimension("citizenship", ("citizenship",)),
        Dimension("country", ("CountryOfExploitation",)),
    )
}
# The columns a visitor can filter every chart by.
FILTER_COLUMNS = ("yearOfRegistration", "gender", "ageBroad", "citizenship", "CountryOfExploitation")
PRODUCT_ORDER = {SYNTHETIC: 0, K_ANONYMOUS: 1}


class NoTable(ValidationError):
    """No published table of the release holds every column a question needs."""


@dataclass(frozen=True)
class Bar:
    """One value of a breakdown: its count (``None`` when withheld), error bound and share of the denominator."""

    value: str
    count: int | None
    error_bound: int | None
    share: float | None


@dataclass(frozen=True)
class Breakdown:
    dimension: str
    table: str
    protection: dict[str, Any]
    filters: dict[str, str]
    bars: tuple[Bar, ...]
    denominator: int
    missing: int

    @property
    def total(self) -> int:
        return self.denominator + self.missing

    @property
    def missing_share(self) -> float | None:
        return self.missing / self.total if self.total else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "table": self.table,
            "protection": self.protection,
            "filters": self.filters,
            "denominator": self.denominator,
            "missing": self.missing,
            "missing_share": self.missing_share,
            "bars": [
                {"value": b.value, "count": b.count, "error_bound": b.error_bound, "share": b.share} for b in self.bars
            ],
        }


def protection(release: Release, table: ReleaseTable) -> dict[str, Any]:
    """How ``table`` was protected, in the words of the release's own report."""
    out: dict[str, Any] = {"product": table.product, "table": table.name, "threshold": release.threshold}
    if table.product == AGGREGATE:
        dp = release.report.get("differential_privacy", {})
        keys = ("mechanism", "epsilon", "delta", "error_bound", "error_confidence")
        out.update({k: dp.get(k) for k in keys})
    elif table.product == SYNTHETIC:
        synthetic = release.report.get("synthetic", {})
        out.update({"epsilon": synthetic.get("epsilon"), "delta": synthetic.get("delta")})
    else:
        out.update({"k": release.k, "quasi_identifiers": release.privacy.get("quasi_identifiers", [])})
    return out


def choose_table(release: Release, columns: tuple[str, ...]) -> ReleaseTable:
    """The table that answers a question about ``columns`` (see the module docstring for the order)."""
    needed = set(columns)
    aggregates = [t for t in release.tables if t.product == AGGREGATE and needed <= set(t.dimensions)]
    if aggregates:
        return min(aggregates, key=lambda t: (len(t.dimensions), t.name))
    micro = [t for t in release.tables if t.product != AGGREGATE and needed <= set(t.columns)]
    if micro:
        return min(micro, key=lambda t: PRODUCT_ORDER[t.product])
    raise NoTable(f"no table of release {release.slug} holds {', '.join(sorted(needed))}")


def check_filters(filters: Mapping[str, str]) -> dict[str, str]:
    unknown = [c for c in filters if c not in FILTER_COLUMNS]
    if unknown:
        raise ValidationError(f"charts can be filtered by {', '.join(FILTER_COLUMNS)} only", field=unknown[0])
    return {c: v for c, v in filters.items() if v != ""}


class _Counter:
    """Counts over one table under the filters: noisy sums of published cells, or withheld-if-small row counts."""

    def __init__(self, data: ReleaseData, release: Release, table: ReleaseTable, filters: Mapping[str, str]) -> None:
        self.data, self.release, self.table = data, release, table
        _, self.sql_name = data.table(release.slug, table.name)
        self.where, self.params = where_clause(table, [Filter(c, "exact", v) for c, v in filters.items()])

    def grouped(self, column: str) -> list[tuple[str, int | None, int | None]]:
        c = quote(column)
        if self.table.product == AGGREGATE:
            rows = self.data.query(
                f"SELECT {c}, SUM(count), COUNT(*), MAX(error_bound) FROM {self.sql_name} WHERE {self.where} "
                f"GROUP BY {c}",
                self.params,
            )
            return [(str(v), int(n), sum_error_bound(int(b), int(cells))) for v, n, cells, b in rows]
        rows = self.data.query(
            f"SELECT {c}, COUNT(*) FROM {self.sql_name} WHERE {self.where} GROUP BY {c}", self.params
        )
        return [(str(v), self._withheld(int(n)), None) for v, n in rows]

    def count(self, condition: str) -> tuple[int | None, int | None]:
        if self.table.product == AGGREGATE:
            row = self.data.query(
                f"SELECT COALESCE(SUM(count), 0), COUNT(*), COALESCE(MAX(error_bound), 0) FROM {self.sql_name} "
                f"WHERE {self.where} AND {condition}",
                self.params,
            )[0]
            return int(row[0]), sum_error_bound(int(row[2]), int(row[1]))
        n = int(
            self.data.query(f"SELECT COUNT(*) FROM {self.sql_name} WHERE {self.where} AND {condition}", self.params)[0][
                0
            ]
        )
        return self._withheld(n), None

    def _withheld(self, n: int) -> int | None:
        return n if n >= self.release.threshold else None


def _share(count: int | None, denominator: int) -> float | None:
    return count / denominator if count is not None and denominator else None


def breakdown(data: ReleaseData, slug: str, dimension: str, filters: Mapping[str, str]) -> Breakdown:
    """Cases of release ``slug`` broken down by ``dimension`` under ``filters`` (column -> exact value)."""
    if dimension not in DIMENSIONS:
        raise ValidationError(f"unknown chart {dimension!r}; known: {', '.join(DIMENSIONS)}", field="dimension")
    dim = DIMENSIONS[dimension]
    wanted = check_filters(filters)
    release = data.release(slug)
    table = choose_table(release, (*dim.columns, *wanted))
    counter = _Counter(data, release, table, wanted)
    if dim.flags:
        recorded = " OR ".join(f"{quote(c)} <> ''" for c in dim.columns)
        denominator, _ = counter.count(f"({recorded})")
        missing, _ = counter.count(f"NOT ({recorded})")
        den = denominator or 0
        flags = []
        for column in dim.columns:
            n, bound = counter.count(f"{quote(column)} = '1'")
            flags.append(Bar(column, n, bound, _share(n, den)))
        return Breakdown(dimension, table.name, protection(release, table), wanted, tuple(flags), den, missing or 0)
    column = dim.columns[0]
    groups = counter.grouped(column)
    missing = sum(n or 0 for v, n, _ in groups if v == "")
    den = sum(n or 0 for v, n, _ in groups if v != "")
    found = {v: (n, b) for v, n, b in groups if v != ""}
    if dim.ordered:
        field_ = table.field(column)
        order = [c for c in (field_.categories if field_ else ()) if c in found] + sorted(
            v for v in found if field_ is None or v not in field_.categories
        )
    else:
        order = sorted(found, key=lambda v: (-(found[v][0] or 0), v))
    bars = tuple(Bar(v, found[v][0], found[v][1], _share(found[v][0], den)) for v in order)
    return Breakdown(dimension, table.name, protection(release, table), wanted, bars, den, missing)


@dataclass(frozen=True)
class Headline:
    """The figures at the top of the dashboard, each with its error bound or denominator."""

    total: int
    total_error_bound: int | None
    women: float | None
    women_denominator: int
    minors: float | None
    minors_denominator: int
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "total_error_bound": self.total_error_bound,
            "women_share": self.women,
            "women_denominator": self.women_denominator,
            "minors_share": self.minors,
            "minors_denominator": self.minors_denominator,
            "tables": list(self.sources),
        }


def _is_minor_band(label: str) -> bool:
    """An age band whose upper bound is under 18 (CRC article 1), labels as ``low--high``."""
    _low, sep, high = label.partition("--")
    return bool(sep) and high.isdigit() and int(high) < 18


def headline(data: ReleaseData, slug: str, filters: Mapping[str, str]) -> Headline:
    sex = breakdown(data, slug, "sex", filters)
    age = breakdown(data, slug, "age", filters)
    release = data.release(slug)
    table = choose_table(release, ("yearOfRegistration", *check_filters(filters)))
    total, bound = _Counter(data, release, table, check_filters(filters)).count("TRUE")
    women = next((b.share for b in sex.bars if b.value == "Woman"), None)
    minors_count = sum(b.count or 0 for b in age.bars if _is_minor_band(b.value))
    return Headline(
        total=total or 0,
        total_error_bound=bound,
        women=women,
        women_denominator=sex.denominator,
        minors=minors_count / age.denominator if age.denominator else None,
        minors_denominator=age.denominator,
        sources=tuple(dict.fromkeys((table.name, sex.table, age.table))),
    )
