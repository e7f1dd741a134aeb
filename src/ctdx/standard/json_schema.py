"""JSON Schema (draft 2020-12) of one HTCDS case record, as ``CaseRecord.model_dump(mode="json")`` writes it.

HTCDS publishes no JSON Schema (data-standard.md section 1), so ctdx generates one from its data files.
The document is an object ``{source, values, events, perpetrators, support_plans}``: ``values`` holds the
case-level fields by their HTCDS names, the three arrays hold the repeated parts. Picklists are enums of
system names (labels in ``x-htcds-value-labels``), country fields the ISO 3166-1 alpha-2 codes, language
fields the ISO 639-2 codes (``ctdx.standard.vocabularies``), multi-selects arrays, dates ``format: date``.
Each field carries ``x-htcds-core``, ``x-identifying`` and ``x-htcds-extension``; deprecated fields are
kept (old data still validates) and marked ``deprecated: true``.
"""

from __future__ import annotations

from typing import Any

from ctdx.standard.exports import (
    DEFAULT_EXPORT_OPTIONS,
    PART_ENTITIES,
    ExportOptions,
    case_fields,
    field_choices,
    number_bounds,
    part_fields,
)
from ctdx.standard.fields import Field, Standard
from ctdx.standard.vocabularies import COUNTRY_VOCABULARY, LANGUAGE_VOCABULARY, countries, language_codes

DIALECT = "https://json-schema.org/draft/2020-12/schema"
ISO_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
# CaseRecord.source limits (ctdx.model.records.SourceRef).
SOURCE_TEXT = {"type": "string", "minLength": 1, "maxLength": 200}


def _value_schema(field: Field, options: ExportOptions) -> dict[str, Any]:
    values = field_choices(field, options)
    if field.type in ("picklist", "picklist_or_text", "multi_picklist") or (values and field.type == "text"):
        one: dict[str, Any] = {"type": "string"}
        if field.vocabulary:
            one = {"$ref": f"#/$defs/{field.vocabulary}"}
        elif values:
            one["enum"] = [v.name for v in values]
        if field.type == "multi_picklist":
            return {"type": "array", "items": one, "minItems": 1, "uniqueItems": True}
        return one
    if field.type == "date":
        return {"type": "string", "format": "date", "pattern": ISO_DATE_PATTERN}
    if field.type in ("number", "geolocation"):
        integer, low, high = number_bounds(field)
        schema: dict[str, Any] = {"type": "integer" if integer else "number"}
        if low is not None:
            schema["minimum"] = low
        if high is not None:
            schema["maximum"] = high
        return schema
    if field.type == "checkbox":
        return {"type": "boolean"}
    schema = {"type": "string", "minLength": 1}
    if field.name.endswith("Email"):
        schema["format"] = "email"
    return schema


def field_schema(field: Field, options: ExportOptions = DEFAULT_EXPORT_OPTIONS) -> dict[str, Any]:
    """The schema of one field's value, with the HTCDS annotations."""
    schema: dict[str, Any] = {"title": field.label}
    if field.description:
        schema["description"] = field.description
    schema.update(_value_schema(field, options))
    if field.values and field.vocabulary is None:
        kept = field_choices(field, options)
        schema["x-htcds-value-labels"] = {v.name: v.label for v in kept}
        added = [v.name for v in kept if v.extension]
        if added:
            schema["x-ctdx-extension-values"] = added
    if field.vocabulary:
        schema["x-vocabulary"] = field.vocabulary
    schema["x-htcds-core"] = field.core
    schema["x-identifying"] = field.identifying
    schema["x-htcds-extension"] = field.extension
    schema["x-htcds-type"] = field.official_type or field.type
    if field.deprecated:
        schema["deprecated"] = True
    return schema


def _object(fields: tuple[Field, ...], options: ExportOptions) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {f.name: field_schema(f, options) for f in fields},
        "additionalProperties": False,
    }


def case_record_schema(standard: Standard, options: ExportOptions = DEFAULT_EXPORT_OPTIONS) -> dict[str, Any]:
    """The JSON Schema document of one case record under ``options``."""
    properties: dict[str, Any] = {
        "source": {
            "type": "object",
            "description": "The system the record comes from and its id there (re-imports replace, never duplicate).",
            "properties": {"system": SOURCE_TEXT, "record_id": SOURCE_TEXT},
            "required": ["system", "record_id"],
            "additionalProperties": False,
        },
        "values": {
            "description": "Case-level HTCDS fields by name; an absent field is unknown.",
            **_object(case_fields(standard, options), options),
        },
    }
    definitions: dict[str, Any] = {
        COUNTRY_VOCABULARY: {
            "title": "ISO 3166-1 alpha-2 country code",
            "type": "string",
            "enum": [v.name for v in countries()],
        },
        LANGUAGE_VOCABULARY: {
            "title": "ISO 639-2 language code (three-letter terminology form)",
            "type": "string",
            "enum": list(language_codes()),
        },
    }
    for part in PART_ENTITIES:
        fields = part_fields(standard, part, options)
        if fields:
            definitions[part] = _object(fields, options)
            properties[part] = {"type": "array", "items": {"$ref": f"#/$defs/{part}"}}
    scope = "core fields" if options.core_only else "all fields"
    scope += ", with ctdx extensions" if options.extensions else ", HTCDS only"
    return {
        "$schema": DIALECT,
        "$id": f"urn:ctdx:schema:{standard.id}:case-record",
        "title": f"HTCDS {standard.version} case record ({scope})",
        "description": (
            f"One case of one person under the {standard.id} standard. Generated by ctdx from the HTCDS field "
            f"list ({standard.source}); {standard.license}."
        ),
        "type": "object",
        "properties": properties,
        "required": ["source"],
        "additionalProperties": False,
        "$defs": definitions,
        "x-htcds-version": standard.version,
        "x-ctdx-standard": standard.id,
    }
