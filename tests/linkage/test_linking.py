"""Plaintext deduplication inside one organisation: the same scoring as the hub, on raw tokens."""

from __future__ import annotations

import pytest

from ctdx.errors import ValidationError
from ctdx.linkage.linking import deduplicate_cases
from ctdx.linkage.scoring import ScoringConfig, training_recall
from tests.linkage.cohort import COHORT, predicted_pairs, truth_pairs


def test_plaintext_deduplication_links_variants_and_keeps_near_duplicates_apart() -> None:
    entries = tuple(e for e in COHORT if e.consent)
    result = deduplicate_cases([e.case() for e in entries])
    # Record ids are system:record_id, which is how the cohort names them too.
    assert predicted_pairs(result.persons) == truth_pairs(entries)
    people = len({e.person for e in entries})
    assert result.count.estimate == people
    assert result.count.low <= people <= result.count.high
    assert result.mode == "plaintext" and result.trained is False


def test_an_unreadable_birth_date_names_the_case_and_field_only() -> None:
    bad = COHORT[0].case(prs_Birthdate="sometime in spring")
    with pytest.raises(ValidationError) as caught:
        deduplicate_cases([bad, COHORT[1].case()])
    assert caught.value.context["case"] == "ngo:n1"
    assert caught.value.context["field"] == "prs_Birthdate"
    assert "spring" not in str(caught.value)


def test_the_trained_model_path_runs_end_to_end() -> None:
    # EM training is what hubs with thousands of cases use; here it is forced on the small cohort so that the
    # training rules (single band keys, never the exploded key lists) are exercised in the suite.
    entries = tuple(e for e in COHORT if e.consent)
    scoring = ScoringConfig(mode="plaintext", min_records_to_train=5, u_max_pairs=1e4)
    result = deduplicate_cases([e.case() for e in entries], scoring=scoring)
    assert result.trained is True
    assert set(result.persons) == {f"{e.organisation}:{e.record_id}" for e in entries}
    assert result.count.low <= result.count.estimate <= result.count.high


def test_training_recall_follows_the_band_length_and_flip_rate() -> None:
    assert training_recall("plaintext") == 0.7
    assert 0.1 < training_recall("privacy") < 0.5
