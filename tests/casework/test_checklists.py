from __future__ import annotations

import pytest

from ctdx.casework.checklists import ChecklistOutcome, ItemStatus, evaluate_checklist
from ctdx.casework.packs import Checklist, load_pack
from ctdx.errors import ValidationError

ALL_YES_BUT_COOPERATION = {
    "severe_form_victim": "yes",
    "physical_presence": "yes",
    "law_enforcement_cooperation": "no",
    "extreme_hardship": "yes",
    "admissible_or_waiver": "yes",
    "not_a_trafficker": "yes",
}


def t_visa() -> Checklist:
    return load_pack("us").checklist("t_visa")


def test_without_cooperation_and_no_exemption_a_criterion_is_not_met() -> None:
    result = evaluate_checklist(t_visa(), ALL_YES_BUT_COOPERATION, {"under_18_at_act": "no", "trauma": "no"})
    assert result.outcome is ChecklistOutcome.CRITERION_NOT_MET
    assert result.item("law_enforcement_cooperation").status is ItemStatus.NOT_MET


@pytest.mark.parametrize("exemption", ["under_18_at_act", "trauma"])
def test_under_18_or_trauma_exempts_from_the_cooperation_requirement(exemption: str) -> None:
    result = evaluate_checklist(t_visa(), ALL_YES_BUT_COOPERATION, {exemption: "yes"})
    assert result.outcome is ChecklistOutcome.CRITERIA_APPEAR_MET
    item = result.item("law_enforcement_cooperation")
    assert item.status is ItemStatus.EXEMPT and item.exempted_by == (exemption,)


def test_the_exemptions_excuse_only_the_cooperation_requirement() -> None:
    answers = {**ALL_YES_BUT_COOPERATION, "law_enforcement_cooperation": "yes", "extreme_hardship": "no"}
    result = evaluate_checklist(t_visa(), answers, {"under_18_at_act": "yes", "trauma": "yes"})
    assert result.outcome is ChecklistOutcome.CRITERION_NOT_MET
    assert result.item("extreme_hardship").status is ItemStatus.NOT_MET


def test_unanswered_items_leave_the_checklist_incomplete() -> None:
    result = evaluate_checklist(t_visa(), {"severe_form_victim": "yes", "physical_presence": "unknown"})
    assert result.outcome is ChecklistOutcome.INCOMPLETE
    assert result.item("physical_presence").status is ItemStatus.OPEN


def test_unknown_items_and_answers_are_refused() -> None:
    with pytest.raises(ValidationError, match="no item"):
        evaluate_checklist(t_visa(), {"visa_fee_paid": "yes"})
    with pytest.raises(ValidationError, match="yes, no or unknown"):
        evaluate_checklist(t_visa(), {"severe_form_victim": "probably"})
    with pytest.raises(ValidationError, match="no exemption"):
        evaluate_checklist(t_visa(), {}, {"pregnant": "yes"})
