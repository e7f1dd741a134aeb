"""``scoring.refined_prior`` (λ by EM over scored pairs, m and u fixed) and ``scoring.refined_model`` (λ and
u without the matches of the random sample, in turn)."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pytest

from ctdx.errors import ValidationError
from ctdx.linkage.scoring import U_FLOOR, ComparisonLevels, factors_of, refined_model, refined_prior

# Two comparisons with three levels and an else level each: (m, u) per level.
NAMES = [(0.80, 0.0001), (0.12, 0.001), (0.06, 0.02), (0.02, 0.9789)]
BIRTH = [(0.85, 0.0003), (0.10, 0.005), (0.03, 0.05), (0.02, 0.9447)]


def candidate_pairs(records: int, matches: int) -> npt.NDArray[np.float64]:
    """The log2 Bayes factors of the pairs a hub scores, with as many pairs per agreement pattern as the
    model expects among ``matches`` true pairs and the other pairs of ``records`` records. Patterns whose
    Bayes factor is below 1/8 are not candidates (blocking drops them); they hold 2 % of the true pairs."""
    non_matches = records * (records - 1) // 2 - matches
    factors = []
    for (m1, u1), (m2, u2) in itertools.product(NAMES, BIRTH):
        m, u = m1 * m2, u1 * u2
        if m / u >= 1 / 8:
            count = round(matches * m) + round(non_matches * u)
            factors.append(np.full(count, np.log2(m / u)))
    return np.concatenate(factors)


@pytest.mark.parametrize("start", [0.25, 1.0, 4.0])
def test_the_prior_comes_back_to_the_hubs_share_of_true_pairs(start: float) -> None:
    records, matches = 10_000, 5_000
    truth = matches / (records * (records - 1) / 2)
    factors = candidate_pairs(records, matches)
    assert refined_prior(factors, records, truth * start) == pytest.approx(truth, rel=0.05)


def test_no_scored_pair_leaves_the_prior_as_it_was() -> None:
    assert refined_prior(np.array([], dtype=np.float64), 500, 1e-3) == 1e-3
    assert refined_prior(np.array([30.0]), 1, 1e-3) == 1e-3


def comparison(levels: list[tuple[float, float]], prior: float) -> ComparisonLevels:
    """A comparison with a null level and ``levels`` (m, true u; the last is the else level), whose u is
    what random sampling measures in data where ``prior`` of the pairs match: prior m + (1 - prior) u."""
    sampled = [prior * m + (1 - prior) * u for m, u in levels]
    return ComparisonLevels(
        ("x_l IS NULL OR x_r IS NULL", *(f"level {i}" for i in range(len(levels) - 1)), "ELSE"),
        (True, *(False for _ in levels)),
        (0.0, *(m for m, _ in levels)),
        (0.0, *sampled),
    )


def test_u_without_matches_is_the_u_of_the_non_matches() -> None:
    prior = 5e-4  # FEBRL3's share of matching pairs
    names = comparison(NAMES, prior)
    assert names.u_without_matches(prior) == pytest.approx([0.0, *(u for _, u in NAMES)], rel=1e-9, abs=1e-12)
    # Agreeing names weigh what the non-matches say, not what the sample said.
    assert names.weights(prior)[1] == pytest.approx(np.log2(0.80 / 0.0001))
    assert names.weights()[1] < names.weights(prior)[1] - 2
    # A u the matches would take below zero (an m that EM overstated) keeps U_FLOOR of its sampled value.
    sampled, m = np.array(names.u), np.array(names.m)
    unscaled = np.maximum((sampled - 0.01 * m) / 0.99, U_FLOOR * sampled)
    assert unscaled[1] == U_FLOOR * sampled[1]
    assert names.u_without_matches(0.01) == pytest.approx(unscaled / unscaled.sum(), rel=1e-9)


def candidate_levels(records: int, matches: int) -> npt.NDArray[np.int16]:
    """``candidate_pairs`` as level indexes (a row per pair, a column per comparison; 0 is the null level)."""
    non_matches = records * (records - 1) // 2 - matches
    rows = []
    for (i, (m1, u1)), (j, (m2, u2)) in itertools.product(enumerate(NAMES), enumerate(BIRTH)):
        m, u = m1 * m2, u1 * u2
        if m / u >= 1 / 8:
            count = round(matches * m) + round(non_matches * u)
            rows.append(np.tile(np.array([[i + 1, j + 1]], dtype=np.int16), (count, 1)))
    return np.concatenate(rows)


def test_the_refined_model_takes_the_matches_out_of_u_at_the_rules_lambda() -> None:
    records, matches = 5_000, 6_500  # FEBRL3: 5,000 records of 2,000 persons
    truth = matches / (records * (records - 1) / 2)
    comparisons = (comparison(NAMES, truth), comparison(BIRTH, truth))
    levels = candidate_levels(records, matches)
    exact = np.log2(np.array(NAMES)[:, 0] / np.array(NAMES)[:, 1])[levels[:, 0] - 1]
    exact += np.log2(np.array(BIRTH)[:, 0] / np.array(BIRTH)[:, 1])[levels[:, 1] - 1]
    # From u as sampled, a pair agreeing on both weighs over 3 bits too little.
    as_sampled = factors_of(levels, comparisons)
    assert (exact - as_sampled).max() > 3
    # A rule that finds λ: u and λ come back to the truth.
    factors, prior = refined_model(levels, comparisons, records, truth)
    assert np.abs(factors - exact).max() < 0.05
    assert prior == pytest.approx(truth, rel=0.02)
    # A rule that finds half of it (its recall is an upper bound): half the matches come out, never more.
    factors, prior = refined_model(levels, comparisons, records, truth / 2)
    assert np.all(factors >= as_sampled - 1e-9) and np.all(factors <= exact + 1e-9)
    assert (factors - as_sampled).max() > 1
    assert truth / 2 <= prior <= truth
    with pytest.raises(ValidationError):
        factors_of(levels[:, :1], comparisons)


def test_lambda_does_not_sink_below_the_rule_where_blocking_holds_few_true_pairs() -> None:
    # The candidates of a hub of 5,000 records, in a hub of a million: most of its true pairs were never
    # proposed, and EM's λ over the candidates alone shrinks towards zero.
    records, matches = 5_000, 6_500
    start = matches / (records * (records - 1) / 2) / 1000
    comparisons = (comparison(NAMES, start), comparison(BIRTH, start))
    levels = candidate_levels(records, matches)
    assert refined_prior(factors_of(levels, comparisons), 10_000_000, start) < start / 2
    _, prior = refined_model(levels, comparisons, 10_000_000, start)
    assert prior >= start
