"""What changed between two releases: versions, privacy parameters, resources, rows and aggregate cells.

Read from the release files only (like the portal), so any two published releases can be compared.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctdx.errors import InputFileError

COMPARED = ("k", "quasi_identifiers", "l_diversity", "threshold", "epsilon", "delta")


@dataclass(frozen=True)
class ResourceChange:
    """One resource in either release: its rows before and after (``None`` = absent)."""

    name: str
    rows_before: int | None
    rows_after: int | None
    cells_added: int = 0
    cells_removed: int = 0
    cells_changed: int = 0


@dataclass(frozen=True)
class ReleaseDiff:
    before: str
    after: str
    parameters: dict[str, tuple[Any, Any]]
    resources: tuple[ResourceChange, ...]


def _package(directory: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((directory / "datapackage.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        raise InputFileError(f"{directory} has no readable datapackage.json", path=str(directory)) from None
    return data


def _csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        return next(reader, []), list(reader)


def _cells(header: list[str], rows: list[list[str]]) -> dict[tuple[str, ...], str]:
    position = header.index("count")
    return {tuple(row[:position]): row[position] for row in rows}


def diff_releases(before: Path, after: Path) -> ReleaseDiff:
    """The differences between the release in ``before`` and the one in ``after``."""
    old, new = _package(before), _package(after)
    old_privacy, new_privacy = old.get("ctdx:privacy", {}), new.get("ctdx:privacy", {})
    parameters = {
        key: (old_privacy.get(key), new_privacy.get(key))
        for key in COMPARED
        if old_privacy.get(key) != new_privacy.get(key)
    }
    old_csv = {r["name"]: r["path"] for r in old["resources"] if r.get("format") == "csv"}
    new_csv = {r["name"]: r["path"] for r in new["resources"] if r.get("format") == "csv"}
    changes = []
    for name in sorted(old_csv.keys() | new_csv.keys()):
        a = _csv(before / old_csv[name]) if name in old_csv else None
        b = _csv(after / new_csv[name]) if name in new_csv else None
        change = ResourceChange(name, len(a[1]) if a else None, len(b[1]) if b else None)
        if a and b and "count" in a[0] and a[0] == b[0]:
            cells_a, cells_b = _cells(*a), _cells(*b)
            change = ResourceChange(
                name,
                change.rows_before,
                change.rows_after,
                cells_added=len(cells_b.keys() - cells_a.keys()),
                cells_removed=len(cells_a.keys() - cells_b.keys()),
                cells_changed=sum(1 for key in cells_a.keys() & cells_b.keys() if cells_a[key] != cells_b[key]),
            )
        changes.append(change)
    return ReleaseDiff(
        before=f"{old.get('name')} {old.get('version')}",
        after=f"{new.get('name')} {new.get('version')}",
        parameters=parameters,
        resources=tuple(changes),
    )
