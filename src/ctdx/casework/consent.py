"""Consent per purpose and recipient, and the gate that referrals and data sharing pass through.

The model follows domain.md section 5.3: consent is an event (who gave it, for which purpose, to which
recipient, when, until when, withdrawn when), never a single checkbox. An action that needs consent looks
for an event that matches its purpose and recipient, was given on or before the action, has not expired
and has not been withdrawn. Without one it is refused with ``ConsentError`` unless one of two things holds:

- a user holding the override permission gives a reason (Primero's ``consent_override``, plus the
  reason Primero does not ask for); the decision says so and the caller audits it;
- a jurisdiction pack's route does not ask for consent (the UK NRM child route: children do not consent
  to an NRM referral, Home Office Modern Slavery Statutory Guidance), which the caller also audits.

Only these four purposes exist here because they are the ones an action in ``ctdx`` checks; the HTCDS
``con_Consent`` checkbox is a summary of them, not a substitute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from ctdx.errors import ConsentError, PermissionDenied, ValidationError

OVERRIDE_PERMISSION = "consent_override"


class Purpose(StrEnum):
    """What a consent allows."""

    INTERVIEW = "interview"
    REFERRAL = "referral"
    DATA_SHARING = "data_sharing"
    RESEARCH = "research"


class GivenBy(StrEnum):
    """Who gave the consent (domain.md section 5.3; a child's own assent is recorded beside it)."""

    SELF = "self"
    CAREGIVER = "caregiver"
    GUARDIAN = "guardian"
    REPRESENTATIVE = "representative"


class Basis(StrEnum):
    """Why an action that needs consent was allowed."""

    CONSENT = "consent"
    OVERRIDE = "override"
    EXEMPT = "exempt"


def parse_purpose(value: str) -> Purpose:
    try:
        return Purpose(value)
    except ValueError:
        allowed = ", ".join(p.value for p in Purpose)
        raise ValidationError(
            f"unknown consent purpose {value!r}; expected one of {allowed}", field="purpose"
        ) from None


def parse_given_by(value: str) -> GivenBy:
    try:
        return GivenBy(value)
    except ValueError:
        allowed = ", ".join(g.value for g in GivenBy)
        raise ValidationError(f"unknown consent giver {value!r}; expected one of {allowed}", field="given_by") from None


@dataclass(frozen=True)
class ConsentEvent:
    """One consent as recorded: ``recipient`` ``None`` means any recipient for this purpose."""

    id: str
    purpose: Purpose
    recipient: str | None
    given_by: GivenBy
    given_at: dt.datetime
    expires_at: dt.datetime | None = None
    withdrawn_at: dt.datetime | None = None
    child_assent: bool | None = None

    def covers(self, purpose: Purpose, recipient: str | None, at: dt.datetime) -> bool:
        """Whether this event allows ``purpose`` towards ``recipient`` at time ``at``."""
        if self.purpose is not purpose:
            return False
        if self.recipient is not None and self.recipient != recipient:
            return False
        if _aware(self.given_at) > _aware(at):
            return False
        if self.expires_at is not None and _aware(self.expires_at) <= _aware(at):
            return False
        return self.withdrawn_at is None or _aware(self.withdrawn_at) > _aware(at)


@dataclass(frozen=True)
class ConsentOverride:
    """An override of a missing consent: the reason, and whether the actor holds the permission."""

    reason: str
    permitted: bool


@dataclass(frozen=True)
class ConsentDecision:
    """Why an action was allowed: the consent event, an override with its reason, or a pack exemption."""

    purpose: Purpose
    recipient: str | None
    basis: Basis
    consent_id: str | None = None
    reason: str | None = None
    exemption: str | None = None

    def audit_details(self) -> dict[str, str | None]:
        """What the audit event records about this decision (ids and codes only, the reason as given)."""
        return {
            "purpose": self.purpose.value,
            "recipient": self.recipient,
            "basis": self.basis.value,
            "consent_id": self.consent_id,
            "reason": self.reason,
            "exemption": self.exemption,
        }


def _aware(moment: dt.datetime) -> dt.datetime:
    """Naive datetimes (SQLite returns them) are taken as UTC so they compare with aware ones."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def matching_consent(
    events: Iterable[ConsentEvent], purpose: Purpose, recipient: str | None, at: dt.datetime
) -> ConsentEvent | None:
    """The most recent event that covers ``purpose`` towards ``recipient`` at ``at``, if any."""
    covering = [e for e in events if e.covers(purpose, recipient, at)]
    return max(covering, key=lambda e: _aware(e.given_at)) if covering else None


def decide_consent(
    events: Iterable[ConsentEvent],
    purpose: Purpose,
    recipient: str | None,
    at: dt.datetime,
    *,
    override: ConsentOverride | None = None,
    exemption: str | None = None,
) -> ConsentDecision:
    """Allow or refuse an action that needs consent for ``purpose`` towards ``recipient``.

    A matching consent wins; otherwise a pack ``exemption`` (its route id) allows the action; otherwise an
    ``override`` does, if the actor holds the permission (``PermissionDenied`` if not) and gave a reason
    (``ValidationError`` if not). With none of these the action is refused with ``ConsentError``.
    """
    event = matching_consent(events, purpose, recipient, at)
    if event is not None:
        return ConsentDecision(purpose, recipient, Basis.CONSENT, consent_id=event.id)
    if exemption is not None:
        return ConsentDecision(purpose, recipient, Basis.EXEMPT, exemption=exemption)
    if override is not None:
        if not override.permitted:
            raise PermissionDenied(
                f"overriding a missing consent needs the {OVERRIDE_PERMISSION} permission", purpose=purpose.value
            )
        if not override.reason.strip():
            raise ValidationError("overriding a missing consent needs a reason", field="reason")
        return ConsentDecision(purpose, recipient, Basis.OVERRIDE, reason=override.reason.strip())
    target = f" to {recipient}" if recipient else ""
    raise ConsentError(
        f"no current consent for {purpose.value}{target}; record the person's consent or override with a reason",
        purpose=purpose.value,
        recipient=recipient,
    )
