"""The portal's wording in English, French and Spanish (``data/translations.json``), and country names.

Country names come from pycountry's own ISO 3166 translations, so no list of names is kept here.
"""

from __future__ import annotations

import gettext
import json
from functools import cache
from importlib import resources
from typing import Any

import pycountry

from ctdx.errors import ConfigError, NotFoundError

LANGUAGES = ("en", "fr", "es")


@cache
def _data() -> dict[str, Any]:
    text = resources.files("ctdx.portal").joinpath("data", "translations.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    gaps = [k for k, v in data["text"].items() if set(v) != set(LANGUAGES)]
    if gaps:
        raise ConfigError(f"translations missing a language for: {', '.join(gaps)}")
    return data


def language_names() -> dict[str, str]:
    return dict(_data()["languages"])


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise NotFoundError(f"no language {lang!r}; languages: {', '.join(LANGUAGES)}")
    return lang


@cache
def _countries(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)


def country(code: str, lang: str) -> str:
    """The name of the country with ISO alpha-3 ``code`` in ``lang``; other labels (regions) unchanged."""
    found = pycountry.countries.get(alpha_3=code) if len(code) == 3 else None
    if found is None:
        return code
    name = str(getattr(found, "common_name", None) or found.name)
    return _countries(lang).gettext(str(found.name)) if lang != "en" else name


class Translator:
    """``t(key, **values)``: the text of ``key`` in one language, values filled in."""

    def __init__(self, lang: str) -> None:
        self.lang = check_language(lang)
        self.text: dict[str, dict[str, str]] = _data()["text"]

    def __call__(self, key: str, **values: Any) -> str:
        entry = self.text.get(key)
        if entry is None:
            return key
        return entry[self.lang].format(**values) if values else entry[self.lang]

    def label(self, value: str) -> str:
        """A category or flag in this language (countries by name; other values as published)."""
        if value in self.text:
            return self(value)
        return country(value, self.lang)
