"""Bulk import of case records into one organisation's store: all-or-nothing, idempotent, in bounded memory.

Records are consumed from any iterator in chunks of ``CHUNK_SIZE``; each chunk is written with
executemany-style inserts, and the whole import is ONE transaction: an exception (from the records'
iterator too) or Ctrl-C rolls everything back. A record is identified by (organisation, source system,
source record id): a re-import of the same record updates the case when its content changed (keyed content
hash) and leaves it alone when not. Every case touched by the import is stamped with the import batch, so
the same source record twice in one import is refused instead of silently keeping the last copy.
One audit event is appended per batch, with the counts.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from ctdx.errors import ConflictError, PermissionDenied, ValidationError
from ctdx.model import CaseRecord
from ctdx.store import audit
from ctdx.store.actor import Actor
from ctdx.store.case_rows import ChildRows, case_row, new_reference, now, person_row
from ctdx.store.crypto import FieldCipher
from ctdx.store.tables import (
    Case,
    ImportBatch,
    Perpetrator,
    Person,
    SupportPlan,
    TraffickingEvent,
    VictimContext,
    VictimExploitation,
)
from ctdx.store.values import RecordParts, split_record

CHUNK_SIZE = 2000
# SQLite's page cache during an import, in KiB (the default is 2 MiB). Rows get random UUID keys, so every
# index takes inserts all over its B-tree; a small cache writes the same pages out again and again.
# Bounded, so memory stays flat however large the file; the connection's own size is restored afterwards.
SQLITE_IMPORT_CACHE_KIB = 64 * 1024
LABEL_LENGTH = 500  # ImportBatch.label
ProgressCallback = Callable[[int], None]


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did: the batch id and how many cases it created, updated and left unchanged."""

    batch_id: uuid.UUID
    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _chunks(records: Iterable[CaseRecord], size: int) -> Iterator[list[CaseRecord]]:
    iterator = iter(records)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


class CaseImport:
    """One import batch, run by ``run`` inside the caller's session and transaction."""

    def __init__(
        self,
        session: Session,
        cipher: FieldCipher,
        organisation_id: uuid.UUID,
        actor: Actor,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        if actor.organisation_id != organisation_id or not actor.can_write:
            raise PermissionDenied("this actor may not import cases into that organisation")
        self.session = session
        self.cipher = cipher
        self.organisation_id = organisation_id
        self.actor = actor
        self.chunk_size = chunk_size
        self.batch_id = uuid.uuid4()
        self.counts = _Counts()

    def run(self, records: Iterable[CaseRecord], label: str, on_progress: ProgressCallback | None) -> ImportOutcome:
        if not 0 < len(label) <= LABEL_LENGTH:
            raise ValidationError(f"an import label has 1 to {LABEL_LENGTH} characters")
        started = now()
        self.session.execute(
            insert(ImportBatch).values(
                id=self.batch_id,
                organisation_id=self.organisation_id,
                label=label,
                actor=self.actor.label,
                started_at=started,
                created=0,
                updated=0,
                unchanged=0,
            )
        )
        with self._sqlite_cache():
            done = 0
            analysed_at = 0
            for chunk in _chunks(records, self.chunk_size):
                self._chunk(chunk)
                done += len(chunk)
                if done >= max(2 * analysed_at, self.chunk_size) and self._refresh_statistics():
                    analysed_at = done
                if on_progress is not None:
                    on_progress(done)
        counts = self.counts
        self.session.execute(
            update(ImportBatch)
            .where(ImportBatch.id == self.batch_id)
            .values(finished_at=now(), created=counts.created, updated=counts.updated, unchanged=counts.unchanged)
        )
        audit.append(
            self.session,
            audit.ImportEvent(
                actor=self.actor,
                entity="import_batch",
                entity_id=str(self.batch_id),
                detail={"created": counts.created, "updated": counts.updated, "unchanged": counts.unchanged},
            ),
        )
        return ImportOutcome(self.batch_id, counts.created, counts.updated, counts.unchanged)

    def _refresh_statistics(self) -> bool:
        """On PostgreSQL, ``ANALYZE`` the case table (the import's own uncommitted rows count): without it the
        planner, believing the table nearly empty, filters the look-up of existing source ids instead of using
        the unique index, and a 60,000-case import took 276 s instead of 71 s (quadratic). Called after the
        first chunk and whenever the import has doubled. Nothing on SQLite, which has no such statistics."""
        connection = self.session.connection()
        if connection.dialect.name != "postgresql":
            return False
        connection.exec_driver_sql(f"ANALYZE {Case.__tablename__}")
        return True

    @contextlib.contextmanager
    def _sqlite_cache(self) -> Iterator[None]:
        """A larger SQLite page cache for the duration of the import (nothing on other databases)."""
        connection = self.session.connection()
        if connection.dialect.name != "sqlite":
            yield
            return
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            previous = int(cursor.execute("PRAGMA cache_size").fetchone()[0])
            cursor.execute(f"PRAGMA cache_size = {-SQLITE_IMPORT_CACHE_KIB}")
            try:
                yield
            finally:
                cursor.execute(f"PRAGMA cache_size = {previous}")
        finally:
            cursor.close()

    def _existing(self, chunk: list[CaseRecord]) -> dict[tuple[str, str], Any]:
        by_system: dict[str, list[str]] = {}
        for record in chunk:
            by_system.setdefault(record.source.system, []).append(record.source.record_id)
        found: dict[tuple[str, str], Any] = {}
        for system, record_ids in by_system.items():
            rows = self.session.execute(
                select(Case.id, Case.person_id, Case.content_hash, Case.import_batch_id, Case.source_record_id).where(
                    Case.organisation_id == self.organisation_id,
                    Case.source_system == system,
                    Case.source_record_id.in_(record_ids),
                )
            )
            for row in rows:
                found[(system, str(row.source_record_id))] = row
        return found

    def _chunk(self, chunk: list[CaseRecord]) -> None:
        existing = self._existing(chunk)
        seen: set[tuple[str, str]] = set()
        stamp = now()
        new_persons: list[dict[str, Any]] = []
        new_cases: list[dict[str, Any]] = []
        changed_persons: list[dict[str, Any]] = []
        changed_cases: list[dict[str, Any]] = []
        unchanged_ids: list[uuid.UUID] = []
        children = ChildRows()
        for record in chunk:
            key = (record.source.system, record.source.record_id)
            found = existing.get(key)
            if key in seen or (found is not None and found.import_batch_id == self.batch_id):
                raise ConflictError(
                    f"source record {record.source.record_id!r} of {record.source.system!r} "
                    "appears twice in this import (nothing was imported)",
                    record_id=record.source.record_id,
                )
            seen.add(key)
            parts: RecordParts = split_record(record)
            content_hash = self.cipher.content_hash(parts.canonical(record.source))
            if found is None:
                person_id, case_id = uuid.uuid4(), uuid.uuid4()
                new_persons.append(
                    {
                        **person_row(self.cipher, person_id, parts.person),
                        "organisation_id": self.organisation_id,
                        "created_at": stamp,
                        "updated_at": stamp,
                    }
                )
                new_cases.append(
                    {
                        **case_row(self.cipher, case_id, parts.case),
                        "organisation_id": self.organisation_id,
                        "person_id": person_id,
                        "reference": new_reference(case_id),
                        "source_system": record.source.system,
                        "source_record_id": record.source.record_id,
                        "content_hash": content_hash,
                        "import_batch_id": self.batch_id,
                        "created_at": stamp,
                        "updated_at": stamp,
                    }
                )
                children.add(self.cipher, case_id, parts)
            elif found.content_hash == content_hash:
                unchanged_ids.append(found.id)
            else:
                person = person_row(self.cipher, found.person_id, parts.person)
                changed_persons.append({**person, "updated_at": stamp})
                case = case_row(self.cipher, found.id, parts.case)
                changed_cases.append(
                    {
                        **case,
                        "content_hash": content_hash,
                        "import_batch_id": self.batch_id,
                        "updated_at": stamp,
                    }
                )
                children.add(self.cipher, found.id, parts)
        self._write(new_persons, new_cases, changed_persons, changed_cases, unchanged_ids, children)
        self.counts.created += len(new_cases)
        self.counts.updated += len(changed_cases)
        self.counts.unchanged += len(unchanged_ids)

    def _write(
        self,
        new_persons: list[dict[str, Any]],
        new_cases: list[dict[str, Any]],
        changed_persons: list[dict[str, Any]],
        changed_cases: list[dict[str, Any]],
        unchanged_ids: list[uuid.UUID],
        children: ChildRows,
    ) -> None:
        connection = self.session.connection()
        if changed_cases:
            changed_ids = [row["id"] for row in changed_cases]
            models: tuple[Any, ...] = (VictimExploitation, VictimContext, TraffickingEvent, Perpetrator, SupportPlan)
            for model in models:
                connection.execute(delete(model).where(model.case_id.in_(changed_ids)))
            self.session.execute(update(Person), changed_persons)  # ORM bulk UPDATE by primary key
            self.session.execute(update(Case), changed_cases)
        if unchanged_ids:
            connection.execute(update(Case).where(Case.id.in_(unchanged_ids)).values(import_batch_id=self.batch_id))
        for table, rows in [(Person.__table__, new_persons), (Case.__table__, new_cases), *children.tables()]:
            if rows:
                connection.execute(insert(table), rows)
