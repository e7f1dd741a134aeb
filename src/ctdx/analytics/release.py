"""A published release read from its directory alone: its Data Package description and its tables.

The portal and the analytics never see a case database: they are given release directories, and everything
they know comes from ``datapackage.json``, the report and the table files written by ``ctdx release build``.
Each table is one CSV resource (its Parquet twin, ``<name>-parquet``, is what DuckDB reads when present).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctdx.errors import InputFileError

AGGREGATE = "dp_aggregates"
SYNTHETIC = "synthetic"
K_ANONYMOUS = "k_anonymous"
SLUG = re.compile(r"^[a-z0-9._-]+$")


@dataclass(frozen=True)
class Field:
    """One column of a published table, as its Table Schema declares it."""

    name: str
    type: str
    title: str
    categories: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class ReleaseTable:
    """One published table: which product it is, where its files are, and its columns."""

    name: str
    product: str
    title: str
    csv: Path
    parquet: Path | None
    fields: tuple[Field, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The columns a row is labelled by (all but the count and its error bound in an aggregate table)."""
        return tuple(c for c in self.columns if c not in ("count", "error_bound"))


@dataclass(frozen=True)
class Release:
    """A release directory and what its package says about it."""

    path: Path
    package: dict[str, Any]
    report: dict[str, Any]
    tables: tuple[ReleaseTable, ...]

    @property
    def name(self) -> str:
        return str(self.package["name"])

    @property
    def version(self) -> str:
        return str(self.package["version"])

    @property
    def slug(self) -> str:
        """The release's name in URLs: ``name-version``."""
        return f"{self.name}-{self.version}"

    @property
    def title(self) -> str:
        return str(self.package.get("title") or self.name)

    @property
    def privacy(self) -> dict[str, Any]:
        return dict(self.package["ctdx:privacy"])

    @property
    def threshold(self) -> int:
        return int(self.privacy["threshold"])

    @property
    def k(self) -> int:
        return int(self.privacy["k"])

    def table(self, name: str) -> ReleaseTable | None:
        return next((t for t in self.tables if t.name == name), None)

    def files(self) -> dict[str, Path]:
        """Every file a visitor may download, by its path inside the release."""
        names = [str(r["path"]) for r in self.package["resources"]]
        names += ["datapackage.json", "CHANGELOG.md"]
        names += [str(self.privacy[k]) for k in ("report", "report_html", "ledger") if self.privacy.get(k)]
        return {n: self.path / n for n in names if (self.path / n).is_file()}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise InputFileError(f"{path.parent.name} has no readable {path.name}", path=str(path)) from None
    except json.JSONDecodeError:
        raise InputFileError(f"{path.parent.name}/{path.name} is not valid JSON", path=str(path)) from None
    if not isinstance(data, dict):
        raise InputFileError(f"{path.parent.name}/{path.name} is not a JSON object", path=str(path))
    return data


def _product(name: str) -> str:
    if name.startswith("aggregates-"):
        return AGGREGATE
    return SYNTHETIC if name == "synthetic" else K_ANONYMOUS


def _fields(resource: dict[str, Any]) -> tuple[Field, ...]:
    return tuple(
        Field(
            name=str(f["name"]),
            type=str(f.get("type", "string")),
            title=str(f.get("title", f["name"])),
            categories=tuple(str(c) for c in f.get("categories", ())),
            description=str(f.get("description", "")),
        )
        for f in resource["schema"]["fields"]
    )


def _inside(directory: Path, relative: str) -> Path:
    path = (directory / relative).resolve()
    if directory.resolve() not in path.parents:
        raise InputFileError(f"{directory.name}: resource path {relative!r} leaves the release", path=str(directory))
    return path


def open_release(directory: Path) -> Release:
    """The release in ``directory``: its package, report and tables (``InputFileError`` if it is not one)."""
    package = _read_json(directory / "datapackage.json")
    if "ctdx:privacy" not in package or not isinstance(package.get("resources"), list):
        raise InputFileError(f"{directory.name}/datapackage.json does not describe a ctdx release", path=str(directory))
    if not SLUG.match(f"{package.get('name', '')}-{package.get('version', '')}"):
        raise InputFileError(f"{directory.name}: the release name or version is not URL-safe", path=str(directory))
    report_name = str(package["ctdx:privacy"].get("report", "report.json"))
    report = _read_json(_inside(directory, report_name))
    resources = {str(r["name"]): r for r in package["resources"]}
    tables = []
    for name, resource in resources.items():
        if resource.get("format") != "csv":
            continue
        twin = resources.get(f"{name}-parquet")
        tables.append(
            ReleaseTable(
                name=name,
                product=_product(name),
                title=str(resource.get("title") or name),
                csv=_inside(directory, str(resource["path"])),
                parquet=_inside(directory, str(twin["path"])) if twin else None,
                fields=_fields(resource),
            )
        )
    return Release(path=directory, package=package, report=report, tables=tuple(tables))
