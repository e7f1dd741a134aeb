"""Which fields an export holds, and the one entry point that writes any export of the standard.

A case record (``ctdx.model.CaseRecord``) holds the case-level fields in ``values`` and three repeated
parts: historic trafficking events, perpetrators and support plans. Every export (JSON Schema, Table
Schema, XLSForm) takes the same selection of fields from here, so ``--core-only`` and ``--no-extensions``
mean the same thing in all three.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ctdx.errors import ValidationError
from ctdx.standard.fields import Field, Standard, Value
from ctdx.standard.vocabularies import choices

ExportFormat = Literal["jsonschema", "tableschema", "xlsform"]
FORMATS: tuple[ExportFormat, ...] = ("jsonschema", "tableschema", "xlsform")

# Entities whose fields sit in ``CaseRecord.values``; the others are repeated parts of the record.
CASE_ENTITIES = ("consent", "person", "victim_context", "case", "case_comment")
# Repeated part -> entities of its fields. A perpetrator is a person too (data-standard.md section 4,
# "a perpetrator record linked to cases, reusing prs_ fields").
PART_ENTITIES: dict[str, tuple[str, ...]] = {
    "events": ("trafficking_event",),
    "perpetrators": ("perpetrator", "person"),
    "support_plans": ("support_plan",),
}
# The age bounds of issue 2 ("age under 0 or over 120" is bad input).
MAX_AGE_YEARS = 120
# WGS 84 coordinate bounds.
LATITUDE_RANGE = (-90.0, 90.0)
LONGITUDE_RANGE = (-180.0, 180.0)
INTEGER_FIELDS: dict[str, tuple[int, int | None]] = {
    "prs_NumberOfChildren": (0, None),
    "vic_AgeWhenTrafficked": (0, MAX_AGE_YEARS),
}
MULTI_SEPARATOR = ";"


@dataclass(frozen=True)
class ExportOptions:
    """What an export leaves out: non-core fields, and ctdx's extension fields and values."""

    core_only: bool = False
    extensions: bool = True


DEFAULT_EXPORT_OPTIONS = ExportOptions()


def _keep(field: Field, options: ExportOptions) -> bool:
    if field.extension and not options.extensions:
        return False
    return field.core or not options.core_only


def case_fields(standard: Standard, options: ExportOptions = DEFAULT_EXPORT_OPTIONS) -> tuple[Field, ...]:
    """The fields of ``CaseRecord.values`` that an export with ``options`` holds, in entity order."""
    return tuple(f for entity in CASE_ENTITIES for f in standard.fields if f.entity == entity and _keep(f, options))


def part_fields(standard: Standard, part: str, options: ExportOptions = DEFAULT_EXPORT_OPTIONS) -> tuple[Field, ...]:
    """The fields of one repeated part (``events``, ``perpetrators``, ``support_plans``); none when the
    part's own entity keeps no field (a perpetrator is not a bag of person fields)."""
    kept = tuple(
        f for entity in PART_ENTITIES[part] for f in standard.fields if f.entity == entity and _keep(f, options)
    )
    return kept if any(f.entity == PART_ENTITIES[part][0] for f in kept) else ()


def field_choices(field: Field, options: ExportOptions = DEFAULT_EXPORT_OPTIONS) -> tuple[Value, ...]:
    return choices(field, extensions=options.extensions)


def number_bounds(field: Field) -> tuple[bool, float | None, float | None]:
    """(is integer, minimum, maximum) for a number or geolocation field."""
    if field.name in INTEGER_FIELDS:
        low, high = INTEGER_FIELDS[field.name]
        return True, low, high
    if field.name.endswith("Latitude"):
        return False, *LATITUDE_RANGE
    if field.name.endswith("Longitude"):
        return False, *LONGITUDE_RANGE
    return False, None, None


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file beside ``path`` so that a crash never leaves half a file."""
    if path.is_dir():
        raise ValidationError(f"{path} is a directory: give the path of the file to write")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise ValidationError(f"cannot write {path}: {exc.strerror}") from exc
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def json_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def export_standard(
    fmt: ExportFormat,
    out: Path | None,
    standard: Standard,
    options: ExportOptions = DEFAULT_EXPORT_OPTIONS,
) -> str | None:
    """Write the export ``fmt`` to ``out``; with no ``out``, return the JSON text (not for the XLSForm)."""
    # Imported here: the three export modules import this one for the shared selection.
    from ctdx.standard.json_schema import case_record_schema
    from ctdx.standard.table_schema import case_table_schema
    from ctdx.standard.xlsform import write_xlsform

    if fmt == "xlsform":
        if out is None:
            raise ValidationError("the XLSForm is a spreadsheet: give a file to write it to (--out PATH)")
        write_xlsform(out, standard, options)
        return None
    if fmt not in FORMATS:
        raise ValidationError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    document = case_record_schema(standard, options) if fmt == "jsonschema" else case_table_schema(standard, options)
    text = json_text(document)
    if out is None:
        return text

    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    write_atomically(out, write)
    return None
