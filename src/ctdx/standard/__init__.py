"""The HTCDS 2.0 standard as code: fields, vocabularies, our extensions, and exports."""

from ctdx.standard.countries import alpha3, country_name, is_country_code, resolve_country, suggest_country
from ctdx.standard.fields import Field, Standard, Value, load_standard

__all__ = [
    "Field",
    "Standard",
    "Value",
    "alpha3",
    "country_name",
    "is_country_code",
    "load_standard",
    "resolve_country",
    "suggest_country",
]
