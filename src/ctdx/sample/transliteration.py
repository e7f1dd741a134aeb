"""Romanisation of Cyrillic names by the systems that passports, registries and case workers use.

Ukrainian, Russian and Central Asian names in the name lists are kept in Cyrillic, their original script.
Each is romanised first by the official passport system (Ukrainian: Cabinet of Ministers resolution
No. 55 of 27 January 2010; Russian: ICAO Doc 9303 as used in Russian passports since 2013), which gives the
spelling an organisation most often records, and then by other systems in common use (BGN/PCGN 1947 and
1965, the Russian-style romanisation of Ukrainian names in pre-2010 documents, the German Duden
convention, and the simplified scientific one). The spellings that differ from the passport one are the
name's transliteration variants. Our own small tables, because no maintained library covers these several
systems for both languages with the same interface.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

_COMMON = {
    "а": "a", "б": "b", "в": "v", "д": "d", "е": "e", "ж": "zh", "з": "z", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ъ": "", "'": "", "’": "",
}  # fmt: skip


@dataclass(frozen=True)
class System:
    """One romanisation system: its letter table, and the spellings it uses at the start of a word (and, where
    ``after_vowel``, after a vowel too)."""

    name: str
    letters: Mapping[str, str]
    initial: Mapping[str, str] = field(default_factory=dict)
    after_vowel: bool = False
    pairs: Mapping[str, str] = field(default_factory=dict)

    def romanise(self, text: str) -> str:
        for pair, latin in self.pairs.items():
            text = text.replace(pair, latin).replace(pair.capitalize(), latin.capitalize())
        out: list[str] = []
        previous = ""
        for char in text:
            lower = char.lower()
            at_start = previous in ("", " ", "-") or (self.after_vowel and previous.lower() in _VOWELS)
            latin = self.initial[lower] if at_start and lower in self.initial else self.letters.get(lower, lower)
            if char != lower and latin:
                latin = latin[0].upper() + latin[1:]
            out.append(latin)
            previous = char
        return "".join(out)


_VOWELS = frozenset("аеёиіїоуыэюяєaeiouy")

UKRAINIAN_SYSTEMS = (
    System(
        "KMU 2010 (Ukrainian passports)",
        {**_COMMON, "г": "h", "ґ": "g", "е": "e", "є": "ie", "и": "y", "і": "i", "ї": "i", "й": "i", "ю": "iu",
         "я": "ia"},
        {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"},
        pairs={"зг": "zgh"},
    ),
    System(
        "BGN/PCGN 1965 (Ukrainian)",
        {**_COMMON, "г": "h", "ґ": "g", "є": "ye", "и": "y", "і": "i", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"},
    ),
    System(
        "Russian-style (pre-2010 documents)",
        {**_COMMON, "г": "g", "ґ": "g", "є": "ye", "и": "i", "і": "i", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"},
    ),
    System(
        "German (Duden)",
        {**_COMMON, "в": "w", "г": "h", "ґ": "g", "є": "je", "ж": "sh", "з": "s", "и": "y", "і": "i", "ї": "ji",
         "й": "j", "с": "s", "х": "ch", "ц": "z", "ч": "tsch", "ш": "sch", "щ": "schtsch", "ю": "ju", "я": "ja"},
    ),
)  # fmt: skip

RUSSIAN_SYSTEMS = (
    System(
        "ICAO 9303 (Russian passports since 2013)",
        {**_COMMON, "г": "g", "ё": "e", "и": "i", "й": "i", "ы": "y", "э": "e", "ю": "iu", "я": "ia", "ъ": "ie"},
    ),
    System(
        "BGN/PCGN 1947 (Russian)",
        {**_COMMON, "г": "g", "ё": "yo", "и": "i", "й": "y", "ы": "y", "э": "e", "ю": "yu", "я": "ya"},
        {"е": "ye", "ё": "yo"},
        after_vowel=True,
    ),
    System(
        "simplified (common usage)",
        {**_COMMON, "г": "g", "ё": "e", "и": "i", "й": "y", "ы": "y", "э": "e", "ю": "yu", "я": "ya", "ь": "i"},
    ),
    System(
        "German (Duden)",
        {**_COMMON, "в": "w", "г": "g", "ё": "jo", "ж": "sh", "з": "s", "и": "i", "й": "j", "х": "ch", "ц": "z",
         "ч": "tsch", "ш": "sch", "щ": "schtsch", "ы": "y", "э": "e", "ю": "ju", "я": "ja"},
        {"е": "je"},
        after_vowel=True,
    ),
    System(
        "scientific, simplified",
        {**_COMMON, "г": "g", "ё": "e", "ж": "z", "и": "i", "й": "j", "х": "h", "ц": "c", "ч": "c", "ш": "s",
         "щ": "sc", "ы": "y", "э": "e", "ю": "ju", "я": "ja"},
    ),
)  # fmt: skip

SYSTEMS: dict[str, tuple[System, ...]] = {"cyrillic_uk": UKRAINIAN_SYSTEMS, "cyrillic_ru": RUSSIAN_SYSTEMS}


def romanisations(text: str, script: str) -> tuple[str, tuple[str, ...]]:
    """The passport spelling of a Cyrillic ``text`` and its distinct variants under the other systems."""
    systems = SYSTEMS[script]
    canonical = systems[0].romanise(text)
    variants: list[str] = []
    for system in systems[1:]:
        spelling = system.romanise(text)
        if spelling != canonical and spelling not in variants:
            variants.append(spelling)
    return canonical, tuple(variants)
