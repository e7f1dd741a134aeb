"""The trafficking status is a separate decision; the engine only ever proposes "possible"."""

from __future__ import annotations

import datetime as dt

import pydantic
import pytest

from ctdx.screening import (
    DecidingOrganisationType,
    ScreeningResult,
    TraffickingStatus,
    TraffickingStatusDecision,
    screen,
)
from ctdx.standard import load_standard
from tests.screening.conftest import answered


def test_status_values_are_the_htcds_vocabularies() -> None:
    standard = load_standard()
    assert {s.value for s in TraffickingStatus} == set(standard.field("vic_TraffickingStatus").value_names)
    assert {o.value for o in DecidingOrganisationType} == set(
        standard.field("vic_TraffickingStatusDecisionMakingOrg").value_names
    )


def test_a_decision_names_the_organisation_type_date_and_basis() -> None:
    decision = TraffickingStatusDecision(
        status=TraffickingStatus.ACTUAL,
        deciding_org_type=DecidingOrganisationType.COURT_OR_PROSECUTION,
        decided_on=dt.date(2026, 3, 2),
        basis="Conclusive grounds decision, reference CG-2026-0042",
    )
    assert decision.definition.value == "Palermo"
    with pytest.raises(pydantic.ValidationError):
        TraffickingStatusDecision.model_validate(
            {"status": "ActualVictimOfTrafficking", "decided_on": "2026-03-02", "basis": "court"}
        )


def test_the_engine_never_states_a_status_and_never_says_victim() -> None:
    result = screen("full", answered("full", {"ACT01", "ACT02", "DR01", "DR08", "EX01", "EX04", "CD01", "CD03"}))
    assert result.trafficking_indicated
    assert result.proposed_status == "PossibleVictimOfTrafficking"
    assert "ActualVictimOfTrafficking" not in result.to_json()
    assert not any("status" in name and name != "proposed_status" for name in ScreeningResult.model_fields)
    assert not any("victim" in line.lower() for line in result.explanation)


def test_no_language_says_victim() -> None:
    from ctdx.screening import ScreeningContext

    yes = {"ACT01", "ACT02", "DR01", "DR08", "EX01", "EX04", "CD01", "CD03", "SM01", "AGE01", "CON01"}
    for language, word in (("en", "victim"), ("fr", "victime"), ("es", "víctima")):
        result = screen("full", answered("full", yes), context=ScreeningContext(language=language))
        assert result.trafficking_indicated
        assert not any(word in line.lower() for line in result.explanation), language
