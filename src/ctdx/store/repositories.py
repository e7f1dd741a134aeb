"""Repositories: what an actor may see and do with cases, with organisation scoping inside, not in callers.

A ``CaseRepository`` is built for one ``Actor``. It sees the cases of the actor's organisation and the
cases referred to that organisation once the referral was accepted (a transfer makes it the owner); any other case is
``NotFoundError``, exactly as if it did not exist (a "forbidden" answer would confirm that it exists).
Reads return non-identifying values only; ``read_identifying`` is the one method that decrypts, and it
appends a ``read_identifying`` audit event naming the fields it returned. Every write appends an event.

Referrals, transfers and consent decisions are written by ``ctdx.casework`` only, where the consent gate
and Primero's referral states live; this module reads their outcome (an accepted referral opens a case).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, select
from sqlalchemy.orm import Session

from ctdx.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from ctdx.model import CaseRecord, FieldValue, SourceRef
from ctdx.store import audit
from ctdx.store.actor import Actor
from ctdx.store.case_rows import ChildRows, case_row, load_parts, new_reference, now, person_row, to_record
from ctdx.store.crypto import FieldCipher, normalise_name
from ctdx.store.tables import Case, Consent, Person, Referral, ScreeningResult, VictimContext
from ctdx.store.values import decode, split_record


@dataclass(frozen=True)
class CaseSummary:
    """A case as any member of a permitted organisation may see it: no identifying values."""

    id: uuid.UUID
    reference: str
    organisation_id: uuid.UUID
    status: str | None
    opened_date: dt.date | None
    source: SourceRef | None
    values: dict[str, FieldValue]


@dataclass(frozen=True)
class ConsentInfo:
    purpose: str
    status: str
    decided_on: dt.date
    recorded_by: str


class CaseRepository:
    """Cases as seen by one actor. Build it with ``Store.cases(actor)``; use it inside one session."""

    def __init__(self, session: Session, cipher: FieldCipher, actor: Actor) -> None:
        self.session = session
        self.cipher = cipher
        self.actor = actor

    # -- scoping -----------------------------------------------------------------------------------------
    def _visible(self) -> ColumnElement[bool]:
        accepted = select(Referral.case_id).where(
            Referral.to_organisation_id == self.actor.organisation_id,
            Referral.kind == "referral",
            Referral.status == "accepted",
        )
        return or_(Case.organisation_id == self.actor.organisation_id, Case.id.in_(accepted))

    def _case(self, case_id: uuid.UUID) -> Case:
        case = self.session.scalars(select(Case).where(Case.id == case_id, self._visible())).one_or_none()
        if case is None:
            raise NotFoundError(f"no case {case_id}", case_id=str(case_id))
        return case

    def _require_write(self) -> None:
        if not self.actor.can_write:
            raise PermissionDenied(f"role {self.actor.role!r} may not change cases")

    def _summaries(self, cases: list[Case]) -> list[CaseSummary]:
        persons = {
            p.id: p for p in self.session.scalars(select(Person).where(Person.id.in_({c.person_id for c in cases})))
        }
        victims = {
            v.case_id: v
            for v in self.session.scalars(select(VictimContext).where(VictimContext.case_id.in_([c.id for c in cases])))
        }
        out = []
        for case in cases:
            victim = victims.get(case.id)
            source = (
                SourceRef(system=case.source_system, record_id=case.source_record_id)
                if case.source_system and case.source_record_id
                else None
            )
            values = decode(persons[case.person_id].values, victim.values if victim else None, case.values)
            out.append(
                CaseSummary(
                    case.id, case.reference, case.organisation_id, case.status, case.opened_date, source, values
                )
            )
        return out

    # -- reads -------------------------------------------------------------------------------------------
    def get(self, case_id: uuid.UUID) -> CaseSummary:
        return self._summaries([self._case(case_id)])[0]

    def list_cases(self, *, limit: int = 100, offset: int = 0) -> list[CaseSummary]:
        cases = self.session.scalars(
            select(Case).where(self._visible()).order_by(Case.created_at, Case.id).limit(limit).offset(offset)
        ).all()
        return self._summaries(list(cases))

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(Case).where(self._visible())) or 0)

    def read_identifying(self, case_id: uuid.UUID) -> CaseRecord:
        """The whole record, identifying values decrypted; appends a ``read_identifying`` audit event."""
        if not self.actor.can_read_identifying:
            raise PermissionDenied(f"role {self.actor.role!r} may not read identifying fields")
        case = self._case(case_id)
        parts = load_parts(self.session, self.cipher, [case])[case.id]
        source = SourceRef(system=case.source_system or "ctdx", record_id=case.source_record_id or case.reference)
        record = to_record(source, parts)
        names = [*parts.person.sealed, *parts.victim.sealed, *parts.case.sealed]
        for part in (*parts.events, *parts.perpetrators, *parts.support_plans):
            names.extend(part.sealed)
        audit.append(
            self.session,
            audit.ReadIdentifyingEvent(
                actor=self.actor, entity="case_file", entity_id=str(case.id), fields=tuple(names)
            ),
        )
        return record

    def _by_person_index(self, condition: ColumnElement[bool]) -> list[CaseSummary]:
        cases = self.session.scalars(
            select(Case).join(Person, Person.id == Case.person_id).where(condition, self._visible()).order_by(Case.id)
        ).all()
        return self._summaries(list(cases))

    def find_person_by_identity(self, identity_number: str) -> list[CaseSummary]:
        """Visible cases whose person has this identity number (exact, after normalisation), via the blind index."""
        index = self.cipher.identity_number_index(identity_number)
        if index is None:
            raise ValidationError("an identity number needs at least one letter or digit")
        return self._by_person_index(Person.identity_number_index == index)

    def find_persons_by_name(
        self, family_name: str, given_name: str, birth_date: dt.date | None = None
    ) -> list[CaseSummary]:
        """Visible cases whose person has exactly this (normalised) name, and birth date when given."""
        if not normalise_name(family_name) and not normalise_name(given_name):
            raise ValidationError("a name lookup needs a family or given name")
        condition = Person.name_index == self.cipher.name_index(family_name, given_name)
        if birth_date is not None:
            condition = condition & (Person.birth_date_index == self.cipher.birth_date_index(birth_date.isoformat()))
        return self._by_person_index(condition)

    # -- writes ------------------------------------------------------------------------------------------
    def create_case(self, record: CaseRecord) -> CaseSummary:
        """Create one case in the actor's organisation; appends a ``create`` event naming the fields."""
        self._require_write()
        exists = self.session.scalar(
            select(Case.id).where(
                Case.organisation_id == self.actor.organisation_id,
                Case.source_system == record.source.system,
                Case.source_record_id == record.source.record_id,
            )
        )
        if exists is not None:
            raise ConflictError(f"the organisation already has a case from source record {record.source.record_id!r}")
        parts = split_record(record)
        person_id, case_id, stamp = uuid.uuid4(), uuid.uuid4(), now()
        org = self.actor.organisation_id
        self.session.execute(
            insert(Person).values(
                **person_row(self.cipher, person_id, parts.person),
                organisation_id=org,
                created_at=stamp,
                updated_at=stamp,
            )
        )
        self.session.execute(
            insert(Case).values(
                **case_row(self.cipher, case_id, parts.case),
                organisation_id=org,
                person_id=person_id,
                reference=new_reference(case_id),
                source_system=record.source.system,
                source_record_id=record.source.record_id,
                content_hash=self.cipher.content_hash(parts.canonical(record.source)),
                created_at=stamp,
                updated_at=stamp,
            )
        )
        children = ChildRows()
        children.add(self.cipher, case_id, parts)
        connection = self.session.connection()
        for table, rows in children.tables():
            if rows:
                connection.execute(insert(table), rows)
        fields = list(record.values)
        for part in (*record.events, *record.perpetrators, *record.support_plans):
            fields.extend(part)
        audit.append(
            self.session,
            audit.CreateEvent(actor=self.actor, entity="case_file", entity_id=str(case_id), fields=tuple(fields)),
        )
        return self.get(case_id)

    def consents(self, case_id: uuid.UUID) -> list[ConsentInfo]:
        """Every consent decision of a case, oldest first (the last one per purpose is the current one)."""
        case = self._case(case_id)
        rows = self.session.scalars(select(Consent).where(Consent.case_id == case.id).order_by(Consent.recorded_at))
        return [ConsentInfo(r.purpose, r.status, r.decided_on, r.recorded_by) for r in rows]

    def add_screening_result(
        self, case_id: uuid.UUID, instrument: str, version: str, result: dict[str, Any]
    ) -> uuid.UUID:
        """Store the result of a screening instrument (its name and version) for a case."""
        self._require_write()
        case = self._case(case_id)
        result_id = uuid.uuid4()
        self.session.execute(
            insert(ScreeningResult).values(
                id=result_id,
                case_id=case.id,
                instrument=instrument,
                instrument_version=version,
                result=result,
                created_by=self.actor.label,
                created_at=now(),
            )
        )
        audit.append(
            self.session,
            audit.CreateEvent(
                actor=self.actor,
                entity="screening_result",
                entity_id=str(result_id),
                detail={"case_id": str(case.id), "instrument": instrument, "version": version},
            ),
        )
        return result_id
