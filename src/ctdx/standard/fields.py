"""HTCDS 2.0 fields and our documented extensions, loaded from the versioned data files of this package.

``data/htcds-2.0.json`` holds the 84 official fields (derived from the official ODS by
``scripts/build_standard.py``); ``data/extensions.json`` holds the ``ext_`` fields, the extension values on
official picklists, and the aliases for misspellings in the official toolkit files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

FieldType = Literal[
    "text",
    "long_text",
    "picklist",
    "picklist_or_text",
    "multi_picklist",
    "date",
    "number",
    "checkbox",
    "geolocation",
    "lookup_organisation",
    "lookup_person",
    "lookup_user",
]

SELECT_TYPES = frozenset({"picklist", "picklist_or_text", "multi_picklist"})


@dataclass(frozen=True)
class Value:
    """One picklist value: the system name stored and exchanged, and its human label."""

    name: str
    label: str
    extension: bool = False


@dataclass(frozen=True)
class Field:
    """One field of the standard."""

    name: str
    entity: str
    label: str
    type: FieldType
    core: bool
    status: str
    identifying: bool
    vocabulary: str | None
    values: tuple[Value, ...]
    description: str
    extension: bool = False
    official_type: str = ""
    aliases: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def multiple(self) -> bool:
        return self.type == "multi_picklist"

    @property
    def deprecated(self) -> bool:
        return self.status == "DEPRECATED"

    @property
    def value_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.values)

    def official_values(self) -> tuple[Value, ...]:
        return tuple(v for v in self.values if not v.extension)


@dataclass(frozen=True)
class Standard:
    """The HTCDS version and extension set this package implements."""

    version: str
    revision: int
    extensions_version: str
    source: str
    license: str
    fields: tuple[Field, ...]
    field_aliases: dict[str, str]
    _index: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {f.name: f for f in self.fields})

    @property
    def id(self) -> str:
        return f"htcds-{self.version}+ctdx.{self.revision}.ext-{self.extensions_version}"

    def field(self, name: str) -> Field:
        """The field called ``name`` (or a known misspelling of it); KeyError if there is none."""
        return self._index[self.field_aliases.get(name, name)]

    def has(self, name: str) -> bool:
        return self.field_aliases.get(name, name) in self._index

    def official(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.extension)

    def of_entity(self, entity: str) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.entity == entity)

    def identifying(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields if f.identifying)


def _read(name: str) -> Any:
    return json.loads(resources.files("ctdx.standard").joinpath("data", name).read_text(encoding="utf-8"))


def _values(raw: list[dict[str, str]], extension: bool = False) -> tuple[Value, ...]:
    return tuple(Value(v["name"], v["label"], extension) for v in raw)


@cache
def load_standard() -> Standard:
    """The standard shipped with this package (cached: it never changes while a process runs)."""
    official = _read("htcds-2.0.json")
    ext = _read("extensions.json")
    extra_values: dict[str, list[dict[str, str]]] = ext["values"]
    value_aliases: dict[str, dict[str, str]] = {k: v for k, v in ext["aliases"].items() if k != "fields"}
    fields = [
        Field(
            name=f["name"],
            entity=f["entity"],
            label=f["label"],
            type=f["type"],
            core=f["core"],
            status=f["status"],
            identifying=f["identifying"],
            vocabulary=f["vocabulary"],
            values=_values(f["values"]) + _values(extra_values.get(f["name"], []), extension=True),
            description=f["description"],
            official_type=f["official_type"],
            aliases=value_aliases.get(f["name"], {}),
        )
        for f in official["fields"]
    ]
    fields += [
        Field(
            name=f["name"],
            entity=f["entity"],
            label=f["label"],
            type=f["type"],
            core=f["core"],
            status="EXTENSION",
            identifying=f["identifying"],
            vocabulary=f["vocabulary"],
            values=_values(f["values"]),
            description=f["description"],
            extension=True,
        )
        for f in ext["fields"]
    ]
    return Standard(
        version=official["version"],
        revision=official["revision"],
        extensions_version=ext["version"],
        source=official["source"],
        license=official["license"],
        fields=tuple(fields),
        field_aliases=dict(ext["aliases"]["fields"]),
    )
