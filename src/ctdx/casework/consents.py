"""Consent kept in the store and checked before a referral or any data sharing.

A consent is a row of the store's ``consent`` table (purpose, granted or withdrawn, date, who recorded
it) plus its ``consent_scope`` (recipient, given by, child's assent, expiry). ``consent_events`` folds the
rows into ``ConsentEvent`` values: a withdrawal ends every earlier grant of the same purpose for the same
recipient (a withdrawal with no recipient ends them all). ``authorise`` applies ``decide_consent`` and
audits the outcome: a consent-based decision as an update of the case naming the consent, an override as
an ``override`` event with the sealed reason's note id, a pack exemption with the route it came from.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ctdx.casework.access import CaseworkContext, add_note, find_case
from ctdx.casework.consent import (
    Basis,
    ConsentDecision,
    ConsentEvent,
    ConsentOverride,
    GivenBy,
    Purpose,
    decide_consent,
)
from ctdx.casework.tables import ConsentScope
from ctdx.errors import ValidationError
from ctdx.store import audit
from ctdx.store.tables import Consent

MAX_RECIPIENT_LENGTH = 64
# A decision may carry tomorrow's date: where the local date is ahead of UTC, "today" is tomorrow in UTC.
MAX_DATE_AHEAD = dt.timedelta(days=1)


@dataclass(frozen=True)
class ConsentCheckEvent(audit.AuditEvent):
    """An action that needs consent was allowed on a recorded consent or a jurisdiction pack's exemption."""

    action: ClassVar[str] = "consent_check"


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _effective(record: ConsentRecord) -> dt.datetime:
    """When a decision takes effect: the start of its day (UTC), or the moment it was recorded if that is
    earlier. A consent dated "today" where the local date is ahead of UTC then counts at once, and a
    withdrawal recorded now ends earlier grants now."""
    start = _midnight(record.decided_on)
    recorded = record.recorded_at if record.recorded_at.tzinfo else record.recorded_at.replace(tzinfo=dt.UTC)
    return min(start, recorded)


def _recipient(recipient: str | None) -> str | None:
    if recipient is None or not recipient.strip():
        return None
    recipient = recipient.strip()
    if len(recipient) > MAX_RECIPIENT_LENGTH:
        raise ValidationError(f"a consent recipient has at most {MAX_RECIPIENT_LENGTH} characters", field="recipient")
    return recipient


@dataclass(frozen=True)
class ConsentRecord:
    """A stored consent decision as the case worker sees it."""

    id: uuid.UUID
    purpose: str
    status: str
    recipient: str | None
    given_by: str | None
    child_assent: bool | None
    decided_on: dt.date
    expires_on: dt.date | None
    recorded_by: str
    recorded_at: dt.datetime


def record_consent(
    ctx: CaseworkContext,
    case_id: uuid.UUID,
    purpose: Purpose,
    *,
    granted: bool,
    decided_on: dt.date,
    recipient: str | None = None,
    given_by: GivenBy | None = GivenBy.SELF,
    child_assent: bool | None = None,
    expires_on: dt.date | None = None,
) -> ConsentRecord:
    """Record a grant (or withdrawal, ``granted=False``) of consent for ``purpose`` towards ``recipient``."""
    ctx.require_write()
    case = find_case(ctx, case_id)
    recipient = _recipient(recipient)
    if expires_on is not None and expires_on <= decided_on:
        raise ValidationError("a consent must expire after the day it was given", field="expires_on")
    now = ctx.now()
    if decided_on > now.date() + MAX_DATE_AHEAD:
        raise ValidationError("a consent decision cannot be dated in the future", field="decided_on")
    consent_id = uuid.uuid4()
    status = "granted" if granted else "withdrawn"
    ctx.session.add(
        Consent(
            id=consent_id,
            case_id=case.id,
            purpose=purpose.value,
            status=status,
            decided_on=decided_on,
            recorded_by=ctx.actor.label,
            recorded_at=now,
        )
    )
    ctx.session.flush()
    scope = ConsentScope(
        consent_id=consent_id,
        recipient=recipient,
        given_by=given_by.value if granted and given_by else None,
        child_assent=child_assent if granted else None,
        expires_on=expires_on if granted else None,
    )
    ctx.session.add(scope)
    ctx.audit(
        audit.CreateEvent(
            actor=ctx.actor,
            entity="consent",
            entity_id=str(consent_id),
            detail={"case_id": str(case.id), "purpose": purpose.value, "status": status, "recipient": recipient},
        )
    )
    return ConsentRecord(
        consent_id,
        purpose.value,
        status,
        recipient,
        scope.given_by,
        scope.child_assent,
        decided_on,
        scope.expires_on,
        ctx.actor.label,
        now,
    )


def consent_records(ctx: CaseworkContext, case_id: uuid.UUID) -> list[ConsentRecord]:
    """Every consent decision of a case, oldest first."""
    return consent_records_of(ctx.session, [case_id]).get(case_id, [])


def consent_records_of(session: Session, case_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[ConsentRecord]]:
    """Every consent decision of each of ``case_ids``, oldest first per case (cases without one are absent).

    The caller has already scoped ``case_ids`` to what its actor may see.
    """
    rows = session.execute(
        select(Consent, ConsentScope)
        .outerjoin(ConsentScope, ConsentScope.consent_id == Consent.id)
        .where(Consent.case_id.in_(case_ids))
        .order_by(Consent.case_id, Consent.decided_on, Consent.recorded_at)
    ).all()
    found: dict[uuid.UUID, list[ConsentRecord]] = {}
    for c, s in rows:
        found.setdefault(c.case_id, []).append(
            ConsentRecord(
                c.id,
                c.purpose,
                c.status,
                s.recipient if s else None,
                s.given_by if s else None,
                s.child_assent if s else None,
                c.decided_on,
                s.expires_on if s else None,
                c.recorded_by,
                c.recorded_at,
            )
        )
    return found


def consent_events(records: list[ConsentRecord]) -> list[ConsentEvent]:
    """Fold decisions into events: each grant is an event, each withdrawal ends the earlier matching grants."""
    events: list[ConsentEvent] = []
    for record in records:
        purpose = Purpose(record.purpose)
        if record.status == "granted":
            events.append(
                ConsentEvent(
                    id=str(record.id),
                    purpose=purpose,
                    recipient=record.recipient,
                    given_by=GivenBy(record.given_by or GivenBy.SELF.value),
                    given_at=_effective(record),
                    expires_at=_midnight(record.expires_on) if record.expires_on else None,
                    child_assent=record.child_assent,
                )
            )
            continue
        ended = _effective(record)
        events = [
            ConsentEvent(e.id, e.purpose, e.recipient, e.given_by, e.given_at, e.expires_at, ended, e.child_assent)
            if e.purpose is purpose
            and e.withdrawn_at is None
            and (record.recipient is None or e.recipient == record.recipient)
            else e
            for e in events
        ]
    return events


def authorise(
    ctx: CaseworkContext,
    case_id: uuid.UUID,
    purpose: Purpose,
    recipient: str | None,
    *,
    override_reason: str | None = None,
    exemption: str | None = None,
    action: str,
) -> ConsentDecision:
    """Check consent for ``purpose`` towards ``recipient`` now and audit the outcome (``action`` names what it
    is for, e.g. ``referral``). Raises ``ConsentError`` without consent, override or exemption."""
    case = find_case(ctx, case_id)
    override = None
    if override_reason is not None:
        override = ConsentOverride(reason=override_reason, permitted=ctx.may_override_consent)
    events = consent_events(consent_records(ctx, case.id))
    decision = decide_consent(events, purpose, recipient, ctx.now(), override=override, exemption=exemption)
    detail: dict[str, str | int | bool | None] = {
        "case_id": str(case.id),
        "action": action,
        "purpose": purpose.value,
        "recipient": recipient,
        "basis": decision.basis.value,
    }
    if decision.basis is Basis.OVERRIDE:
        assert decision.reason is not None
        detail["note_id"] = str(add_note(ctx, case.id, "consent_override", None, decision.reason))
        ctx.audit(audit.OverrideEvent(actor=ctx.actor, entity="consent", entity_id=None, detail=detail))
    else:
        detail["consent_id" if decision.basis is Basis.CONSENT else "exemption"] = (
            decision.consent_id if decision.basis is Basis.CONSENT else decision.exemption
        )
        ctx.audit(ConsentCheckEvent(actor=ctx.actor, entity="consent", entity_id=decision.consent_id, detail=detail))
    return decision
