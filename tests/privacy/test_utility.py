"""Utility metrics of a release, on tables small enough to compute by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ctdx.privacy.utility import (
    combination_report,
    encode,
    flag_share_errors,
    joint_keys,
    k_marginal,
    three_way_tvd,
)


def m(rows: list[list[int]]):
    return np.asarray(rows, dtype=np.int64)


def test_combination_metrics_count_absent_as_zero_and_skip_unknown_values() -> None:
    # source: (1,1) (1,2) (2,0=missing); release: (1,1) (1,1) (3,1)
    t, s = m([[1, 1], [1, 2], [2, 0]]), m([[1, 1], [1, 1], [3, 1]])
    report = combination_report(t, s, scale=1.0, lengths=(1, 2))
    one, two = report["1"], report["2"]
    # length 1, column 0: t {1:2, 2:1}, s {1:2, 3:1}; column 1 (known only): t {1:1, 2:1}, s {1:3}
    # union errors: |2-2|, |1-0|, |0-1|, |1-3|, |1-0| -> mean 1.0; intersection: |2-2|, |1-3| -> 1.0
    assert one["union_mae"] == pytest.approx(1.0) and one["intersection_mae"] == pytest.approx(1.0)
    # fabricated: value 3 in column 0 (1 of 4 distinct source values); suppressed: 2 (col 0) and 2 (col 1)
    assert one["fabricated_pct"] == pytest.approx(25.0) and one["suppressed_pct"] == pytest.approx(50.0)
    # length 2 (the row with a missing value does not count): t {(1,1):1, (1,2):1}, s {(1,1):2, (3,1):1}
    assert two["union_mae"] == pytest.approx((1 + 1 + 1) / 3)
    assert two["fabricated_pct"] == pytest.approx(50.0) and two["suppressed_pct"] == pytest.approx(50.0)


def test_a_release_half_the_size_is_scaled_before_it_is_compared() -> None:
    t = m([[1, 1], [1, 1], [2, 2], [2, 2]])
    assert combination_report(t, m([[1, 1], [2, 2]]), scale=2.0, lengths=(1, 2))["2"]["union_mae"] == 0.0


def test_flag_shares_are_taken_over_records_whose_group_is_known() -> None:
    # two flags of one group; code 2 = "1", code 1 = "0", 0 = missing (group not recorded)
    t = m([[2, 1], [1, 2], [0, 0], [0, 0]])  # shares over the 2 known rows: 50 %, 50 %
    s = m([[2, 1], [2, 1], [1, 2], [1, 2]])  # 50 %, 50 %: equal, though dividing by all rows would say 25 %
    assert flag_share_errors(t, s, {"g": [0, 1]}, {0: 2, 1: 2}) == {"g": {"mean_pp": 0.0, "max_pp": 0.0}}
    s2 = m([[2, 1], [2, 1], [2, 1], [1, 2]])  # 75 %, 25 %
    assert flag_share_errors(t, s2, {"g": [0, 1]}, {0: 2, 1: 2})["g"] == {"mean_pp": 25.0, "max_pp": 25.0}


def test_k_marginal_and_three_way_tvd_span_identical_to_disjoint() -> None:
    t = m([[1, 1, 1], [2, 2, 2]])
    assert k_marginal(t, t, 3) == pytest.approx(1000.0) and three_way_tvd(t, t, 3) == 0.0
    disjoint = m([[3, 3, 3], [3, 3, 3]])
    assert k_marginal(t, disjoint, 4) == pytest.approx(0.0) and three_way_tvd(t, disjoint, 4) == pytest.approx(1.0)


def test_text_tables_share_one_code_book_and_keys_never_overflow() -> None:
    (a, b), radix, books = encode(["x", "y"], [("A", ""), ("B", "1")], [("B", "1"), ("C", "0")])
    assert books[0] == {"": 0, "A": 1, "B": 2, "C": 3} and radix == 4
    assert a.tolist() == [[1, 0], [2, 1]] and b.tolist() == [[2, 1], [3, 2]]
    wide = np.random.default_rng(1).integers(0, 250, size=(50, 12))
    ka, kb = joint_keys(tuple(range(12)), wide, wide[::-1].copy())
    assert sorted(ka.tolist()) == sorted(kb.tolist()) and len(set(ka.tolist())) == len({r.tobytes() for r in wide})


def test_a_blank_cell_holds_no_combination_as_sds_counts_it() -> None:
    from ctdx.privacy.utility import combination_metrics

    t = np.array([[0, 0], [0, 1], [1, 1]])
    s = np.array([[0, 0], [0, 2], [1, 1]])  # 2 is column 1's blank: pac-synth left that attribute out
    as_value = combination_metrics(t, s, radix=3, scale=1.0)
    as_blank = combination_metrics(t, s, radix=3, scale=1.0, blank=[9, 2])
    assert as_value["fabricated_pct"] > 0
    assert as_blank["fabricated_pct"] == 0
