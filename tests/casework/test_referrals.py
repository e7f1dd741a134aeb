from __future__ import annotations

import itertools

import pytest

from ctdx.casework.referrals import (
    Party,
    ReferralKind,
    ReferralState,
    check_referral_move,
    grants_access,
)
from ctdx.errors import ConflictError, PermissionDenied, ValidationError

S = ReferralState
# (kind, from, to) -> the side that may make the move (Primero's referral and transfer models).
EXPECTED = {
    ("referral", S.IN_PROGRESS, S.ACCEPTED): Party.RECIPIENT,
    ("referral", S.IN_PROGRESS, S.REJECTED): Party.RECIPIENT,
    ("referral", S.ACCEPTED, S.DONE): Party.RECIPIENT,
    ("referral", S.IN_PROGRESS, S.REVOKED): Party.SENDER,
    ("referral", S.ACCEPTED, S.REVOKED): Party.SENDER,
    ("transfer", S.IN_PROGRESS, S.ACCEPTED): Party.RECIPIENT,
    ("transfer", S.IN_PROGRESS, S.REJECTED): Party.RECIPIENT,
    ("transfer", S.IN_PROGRESS, S.REVOKED): Party.SENDER,
}


@pytest.mark.parametrize(
    ("kind", "source", "target"), list(itertools.product(ReferralKind, ReferralState, ReferralState))
)
def test_every_referral_move_is_allowed_or_refused_as_the_state_machine_says(
    kind: ReferralKind, source: ReferralState, target: ReferralState
) -> None:
    party = EXPECTED.get((kind.value, source, target))
    if party is None:
        for side in (Party.SENDER, Party.RECIPIENT):
            with pytest.raises(ConflictError):
                check_referral_move(kind, source, target, side, "reason")
        return
    assert check_referral_move(kind, source, target, party, "reason").target is target
    other = Party.SENDER if party is Party.RECIPIENT else Party.RECIPIENT
    for wrong in (other, None):
        with pytest.raises(PermissionDenied):
            check_referral_move(kind, source, target, wrong, "reason")


@pytest.mark.parametrize("target", [S.REJECTED, S.REVOKED])
def test_rejecting_or_revoking_needs_a_reason(target: ReferralState) -> None:
    party = Party.RECIPIENT if target is S.REJECTED else Party.SENDER
    with pytest.raises(ValidationError, match="needs a reason"):
        check_referral_move(ReferralKind.REFERRAL, S.IN_PROGRESS, target, party, " ")


def test_final_states_and_access() -> None:
    assert {s for s in ReferralState if s.is_final} == {S.REJECTED, S.DONE, S.REVOKED}
    assert grants_access(ReferralKind.REFERRAL, S.ACCEPTED)
    assert not any(grants_access(ReferralKind.REFERRAL, s) for s in ReferralState if s is not S.ACCEPTED)
    assert not any(grants_access(ReferralKind.TRANSFER, s) for s in ReferralState)
