"""How one case record maps onto rows of the store, and back: shared by imports, reads and key rotation.

A ``CaseRecord`` becomes a person row, a case row, a victim-context row (plus one row per exploitation
type) and one row per trafficking event, perpetrator and support plan. Identifying values are sealed per
row (``FieldCipher.seal``, bound to the table, row id and column); blind indexes and the keyed content
hash are computed here so that every writer computes them the same way.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ctdx.model import CaseRecord, SourceRef
from ctdx.store.crypto import FieldCipher
from ctdx.store.tables import (
    Case,
    Perpetrator,
    Person,
    SupportPlan,
    TraffickingEvent,
    VictimContext,
    VictimExploitation,
)
from ctdx.store.values import (
    JsonValue,
    RecordParts,
    SplitValues,
    date_value,
    decode,
    first_value,
    int_value,
    text_value,
)

SEALED = "sealed"  # the column name bound into each blob's associated data


def _fits(value: str | None, length: int) -> str | None:
    """A value for a typed column of ``length`` characters; longer text stays only in the JSON values."""
    return value if value is not None and len(value) <= length else None


def seal(cipher: FieldCipher, values: dict[str, JsonValue], table: str, row_id: uuid.UUID) -> dict[str, Any]:
    if not values:
        return {"sealed": None, "key_id": None}
    return {"sealed": cipher.seal(values, table, row_id, SEALED), "key_id": cipher.active.key_id}


def person_indexes(cipher: FieldCipher, sealed: dict[str, JsonValue]) -> dict[str, str | None]:
    return {
        "name_index": cipher.name_index(text_value(sealed, "prs_SecondName"), text_value(sealed, "prs_FirstName")),
        "birth_date_index": cipher.birth_date_index(text_value(sealed, "prs_Birthdate")),
        "identity_number_index": cipher.identity_number_index(text_value(sealed, "prs_IdentityNumber")),
    }


def person_row(cipher: FieldCipher, person_id: uuid.UUID, values: SplitValues) -> dict[str, Any]:
    return {
        "id": person_id,
        "values": values.clear,
        "gender": _fits(text_value(values.clear, "prs_Gender"), 40),
        "citizenship": _fits(first_value(values.clear, "prs_Citizenship"), 2),
        **seal(cipher, values.sealed, "person", person_id),
        **person_indexes(cipher, values.sealed),
    }


def case_row(cipher: FieldCipher, case_id: uuid.UUID, values: SplitValues) -> dict[str, Any]:
    return {
        "id": case_id,
        "values": values.clear,
        "status": _fits(text_value(values.clear, "cas_Status"), 40),
        "owner": _fits(text_value(values.clear, "cas_CaseOwner"), 200),
        "opened_date": date_value(values.clear, "ext_CaseOpenedDate"),
        **seal(cipher, values.sealed, "case_file", case_id),
    }


def new_reference(case_id: uuid.UUID) -> str:
    """A pseudonymous case reference (64 random bits of the case id): nothing in it identifies a person."""
    digits = case_id.hex[:16].upper()
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4))


@dataclass
class ChildRows:
    """Rows that belong to a case and are replaced as a whole when the case changes."""

    victims: list[dict[str, Any]] = field(default_factory=list)
    exploitation: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    perpetrators: list[dict[str, Any]] = field(default_factory=list)
    support_plans: list[dict[str, Any]] = field(default_factory=list)

    def tables(self) -> list[tuple[Any, list[dict[str, Any]]]]:
        """(table, rows) in foreign-key order, for executemany inserts."""
        return [
            (VictimContext.__table__, self.victims),
            (VictimExploitation.__table__, self.exploitation),
            (TraffickingEvent.__table__, self.events),
            (Perpetrator.__table__, self.perpetrators),
            (SupportPlan.__table__, self.support_plans),
        ]

    def add(self, cipher: FieldCipher, case_id: uuid.UUID, parts: RecordParts) -> None:
        victim_id = uuid.uuid4()
        victim = parts.victim
        self.victims.append(
            {
                "id": victim_id,
                "case_id": case_id,
                "values": victim.clear,
                "trafficking_status": _fits(text_value(victim.clear, "vic_TraffickingStatus"), 60),
                "country_of_exploitation": _fits(text_value(victim.clear, "ext_CountryOfExploitation"), 2),
                "age_when_trafficked": int_value(victim.clear, "vic_AgeWhenTrafficked"),
                **seal(cipher, victim.sealed, "victim_context", victim_id),
            }
        )
        types = victim.clear.get("vic_TypeOfExploitation")
        for name in dict.fromkeys(types if isinstance(types, list) else ()):
            self.exploitation.append({"case_id": case_id, "exploitation_type": name})
        for position, event in enumerate(parts.events):
            event_id = uuid.uuid4()
            self.events.append(
                {
                    "id": event_id,
                    "case_id": case_id,
                    "position": position,
                    "values": event.clear,
                    "event_type": _fits(text_value(event.clear, "hte_Type"), 40),
                    "event_date": date_value(event.clear, "hte_Date"),
                    "country": _fits(text_value(event.clear, "hte_Country"), 2),
                    **seal(cipher, event.sealed, "trafficking_event", event_id),
                }
            )
        for position, perpetrator in enumerate(parts.perpetrators):
            row_id = uuid.uuid4()
            self.perpetrators.append(
                {
                    "id": row_id,
                    "case_id": case_id,
                    "position": position,
                    "values": perpetrator.clear,
                    **seal(cipher, perpetrator.sealed, "perpetrator", row_id),
                }
            )
        for position, plan in enumerate(parts.support_plans):
            row_id = uuid.uuid4()
            self.support_plans.append(
                {
                    "id": row_id,
                    "case_id": case_id,
                    "position": position,
                    "values": plan.clear,
                    "plan_type": _fits(text_value(plan.clear, "spl_Type"), 60),
                    **seal(cipher, plan.sealed, "support_plan", row_id),
                }
            )


def _open(cipher: FieldCipher, table: str, row: Any) -> dict[str, JsonValue]:
    if row.sealed is None or row.key_id is None:
        return {}
    return cipher.open(row.sealed, row.key_id, table, row.id, SEALED)


def _split(cipher: FieldCipher, table: str, row: Any) -> SplitValues:
    return SplitValues(dict(row.values), _open(cipher, table, row))


def load_parts(session: Session, cipher: FieldCipher, cases: Iterable[Case]) -> dict[uuid.UUID, RecordParts]:
    """The stored parts of ``cases`` (identifying values decrypted): the inverse of ``split_record``."""
    by_id = {case.id: case for case in cases}
    if not by_id:
        return {}
    ids = list(by_id)
    persons = {
        p.id: p for p in session.scalars(select(Person).where(Person.id.in_({c.person_id for c in by_id.values()})))
    }
    victims = {v.case_id: v for v in session.scalars(select(VictimContext).where(VictimContext.case_id.in_(ids)))}
    children: dict[type[Any], dict[uuid.UUID, list[Any]]] = {}
    models: tuple[Any, ...] = (TraffickingEvent, Perpetrator, SupportPlan)
    for model in models:
        grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for child in session.scalars(select(model).where(model.case_id.in_(ids)).order_by(model.position)):
            grouped[child.case_id].append(child)
        children[model] = grouped
    parts: dict[uuid.UUID, RecordParts] = {}
    for case_id, case in by_id.items():
        victim = victims.get(case_id)
        parts[case_id] = RecordParts(
            person=_split(cipher, "person", persons[case.person_id]),
            victim=_split(cipher, "victim_context", victim) if victim else SplitValues({}, {}),
            case=_split(cipher, "case_file", case),
            events=tuple(_split(cipher, "trafficking_event", e) for e in children[TraffickingEvent][case_id]),
            perpetrators=tuple(_split(cipher, "perpetrator", p) for p in children[Perpetrator][case_id]),
            support_plans=tuple(_split(cipher, "support_plan", s) for s in children[SupportPlan][case_id]),
        )
    return parts


def to_record(source: SourceRef, parts: RecordParts) -> CaseRecord:
    """A ``CaseRecord`` with the stored values of ``parts`` (all of them, identifying ones included)."""

    def merged(split: SplitValues) -> dict[str, Any]:
        return decode(split.clear, split.sealed)

    return CaseRecord(
        source=source,
        values={**merged(parts.person), **merged(parts.victim), **merged(parts.case)},
        events=tuple(merged(e) for e in parts.events),
        perpetrators=tuple(merged(p) for p in parts.perpetrators),
        support_plans=tuple(merged(s) for s in parts.support_plans),
    )


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
