"""The values a field may take, including the external vocabularies HTCDS names (countries, languages).

HTCDS picklists carry their own values; two kinds of field instead name an external standard:
``iso3166_alpha2`` (countries, from ``pycountry`` through ``ctdx.standard.countries``) and ``iso639_2``
(languages). ``pycountry`` ships ISO 639-3, not ISO 639-2, so the language vocabulary is built from it:
every ISO 639-2 terminology code of an individual language or macrolanguage is also its ISO 639-3 code, so
the accepted codes are the ISO 639-3 codes of individual and macro languages plus the special codes
(``mis``, ``mul``, ``und``, ``zxx``). The stored form is the three-letter terminology code; the two-letter
ISO 639-1 codes the ODS allows ("two-letter country codes optional") and the ISO 639-2/B bibliographic codes
(``fre``, ``ger``) resolve to it. This is a superset of ISO 639-2 (it also accepts 639-3-only codes such as
regional languages), chosen because refusing a real language a victim speaks is worse than accepting a code
that ISO 639-2 lacks.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import pycountry

from ctdx.standard.countries import alpha2_codes, country_name
from ctdx.standard.fields import Field, Value

COUNTRY_VOCABULARY = "iso3166_alpha2"
LANGUAGE_VOCABULARY = "iso639_2"
# ISO 639-2 special codes (Library of Congress, ISO 639-2 Registration Authority).
SPECIAL_LANGUAGE_CODES = ("mis", "mul", "und", "zxx")


def _language_label(language: object) -> str:
    return str(getattr(language, "common_name", None) or getattr(language, "name", ""))


@cache
def _languages() -> dict[str, str]:
    """Accepted three-letter code -> English name, in code order."""
    found: dict[str, str] = {}
    for language in pycountry.languages:
        code = str(language.alpha_3)
        if language.scope in ("I", "M") or code in SPECIAL_LANGUAGE_CODES:
            found[code] = _language_label(language)
    return dict(sorted(found.items()))


def language_codes() -> tuple[str, ...]:
    """Every accepted language code (three-letter terminology form), sorted."""
    return tuple(_languages())


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


@cache
def _language_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for language in pycountry.languages:
        code = str(language.alpha_3)
        if code not in _languages():
            continue
        lookup[_fold(_language_label(language))] = code
        for attr in ("alpha_2", "bibliographic"):
            other = getattr(language, attr, None)
            if other:
                lookup[str(other)] = code
    # Codes win over names: a name that happens to equal a code must not shadow it.
    lookup.update({code: code for code in _languages()})
    return lookup


def resolve_language(value: str) -> str | None:
    """The three-letter code for an ISO 639-2 (T or B), ISO 639-1 code or exact English name; else None."""
    text = value.strip()
    if not text:
        return None
    lookup = _language_lookup()
    return lookup.get(text.lower()) or lookup.get(_fold(text))


def language_name(code: str) -> str:
    """The English name of an accepted language code; KeyError if it is not one."""
    return _languages()[code]


def form_languages() -> tuple[Value, ...]:
    """The languages offered in a form: those with an ISO 639-1 code (the widely used ones), then the
    special codes, so that a field team can record an uncommon language as ``mis`` rather than nothing."""
    common = sorted(
        (str(lang.alpha_3), _language_label(lang))
        for lang in pycountry.languages
        if getattr(lang, "alpha_2", None) and str(lang.alpha_3) in _languages()
    )
    special = [(code, language_name(code)) for code in SPECIAL_LANGUAGE_CODES]
    return tuple(Value(code, label) for code, label in sorted(common, key=lambda c: c[1]) + special)


def countries() -> tuple[Value, ...]:
    """ISO 3166-1 alpha-2 countries (and Kosovo, ``XK``), ordered by English name."""
    return tuple(sorted((Value(code, country_name(code)) for code in alpha2_codes()), key=lambda v: v.label))


def choices(field: Field, *, extensions: bool = True) -> tuple[Value, ...]:
    """The values ``field`` may take: its picklist, or the vocabulary it names; empty for free values.

    With ``extensions=False`` the values ctdx adds to official picklists are left out.
    """
    if field.vocabulary == COUNTRY_VOCABULARY:
        return countries()
    if field.vocabulary == LANGUAGE_VOCABULARY:
        return tuple(Value(code, name) for code, name in _languages().items())
    return field.values if extensions else field.official_values()
