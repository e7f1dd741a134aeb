"""The legal cases of domain.md 1.1-1.4 and issue 3, each with its expected outcome.

Every case answers every item of the full assessment (the rest "no"), as a case worker would at the end of
an interview; the interception case leaves the destination items not asked, as it happens at a border.
"""

from __future__ import annotations

import pytest

from ctdx.screening import AgeGroup, AnswerValue, ContinuumClass, ExploitationKind, Profile, load_bank, screen
from tests.screening.conftest import answered

ADULT_LABOUR = Profile(age_group=AgeGroup.ADULT, exploitation=ExploitationKind.LABOUR)
CHILD_LABOUR = Profile(age_group=AgeGroup.CHILD, exploitation=ExploitationKind.LABOUR)
AGE_UNKNOWN = Profile(age_group=AgeGroup.UNKNOWN, exploitation=ExploitationKind.LABOUR)

# Adult trafficking for forced labour, all three elements: deceptive recruitment (D1: DR01 strong + DR08),
# exploitative conditions (D4: EX01 strong + EX04), coercion at destination (D5: CD01 + CD03 strong).
FULL_ADULT_CASE = {"ACT01", "ACT02", "DR01", "DR08", "EX01", "EX04", "CD01", "CD03"}


def test_adult_act_and_purpose_without_means_is_not_trafficking_but_exploitation() -> None:
    result = screen("full", answered("full", {"ACT01", "ACT02", "EX01", "EX04", "EX07"}), ADULT_LABOUR)
    assert not result.trafficking_indicated
    assert result.continuum_class == ContinuumClass.EXPLOITATION
    assert result.element("act").status == "present"
    assert result.element("means").status == "absent"
    assert result.element("purpose").status == "present"
    assert result.proposed_status is None
    assert "labour_inspection" in {r.service for r in result.suggested_referrals}


def test_adult_act_and_forced_labour_without_recruitment_means_may_still_be_forced_labour() -> None:
    # Involuntary work (IV01) under a penalty (CD14 wage withholding) but no means dimension is positive.
    result = screen("full", answered("full", {"ACT01", "EX04", "IV01", "CD14"}), ADULT_LABOUR)
    assert not result.trafficking_indicated
    assert result.continuum_class == ContinuumClass.FORCED_LABOUR


def test_child_with_act_and_purpose_is_indicated_without_means() -> None:
    result = screen("full", answered("full", {"ACT01", "EX01", "EX04"}), CHILD_LABOUR)
    assert result.trafficking_indicated and result.delphi_indicated
    assert result.continuum_class == ContinuumClass.TRAFFICKING_INDICATED
    assert result.rule_applied == "child"
    assert result.element("means").status == "absent"
    assert "delphi.child" in result.rule_ids()
    assert result.proposed_status == "PossibleVictimOfTrafficking"
    assert "child_protection" in {r.service for r in result.suggested_referrals}


def test_same_answers_for_an_adult_are_not_indicated() -> None:
    result = screen("full", answered("full", {"ACT01", "EX01", "EX04"}), ADULT_LABOUR)
    assert not result.trafficking_indicated


def test_consent_given_but_means_used_is_indicated_and_consent_changes_nothing() -> None:
    with_consent = screen("full", answered("full", FULL_ADULT_CASE | {"CON01"}), ADULT_LABOUR)
    without = screen("full", answered("full", FULL_ADULT_CASE), ADULT_LABOUR)
    assert with_consent.trafficking_indicated and with_consent.delphi_indicated
    assert "consent.irrelevant" in with_consent.rule_ids()
    assert with_consent.consent_recorded
    assert with_consent.continuum_class == without.continuum_class == ContinuumClass.TRAFFICKING_INDICATED
    assert with_consent.dimensions == without.dimensions
    assert with_consent.legal_elements == without.legal_elements


def test_smuggled_migrant_without_exploitation_is_not_indicated_but_offered_protection() -> None:
    answers = {**answered("full", {"SM01", "SM02", "ACT02"}), **answered("journey", {"SM01", "SM02", "ACT02"})}
    result = screen("journey", answers, Profile(age_group=AgeGroup.ADULT))
    assert not result.trafficking_indicated
    assert result.continuum_class == ContinuumClass.NO_INDICATION
    assert result.smuggling_facts == ("SM01", "SM02")
    assert "smuggling.separate" in result.rule_ids()
    services = {r.service for r in result.suggested_referrals}
    assert {"legal_aid", "medical", "psychosocial"} <= services
    assert "national_referral_mechanism" not in services
    assert any("smuggled" in reason for r in result.suggested_referrals for reason in r.because)


def test_smuggling_never_hides_trafficking_indicators() -> None:
    smuggled = screen("full", answered("full", FULL_ADULT_CASE | {"SM01", "SM02"}), ADULT_LABOUR)
    not_smuggled = screen("full", answered("full", FULL_ADULT_CASE), ADULT_LABOUR)
    assert smuggled.trafficking_indicated and smuggled.smuggling_facts == ("SM01", "SM02")
    assert smuggled.continuum_class == not_smuggled.continuum_class
    assert smuggled.dimensions == not_smuggled.dimensions


def test_forced_labour_with_no_act_is_forced_labour_not_trafficking() -> None:
    result = screen("full", answered("full", {"EX01", "IV01", "CD01", "CD03"}), ADULT_LABOUR)
    assert result.forced_labour.positive
    assert result.forced_labour.involuntariness == ("EX01", "IV01")
    assert result.forced_labour.threat_of_penalty == ("CD01", "CD03")
    assert result.element("act").status == "absent"
    assert not result.trafficking_indicated
    assert result.continuum_class == ContinuumClass.FORCED_LABOUR
    assert "icls.forced_labour" in result.rule_ids()


def test_interception_before_exploitation_with_deceptive_recruitment_and_intended_purpose_is_indicated() -> None:
    bank = load_bank()
    destination = {i.id for i in bank.items if i.phase == "destination"}
    answers = answered("full", {"ACT01", "ACT02", "DR01", "DR08", "IP01"})
    answers.update({i: AnswerValue.NOT_ASKED.value for i in answers if i in destination})
    result = screen("full", answers, ADULT_LABOUR)
    assert result.trafficking_indicated
    assert not result.delphi_indicated, "the Delphi adult rule needs exploitation, which has not happened"
    assert "palermo.intent" in result.rule_ids()
    assert result.dimension("D4").missing_items, "exploitation items are reported as not asked"
    assert result.dimension("D1").positive


def test_intended_purpose_without_means_is_not_enough_for_an_adult() -> None:
    result = screen("full", answered("full", {"ACT01", "ACT02", "IP01"}), ADULT_LABOUR)
    assert not result.trafficking_indicated


def test_age_unknown_with_signs_of_minority_applies_the_child_rule() -> None:
    yes = {"ACT01", "EX01", "EX04"}
    doubt = screen("full", answered("full", yes | {"AGE01"}), AGE_UNKNOWN)
    assert doubt.rule_applied == "child" and doubt.age_to_verify
    assert doubt.trafficking_indicated
    assert "age.presumption" in doubt.rule_ids()
    assert any("Verify the age" in line for line in doubt.explanation)
    assert "child_protection" in {r.service for r in doubt.suggested_referrals}
    no_signs = screen("full", answered("full", yes), AGE_UNKNOWN)
    assert no_signs.rule_applied == "adult" and not no_signs.age_to_verify
    assert not no_signs.trafficking_indicated
    assert "AGE01" not in {w.item for w in no_signs.would_change}, "AGE01 was answered no"


def test_age_signs_unanswered_is_reported_as_an_item_that_would_change_the_result() -> None:
    answers = answered("full", {"ACT01", "EX01", "EX04"})
    answers["AGE01"] = AnswerValue.UNKNOWN.value
    result = screen("full", answers, AGE_UNKNOWN)
    change = next(w for w in result.would_change if w.item == "AGE01")
    assert "continuum_class: exploitation -> trafficking_indicated" in change.changes


def test_labour_rights_violation_below_exploitation() -> None:
    result = screen("full", answered("full", {"EX05"}), ADULT_LABOUR)
    assert result.continuum_class == ContinuumClass.LABOUR_RIGHTS_VIOLATION
    assert "continuum.labour_rights_violation" in result.rule_ids()


def test_nothing_answered_yes_is_no_indication() -> None:
    result = screen("full", answered("full", set()), ADULT_LABOUR)
    assert result.continuum_class == ContinuumClass.NO_INDICATION
    assert not result.suggested_referrals
    assert result.element("act").status == "absent"


@pytest.mark.parametrize(
    ("exploitation", "d4_positive"),
    [(ExploitationKind.LABOUR, True), (ExploitationKind.SEXUAL, False), (ExploitationKind.UNKNOWN, True)],
)
def test_the_weight_table_follows_the_kind_of_exploitation(exploitation: ExploitationKind, d4_positive: bool) -> None:
    # EX01 is strong in the adult labour list and medium in the adult sexual-exploitation list.
    result = screen("full", answered("full", {"EX01", "EX04"}), Profile(age_group="adult", exploitation=exploitation))
    assert result.dimension("D4").positive is d4_positive


def test_triage_any_yes_means_refer_for_full_assessment() -> None:
    result = screen("triage", {"T01": "no", "T02": "no", "T03": "yes", "T04": "unknown", "T05": "declined"})
    assert result.triage.refer_for_full_assessment and result.triage.yes_items == ("T03",)
    assert result.explanation[0].startswith("The brief screen is positive: refer for a full assessment")
    negative = screen("triage", dict.fromkeys(("T01", "T02", "T03", "T04", "T05", "T06"), "no"))
    assert not negative.triage.refer_for_full_assessment


def test_journey_module_counts_own_experience_and_family_separately() -> None:
    result = screen("journey", {"FMS03": "yes", "FMS06": "yes", "FMS07": "yes"})
    assert result.journey.indicated and result.journey.yes_items == ("FMS03",)
    assert result.journey.violence_on_journey and result.journey.family_member_affected
    family_only = screen("journey", {"FMS07": "yes"})
    assert not family_only.journey.indicated and family_only.journey.family_member_affected


def test_an_item_missing_from_the_child_list_does_not_count_for_a_child() -> None:
    # VR07 (false information about law) is in the adult lists only (domain.md 2.1).
    yes = {"ACT01", "VR07", "VR01", "VR02"}
    child = screen("full", answered("full", yes), CHILD_LABOUR)
    adult = screen("full", answered("full", yes), ADULT_LABOUR)
    assert not child.dimension("D3").positive
    assert adult.dimension("D3").positive
    evidence = next(r.evidence for r in adult.fired_rules if r.rule == "delphi.dimension_positive")
    assert evidence == ("D3", "VR01", "VR02", "VR07")


def test_child_in_sexual_exploitation_with_an_act_is_indicated_without_exploitative_work_conditions() -> None:
    child_sexual = Profile(age_group=AgeGroup.CHILD, exploitation=ExploitationKind.SEXUAL)
    result = screen("full", answered("full", {"ACT05", "SX01"}), child_sexual)
    assert result.trafficking_indicated and not result.delphi_indicated
    assert "palermo.exploitation_purpose" in result.rule_ids()
    assert result.htcds_values["vic_TypeOfExploitation"] == ("SexualExploitation",)
    adult = screen("full", answered("full", {"ACT05", "SX01"}), Profile(age_group=AgeGroup.ADULT))
    assert not adult.trafficking_indicated, "an adult needs means as well"
    with_means = screen("full", answered("full", {"ACT05", "SX01", "CD01", "CD03"}), Profile(age_group=AgeGroup.ADULT))
    assert with_means.trafficking_indicated


def test_coercion_without_exploitation_is_not_called_no_indication_in_the_explanation() -> None:
    result = screen("full", answered("full", {"CD01", "CD03"}), ADULT_LABOUR)
    assert result.continuum_class == ContinuumClass.NO_INDICATION and result.dimension("D5").positive
    assert result.explanation[0].startswith("Indicators of coercion or abuse of vulnerability are present")
    assert {"shelter", "psychosocial", "legal_aid"} <= {r.service for r in result.suggested_referrals}
