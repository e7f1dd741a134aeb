"""What every casework action shares: the acting context, finding a case the actor may act on, sealed
reasons, and changing a case's HTCDS values.

Scoping follows the store's rule (``ctdx.store.repositories``): an organisation sees its own cases and the
cases referred to it once the referral was accepted; any other case is ``NotFoundError``, as if it did
not exist. Most actions (assign, status, refer, consent, tasks) belong to the owning organisation only;
an organisation that holds an accepted referral may read the case, add support plans and close its referral,
and gets ``PermissionDenied`` for the rest (it already knows the case exists).

Free-text reasons may say something about the person, so they are sealed with the store's field cipher in
``casework_note`` and the audit log records only the note's id.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ctdx.casework.lifecycle import clean_reason
from ctdx.casework.tables import CaseworkNote
from ctdx.errors import NotFoundError, PermissionDenied, ValidationError
from ctdx.model import FieldValue
from ctdx.store import audit
from ctdx.store.actor import Actor
from ctdx.store.crypto import FieldCipher
from ctdx.store.tables import Case, Organisation, Referral, User
from ctdx.store.values import split

# Primero's ``consent_override`` permission; ctdx's roles are coarse, so it belongs to the admin role.
OVERRIDE_ROLES = frozenset({"admin"})
SEALED_COLUMN = "sealed"  # the column bound into each blob's associated data, as in the store


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class CaseworkContext:
    """One actor's casework inside one transaction of the store."""

    session: Session
    cipher: FieldCipher
    actor: Actor
    clock: Callable[[], dt.datetime] = field(default=utc_now, compare=False)
    # An adapter with finer permissions (``ctdx.accounts`` roles) says here whether the user may override a
    # missing consent; without it the store role decides (``OVERRIDE_ROLES``).
    override_permitted: bool | None = None

    def now(self) -> dt.datetime:
        return self.clock()

    @property
    def may_override_consent(self) -> bool:
        if self.override_permitted is not None:
            return self.override_permitted and self.actor.user_id is not None
        return self.actor.role in OVERRIDE_ROLES

    def require_write(self) -> None:
        if not self.actor.can_write:
            raise PermissionDenied(f"role {self.actor.role!r} may not change cases")

    def audit(self, event: audit.AuditEvent) -> None:
        audit.append(self.session, event)


def _accepted_referral(ctx: CaseworkContext, case_id: uuid.UUID) -> bool:
    found = ctx.session.scalar(
        select(Referral.id).where(
            Referral.case_id == case_id,
            Referral.to_organisation_id == ctx.actor.organisation_id,
            Referral.kind == "referral",
            Referral.status == "accepted",
        )
    )
    return found is not None


def find_case(ctx: CaseworkContext, case_id: uuid.UUID, *, owner_only: bool = True) -> Case:
    """The case if the actor may act on it; ``NotFoundError`` if it may not see it, ``PermissionDenied`` if it
    sees it only through an accepted referral and the action belongs to the owner."""
    case = ctx.session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"no case {case_id}", case_id=str(case_id))
    if case.organisation_id == ctx.actor.organisation_id:
        return case
    if not _accepted_referral(ctx, case.id):
        raise NotFoundError(f"no case {case_id}", case_id=str(case_id))
    if owner_only:
        raise PermissionDenied(f"only the organisation that owns case {case_id} may do this", case_id=str(case_id))
    return case


def find_case_by_reference(ctx: CaseworkContext, reference: str) -> Case:
    """A case of the actor's organisation (or referred to it and accepted) by its pseudonymous reference."""
    rows = ctx.session.scalars(select(Case).where(Case.reference == reference.strip().upper())).all()
    for case in rows:
        if case.organisation_id == ctx.actor.organisation_id or _accepted_referral(ctx, case.id):
            return case
    raise NotFoundError(f"no case {reference!r}", reference=reference)


def case_id_of(ctx: CaseworkContext, case: str) -> uuid.UUID:
    """The id of the case named by its id or its pseudonymous reference (``ABCD-0123-...``)."""
    try:
        return uuid.UUID(case)
    except ValueError:
        return find_case_by_reference(ctx, case).id


def organisation_by_code(ctx: CaseworkContext, code: str) -> Organisation:
    found = ctx.session.scalars(select(Organisation).where(Organisation.code == code)).one_or_none()
    if found is None:
        raise NotFoundError(f"no organisation {code!r}", organisation=code)
    return found


def user_in_organisation(ctx: CaseworkContext, username: str, organisation_id: uuid.UUID) -> User:
    """An active user of ``organisation_id``; ``NotFoundError`` for anyone else."""
    user = ctx.session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None or user.organisation_id != organisation_id or not user.active:
        raise NotFoundError(f"no active user {username!r} in this organisation", username=username)
    return user


def add_note(ctx: CaseworkContext, case_id: uuid.UUID, kind: str, subject_id: str | None, text: str) -> uuid.UUID:
    """Seal ``text`` as a note on the case; returns the note id (for the audit event)."""
    reason = clean_reason(text, what=kind)
    if reason is None:
        raise ValidationError(f"the {kind} reason is empty", field="reason")
    note_id = uuid.uuid4()
    sealed = ctx.cipher.seal({"text": reason}, CaseworkNote.__tablename__, note_id, SEALED_COLUMN)
    ctx.session.add(
        CaseworkNote(
            id=note_id,
            case_id=case_id,
            kind=kind,
            subject_id=subject_id,
            sealed=sealed,
            key_id=ctx.cipher.active.key_id,
            created_by=ctx.actor.label,
            created_at=ctx.now(),
        )
    )
    return note_id


def read_notes(ctx: CaseworkContext, case_id: uuid.UUID) -> list[tuple[CaseworkNote, str]]:
    """Every note of one of the actor's cases with its text, oldest first; the read is audited."""
    if not ctx.actor.can_read_identifying:
        raise PermissionDenied(f"role {ctx.actor.role!r} may not read casework notes")
    case = find_case(ctx, case_id)
    notes = ctx.session.scalars(
        select(CaseworkNote).where(CaseworkNote.case_id == case.id).order_by(CaseworkNote.created_at)
    ).all()
    ctx.audit(
        audit.ReadIdentifyingEvent(
            actor=ctx.actor,
            entity="casework_note",
            entity_id=str(case.id),
            fields=("text",),
            detail={"notes": len(notes)},
        )
    )
    out = []
    for note in notes:
        opened = ctx.cipher.open(note.sealed, note.key_id, CaseworkNote.__tablename__, note.id, SEALED_COLUMN)
        out.append((note, str(opened["text"])))
    return out


def set_case_values(ctx: CaseworkContext, case: Case, values: dict[str, FieldValue]) -> None:
    """Merge HTCDS ``values`` into the case: clear ones into ``values``, identifying ones re-sealed."""
    parts = split(values, f"case {case.reference}")
    if parts.clear:
        case.values = {**case.values, **parts.clear}
    if parts.sealed:
        existing: dict[str, Any] = {}
        if case.sealed is not None and case.key_id is not None:
            existing = ctx.cipher.open(case.sealed, case.key_id, Case.__tablename__, case.id, SEALED_COLUMN)
        case.sealed = ctx.cipher.seal({**existing, **parts.sealed}, Case.__tablename__, case.id, SEALED_COLUMN)
        case.key_id = ctx.cipher.active.key_id
    case.updated_at = ctx.now()
