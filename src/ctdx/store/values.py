"""HTCDS values to and from their stored JSON form, split into clear and sealed by the standard.

The standard decides what is identifying (``load_standard().field(name).identifying``); this module only
applies it. Values are stored as JSON (dates as ISO text, multi-selects as lists) and read back to the
typed values of ``ctdx.model`` using each field's type, so that a record survives the store unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from ctdx.errors import ValidationError
from ctdx.model import CaseRecord, FieldValue, SourceRef
from ctdx.standard import load_standard
from ctdx.standard.fields import Field

JsonValue = str | int | float | bool | list[str]
_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)

# Which table holds a field, by the standard's entity (``Field.entity``). Fields of entities that are not
# tables of their own (organisation fields in a case file, case comments, the consent checkbox) live on
# the case, so that nothing of an imported record is dropped.
PERSON_ENTITIES = frozenset({"person"})
VICTIM_ENTITIES = frozenset({"victim_context"})


@dataclass(frozen=True)
class SplitValues:
    clear: dict[str, JsonValue]
    sealed: dict[str, JsonValue]


@cache
def _fields_by_name() -> dict[str, Field]:
    """Every field by its name and by each known misspelling of it (a plain dict: imports look up millions)."""
    standard = load_standard()
    by_name = {f.name: f for f in standard.fields}
    by_name.update({alias: standard.field(alias) for alias in standard.field_aliases})
    return by_name


def field_of(name: str, where: str) -> Field:
    field = _fields_by_name().get(name)
    if field is None:
        raise ValidationError(f"{where}: {name!r} is not a field of the standard", field=name)
    return field


def to_json(field: Field, value: FieldValue, where: str) -> JsonValue:
    if isinstance(value, tuple):
        if not field.multiple:
            raise ValidationError(f"{where}: {field.name} takes one value, not a list", field=field.name)
        return [str(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def from_json(name: str, raw: Any) -> FieldValue:
    field = field_of(name, "stored values")
    if isinstance(raw, list):
        return tuple(str(v) for v in raw)
    if field.type == "date" and isinstance(raw, str):
        return dt.date.fromisoformat(raw)
    if isinstance(raw, str | int | float | bool):
        return raw
    raise ValidationError(f"stored value of {name} has an unexpected type {type(raw).__name__}", field=name)


def split(values: dict[str, FieldValue], where: str) -> SplitValues:
    """``values`` as JSON, identifying ones apart; unknown field names are refused (nothing is dropped)."""
    clear: dict[str, JsonValue] = {}
    sealed: dict[str, JsonValue] = {}
    fields = _fields_by_name()
    for name, value in values.items():
        field = fields.get(name) or field_of(name, where)
        converted = value if isinstance(value, str | int | float) else to_json(field, value, where)
        (sealed if field.identifying else clear)[field.name] = converted
    return SplitValues(clear, sealed)


def decode(*parts: dict[str, Any] | None) -> dict[str, FieldValue]:
    merged: dict[str, FieldValue] = {}
    for part in parts:
        for name, raw in (part or {}).items():
            merged[name] = from_json(name, raw)
    return merged


@dataclass(frozen=True)
class RecordParts:
    """A case record cut along the tables it is stored in."""

    person: SplitValues
    victim: SplitValues
    case: SplitValues
    events: tuple[SplitValues, ...]
    perpetrators: tuple[SplitValues, ...]
    support_plans: tuple[SplitValues, ...]

    def canonical(self, source: SourceRef) -> bytes:
        """Canonical JSON of the whole record: equal records give equal bytes (the content hash's input)."""
        document = {
            "source": [source.system, source.record_id],
            "parts": [
                [p.clear, p.sealed]
                for p in (self.person, self.victim, self.case, *self.events, *self.perpetrators, *self.support_plans)
            ],
            "counts": [len(self.events), len(self.perpetrators), len(self.support_plans)],
        }
        return _JSON.encode(document).encode()


def split_record(record: CaseRecord) -> RecordParts:
    where = f"record {record.source.record_id}"
    person: dict[str, FieldValue] = {}
    victim: dict[str, FieldValue] = {}
    case: dict[str, FieldValue] = {}
    for name, value in record.values.items():
        entity = field_of(name, where).entity
        target = person if entity in PERSON_ENTITIES else victim if entity in VICTIM_ENTITIES else case
        target[name] = value
    return RecordParts(
        person=split(person, where),
        victim=split(victim, where),
        case=split(case, where),
        events=tuple(split(e, f"{where}, event {i + 1}") for i, e in enumerate(record.events)),
        perpetrators=tuple(split(p, f"{where}, perpetrator {i + 1}") for i, p in enumerate(record.perpetrators)),
        support_plans=tuple(split(s, f"{where}, support plan {i + 1}") for i, s in enumerate(record.support_plans)),
    )


def text_value(values: dict[str, JsonValue], name: str) -> str | None:
    value = values.get(name)
    return value if isinstance(value, str) else None


def first_value(values: dict[str, JsonValue], name: str) -> str | None:
    value = values.get(name)
    if isinstance(value, list):
        return value[0] if value else None
    return value if isinstance(value, str) else None


def date_value(values: dict[str, JsonValue], name: str) -> dt.date | None:
    value = values.get(name)
    return dt.date.fromisoformat(value) if isinstance(value, str) else None


def int_value(values: dict[str, JsonValue], name: str) -> int | None:
    value = values.get(name)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
