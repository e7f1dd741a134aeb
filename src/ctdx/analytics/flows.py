"""Origin -> exploitation flows (citizenship to country of exploitation) at country, sub-region or region level.

Flows come from the table ``choose_table`` picks for the two country columns and the filters (the DP
``flows`` table when the filters allow it). Regions are UN M49 regions and sub-regions, from the same
table the release's generalisation hierarchy uses; a value the microdata already generalised to a region
is kept as it is. Only pairs where both countries are recorded enter a flow, and each flow adds up
published cells only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from ctdx.analytics.breakdowns import check_filters, choose_table, protection
from ctdx.analytics.database import ReleaseData
from ctdx.analytics.release import AGGREGATE
from ctdx.analytics.tablequery import Filter, sum_error_bound, where_clause
from ctdx.errors import ValidationError
from ctdx.privacy.hierarchies import m49_subregions
from ctdx.standard import alpha3

LEVELS = ("country", "subregion", "region")
ORIGIN, DESTINATION = "citizenship", "CountryOfExploitation"


@cache
def _regions() -> dict[str, tuple[str, str]]:
    return {alpha3(a2): names for a2, names in m49_subregions().items()}


def place(code: str, level: str) -> str:
    """``code`` (ISO alpha-3) at ``level``; unknown codes and already generalised labels unchanged."""
    if level == "country" or code not in _regions():
        return code
    sub, region = _regions()[code]
    return sub if level == "subregion" else region


@dataclass(frozen=True)
class Flow:
    origin: str
    destination: str
    count: int | None
    error_bound: int | None


@dataclass(frozen=True)
class Flows:
    level: str
    table: str
    protection: dict[str, Any]
    filters: dict[str, str]
    flows: tuple[Flow, ...]
    total: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "table": self.table,
            "protection": self.protection,
            "filters": self.filters,
            "total": self.total,
            "flows": [
                {"origin": f.origin, "destination": f.destination, "count": f.count, "error_bound": f.error_bound}
                for f in self.flows
            ],
        }


def flows(data: ReleaseData, slug: str, level: str, filters: Mapping[str, str], limit: int = 20) -> Flows:
    """The ``limit`` largest flows of release ``slug`` at ``level`` under ``filters``."""
    if level not in LEVELS:
        raise ValidationError(f"level is one of {', '.join(LEVELS)}", field="level")
    if not 1 <= limit <= 200:
        raise ValidationError("limit is between 1 and 200", field="limit")
    wanted = check_filters(filters)
    release = data.release(slug)
    table = choose_table(release, (ORIGIN, DESTINATION, *wanted))
    _, sql_name = data.table(slug, table.name)
    where, params = where_clause(table, [Filter(c, "exact", v) for c, v in wanted.items()])
    where += f" AND \"{ORIGIN}\" <> '' AND \"{DESTINATION}\" <> ''"
    aggregate = table.product == AGGREGATE
    measure = "SUM(count), COUNT(*), MAX(error_bound)" if aggregate else "COUNT(*), COUNT(*), 0"
    rows = data.query(
        f'SELECT "{ORIGIN}", "{DESTINATION}", {measure} FROM {sql_name} WHERE {where} GROUP BY 1, 2', params
    )
    grouped: dict[tuple[str, str], list[int]] = {}
    for origin, destination, n, cells, bound in rows:
        key = (place(str(origin), level), place(str(destination), level))
        entry = grouped.setdefault(key, [0, 0, 0])
        entry[0] += int(n)
        entry[1] += int(cells)
        entry[2] = max(entry[2], int(bound))
    out = []
    for (origin, destination), (n, cells, bound) in grouped.items():
        if aggregate:
            out.append(Flow(origin, destination, n, sum_error_bound(bound, cells)))
        elif n >= release.threshold:
            out.append(Flow(origin, destination, n, None))
    out.sort(key=lambda f: (-(f.count or 0), f.origin, f.destination))
    return Flows(
        level=level,
        table=table.name,
        protection=protection(release, table),
        filters=wanted,
        flows=tuple(out[:limit]),
        total=sum(f.count or 0 for f in out),
    )
