"""The target distributions of the sample cohort, read from ``data/marginals.json``.

The file holds the published CTDC figures the cohort follows (each section cites its source) and the
calibration assumptions where CTDC publishes none. This module only reads it into small typed objects the
generator draws from; the tests read the same objects to check the cohort against them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Categorical:
    """A distribution over named values (shares are normalised on load)."""

    values: tuple[str, ...]
    probs: npt.NDArray[np.float64]

    @classmethod
    def of(cls, shares: dict[str, float]) -> Categorical:
        weights = np.array(list(shares.values()), dtype=np.float64)
        return cls(tuple(shares), weights / weights.sum())

    def share(self, value: str) -> float:
        return float(self.probs[self.values.index(value)])

    def draw(self, rng: np.random.Generator, n: int) -> IntArray:
        """``n`` indices into ``values``."""
        return draw_index(rng, self.probs, n)


@dataclass(frozen=True)
class Profiles:
    """A distribution over combinations of multi-select values (each combination a tuple)."""

    values: tuple[tuple[str, ...], ...]
    probs: npt.NDArray[np.float64]

    @classmethod
    def of(cls, raw: list[list[Any]]) -> Profiles:
        weights = np.array([p for _, p in raw], dtype=np.float64)
        return cls(tuple(tuple(v) for v, _ in raw), weights / weights.sum())

    def draw(self, rng: np.random.Generator, n: int) -> IntArray:
        return draw_index(rng, self.probs, n)


@dataclass(frozen=True)
class AgeBand:
    """One CTDC ``ageBroad`` band: its label and the ages it covers (the open band is capped)."""

    label: str
    low: int
    high: int


@dataclass(frozen=True)
class Flows:
    """Citizenship -> country-of-exploitation pairs with their weights."""

    citizenship: tuple[str, ...]
    exploitation: tuple[str, ...]
    probs: npt.NDArray[np.float64]

    @property
    def countries(self) -> tuple[str, ...]:
        """Every country in the pairs, sorted: the index that ``citizenship_index`` and friends point into."""
        return tuple(sorted({*self.citizenship, *self.exploitation}))

    def citizenship_index(self) -> IntArray:
        return np.array([self.countries.index(c) for c in self.citizenship], dtype=np.int64)

    def exploitation_index(self) -> IntArray:
        return np.array([self.countries.index(c) for c in self.exploitation], dtype=np.int64)

    def draw(self, rng: np.random.Generator, n: int) -> IntArray:
        """``n`` indices into the pairs."""
        return draw_index(rng, self.probs, n)

    def citizenship_shares(self) -> dict[str, float]:
        return _sum_by(self.citizenship, self.probs)

    def exploitation_shares(self) -> dict[str, float]:
        return _sum_by(self.exploitation, self.probs)


def _sum_by(keys: tuple[str, ...], probs: npt.NDArray[np.float64]) -> dict[str, float]:
    shares: dict[str, float] = {}
    for key, p in zip(keys, probs, strict=True):
        shares[key] = shares.get(key, 0.0) + float(p)
    return shares


def draw_index(rng: np.random.Generator, probs: npt.NDArray[np.float64], n: int) -> IntArray:
    """``n`` draws of an index with probabilities ``probs`` (inverse of the cumulative distribution)."""
    cumulative = np.cumsum(probs)
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, rng.random(n), side="right").astype(np.int64)


@dataclass(frozen=True)
class Targets:
    """Everything in ``marginals.json``: typed where the generator draws from it, raw sections otherwise."""

    version: str
    sex: Categorical
    age_bands: tuple[AgeBand, ...]
    age_band_probs: Categorical
    years: Categorical
    flows: Flows
    exploitation: dict[str, Profiles]
    labour_industry: dict[str, Categorical]
    sex_exploitation: Profiles
    methods_of_control: dict[str, float]
    relation: Categorical
    recruitment: Categorical
    trafficking_status: Categorical
    decision_org: Categorical
    case_status: tuple[tuple[int, Categorical], ...]
    duration_bands: tuple[tuple[int, int], ...]
    duration_probs: Categorical
    duplicates: Categorical
    corruptions_per_duplicate: Categorical
    corruption_kinds: Categorical
    raw: dict[str, Any]

    def missing(self, section: str, key: str = "missing") -> float:
        """The share of records where the field of ``section`` is absent (``key`` names the field)."""
        return float(self.raw[section][key])

    def number(self, section: str, key: str) -> float:
        return float(self.raw[section][key])


@cache
def load_targets() -> Targets:
    """The targets shipped with this package."""
    raw: dict[str, Any] = json.loads(
        resources.files("ctdx.sample").joinpath("data", "marginals.json").read_text(encoding="utf-8")
    )
    bands = tuple(AgeBand(b["band"], b["low"], b["high"]) for b in raw["age_bands"]["bands"])
    pairs = raw["flows"]["pairs"]
    weights = np.array([w for _, _, w in pairs], dtype=np.float64)
    duplicates = raw["duplicates"]
    return Targets(
        version=raw["version"],
        sex=Categorical.of(raw["sex"]["values"]),
        age_bands=bands,
        age_band_probs=Categorical.of({b["band"]: b["share"] for b in raw["age_bands"]["bands"]}),
        years=Categorical.of(raw["years"]["weights"]),
        flows=Flows(tuple(c for c, _, _ in pairs), tuple(e for _, e, _ in pairs), weights / weights.sum()),
        exploitation={k: Profiles.of(v) for k, v in raw["exploitation"]["profiles"].items()},
        labour_industry={k: Categorical.of(raw["labour_industry"][k]) for k in ("Feminine", "Masculine")},
        sex_exploitation=Profiles.of(raw["sex_exploitation"]["profiles"]),
        methods_of_control=dict(raw["methods_of_control"]["values"]),
        relation=Categorical.of(raw["relation"]["values"]),
        recruitment=Categorical.of(raw["recruitment"]["values"]),
        trafficking_status=Categorical.of(raw["trafficking_status"]["values"]),
        decision_org=Categorical.of(raw["trafficking_status"]["decision_org"]),
        case_status=tuple((s["from"], Categorical.of(s["values"])) for s in raw["case_status"]["by_year"]),
        duration_bands=tuple((b["low"], b["high"]) for b in raw["duration"]["bands"]),
        duration_probs=Categorical.of({str(i): b["share"] for i, b in enumerate(raw["duration"]["bands"])}),
        duplicates=Categorical.of(duplicates["records_per_person"]),
        corruptions_per_duplicate=Categorical.of(duplicates["corruptions_per_duplicate"]),
        corruption_kinds=Categorical.of(duplicates["corruption_weights"]),
        raw=raw,
    )
