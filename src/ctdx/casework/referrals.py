"""Referrals and transfers between organisations: their states, and who may move them to which state.

Modelled on Primero's transitions (primeroIMS/primero ``app/models/referral.rb``, ``transfer.rb``;
domain.md sections 4.1 and 4.5):

- a **referral** gives another organisation access to the case for one service while the sending
  organisation keeps it: ``in_progress -> accepted | rejected``, ``accepted -> done``, and the sender may
  revoke it while it is ``in_progress`` or ``accepted``;
- a **transfer** hands the case over: ``in_progress -> accepted | rejected``, revocable by the sender while
  ``in_progress``; on acceptance the receiving organisation becomes the owner, so there is nothing left for
  it to mark done.

Accepting, rejecting and marking done belong to the receiving organisation; revoking belongs to the sender.
A rejection or a revocation needs a reason (it ends someone's access to help; the next worker must know why).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ctdx.errors import ConflictError, PermissionDenied, ValidationError


class ReferralKind(StrEnum):
    """A referral keeps the owner and shares the case; a transfer changes the owner."""

    REFERRAL = "referral"
    TRANSFER = "transfer"


class ReferralState(StrEnum):
    """Primero's referral and transfer states."""

    IN_PROGRESS = "in_progress"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DONE = "done"
    REVOKED = "revoked"

    @property
    def is_final(self) -> bool:
        return self in (ReferralState.REJECTED, ReferralState.DONE, ReferralState.REVOKED)


class Party(StrEnum):
    """Which side of a referral an organisation is on."""

    SENDER = "sender"
    RECIPIENT = "recipient"


@dataclass(frozen=True)
class ReferralRule:
    """One allowed move of a referral or transfer, and the side that may make it."""

    kind: ReferralKind
    source: ReferralState
    target: ReferralState
    party: Party
    reason_required: bool


_S = ReferralState
REFERRAL_RULES: tuple[ReferralRule, ...] = (
    ReferralRule(ReferralKind.REFERRAL, _S.IN_PROGRESS, _S.ACCEPTED, Party.RECIPIENT, False),
    ReferralRule(ReferralKind.REFERRAL, _S.IN_PROGRESS, _S.REJECTED, Party.RECIPIENT, True),
    ReferralRule(ReferralKind.REFERRAL, _S.ACCEPTED, _S.DONE, Party.RECIPIENT, False),
    ReferralRule(ReferralKind.REFERRAL, _S.IN_PROGRESS, _S.REVOKED, Party.SENDER, True),
    ReferralRule(ReferralKind.REFERRAL, _S.ACCEPTED, _S.REVOKED, Party.SENDER, True),
    ReferralRule(ReferralKind.TRANSFER, _S.IN_PROGRESS, _S.ACCEPTED, Party.RECIPIENT, False),
    ReferralRule(ReferralKind.TRANSFER, _S.IN_PROGRESS, _S.REJECTED, Party.RECIPIENT, True),
    ReferralRule(ReferralKind.TRANSFER, _S.IN_PROGRESS, _S.REVOKED, Party.SENDER, True),
)
_RULES = {(r.kind, r.source, r.target): r for r in REFERRAL_RULES}


def parse_kind(value: str) -> ReferralKind:
    try:
        return ReferralKind(value)
    except ValueError:
        raise ValidationError(f"unknown referral kind {value!r}; expected referral or transfer", field="kind") from None


def parse_state(value: str) -> ReferralState:
    try:
        return ReferralState(value)
    except ValueError:
        allowed = ", ".join(s.value for s in ReferralState)
        raise ValidationError(f"unknown referral state {value!r}; expected one of {allowed}", field="state") from None


def check_referral_move(
    kind: ReferralKind, current: ReferralState, target: ReferralState, party: Party | None, reason: str | None
) -> ReferralRule:
    """The rule allowing ``current`` -> ``target`` for this kind, made by ``party``.

    ``party`` is the side the acting organisation is on, ``None`` when it is on neither. Raises
    ``ConflictError`` for a move the state machine does not have, ``PermissionDenied`` when the move
    belongs to the other side, and ``ValidationError`` when a reason is required and missing.
    """
    rule = _RULES.get((kind, current, target))
    if rule is None:
        raise ConflictError(
            f"a {kind.value} cannot go from {current.value} to {target.value}",
            state=current.value,
            target=target.value,
        )
    if party is not rule.party:
        raise PermissionDenied(
            f"only the {rule.party.value} organisation may move a {kind.value} to {target.value}",
            target=target.value,
        )
    if rule.reason_required and (reason is None or not reason.strip()):
        raise ValidationError(f"moving a {kind.value} to {target.value} needs a reason", field="reason")
    return rule


def grants_access(kind: ReferralKind, state: ReferralState) -> bool:
    """Whether the receiving organisation may see and act on the case in this state.

    Only an accepted referral opens the case to the recipient (an accepted transfer makes it the owner,
    which the case's owner field says on its own).
    """
    return kind is ReferralKind.REFERRAL and state is ReferralState.ACCEPTED
