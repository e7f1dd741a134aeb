"""Frictionless Table Schema (v1) of the flat native ctdx CSV: one row per case.

The native CSV (read by ``ctdx import``, written by ``ctdx sample``) has an optional ``source_record_id``
column and one column per case-level HTCDS field, named by the field. The repeated parts of a case
(events, perpetrators, support plans) have no place in one flat row and are not in this schema; they
travel as JSON Lines (``ctdx.standard.json_schema``).

Conventions, also written into each field's ``description``:
- a multi-select is one string of system names joined with ";" (``constraints.pattern`` lists the names);
- a date is ISO ``YYYY-MM-DD``; a checkbox ``TRUE``/``FALSE`` (``1``/``0``/``yes``/``no`` read too);
- an empty cell is an absent (unknown) value: ``missingValues`` is ``[""]``.
Single-selects carry ``constraints.enum`` and also the Table Schema v2 ``categories`` (value and label),
which v1 readers ignore as a custom property.
"""

from __future__ import annotations

import re
from typing import Any

from ctdx.standard.exports import (
    DEFAULT_EXPORT_OPTIONS,
    MULTI_SEPARATOR,
    ExportOptions,
    case_fields,
    field_choices,
    number_bounds,
)
from ctdx.standard.fields import Field, Standard

SOURCE_ID_COLUMN = "source_record_id"
TRUE_VALUES = ["TRUE", "true", "1", "yes"]
FALSE_VALUES = ["FALSE", "false", "0", "no"]


def multi_pattern(names: list[str]) -> str:
    """A pattern (implicitly anchored, as Table Schema patterns are) for names joined with ";"."""
    one = "(?:" + "|".join(re.escape(n) for n in names) + ")"
    return f"{one}(?:{re.escape(MULTI_SEPARATOR)}{one})*"


def table_field(field: Field, options: ExportOptions = DEFAULT_EXPORT_OPTIONS) -> dict[str, Any]:
    """The Table Schema descriptor of one column."""
    described = field.description or field.label
    column: dict[str, Any] = {"name": field.name, "title": field.label}
    constraints: dict[str, Any] = {}
    values = field_choices(field, options)
    if values:
        names = [v.name for v in values]
        column["type"] = "string"
        if field.multiple:
            constraints["pattern"] = multi_pattern(names)
            described += " Several values are joined with ';'."
        else:
            constraints["enum"] = names
            if field.vocabulary is None:
                column["categories"] = [{"value": v.name, "label": v.label} for v in values]
    elif field.type == "date":
        column["type"] = "date"
        column["format"] = "default"
        described += " ISO date YYYY-MM-DD."
    elif field.type in ("number", "geolocation"):
        integer, low, high = number_bounds(field)
        column["type"] = "integer" if integer else "number"
        if low is not None:
            constraints["minimum"] = low
        if high is not None:
            constraints["maximum"] = high
    elif field.type == "checkbox":
        column.update(type="boolean", trueValues=TRUE_VALUES, falseValues=FALSE_VALUES)
    else:
        column["type"] = "string"
        if field.name.endswith("Email"):
            column["format"] = "email"
    column["description"] = described.strip()
    if constraints:
        column["constraints"] = constraints
    column["x-htcds-core"] = field.core
    column["x-identifying"] = field.identifying
    column["x-htcds-extension"] = field.extension
    if field.vocabulary:
        column["x-vocabulary"] = field.vocabulary
    if field.deprecated:
        column["x-deprecated"] = True
    return column


def case_table_schema(standard: Standard, options: ExportOptions = DEFAULT_EXPORT_OPTIONS) -> dict[str, Any]:
    """The Table Schema of the native CSV under ``options``."""
    source = {
        "name": SOURCE_ID_COLUMN,
        "title": "Source record id",
        "type": "string",
        "description": (
            "The record's id in the system it comes from; re-importing the same id replaces it. Optional: "
            "without it, ctdx import uses the file's SHA-256 and the row number."
        ),
        "constraints": {"unique": True},
    }
    return {
        "fields": [source, *(table_field(f, options) for f in case_fields(standard, options))],
        "missingValues": [""],
        "description": (
            f"Native ctdx case CSV under the {standard.id} standard: one row per case, one column per "
            f"case-level HTCDS field; multi-selects joined with ';'. Generated from the HTCDS field list "
            f"({standard.source}); {standard.license}."
        ),
        "x-ctdx-standard": standard.id,
    }
