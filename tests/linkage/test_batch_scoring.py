"""The chunked scorer of the array path (``batch.score_chunked``) against Splink's own prediction.

The chunked scorer evaluates the trained model's level conditions itself, in chunks of pairs; it must give
the match weights and probabilities Splink gives for the same trained model, and pick the same pairs.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pytest

from ctdx.errors import ConfigError, ValidationError
from ctdx.linkage.batch import (
    EncodedRecords,
    PairModel,
    link_encoded,
    load_records,
    pair_levels,
    pair_siblings,
    score_chunked,
    train_model,
)
from ctdx.linkage.blocking import DEFAULT_BLOCKING, candidate_pairs
from ctdx.linkage.clustering import ClusteringConfig
from ctdx.linkage.scoring import (
    RULE_UNMET,
    ScoringConfig,
    default_prior,
    expectation_maximisation,
    factors_of,
    log2_odds,
    probabilities,
    train_linker,
)
from tests.linkage.cohort import encoded_cohort

IntArray = np.ndarray


@pytest.fixture(scope="module")
def cohort() -> tuple[EncodedRecords, tuple[IntArray, IntArray], IntArray]:
    records, persons = encoded_cohort(2500, 5, 7, b"chunked scorer test secret, not real")
    candidates = candidate_pairs(records.packed, records.present, DEFAULT_BLOCKING)
    person = np.unique(np.array(persons), return_inverse=True)[1]
    return records, (candidates.left, candidates.right), person


def test_chunked_weights_equal_splinks_prediction(cohort: tuple[EncodedRecords, tuple, IntArray]) -> None:
    records, pairs, _ = cohort
    config = ScoringConfig(mode="privacy")
    connection = duckdb.connect(":memory:")
    try:
        load_records(connection, records, pairs)
        trained = train_linker(connection, "ctdx_records", len(records.ids), config)
        assert trained.trained
        model = PairModel.of(trained, config)
        predictions = trained.linker.inference.predict(warning_mode="never")
        rows = connection.execute(
            f"SELECT unique_id_l, unique_id_r, match_weight, match_probability, coalesce({model.siblings}, FALSE) "
            f"FROM {predictions.physical_name}"
        ).fetchall()
    finally:
        connection.close()
    index = {uid: i for i, uid in enumerate(records.ids)}
    left = np.array([index[r[0]] for r in rows], dtype=np.int64)
    right = np.array([index[r[1]] for r in rows], dtype=np.int64)
    # Splink predicts every candidate pair exactly once.
    assert left.size == pairs[0].size
    assert set(zip(np.minimum(left, right).tolist(), np.maximum(left, right).tolist(), strict=True)) == set(
        zip(pairs[0].tolist(), pairs[1].tolist(), strict=True)
    )
    # A small chunk size: the pairs go through DuckDB in many chunks.
    levels = pair_levels(records, (left, right), model, chunk_bytes=64 * 1024)
    siblings = pair_siblings(records, (left, right), model, chunk_bytes=64 * 1024)
    factors = factors_of(levels, model.comparisons)
    weights = np.array([r[2] for r in rows], dtype=np.float64)
    chances = np.array([r[3] for r in rows], dtype=np.float64)
    assert np.abs(factors + log2_odds(model.prior) - weights).max() < 1e-9
    assert np.abs(probabilities(factors, model.prior) - chances).max() < 1e-9
    assert np.array_equal(siblings, np.array([bool(r[4]) for r in rows]))
    # The comparison is not trivial: the weights spread over matches and non-matches, some pairs are siblings.
    assert chances.min() < 0.01 < 0.99 < chances.max()
    assert siblings.any()


def test_chunked_scoring_links_as_the_splink_path(cohort: tuple[EncodedRecords, tuple, IntArray]) -> None:
    records, pairs, person = cohort
    clustering = ClusteringConfig(samples=10)
    config = ScoringConfig(mode="privacy")
    chunked = link_encoded(records, pairs, config, clustering)
    splink = link_encoded(records, pairs, config, clustering, scorer="splink")
    assert chunked.trained and splink.trained
    assert chunked.scored_pairs == splink.scored_pairs
    links = {tuple(sorted(p)) for p in zip(*(a.tolist() for a in chunked.link_pairs), strict=True)}
    splink_links = {tuple(sorted(p)) for p in zip(*(a.tolist() for a in splink.link_pairs), strict=True)}
    assert links == splink_links
    assert chunked.count.estimate == splink.count.estimate
    right = person[chunked.link_pairs[0]] == person[chunked.link_pairs[1]]
    assert right.size > 0 and right.mean() > 0.95


def test_a_sample_trains_a_model_close_to_the_full_one() -> None:
    # Half of 6,000 records. On this cohort the training rule (a name band and a birth band both equal) is
    # met by about 12 pairs of the 6,000 records and 1 to 4 of a half: a half where none meets it keeps
    # the starting values (``scoring.training_rule_met``), and then only its precision is checked. On 2,500
    # records the half was always under ``min_records_to_train``, and the test compared a trained model
    # with the starting values.
    records, persons = encoded_cohort(6000, 5, 7, b"chunked scorer test secret, not real")
    person = np.unique(np.array(persons), return_inverse=True)[1]
    candidates = candidate_pairs(records.packed, records.present, DEFAULT_BLOCKING)
    pairs = (candidates.left, candidates.right)
    config = ScoringConfig(mode="privacy")
    assert len(records.ids) // 2 >= config.min_records_to_train
    full = score_chunked(records, pairs, config)
    sampled = score_chunked(records, pairs, config, train_sample=len(records.ids) // 2)
    assert full.trained
    n = len(records.ids)
    common = np.intersect1d(full.left * n + full.right, sampled.left * n + sampled.right)
    assert common.size > 0.9 * min(full.left.size, sampled.left.size)
    linked = (full.probability >= 0.9) & ~full.siblings
    sampled_linked = (sampled.probability >= 0.9) & ~sampled.siblings
    assert linked.sum() > 0 and sampled_linked.sum() > 0
    if sampled.trained:  # trained on half the records, the links barely move
        assert abs(int(sampled_linked.sum()) - int(linked.sum())) <= 0.1 * linked.sum()
    assert (person[sampled.left[sampled_linked]] == person[sampled.right[sampled_linked]]).mean() > 0.95


def test_bad_input_is_refused(cohort: tuple[EncodedRecords, tuple, IntArray]) -> None:
    records, pairs, _ = cohort
    config = ScoringConfig(mode="privacy")
    with pytest.raises(ConfigError):
        train_model(records, config, sample=1)
    with pytest.raises(ConfigError):
        link_encoded(records, pairs, config, scorer="exact")  # type: ignore[arg-type]
    model = train_model(records, config)
    with pytest.raises(ValidationError):
        pair_levels(records, (pairs[0], pairs[1][:-1]), model)


def test_the_array_path_counts_the_true_pairs_never_scored(cohort: tuple[EncodedRecords, tuple, IntArray]) -> None:
    # As ``linking.link`` does: λ times all pairs, less the probabilities of the scored pairs, are true pairs
    # that blocking never proposed or that scored under the floor; the count's low end allows for them.
    records, pairs, _ = cohort
    config = ScoringConfig(mode="privacy")
    scored = score_chunked(records, pairs, config)
    result = link_encoded(records, pairs, config, ClusteringConfig(samples=0))
    n = len(records.ids)
    expected = scored.prior * n * (n - 1) / 2 - float(scored.probability[~scored.siblings].sum())
    # The two trainings agree to the last digits (DuckDB's parallel sums).
    assert result.trained and result.prior == pytest.approx(scored.prior, rel=1e-9) and expected > 1
    assert result.count.unscored_pairs == pytest.approx(expected, rel=1e-6)
    assert result.count.low <= result.count.estimate - math.ceil(expected)


def test_a_hub_where_no_pair_meets_the_training_rule_keeps_the_starting_values(
    cohort: tuple[EncodedRecords, tuple, IntArray],
) -> None:
    # No record carries a birth date, so no pair meets the training rule (a name and a birth date) and
    # Splink estimates λ = 0, from which EM fails (a math domain error). Guessing λ instead and training on
    # the names linked namesakes (precision 0.62 at 0.9 on this cohort): the hub scores with the starting
    # values, as a small hub does, and counts person ids.
    records, pairs, person = cohort
    present = {**records.present, "birth": np.zeros_like(records.present["birth"])}
    packed = {**records.packed, "birth": np.zeros_like(records.packed["birth"])}
    undated = EncodedRecords(records.ids, records.organisations, packed, present)
    config = ScoringConfig(mode="privacy")
    assert len(records.ids) >= config.min_records_to_train
    model = train_model(undated, config)
    assert not model.trained and model.prior == default_prior(len(records.ids))
    assert model.default_because == RULE_UNMET
    result = link_encoded(undated, pairs, config, ClusteringConfig(samples=0))
    assert not result.trained and result.count.expected is None and result.default_because == RULE_UNMET
    # The object path (``score_pairs``, as a smaller hub links) says so too.
    assert link_encoded(undated, pairs, config, ClusteringConfig(samples=0), scorer="splink").default_because == (
        RULE_UNMET
    )
    linked = result.link_pairs
    assert (person[linked[0]] == person[linked[1]]).all()


def test_an_em_pass_without_pairs_is_skipped() -> None:
    # Splink raises on a pass whose blocking rule gives no pair, and leaves that comparison out of the
    # linker; the pass is skipped instead, and a linker with no pass left keeps its starting values.
    class Linker:
        def __init__(self) -> None:
            self.training = self
            self.ran: list[str] = []

        def estimate_parameters_using_expectation_maximisation(self, rule: str) -> None:
            self.ran.append(rule)

    linker = Linker()
    assert expectation_maximisation(linker, ["a", "b"], lambda rule: rule == "b") == 1 and linker.ran == ["b"]
    assert expectation_maximisation(linker, ["a"], lambda rule: False) == 0 and linker.ran == ["b"]
