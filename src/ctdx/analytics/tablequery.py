"""Rows of one published table: Datasette-style filters, facets, sorting and key-set pagination.

Filters are ``column__op=value`` (``column=value`` means ``exact``). The privacy rule: every number comes
from one published table at that table's own grain. For a DP aggregate table a facet adds up the noisy
counts of the *published* cells that match, so a suppressed cell is never part of any answer and no
combination of filters can rebuild it by differencing. For microdata (k-anonymous or synthetic) a facet
counts rows, and counts below the release's suppression threshold are withheld.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ctdx.analytics.database import ReleaseData, quote
from ctdx.analytics.release import AGGREGATE, ReleaseTable
from ctdx.errors import ValidationError

OPERATORS: dict[str, str] = {
    "exact": "{c} = ?",
    "not": "{c} <> ?",
    "contains": "contains({c}, ?)",
    "startswith": "starts_with({c}, ?)",
    "endswith": "suffix({c}, ?)",
    "gt": "{c} > ?",
    "gte": "{c} >= ?",
    "lt": "{c} < ?",
    "lte": "{c} <= ?",
    "in": "{c} IN ({marks})",
    "notin": "{c} NOT IN ({marks})",
    "isblank": "({c} IS NULL OR CAST({c} AS VARCHAR) = '')",
    "notblank": "({c} IS NOT NULL AND CAST({c} AS VARCHAR) <> '')",
}
NO_VALUE = frozenset({"isblank", "notblank"})
DEFAULT_SIZE = 100
MAX_SIZE = 1000
FACET_SIZE = 30


@dataclass(frozen=True)
class Filter:
    column: str
    op: str
    value: str


@dataclass(frozen=True)
class TableQuery:
    filters: tuple[Filter, ...] = ()
    sort: str | None = None
    descending: bool = False
    size: int = DEFAULT_SIZE
    after: str | None = None
    facets: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int | None
    cells: int | None = None
    error_bound: int | None = None

    @property
    def suppressed(self) -> bool:
        return self.count is None


@dataclass(frozen=True)
class TableResult:
    table: ReleaseTable
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    count: int
    next: str | None
    facets: dict[str, tuple[FacetValue, ...]] = field(default_factory=dict)
    facets_truncated: dict[str, bool] = field(default_factory=dict)


def parse_filter(key: str, value: str) -> Filter:
    """``column__op`` and its value as a filter (operators checked, columns checked later)."""
    column, _, op = key.partition("__")
    op = op or "exact"
    if op not in OPERATORS:
        raise ValidationError(f"unknown filter operator {op!r}; known: {', '.join(OPERATORS)}", field=key)
    return Filter(column, op, value)


def _check_column(table: ReleaseTable, name: str, what: str) -> None:
    if table.field(name) is None:
        raise ValidationError(f"{what}: table {table.name} has no column {name!r}", field=name)


def _value(table: ReleaseTable, column: str, text: str) -> Any:
    field_ = table.field(column)
    if field_ is not None and field_.type == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValidationError(f"{column} holds whole numbers; {text!r} is not one", field=column) from None
    return text


def where_clause(table: ReleaseTable, filters: Sequence[Filter]) -> tuple[str, list[Any]]:
    """SQL condition and parameters for ``filters`` on ``table``."""
    parts: list[str] = []
    params: list[Any] = []
    for item in filters:
        _check_column(table, item.column, "filter")
        column = quote(item.column)
        if item.op in NO_VALUE:
            parts.append(OPERATORS[item.op].format(c=column))
        elif item.op in ("in", "notin"):
            values = item.value.split(",")
            parts.append(OPERATORS[item.op].format(c=column, marks=", ".join("?" * len(values))))
            params.extend(_value(table, item.column, v) for v in values)
        else:
            parts.append(OPERATORS[item.op].format(c=column))
            params.append(_value(table, item.column, item.value))
    return (" AND ".join(parts) or "TRUE"), params


def _encode(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def _decode(token: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("_next is not a token this API gave out", field="_next") from None
    if not isinstance(values, list) or not values or not isinstance(values[-1], int):
        raise ValidationError("_next is not a token this API gave out", field="_next")
    return values


def sum_error_bound(cell_bound: int, cells: int) -> int:
    """Error bound of a sum of ``cells`` independently noised cells each within ``cell_bound``.

    Independent noises add in quadrature, so the bound grows with the square root of the number of cells
    (exact for Gaussian noise, a close approximation for discrete Laplace noise summed over many cells).
    """
    return math.ceil(cell_bound * math.sqrt(cells)) if cells else 0


def _count_and_facets(
    data: ReleaseData, table: ReleaseTable, sql_name: str, facets: tuple[str, ...], where: str, params: list[Any],
    threshold: int,
) -> tuple[int, dict[str, tuple[FacetValue, ...]], dict[str, bool]]:  # fmt: skip
    """The number of matching rows and every facet, from one scan (``GROUPING SETS``)."""
    columns = [quote(c) for c in facets]
    aggregate = table.product == AGGREGATE
    measure = "SUM(count), COUNT(*), MAX(error_bound)" if aggregate else "COUNT(*), COUNT(*), 0"
    sets = ", ".join([*(f"({c})" for c in columns), "()"])
    selected = ", ".join([*columns, *(f"GROUPING({c})" for c in columns), measure])
    rows = data.query(f"SELECT {selected} FROM {sql_name} WHERE {where} GROUP BY GROUPING SETS ({sets})", params)
    width = len(columns)
    total = 0
    found: dict[str, list[tuple[str, int, int, int]]] = {c: [] for c in facets}
    for row in rows:
        values, grouped, (n, cells, bound) = row[:width], row[width : 2 * width], row[2 * width :]
        if all(grouped):
            total = int(cells)
            continue
        i = grouped.index(0)
        found[facets[i]].append((str(values[i]), int(n), int(cells), int(bound or 0)))
    out, truncated = {}, {}
    for column, items in found.items():
        items.sort(key=lambda item: (-item[1], item[0]))
        if aggregate:
            out[column] = tuple(FacetValue(v, n, c, sum_error_bound(b, c)) for v, n, c, b in items[:FACET_SIZE])
        else:
            out[column] = tuple(FacetValue(v, n if n >= threshold else None) for v, n, _, _ in items[:FACET_SIZE])
        truncated[column] = len(items) > FACET_SIZE
    return total, out, truncated


def query_table(data: ReleaseData, slug: str, table_name: str, query: TableQuery) -> TableResult:
    """The rows of one table matching ``query``, one page of them, with the facets asked for."""
    table, sql_name = data.table(slug, table_name)
    threshold = data.release(slug).threshold
    if not 1 <= query.size <= MAX_SIZE:
        raise ValidationError(f"_size is between 1 and {MAX_SIZE}", field="_size")
    for name in (*query.facets, *query.columns, *([query.sort] if query.sort else [])):
        _check_column(table, name, "column")
    where, params = where_clause(table, query.filters)
    facet_columns = tuple(dict.fromkeys(query.facets))
    count, facets, truncated = _count_and_facets(data, table, sql_name, facet_columns, where, params, threshold)
    columns = query.columns or table.columns
    order = "DESC" if query.descending else "ASC"
    keys = [quote(query.sort)] if query.sort else []
    page_where, page_params = where, list(params)
    if query.after is not None:
        token = _decode(query.after)
        if len(token) != len(keys) + 1:
            raise ValidationError("_next does not belong to this sort order", field="_next")
        if keys:
            cmp = "<" if query.descending else ">"
            page_where += f" AND ({keys[0]} {cmp} ? OR ({keys[0]} = ? AND rowid > ?))"
            page_params += [token[0], token[0], token[1]]
        else:
            page_where += " AND rowid > ?"
            page_params.append(token[0])
    order_by = ", ".join([*(f"{k} {order}" for k in keys), "rowid"])
    selected = ", ".join(["rowid", *(quote(c) for c in columns), *keys])
    rows = data.query(
        f"SELECT {selected} FROM {sql_name} WHERE {page_where} ORDER BY {order_by} LIMIT {query.size + 1}", page_params
    )
    following = None
    if len(rows) > query.size:
        last = rows[query.size - 1]
        following = _encode([*last[len(columns) + 1 :], last[0]])
    return TableResult(
        table=table,
        columns=tuple(columns),
        rows=[r[1 : len(columns) + 1] for r in rows[: query.size]],
        count=count,
        next=following,
        facets=facets,
        facets_truncated=truncated,
    )
