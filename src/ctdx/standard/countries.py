"""ISO 3166-1 countries (from ``pycountry``), with the common names people type mapped to codes.

A value that is not a code is never coerced: ``resolve_country`` returns the code only for an exact,
unambiguous name, and ``suggest_country`` offers a suggestion for the validation report.
"""

from __future__ import annotations

import difflib
import unicodedata
from functools import cache

import pycountry

# Names in common use that pycountry does not list as a name, official or common name.
COMMON_NAMES = {
    "vietnam": "VN",
    "viet nam": "VN",
    "russia": "RU",
    "laos": "LA",
    "syria": "SY",
    "iran": "IR",
    "north korea": "KP",
    "south korea": "KR",
    "korea": "KR",
    "moldova": "MD",
    "tanzania": "TZ",
    "bolivia": "BO",
    "venezuela": "VE",
    "ivory coast": "CI",
    "cote d'ivoire": "CI",
    "burma": "MM",
    "czech republic": "CZ",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "usa": "US",
    "united states of america": "US",
    "drc": "CD",
    "dr congo": "CD",
    "democratic republic of the congo": "CD",
    "congo-kinshasa": "CD",
    "congo-brazzaville": "CG",
    "macedonia": "MK",
    "swaziland": "SZ",
    "cape verde": "CV",
    "kosovo": "XK",
    "palestine": "PS",
    "taiwan": "TW",
    "turkey": "TR",
    "brunei": "BN",
    "micronesia": "FM",
    "east timor": "TL",
    # UN-style names used by the official HTCDS XLSForm and Excel validation sheet.
    "bolivia (plurinational state of)": "BO",
    "congo, democratic republic of the": "CD",
    "holy see": "VA",
    "iran (islamic republic of)": "IR",
    "korea (democratic people's republic of)": "KP",
    "korea (republic of)": "KR",
    "micronesia (federated states of)": "FM",
    "venezuela (bolivarian republic of)": "VE",
    "virgin islands (british)": "VG",
    "virgin islands (u.s.)": "VI",
}
# Apostrophe look-alikes folded to "'" so that "Côte d’Ivoire" (typographic apostrophe) is found.
APOSTROPHES = str.maketrans({c: "'" for c in "\u2019\u2018\u02bc\u0060\u00b4\u2032"})
# Codes in use beyond ISO 3166-1: Kosovo (user-assigned, used by the EU and IOM).
EXTRA_CODES = {"XK": ("Kosovo", "XKX")}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(APOSTROPHES))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


@cache
def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                names[_fold(value)] = country.alpha_2
    for name, code in COMMON_NAMES.items():
        names[_fold(name)] = code
    return names


@cache
def alpha2_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries) | frozenset(EXTRA_CODES)


def is_country_code(value: str) -> bool:
    return value in alpha2_codes()


def resolve_country(value: str) -> str | None:
    """The alpha-2 code for a code (any case), alpha-3 code or exact country name; otherwise None."""
    text = value.strip()
    if text.upper() in alpha2_codes():
        return text.upper()
    if len(text) == 3 and text.isalpha():
        found = pycountry.countries.get(alpha_3=text.upper())
        if found is not None:
            return str(found.alpha_2)
        for code, (_, alpha3) in EXTRA_CODES.items():
            if alpha3 == text.upper():
                return code
    return _names().get(_fold(text))


def suggest_country(value: str) -> str | None:
    """A likely code for a misspelt name, for the report's suggestion; never applied automatically."""
    exact = resolve_country(value)
    if exact:
        return exact
    matches = difflib.get_close_matches(_fold(value), list(_names()), n=1, cutoff=0.8)
    return _names()[matches[0]] if matches else None


def alpha3(code: str) -> str:
    if code in EXTRA_CODES:
        return EXTRA_CODES[code][1]
    found = pycountry.countries.get(alpha_2=code)
    if found is None:
        raise KeyError(code)
    return str(found.alpha_3)


def country_name(code: str) -> str:
    if code in EXTRA_CODES:
        return EXTRA_CODES[code][0]
    found = pycountry.countries.get(alpha_2=code)
    if found is None:
        raise KeyError(code)
    return str(getattr(found, "common_name", None) or found.name)
