"""The portal's JSON API, in Datasette's conventions, over the releases being served.

Routes (all GET, JSON unless the path ends in ``.csv``):

* ``/api/`` - the releases; ``/api/{release}`` - one release, its tables and their protection;
* ``/api/{release}/{table}.json|.csv`` - rows, with ``column__op=value`` filters, ``_facet``, ``_sort`` /
  ``_sort_desc``, ``_size``, ``_next`` (key-set pagination), ``_col`` and ``_shape=objects|arrays``;
* ``/api/{release}/-/charts/{chart}.json|.csv`` - the data behind each dashboard chart, filtered like it;
* ``/api/{release}/-/headline.json`` and ``/api/{release}/-/flows.json|.csv``.

Stability promise: within major version 1 of this API, a route, a parameter or a field in an answer is
never removed or renamed and never changes meaning; new fields and routes may be added, so clients must
ignore fields they do not know. Error codes are the stable codes of ``ctdx.errors``. A change that breaks
this is a new major version served beside the old one for at least twelve months.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from ctdx.analytics import DIMENSIONS, TableQuery, breakdown, flows, headline, parse_filter, query_table
from ctdx.analytics.breakdowns import protection
from ctdx.analytics.database import ReleaseData
from ctdx.analytics.release import Release
from ctdx.analytics.tablequery import DEFAULT_SIZE, MAX_SIZE, TableResult
from ctdx.cells import neutralise
from ctdx.errors import NotFoundError, ValidationError
from ctdx.portal.responses import cached, envelope

API_VERSION = "1.0"
STABILITY = (
    "Within major version 1 no route, parameter or answer field is removed, renamed or changes meaning; "
    "fields and routes may be added (ignore unknown fields). Breaking changes come as a new major version "
    "served beside this one for at least twelve months."
)
ROW_PARAMETERS = frozenset({"_size", "_next", "_sort", "_sort_desc", "_facet", "_col", "_shape"})


class ApiError(BaseModel):
    """The one error shape."""

    ok: Literal[False]
    status: int
    code: str
    error: str


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ApiError, "description": "A parameter is not understood (the error says which)."},
    404: {"model": ApiError, "description": "No such release, table, chart or format."},
}
router = APIRouter(prefix="/api", responses=ERRORS)


def data_of(request: Request) -> ReleaseData:
    data: ReleaseData = request.app.state.data
    return data


def split_format(name: str) -> tuple[str, str]:
    """``table.json`` -> (``table``, ``json``); the format is ``json`` or ``csv``."""
    stem, dot, fmt = name.rpartition(".")
    if not dot or fmt not in ("json", "csv"):
        raise NotFoundError(f"{name!r}: ask for .json or .csv")
    return stem, fmt


def csv_response(request: Request, header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise("" if v is None else v) for v in row])
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return cached(request, out.getvalue().encode("utf-8"), "text/csv; charset=utf-8", disposition)


def release_summary(release: Release, base: str = "/api") -> dict[str, Any]:
    package = release.package
    return {
        "slug": release.slug,
        "name": release.name,
        "version": release.version,
        "title": release.title,
        "created": package.get("created"),
        "licenses": package.get("licenses", []),
        "citation": package.get("citation"),
        "url": f"{base}/{release.slug}",
    }


@router.get("/", summary="The releases served here")
def releases(request: Request) -> Response:
    data = data_of(request)
    return envelope(
        request,
        {
            "api_version": API_VERSION,
            "stability": STABILITY,
            "releases": [release_summary(r) for r in data.releases.values()],
        },
    )


@router.get("/{release}", summary="One release: its description, privacy guarantees and tables")
def release_detail(request: Request, release: str) -> Response:
    found = data_of(request).release(release)
    tables = [
        {
            "name": t.name,
            "product": t.product,
            "columns": [{"name": f.name, "type": f.type, "title": f.title} for f in t.fields],
            "protection": protection(found, t),
            "rows_url": f"/api/{found.slug}/{t.name}.json",
        }
        for t in found.tables
    ]
    return envelope(
        request,
        {"release": {**release_summary(found), "privacy": found.privacy, "sources": found.package.get("sources", [])},
         "tables": tables},
    )  # fmt: skip


def _table_query(request: Request) -> TableQuery:
    params = request.query_params
    unknown = [k for k in params if k.startswith("_") and k not in ROW_PARAMETERS]
    if unknown:
        raise ValidationError(f"unknown parameter {unknown[0]}; known: {', '.join(sorted(ROW_PARAMETERS))}")
    filters = tuple(parse_filter(k, v) for k, v in params.multi_items() if not k.startswith("_"))
    sort, sort_desc = params.get("_sort"), params.get("_sort_desc")
    if sort and sort_desc:
        raise ValidationError("use _sort or _sort_desc, not both", field="_sort")
    try:
        size = int(params.get("_size", DEFAULT_SIZE))
    except ValueError:
        raise ValidationError(f"_size is a whole number between 1 and {MAX_SIZE}", field="_size") from None
    shape = params.get("_shape", "objects")
    if shape not in ("objects", "arrays"):
        raise ValidationError("_shape is objects or arrays", field="_shape")
    return TableQuery(
        filters=filters,
        sort=sort or sort_desc,
        descending=bool(sort_desc),
        size=size,
        after=params.get("_next"),
        facets=tuple(params.getlist("_facet")),
        columns=tuple(params.getlist("_col")),
    )


def _next_url(request: Request, token: str) -> str:
    items = [(k, v) for k, v in request.query_params.multi_items() if k != "_next"]
    return f"{request.url.path}?{urlencode([*items, ('_next', token)])}"


def _rows_body(request: Request, slug: str, result: TableResult) -> dict[str, Any]:
    objects = request.query_params.get("_shape", "objects") == "objects"
    rows: list[Any] = [dict(zip(result.columns, r, strict=True)) if objects else list(r) for r in result.rows]
    facets = {
        column: {
            "results": [
                {"value": v.value, "count": v.count, "suppressed": v.suppressed}
                | ({"cells": v.cells, "error_bound": v.error_bound} if v.cells is not None else {})
                for v in values
            ],
            "truncated": result.facets_truncated[column],
        }
        for column, values in result.facets.items()
    }
    release = data_of(request).release(slug)
    return {
        "release": slug,
        "table": result.table.name,
        "columns": list(result.columns),
        "rows": rows,
        "count": result.count,
        "next": result.next,
        "next_url": _next_url(request, result.next) if result.next else None,
        "facet_results": facets,
        "protection": protection(release, result.table),
    }


@router.get("/{release}/{table}", summary="Rows of a table, filtered, faceted, sorted and paginated")
def rows(
    request: Request,
    release: str,
    table: str,
    size: Annotated[int, Query(alias="_size", ge=1, le=MAX_SIZE, description="Rows per page")] = DEFAULT_SIZE,
    after: Annotated[str | None, Query(alias="_next", description="Token of the next page")] = None,
    sort: Annotated[str | None, Query(alias="_sort", description="Sort ascending by this column")] = None,
    sort_desc: Annotated[str | None, Query(alias="_sort_desc", description="Sort descending")] = None,
    facet: Annotated[list[str] | None, Query(alias="_facet", description="Count by this column (repeat)")] = None,
    col: Annotated[list[str] | None, Query(alias="_col", description="Return only these columns (repeat)")] = None,
    shape: Annotated[str, Query(alias="_shape", pattern="^(objects|arrays)$")] = "objects",
) -> Response:
    """Filters are ``column__op=value`` with op one of exact, not, contains, startswith, endswith, gt, gte, lt,
    lte, in, notin (comma-separated), isblank, notblank; ``column=value`` means exact. On a DP aggregate table
    a facet adds up the noisy counts of the published cells that match; on microdata it counts rows and
    withholds counts below the release's threshold."""
    name, fmt = split_format(table)
    result = query_table(data_of(request), release, name, _table_query(request))
    if fmt == "csv":
        return csv_response(request, result.columns, result.rows, f"{release}-{name}.csv")
    return envelope(request, _rows_body(request, release, result))


def _chart_filters(request: Request, allowed: frozenset[str] = frozenset()) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k not in allowed}


@router.get("/{release}/-/charts/{chart}", summary="The data behind one dashboard chart")
def chart(request: Request, release: str, chart: str) -> Response:
    """Filters: yearOfRegistration, gender, ageBroad, citizenship, CountryOfExploitation (exact values)."""
    name, fmt = split_format(chart)
    if name not in DIMENSIONS:
        raise NotFoundError(f"no chart {name!r}; charts: {', '.join(DIMENSIONS)}")
    result = breakdown(data_of(request), release, name, _chart_filters(request))
    if fmt == "csv":
        header = ("value", "count", "error_bound", "share", "denominator", "missing", "table", "product")
        rows = [
            (b.value, b.count, b.error_bound, "" if b.share is None else f"{b.share:.6f}", result.denominator,
             result.missing, result.table, result.protection["product"])
            for b in result.bars
        ]  # fmt: skip
        return csv_response(request, header, rows, f"{release}-{name}.csv")
    return envelope(request, {"release": release, "chart": result.to_dict()})


@router.get("/{release}/-/headline.json", summary="Headline figures with their error bounds and denominators")
def headline_figures(request: Request, release: str) -> Response:
    result = headline(data_of(request), release, _chart_filters(request))
    return envelope(request, {"release": release, "headline": result.to_dict()})


@router.get("/{release}/-/flows/{level}", summary="Origin -> exploitation flows at a level")
def flow_data(request: Request, release: str, level: str) -> Response:
    """Level: country, subregion or region; filters as for charts."""
    name, fmt = split_format(level)
    result = flows(data_of(request), release, name, _chart_filters(request))
    if fmt == "csv":
        header = ("origin", "destination", "count", "error_bound", "table", "product")
        rows = [(f.origin, f.destination, f.count, f.error_bound, result.table, result.protection["product"])
                for f in result.flows]  # fmt: skip
        return csv_response(request, header, rows, f"{release}-flows-{name}.csv")
    return envelope(request, {"release": release, "flows": result.to_dict()})
