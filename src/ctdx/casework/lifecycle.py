"""The case lifecycle on HTCDS ``cas_Status``: which status changes are allowed and what each one needs.

HTCDS 2.0 gives four statuses (``Active``, ``FollowUp``, ``Closed``, ``ClosedReferred``) and no
transitions. The transitions below follow the generic IOM assistance flow (domain.md section 4.4:
assistance -> follow-up -> closure) and Primero's close / reopen actions (section 4.1):

| from \\ to       | Active          | FollowUp | Closed          | ClosedReferred  |
|-----------------|-----------------|----------|-----------------|-----------------|
| Active          | -               | yes      | reason required | reason required |
| FollowUp        | yes             | -        | reason required | reason required |
| Closed          | reopen (reason) | no       | -               | no              |
| ClosedReferred  | reopen (reason) | no       | no              | -               |

A closure fills ``cas_ReasonForCaseClosure``, so its reason is required; a reopening is the kind of change
an auditor asks about, so it needs a reason too. ``ClosedReferred`` means the case now lives with another
organisation: the store layer only lets it follow an accepted transfer or referral (``ctdx.casework.cases``).
The table is code, not a data file, because it is the meaning of the HTCDS statuses, not a jurisdiction's
rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ctdx.errors import ConflictError, ValidationError

MAX_REASON_LENGTH = 2000


class CaseStatus(StrEnum):
    """The HTCDS 2.0 ``cas_Status`` values (system names)."""

    ACTIVE = "Active"
    FOLLOW_UP = "FollowUp"
    CLOSED = "Closed"
    CLOSED_REFERRED = "ClosedReferred"

    @property
    def is_closed(self) -> bool:
        return self in (CaseStatus.CLOSED, CaseStatus.CLOSED_REFERRED)


@dataclass(frozen=True)
class StatusRule:
    """One allowed status change and whether it needs a reason."""

    source: CaseStatus
    target: CaseStatus
    reason_required: bool
    action: str


STATUS_RULES: tuple[StatusRule, ...] = (
    StatusRule(CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP, False, "follow_up"),
    StatusRule(CaseStatus.ACTIVE, CaseStatus.CLOSED, True, "close"),
    StatusRule(CaseStatus.ACTIVE, CaseStatus.CLOSED_REFERRED, True, "close_referred"),
    StatusRule(CaseStatus.FOLLOW_UP, CaseStatus.ACTIVE, False, "resume"),
    StatusRule(CaseStatus.FOLLOW_UP, CaseStatus.CLOSED, True, "close"),
    StatusRule(CaseStatus.FOLLOW_UP, CaseStatus.CLOSED_REFERRED, True, "close_referred"),
    StatusRule(CaseStatus.CLOSED, CaseStatus.ACTIVE, True, "reopen"),
    StatusRule(CaseStatus.CLOSED_REFERRED, CaseStatus.ACTIVE, True, "reopen"),
)
_RULES = {(r.source, r.target): r for r in STATUS_RULES}


def parse_status(value: str) -> CaseStatus:
    """The status whose HTCDS system name is ``value``; ``ValidationError`` naming the allowed ones otherwise."""
    try:
        return CaseStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in CaseStatus)
        raise ValidationError(f"unknown case status {value!r}; expected one of {allowed}", field="cas_Status") from None


def clean_reason(reason: str | None, *, what: str) -> str | None:
    """A reason stripped of surrounding blanks; ``None`` when empty; ``ValidationError`` when too long."""
    if reason is None or not reason.strip():
        return None
    reason = reason.strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError(f"the {what} reason is longer than {MAX_REASON_LENGTH} characters", field="reason")
    return reason


def check_status_change(current: CaseStatus, target: CaseStatus, reason: str | None) -> StatusRule:
    """The rule allowing ``current`` -> ``target``.

    Raises ``ConflictError`` when the state machine does not allow the change (including a change to the
    same status) and ``ValidationError`` when the change needs a reason and none was given.
    """
    rule = _RULES.get((current, target))
    if rule is None:
        allowed = ", ".join(r.target.value for r in STATUS_RULES if r.source == current)
        raise ConflictError(
            f"a case cannot go from {current.value} to {target.value}; from {current.value} it can go to {allowed}",
            status=current.value,
            target=target.value,
        )
    if rule.reason_required and clean_reason(reason, what=rule.action) is None:
        raise ValidationError(
            f"going from {current.value} to {target.value} ({rule.action}) needs a reason", field="reason"
        )
    return rule


def allowed_targets(current: CaseStatus) -> tuple[CaseStatus, ...]:
    """The statuses a case in ``current`` may move to."""
    return tuple(r.target for r in STATUS_RULES if r.source == current)
