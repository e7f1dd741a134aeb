"""The HTCDS 2.0 standard as code: fields, vocabularies, our extensions, and exports."""

from ctdx.standard.countries import alpha3, country_name, is_country_code, resolve_country, suggest_country
from ctdx.standard.exports import FORMATS, ExportOptions, export_standard
from ctdx.standard.fields import Field, Standard, Value, load_standard
from ctdx.standard.json_schema import case_record_schema
from ctdx.standard.table_schema import case_table_schema
from ctdx.standard.vocabularies import language_codes, resolve_language

__all__ = [
    "FORMATS",
    "ExportOptions",
    "Field",
    "Standard",
    "Value",
    "alpha3",
    "case_record_schema",
    "case_table_schema",
    "country_name",
    "export_standard",
    "is_country_code",
    "language_codes",
    "load_standard",
    "resolve_country",
    "resolve_language",
    "suggest_country",
]
