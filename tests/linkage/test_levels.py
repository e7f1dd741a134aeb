"""Levels read by DuckDB on similarities computed by numpy (``levels.Conditions``).

The grouped evaluation (one row per combination of where the similarities fall among their constants)
must give every pair the value the per-pair evaluation gives, at the constants themselves too.
"""

from __future__ import annotations

import dataclasses

import duckdb
import numpy as np
import pytest

from ctdx.errors import ConfigError
from ctdx.linkage.blocking import DEFAULT_BLOCKING, candidate_pairs
from ctdx.linkage.levels import Conditions, Similarity, filter_bits, pair_similarity
from ctdx.linkage.scoring import birth_levels, names_levels, siblings_sql
from tests.linkage.cohort import encoded_cohort

FIELDS = ["given", "first", "family", "names", "skeleton", "first_skeleton", "birth"]


def _both(conditions: Conditions, similarity, present, pairs) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    connection = duckdb.connect(":memory:")
    try:
        grouped = conditions.evaluate(connection, similarity, present, pairs)
        one_by_one = dataclasses.replace(conditions, thresholds=None).evaluate(connection, similarity, present, pairs)
    finally:
        connection.close()
    return grouped, one_by_one


def test_values_at_and_beside_the_constants_are_read_as_duckdb_reads_them() -> None:
    conditions = Conditions.of(
        [
            "(CASE WHEN ctdx_sim(a_l, a_r) >= 0.75 THEN 0 WHEN ctdx_sim(a_l, b_r) >= 0.5 THEN 1 ELSE 2 END)",
            "ctdx_sim(a_l, a_r) < 0.75 AND coalesce(ctdx_sim(a_l, b_r) < 0.5, TRUE) AND b_l IS NOT NULL",
        ],
        ["a", "b"],
    )
    assert conditions.thresholds == ((0.75,), (0.5,))
    edges = np.array([0.75, np.nextafter(0.75, 0), np.nextafter(0.75, 1), 0.5, np.nextafter(0.5, 0), 0.1, 1.0])
    grid = np.array(np.meshgrid(edges, edges)).reshape(2, -1)
    size = grid.shape[1] * 2
    values = {("a", "l", "a", "r"): np.tile(grid[0], 2), ("a", "l", "b", "r"): np.tile(grid[1], 2)}
    rows = np.arange(size, dtype=np.int64)
    present = {"a": np.ones(size, dtype=bool), "b": rows % 3 != 0}

    def similarity(key: Similarity) -> np.ndarray:
        return values[key]

    grouped, one_by_one = _both(conditions, similarity, present, (rows, rows))
    for name in one_by_one:
        assert np.array_equal(np.asarray(grouped[name]), np.asarray(one_by_one[name])), name
    # Both branches and the null handling are reached.
    assert set(np.asarray(one_by_one["e0"]).tolist()) == {0, 1, 2}
    assert {True, False} <= set(np.asarray(one_by_one["e1"]).tolist())


def test_the_cohorts_levels_and_siblings_are_the_same_grouped_or_pair_by_pair() -> None:
    records, _ = encoded_cohort(2500, 5, 7, b"levels test secret, not a real one!!")
    candidates = candidate_pairs(records.packed, records.present, DEFAULT_BLOCKING)
    pairs = (candidates.left, candidates.right)
    expressions = [lv.sql for lv in names_levels(FIELDS, twins=True) + birth_levels()]
    conditions = Conditions.of(
        [*expressions, f"coalesce({siblings_sql('privacy', FIELDS)}, FALSE)"], list(records.packed)
    )
    assert conditions.thresholds is not None
    bits = {name: filter_bits(packed) for name, packed in records.packed.items()}

    def similarity(key: Similarity) -> np.ndarray:
        return pair_similarity(key, records.packed, bits, pairs)

    grouped, one_by_one = _both(conditions, similarity, records.present, pairs)
    for name in one_by_one:
        assert np.array_equal(np.asarray(grouped[name]), np.asarray(one_by_one[name])), name
    # Not a trivial agreement: some pairs meet each name level's condition, and some are siblings.
    assert sum(bool(np.asarray(grouped[f"e{i}"]).any()) for i in range(len(expressions))) >= 8
    assert np.asarray(grouped[f"e{len(expressions)}"]).any()


def test_a_comparison_the_grouping_cannot_keep_is_evaluated_pair_by_pair() -> None:
    for sql in ("ctdx_sim(a_l, a_r) > 0.5", "0.5 <= ctdx_sim(a_l, a_r)", "ctdx_sim(a_l, a_r) * 2 >= 1"):
        assert Conditions.of([sql], ["a"]).thresholds is None


def test_a_level_on_a_field_the_records_lack_is_refused() -> None:
    with pytest.raises(ConfigError, match="'b', which the records do not have"):
        Conditions.of(["ctdx_sim(a_l, b_r) >= 0.5"], ["a"])
    with pytest.raises(ConfigError, match="'b_l', which the records do not have"):
        Conditions.of(["b_l IS NULL"], ["a"])


def test_filters_of_different_lengths_are_not_compared() -> None:
    packed = {"a": np.zeros((2, 8), dtype=np.uint8), "b": np.zeros((2, 4), dtype=np.uint8)}
    rows = np.arange(2, dtype=np.int64)
    with pytest.raises(ConfigError, match="different lengths"):
        pair_similarity(("a", "l", "b", "r"), packed, {"a": 64, "b": 32}, (rows, rows))
