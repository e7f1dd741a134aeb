"""``scoring.refined_prior``: λ by EM over scored pairs, with m and u fixed."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pytest

from ctdx.linkage.scoring import refined_prior

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
