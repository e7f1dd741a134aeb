"""Plaintext deduplication inside one organisation: the same scoring as the hub, on raw tokens."""

from __future__ import annotations

import pytest

from ctdx.errors import ValidationError
from ctdx.linkage.blocking import TRAINING_BANDS
from ctdx.linkage.linking import deduplicate_cases
from ctdx.linkage.scoring import ScoringConfig, training_recall
from tests.linkage.cohort import COHORT, encoded_cohort, predicted_pairs, truth_pairs


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
    # One band of 20 bits per field at 2 % flips: a fifth of identical pairs; any of five bands: two thirds.
    one = training_recall("privacy", bands=1)
    assert one == pytest.approx((1 - 2 * 0.02 * 0.98) ** 40)
    assert 0.1 < one < 0.3 and training_recall("privacy") == pytest.approx(1 - (1 - one) ** TRAINING_BANDS)


def test_training_recall_falls_with_the_share_of_records_missing_a_training_key() -> None:
    # ctdx sample: 47 % of birth dates missing, so only about 0.53 ** 2 of true pairs can meet the rule
    # and λ (rule matches / recall) must come out about 3.6 times larger than when every key is known.
    assert training_recall("plaintext", 0.53) == pytest.approx(0.7 * 0.53**2)
    assert training_recall("privacy", 0.53) == pytest.approx(training_recall("privacy") * 0.53**2)
    assert training_recall("privacy", 0.0) > 0
    with pytest.raises(ValidationError):
        training_recall("privacy", 1.5)


def test_a_generated_cohort_links_at_array_scale_without_false_merges_or_giant_clusters() -> None:
    # The hub's path for large cohorts: batch encodings, vectorised blocking, Splink, array clustering.
    import numpy as np

    from ctdx.linkage.batch import link_encoded
    from ctdx.linkage.blocking import DEFAULT_BLOCKING, candidate_pairs
    from ctdx.linkage.clustering import ClusteringConfig

    records, persons = encoded_cohort(3000, 5, 11, b"array scale test secret, not real!!")
    candidates = candidate_pairs(records.packed, records.present, DEFAULT_BLOCKING)
    left, right = candidates.left, candidates.right
    person = np.unique(np.array(persons), return_inverse=True)[1]
    sizes = np.bincount(person)
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    kept = int((person[left] == person[right]).sum())
    # Blocking: a candidate set a few times the records, holding a good share of the true pairs.
    assert left.size < 20 * len(persons)
    assert kept / true_pairs > 0.4
    result = link_encoded(records, (left, right), ScoringConfig(mode="privacy"), ClusteringConfig(samples=20))
    assert result.trained
    labels = result.labels
    clusters = np.unique(labels).size
    assert clusters == result.count.estimate
    people = int(person.max()) + 1
    # Never fewer persons than there are (no chaining), and the links found are nearly all right.
    assert people <= clusters < len(persons)
    linked = person[result.link_pairs[0]] == person[result.link_pairs[1]]
    assert linked.size > 0 and linked.mean() > 0.95
    assert np.bincount(labels).max() <= sizes.max() + 1
    assert result.count.low <= result.count.estimate <= result.count.high
    # The persons two organisations share: the person ids miss every shared person whose records score below
    # the threshold; the expectation weighs those pairs by their probability, and comes closer to the truth.
    # It still leans low (pairs never scored count as no match). Measured over the ten pairs of organisations:
    # 193 to 224 expected (two runs), 73 to 75 by the person ids, 416 true.
    assert result.count.sharing is not None
    orgs = np.array(records.organisations)

    def shared(group: np.ndarray) -> dict[tuple[str, str], int]:
        counts: dict[tuple[str, str], int] = {}
        for label in np.unique(group):
            held = sorted(set(orgs[group == label]))
            for i, a in enumerate(held):
                for b in held[i + 1 :]:
                    counts[a, b] = counts.get((a, b), 0) + 1
        return counts

    true, confident = shared(person), shared(labels)
    expected = result.count.sharing.overlap
    assert set(expected) == set(true)
    for pair, value in expected.items():
        assert confident.get(pair, 0) < value < true[pair]

    # Per organisation, the persons also known elsewhere: the same.
    def known_elsewhere(group: np.ndarray, org: str) -> int:
        return sum(len(set(orgs[group == label])) > 1 for label in np.unique(group[orgs == org]))

    for org, value in result.count.sharing.shared.items():
        assert known_elsewhere(labels, org) < value < known_elsewhere(person, org)


def test_a_block_cap_drops_common_keys_and_the_summary_says_how_many() -> None:
    from ctdx.linkage.blocking import token_blocking_keys
    from ctdx.linkage.linking import LinkageInput, link
    from ctdx.linkage.normalise import identity_of
    from ctdx.linkage.scoring import plaintext_fields

    entries = tuple(e for e in COHORT if e.consent)
    inputs = []
    for entry in entries:
        identity = identity_of(entry.case().values)
        uid = f"{entry.organisation}:{entry.record_id}"
        inputs.append(LinkageInput(uid, entry.organisation, plaintext_fields(identity), token_blocking_keys(identity)))
    scoring = ScoringConfig(mode="plaintext")
    open_run = link(inputs, scoring)
    assert open_run.summary()["blocking"] == {"max_block": 200, "dropped_keys": 0, "dropped_pairs": 0}
    # At two records per key, the Kovalenko family name (three records) and the shared birth date go.
    capped = link(inputs, scoring, max_block=2)
    summary = capped.summary()["blocking"]
    assert summary["max_block"] == 2 and summary["dropped_keys"] >= 2 and summary["dropped_pairs"] >= 6
    assert capped.candidate_pairs < open_run.candidate_pairs
