"""Bad input to the engine is refused with every problem named, and no answer text echoed."""

from __future__ import annotations

import pytest

from ctdx.errors import NotFoundError, ValidationError
from ctdx.screening import Answer, AnswerValue, EvidenceSource, screen


def test_unknown_items_and_states_are_all_reported_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        screen("triage", {"T01": "yes", "ZZ01": "yes", "T02": "my boss has my passport"})
    message = str(caught.value)
    assert "'ZZ01' is not an item" in message
    assert "T02: not an answer state" in message
    assert "passport" not in message, "free text typed by mistake must not be echoed"
    assert len(caught.value.context["problems"]) == 2


def test_unknown_instrument() -> None:
    with pytest.raises(NotFoundError):
        screen("tvit-long", {})


def test_answers_keep_their_evidence_source() -> None:
    result = screen("triage", {"T02": Answer(value=AnswerValue.YES, source=EvidenceSource.DOCUMENT)})
    assert result.indicators[0].evidence == "document"
    assert result.htcds_values == {"vic_MethodsOfControl": ("WithholdsDocuments",)}
    assert result.versions.instrument == "triage" and result.versions.engine


def test_a_stored_result_is_rescored_explicitly_under_the_current_versions() -> None:
    from ctdx.screening import ScreeningResult, rescore

    original = screen("journey", {"FMS02": "yes", "FMS03": "yes", "SM01": "yes"})
    stored = ScreeningResult.model_validate_json(original.to_json())
    aged = stored.model_copy(update={"versions": stored.versions.model_copy(update={"bank": "2020.1"})})
    again = rescore(aged)
    assert again == original
    assert aged.versions.bank == "2020.1", "the stored result is left as it was"


def test_profile_from_age_at_the_act() -> None:
    from ctdx.screening import AgeGroup, Profile

    assert Profile.from_age(17).age_group == AgeGroup.CHILD
    assert Profile.from_age(18).age_group == AgeGroup.ADULT
    assert Profile.from_age(None).age_group == AgeGroup.UNKNOWN
    with pytest.raises(ValidationError, match="between 0 and 130"):
        Profile.from_age(-1)
