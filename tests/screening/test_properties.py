"""Properties of the engine over random answer sets (hypothesis): monotone, "unknown" is not "yes",
deterministic, and every fired rule explained."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdx.screening import AgeGroup, AnswerValue, ExploitationKind, Profile, ScreeningResult, load_bank, screen
from ctdx.screening.rules import RULES

BANK = load_bank()
ITEM_IDS = sorted(BANK.item_ids())
NOT_YES = [v.value for v in AnswerValue if v != AnswerValue.YES]
ELEMENT_RANK = {"absent": 0, "unknown": 1, "present": 2}

answer_sets = st.dictionaries(st.sampled_from(ITEM_IDS), st.sampled_from([v.value for v in AnswerValue]), max_size=40)
profiles = st.builds(
    Profile, age_group=st.sampled_from(list(AgeGroup)), exploitation=st.sampled_from(list(ExploitationKind))
)
instruments = st.sampled_from(["triage", "journey", "forced_labour", "full"])
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _at_least(after: ScreeningResult, before: ScreeningResult) -> None:
    assert after.continuum_class.rank >= before.continuum_class.rank
    assert after.trafficking_indicated >= before.trafficking_indicated
    assert after.delphi_indicated >= before.delphi_indicated
    assert after.forced_labour.positive >= before.forced_labour.positive
    assert after.triage.refer_for_full_assessment >= before.triage.refer_for_full_assessment
    assert after.journey.indicated >= before.journey.indicated
    for b, a in zip(before.dimensions, after.dimensions, strict=True):
        assert a.positive >= b.positive, a.dimension
    for b_el, a_el in zip(before.legal_elements, after.legal_elements, strict=True):
        assert ELEMENT_RANK[a_el.status] >= ELEMENT_RANK[b_el.status], a_el.element
    assert {r.service for r in after.suggested_referrals} >= {r.service for r in before.suggested_referrals}


@SETTINGS
@given(answers=answer_sets, profile=profiles, instrument=instruments, item=st.sampled_from(ITEM_IDS))
def test_adding_a_yes_never_lowers_the_outcome(
    answers: dict[str, str], profile: Profile, instrument: str, item: str
) -> None:
    before = screen(instrument, answers, profile)
    after = screen(instrument, {**answers, item: "yes"}, profile)
    _at_least(after, before)


@SETTINGS
@given(answers=answer_sets, profile=profiles, instrument=instruments, state=st.sampled_from(NOT_YES))
def test_unknown_declined_and_not_asked_never_count_as_yes(
    answers: dict[str, str], profile: Profile, instrument: str, state: str
) -> None:
    as_no = {i: ("no" if v != "yes" else v) for i, v in answers.items()}
    as_state = {i: (state if v != "yes" else v) for i, v in answers.items()}
    a, b = screen(instrument, as_no, profile), screen(instrument, as_state, profile)
    assert a.continuum_class == b.continuum_class
    assert a.trafficking_indicated == b.trafficking_indicated
    assert a.forced_labour == b.forced_labour
    assert [d.positive for d in a.dimensions] == [d.positive for d in b.dimensions]
    assert a.indicators == b.indicators
    assert {h.item for h in b.indicators} == {i for i, v in answers.items() if v == "yes"}


@SETTINGS
@given(answers=answer_sets, profile=profiles, instrument=instruments)
def test_same_answers_and_version_give_the_same_result(
    answers: dict[str, str], profile: Profile, instrument: str
) -> None:
    first = screen(instrument, answers, profile)
    second = screen(instrument, dict(reversed(list(answers.items()))), profile)
    assert first.to_json() == second.to_json()
    assert ScreeningResult.model_validate_json(first.to_json()) == first


@SETTINGS
@given(answers=answer_sets, profile=profiles, instrument=instruments)
def test_every_fired_rule_is_explained(answers: dict[str, str], profile: Profile, instrument: str) -> None:
    result = screen(instrument, answers, profile)
    yes = {i for i, v in answers.items() if v == "yes"}
    positive = {d.dimension for d in result.dimensions if d.positive}
    text = "\n".join(result.explanation)
    for fired in result.fired_rules:
        assert fired.rule in RULES
        assert fired.statement == RULES[fired.rule].statement and fired.source == RULES[fired.rule].source
        assert fired.evidence, fired.rule
        for evidence in fired.evidence:
            if evidence in BANK.item_ids():
                assert evidence in yes, (fired.rule, evidence)
            elif evidence.startswith("D"):
                assert evidence in positive, (fired.rule, evidence)
            else:
                assert evidence == "icls.forced_labour" and result.forced_labour.positive
        assert f"[{fired.rule}]" in text
        assert ", ".join(fired.evidence) in text
    assert result.trafficking_indicated == any(
        r.rule.startswith("palermo.") or r.rule in ("delphi.adult", "delphi.child") for r in result.fired_rules
    )
