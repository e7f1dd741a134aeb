"""Aggregates, flows and trends over published release files (never a case database), with the CTDC
denominator rule, and Datasette-style table queries that keep suppressed cells suppressed."""

from ctdx.analytics.breakdowns import DIMENSIONS, FILTER_COLUMNS, Bar, Breakdown, Headline, breakdown, headline
from ctdx.analytics.database import ReleaseData
from ctdx.analytics.flows import LEVELS, Flow, Flows, flows
from ctdx.analytics.release import Release, ReleaseTable, open_release
from ctdx.analytics.tablequery import FacetValue, Filter, TableQuery, TableResult, parse_filter, query_table

__all__ = [
    "DIMENSIONS",
    "FILTER_COLUMNS",
    "LEVELS",
    "Bar",
    "Breakdown",
    "FacetValue",
    "Filter",
    "Flow",
    "Flows",
    "Headline",
    "Release",
    "ReleaseData",
    "ReleaseTable",
    "TableQuery",
    "TableResult",
    "breakdown",
    "flows",
    "headline",
    "open_release",
    "parse_filter",
    "query_table",
]
