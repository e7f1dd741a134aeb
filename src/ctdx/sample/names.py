"""Names that fit a person's citizenship, drawn from the compact lists in ``data/names.json``.

Each citizenship maps to one or more name groups (``data/countries.json``); each group has given names by
sex and family names, most frequent first, drawn with Zipf weights by rank so that a large cohort has the
skewed name frequencies of a real population. The bank also knows each name's common spelling variants
(listed, romanised from Cyrillic, or written without diacritics) for the transliteration corruption.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from ctdx.sample.targets import IntArray
from ctdx.sample.transliteration import SYSTEMS, romanisations

ObjectArray = npt.NDArray[np.object_]
DEFAULT_ZIPF = 0.6


def strip_diacritics(text: str) -> str:
    """``text`` as it is typed on a keyboard without the language's letters (Nguyễn -> Nguyen, Đức -> Duc)."""
    decomposed = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _zipf(n: int, exponent: float) -> npt.NDArray[np.float64]:
    weights: npt.NDArray[np.float64] = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** exponent
    probs: npt.NDArray[np.float64] = weights / weights.sum()
    return probs


@dataclass(frozen=True)
class NameGroup:
    """The names of one language or region, in the Latin spelling an organisation most often records."""

    name: str
    female: ObjectArray
    male: ObjectArray
    family_masculine: ObjectArray
    family_feminine: ObjectArray
    female_probs: npt.NDArray[np.float64]
    male_probs: npt.NDArray[np.float64]
    family_probs: npt.NDArray[np.float64]
    middle_female: ObjectArray | None
    middle_male: ObjectArray | None
    middle_share: float
    middle_from_family: float
    mononym: float
    double_family: float
    strip: bool
    variants: dict[str, tuple[str, ...]] = field(compare=False)

    def all_names(self) -> frozenset[str]:
        """Every given, middle and family name of the group (single words of double names included)."""
        names = {*self.female, *self.male, *self.family_masculine, *self.family_feminine}
        for middle in (self.middle_female, self.middle_male):
            if middle is not None:
                names.update(middle)
        return frozenset(str(n) for n in names)

    def spellings(self, name: str) -> tuple[str, ...]:
        """Other common spellings of ``name`` (each word of a double name varied on its own)."""
        found = list(self.variants.get(name, ()))
        if self.strip and (plain := strip_diacritics(name)) != name and plain not in found:
            found.append(plain)
        if not found and " " in name:
            words = name.split(" ")
            for i, word in enumerate(words):
                for variant in self.spellings(word):
                    found.append(" ".join([*words[:i], variant, *words[i + 1 :]]))
        return tuple(found)


def _latin(names: list[str], script: str | None, variants: dict[str, tuple[str, ...]]) -> list[str]:
    """The names in Latin; for a Cyrillic group, record each romanisation's variants in ``variants``."""
    if script is None:
        return names
    out = []
    for original in names:
        canonical, others = romanisations(original, script)
        listed = tuple(v for v in variants.pop(original, ()) if v != canonical)
        variants[canonical] = tuple(dict.fromkeys(others + listed + variants.get(canonical, ())))
        out.append(canonical)
    return out


def _group(name: str, raw: dict[str, Any]) -> NameGroup:
    script = raw.get("script")
    if script is not None and script not in SYSTEMS:
        raise ValueError(f"name group {name}: unknown script {script}")
    variants: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in raw.get("variants", {}).items()}
    masculine = [f.split("|")[0] for f in raw["family"]]
    feminine = [f.split("|")[-1] for f in raw["family"]]
    exponent = float(raw.get("zipf", DEFAULT_ZIPF))
    middle = raw.get("middle")

    def arr(values: list[str]) -> ObjectArray:
        return np.array(_latin(values, script, variants), dtype=object)

    group = NameGroup(
        name=name,
        female=arr(raw["female"]),
        male=arr(raw["male"]),
        family_masculine=arr(masculine),
        family_feminine=arr(feminine),
        female_probs=_zipf(len(raw["female"]), exponent),
        male_probs=_zipf(len(raw["male"]), exponent),
        family_probs=_zipf(len(raw["family"]), exponent),
        middle_female=np.array(middle["female"], dtype=object) if middle else None,
        middle_male=np.array(middle["male"], dtype=object) if middle else None,
        middle_share=float(middle["share"]) if middle else 0.0,
        middle_from_family=float(raw.get("middle_from_family", 0.0)),
        mononym=float(raw.get("mononym", 0.0)),
        double_family=float(raw.get("double_family", 0.0)),
        strip=bool(raw.get("strip_diacritics", False)),
        variants=variants,
    )
    return group


@dataclass(frozen=True)
class DrawnNames:
    """Given, middle and family names of a batch of people (``None`` where a person has none)."""

    given: ObjectArray
    middle: ObjectArray
    family: ObjectArray


@dataclass(frozen=True)
class NameBank:
    """All name groups, and which groups each citizenship draws from."""

    version: str
    groups: tuple[NameGroup, ...]
    by_country: dict[str, tuple[IntArray, npt.NDArray[np.float64]]]

    def group_index(self, name: str) -> int:
        return next(i for i, g in enumerate(self.groups) if g.name == name)

    def draw_groups(self, rng: np.random.Generator, citizenship: IntArray, countries: tuple[str, ...]) -> IntArray:
        """The name group of each person (``citizenship`` indexes ``countries``), from the country's shares."""
        out = np.zeros(len(citizenship), dtype=np.int64)
        u = rng.random(len(citizenship))
        for i in np.unique(citizenship).tolist():
            mask = citizenship == i
            groups, probs = self.by_country[countries[i]]
            cumulative = np.cumsum(probs)
            cumulative[-1] = 1.0
            out[mask] = groups[np.searchsorted(cumulative, u[mask], side="right")]
        return out

    def draw(self, rng: np.random.Generator, groups: IntArray, female: npt.NDArray[np.bool_]) -> DrawnNames:
        n = len(groups)
        given = np.empty(n, dtype=object)
        middle = np.full(n, None, dtype=object)
        family = np.empty(n, dtype=object)
        for gi in np.unique(groups):
            group = self.groups[int(gi)]
            for is_female in (True, False):
                mask = (groups == gi) & (female == is_female)
                k = int(mask.sum())
                if not k:
                    continue
                names, probs = (group.female, group.female_probs) if is_female else (group.male, group.male_probs)
                given[mask] = names[rng.choice(len(names), size=k, p=probs)]
                family_list = group.family_feminine if is_female else group.family_masculine
                first = family_list[rng.choice(len(family_list), size=k, p=group.family_probs)]
                second = family_list[rng.choice(len(family_list), size=k, p=group.family_probs)]
                double = (rng.random(k) < group.double_family) & (first != second)
                surnames = np.where(double, first + " " + second, first)
                surnames[rng.random(k) < group.mononym] = None
                family[mask] = surnames
                middles = np.full(k, None, dtype=object)
                pool = group.middle_female if is_female else group.middle_male
                if pool is not None:
                    chosen = pool[rng.integers(0, len(pool), size=k)]
                    middles = np.where(rng.random(k) < group.middle_share, chosen, middles)
                if group.middle_from_family:
                    chosen = family_list[rng.choice(len(family_list), size=k, p=group.family_probs)]
                    middles = np.where(rng.random(k) < group.middle_from_family, chosen, middles)
                middle[mask] = middles
        return DrawnNames(given, middle, family)


def _read(name: str) -> Any:
    return json.loads(resources.files("ctdx.sample").joinpath("data", name).read_text(encoding="utf-8"))


@cache
def load_names() -> NameBank:
    """The name lists shipped with this package."""
    raw = _read("names.json")
    groups = tuple(_group(name, g) for name, g in raw["groups"].items())
    index = {g.name: i for i, g in enumerate(groups)}
    by_country: dict[str, tuple[IntArray, npt.NDArray[np.float64]]] = {}
    for country, spec in _read("countries.json")["countries"].items():
        shares: dict[str, float] = spec["names"]
        weights = np.array(list(shares.values()), dtype=np.float64)
        by_country[country] = (np.array([index[g] for g in shares], dtype=np.int64), weights / weights.sum())
    return NameBank(raw["version"], groups, by_country)
