"""The append-only, hash-chained audit log: one small dataclass per kind of event, ``append`` and ``verify_audit``.

Each event records who (actor, organisation), what (action, entity, entity id), the field *names* it
touched and a few non-identifying details (counts, ids, codes): never a value. Event ``n`` stores
``prev_hash`` (the hash of event ``n-1``; 64 zeros for the first) and ``hash`` = SHA-256 of the canonical
JSON (sorted keys, no spaces) of all its columns including ``seq`` and ``prev_hash``. A changed event no
longer matches its hash, a removed or reordered one breaks the links, and the chain head (``audit_head``,
updated with every append) reveals events removed from the end.

Appends lock the chain head row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite transactions are already
serialised by ``BEGIN IMMEDIATE``), so concurrent writers produce one chain, not a fork.

The chain detects tampering by anyone who cannot also rewrite every later event; a database owner can
recompute the whole chain, so the head hash printed by ``ctdx audit verify`` is worth keeping elsewhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from ctdx.store.actor import INSTALLATION, Actor
from ctdx.store.engine import READ_ONLY_OPTION
from ctdx.store.tables import AuditEventRow, AuditHead

GENESIS_HASH = "0" * 64
HEAD_ID = 1


@dataclass(frozen=True)
class AuditEvent:
    """Base of every audit event: who did what to which entity, and which fields (names only)."""

    action: ClassVar[str] = "event"
    actor: Actor
    entity: str
    entity_id: str | None = None
    fields: tuple[str, ...] = ()
    detail: dict[str, str | int | bool | None] = field(default_factory=dict)


@dataclass(frozen=True)
class CreateEvent(AuditEvent):
    """A record was created (a case, an organisation, a consent decision, a referral)."""

    action: ClassVar[str] = "create"


@dataclass(frozen=True)
class UpdateEvent(AuditEvent):
    """A record was changed; ``fields`` names what changed."""

    action: ClassVar[str] = "update"


@dataclass(frozen=True)
class ReadIdentifyingEvent(AuditEvent):
    """Identifying fields were decrypted and shown to the actor; ``fields`` names them."""

    action: ClassVar[str] = "read_identifying"


@dataclass(frozen=True)
class ExportEvent(AuditEvent):
    """Records left the store in a file or a contribution."""

    action: ClassVar[str] = "export"


@dataclass(frozen=True)
class ImportEvent(AuditEvent):
    """A batch of records was imported; one event per batch, the counts in ``detail``."""

    action: ClassVar[str] = "import"


@dataclass(frozen=True)
class OverrideEvent(AuditEvent):
    """A rule (missing consent, a deadline) was overridden by a user with the permission to do so."""

    action: ClassVar[str] = "override"


@dataclass(frozen=True)
class KeyRotationEvent(AuditEvent):
    """The field-encryption key was replaced and every blob re-encrypted; the key ids in ``detail``."""

    action: ClassVar[str] = "rotate_key"


def utc_timestamp() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def event_hash(row: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of an event row (every column but ``hash``)."""
    document = {k: v for k, v in row.items() if k != "hash"}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _row_values(row: AuditEventRow) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "at": row.at,
        "actor": row.actor,
        "organisation_id": row.organisation_id,
        "action": row.action,
        "entity": row.entity,
        "entity_id": row.entity_id,
        "fields": list(row.fields),
        "detail": dict(row.detail),
        "prev_hash": row.prev_hash,
    }


def append(session: Session, event: AuditEvent) -> int:
    """Append ``event`` to the chain inside the caller's transaction; returns its sequence number."""
    head = session.execute(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()).scalar_one()
    values: dict[str, Any] = {
        "seq": head.seq + 1,
        "at": utc_timestamp(),
        "actor": event.actor.label,
        "organisation_id": None if event.actor.organisation_id == INSTALLATION else str(event.actor.organisation_id),
        "action": event.action,
        "entity": event.entity,
        "entity_id": event.entity_id,
        "fields": sorted(set(event.fields)),
        "detail": dict(event.detail),
        "prev_hash": head.hash,
    }
    values["hash"] = event_hash(values)
    session.execute(insert(AuditEventRow).values(**values))
    session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(seq=values["seq"], hash=values["hash"]))
    return int(values["seq"])


@dataclass(frozen=True)
class AuditReport:
    """The outcome of ``verify_audit``: how many events were checked, and the first problem if any."""

    events: int
    head_hash: str
    problem: str | None = None
    seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _rows(session: Session) -> Iterator[AuditEventRow]:
    yield from session.execute(
        select(AuditEventRow).order_by(AuditEventRow.seq).execution_options(yield_per=2000)
    ).scalars()


def verify_audit(engine: Engine) -> AuditReport:
    """Walk the chain from the first event and report the first changed, removed or reordered event."""
    with Session(engine.execution_options(**{READ_ONLY_OPTION: True})) as session:
        previous_hash, previous_seq, count = GENESIS_HASH, 0, 0
        for row in _rows(session):
            count += 1
            if row.seq != previous_seq + 1:
                return AuditReport(count, previous_hash, f"event {previous_seq + 1} was removed", previous_seq + 1)
            if row.prev_hash != previous_hash:
                problem = f"event {row.seq} does not follow event {previous_seq}: events were removed or reordered"
                return AuditReport(count, previous_hash, problem, row.seq)
            if event_hash(_row_values(row)) != row.hash:
                return AuditReport(count, previous_hash, f"event {row.seq} was changed after it was written", row.seq)
            previous_hash, previous_seq = row.hash, row.seq
        head = session.get(AuditHead, HEAD_ID)
        if head is None:
            return AuditReport(count, previous_hash, "the audit chain head is missing", None)
        if head.seq != previous_seq or head.hash != previous_hash:
            if head.seq > previous_seq:
                problem = f"events {previous_seq + 1} to {head.seq} were removed from the end of the log"
            else:
                problem = f"the chain head names event {head.seq}, but the log ends at event {previous_seq}"
            return AuditReport(count, previous_hash, problem, previous_seq + 1)
        return AuditReport(count, previous_hash)
