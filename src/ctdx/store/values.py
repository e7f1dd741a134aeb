"""HTCDS values to and from their stored JSON form, split into clear and sealed by the standard.

The standard decides what is identifying (``load_standard().field(name).identifying``); this module only
applies it. Values are stored as JSON (dates as ISO text, multi-selects as lists) and read back to the
typed values of ``ctdx.model`` using each field's type, so that a record survives the store unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

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


# Values whose JSON form is the value itself (``bool`` is not here: it goes through ``to_json`` unchanged).
_PLAIN = frozenset({str, int, float})
PERSON, VICTIM, CASE = 0, 1, 2


@cache
def _placements() -> dict[str, tuple[Field, str, int, bool]]:
    """Per field name or alias: the field, its name, the part it is stored in and whether it is sealed.

    Worked out once, so that splitting a record costs one dictionary look-up per value.
    """
    return {
        name: (
            f,
            f.name,
            PERSON if f.entity in PERSON_ENTITIES else VICTIM if f.entity in VICTIM_ENTITIES else CASE,
            f.identifying,
        )
        for name, f in _fields_by_name().items()
    }


def _split_into(
    values: dict[str, FieldValue], where: str, outputs: Sequence[tuple[dict[str, JsonValue], dict[str, JsonValue]]]
) -> None:
    """Each of ``values`` as JSON, into the (clear, sealed) pair of its part (always the first when only one)."""
    placements = _placements()
    single = len(outputs) == 1
    for name, value in values.items():
        placed = placements.get(name)
        if placed is None:
            field_of(name, where)  # raises the clear "not a field of the standard" error
            continue
        f, canonical, part, identifying = placed
        converted = cast(JsonValue, value) if value.__class__ in _PLAIN else to_json(f, value, where)
        clear, sealed = outputs[0 if single else part]
        (sealed if identifying else clear)[canonical] = converted


def split(values: dict[str, FieldValue], where: str) -> SplitValues:
    """``values`` as JSON, identifying ones apart; unknown field names are refused (nothing is dropped)."""
    clear: dict[str, JsonValue] = {}
    sealed: dict[str, JsonValue] = {}
    _split_into(values, where, ((clear, sealed),))
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
    outputs: tuple[tuple[dict[str, JsonValue], dict[str, JsonValue]], ...] = (({}, {}), ({}, {}), ({}, {}))
    _split_into(record.values, where, outputs)
    person, victim, case = (SplitValues(clear, sealed) for clear, sealed in outputs)
    return RecordParts(
        person=person,
        victim=victim,
        case=case,
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
