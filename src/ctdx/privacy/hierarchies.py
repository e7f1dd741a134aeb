"""Generalisation hierarchies for the published columns, built from data files in ``data/``.

A hierarchy lists, for each level above the raw value (level 0), the label every category generalises
to; the top level is always ``*`` (suppressed). A missing value stays missing until the top level.

| hierarchy | levels |
|---|---|
| ``age_band`` | CTDC band -> 0--17 / 18--29 / 30+ -> ``*`` (``data/hierarchies/age_band.json``) |
| ``duration_band`` | CTDC band -> 0--12 / 13+ -> ``*`` |
| ``year`` | year -> five-year period -> ``*`` |
| ``country`` | ISO alpha-3 -> UN M49 sub-region -> M49 region -> ``*`` (``data/m49.json``, from the UN M49 standard) |
| ``flag``, ``suppress`` | value -> ``*`` |

The M49 table is shipped as package data because pycountry has no regions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from ctdx.errors import ConfigError
from ctdx.privacy.schema import Column
from ctdx.standard import alpha3

TOP = "*"


@dataclass(frozen=True)
class Hierarchy:
    """The generalisation levels of one column.

    ``labels[l]`` are the distinct values at level ``l``; ``maps[l][c + 1]`` is the index in ``labels[l]``
    of category ``c`` (index 0 of each map is the missing value). ``loss[l][g]`` is the information loss of
    value ``g`` of level ``l``: (leaves under it - 1) / (leaves - 1), the loss metric of Iyengar (KDD 2002)
    that ARX also uses, with missing counted as one more leaf.
    """

    column: str
    labels: tuple[tuple[str, ...], ...]
    maps: tuple[npt.NDArray[np.int32], ...]
    loss: tuple[npt.NDArray[np.float64], ...]

    @property
    def height(self) -> int:
        return len(self.labels) - 1

    def generalise(self, codes: npt.NDArray[np.int32], level: int) -> npt.NDArray[np.int32]:
        """Level-``level`` codes for raw category codes (``-1`` = missing)."""
        return self.maps[level][codes + 1]

    def label(self, level: int, code: int) -> str:
        return self.labels[level][code]


def _read(*parts: str) -> Any:
    return json.loads(resources.files("ctdx.privacy").joinpath("data", *parts).read_text(encoding="utf-8"))


@cache
def m49_subregions() -> dict[str, tuple[str, str]]:
    """ISO alpha-2 code -> (M49 sub-region name, M49 region name)."""
    data = _read("m49.json")
    regions = {r["code"]: r["name"] for r in data["regions"]}
    return {
        country: (sub["name"], regions[sub["region"]]) for sub in data["subregions"] for country in sub["countries"]
    }


def _country_levels() -> list[dict[str, str]]:
    by_alpha3 = {alpha3(a2): names for a2, names in m49_subregions().items()}
    return [{a3: sub for a3, (sub, _) in by_alpha3.items()}, {a3: region for a3, (_, region) in by_alpha3.items()}]


def _year_levels(categories: Sequence[str]) -> list[dict[str, str]]:
    span = int(_read("hierarchies", "year.json")["period_years"])
    out = {}
    for year in categories:
        start = int(year) // span * span
        out[year] = f"{start}--{start + span - 1}"
    return [out]


def level_maps(column: Column) -> list[dict[str, str]]:
    """The intermediate levels (between the raw value and ``*``) of the column's hierarchy, as mappings."""
    name = column.hierarchy
    if name in ("flag", "suppress"):
        return []
    if name == "year":
        return _year_levels(column.categories)
    if name == "country":
        return _country_levels()
    if name in ("age_band", "duration_band"):
        levels: list[dict[str, str]] = _read("hierarchies", f"{name}.json")["levels"]
        return levels
    raise ConfigError(f"column {column.name} names an unknown hierarchy {name!r}", column=column.name)


def build_hierarchy(column: Column, levels: Sequence[Mapping[str, str]] | None = None) -> Hierarchy:
    """The hierarchy of ``column``: its data-file levels (or ``levels``), then ``*``."""
    intermediate = list(level_maps(column) if levels is None else levels)
    categories = column.categories
    leaves = len(categories) + 1
    labels: list[tuple[str, ...]] = [("", *categories)]
    maps = [np.arange(leaves, dtype=np.int32)]
    losses = [np.zeros(leaves)]
    for number, mapping in enumerate(intermediate, start=1):
        unmapped = [c for c in categories if c not in mapping]
        if unmapped:
            raise ConfigError(
                f"level {number} of the {column.hierarchy} hierarchy does not map {len(unmapped)} values of "
                f"{column.name}",
                column=column.name,
            )
        values = ("", *dict.fromkeys(mapping[c] for c in categories))
        index = {v: i for i, v in enumerate(values)}
        level_map = np.asarray([0] + [index[mapping[c]] for c in categories], dtype=np.int32)
        sizes = np.bincount(level_map, minlength=len(values))
        labels.append(values)
        maps.append(level_map)
        losses.append((sizes - 1) / (leaves - 1))
    labels.append((TOP,))
    maps.append(np.zeros(leaves, dtype=np.int32))
    losses.append(np.ones(1))
    return Hierarchy(column=column.name, labels=tuple(labels), maps=tuple(maps), loss=tuple(losses))
