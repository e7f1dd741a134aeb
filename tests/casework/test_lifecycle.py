from __future__ import annotations

import itertools

import pytest

from ctdx.casework.lifecycle import CaseStatus, allowed_targets, check_status_change, parse_status
from ctdx.errors import ConflictError, ValidationError

# The state machine as the module docstring draws it: (from, to) -> reason required.
EXPECTED = {
    ("Active", "FollowUp"): False,
    ("Active", "Closed"): True,
    ("Active", "ClosedReferred"): True,
    ("FollowUp", "Active"): False,
    ("FollowUp", "Closed"): True,
    ("FollowUp", "ClosedReferred"): True,
    ("Closed", "Active"): True,
    ("ClosedReferred", "Active"): True,
}


@pytest.mark.parametrize(("source", "target"), list(itertools.product(CaseStatus, CaseStatus)))
def test_every_status_change_is_allowed_or_refused_as_the_state_machine_says(
    source: CaseStatus, target: CaseStatus
) -> None:
    key = (source.value, target.value)
    if key not in EXPECTED:
        with pytest.raises(ConflictError):
            check_status_change(source, target, "a reason")
        return
    rule = check_status_change(source, target, "a reason")
    assert rule.reason_required is EXPECTED[key]
    if EXPECTED[key]:
        for missing in (None, "", "   "):
            with pytest.raises(ValidationError, match="needs a reason"):
                check_status_change(source, target, missing)
    else:
        assert check_status_change(source, target, None).target is target


def test_the_statuses_are_the_htcds_values() -> None:
    from ctdx.standard import load_standard

    assert {s.value for s in CaseStatus} == set(load_standard().field("cas_Status").value_names)


def test_a_closed_case_can_only_be_reopened() -> None:
    assert allowed_targets(CaseStatus.CLOSED) == (CaseStatus.ACTIVE,)
    assert CaseStatus.CLOSED_REFERRED.is_closed and not CaseStatus.FOLLOW_UP.is_closed


def test_an_unknown_status_names_the_allowed_ones() -> None:
    with pytest.raises(ValidationError, match="Active, FollowUp, Closed, ClosedReferred"):
        parse_status("Open")
