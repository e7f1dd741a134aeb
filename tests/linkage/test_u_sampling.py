"""u from the filters' bits (``u_sampling``) against Splink's own random sampling.

On every pair of a cohort, both count the same pairs in the same levels, so the u must be equal, level by
level, including the twins level (which compares a record's first given name with its own given name) and
the levels no pair reaches (they keep their starting u in both).
"""

from __future__ import annotations

import dataclasses

import duckdb
import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pytest

from ctdx.errors import ConfigError
from ctdx.linkage import levels, u_sampling
from ctdx.linkage.batch import EncodedRecords, arrow_table, load_records
from ctdx.linkage.scoring import (
    SIM_MACRO,
    U_FLOOR,
    ComparisonLevels,
    ScoringConfig,
    comparison_levels,
    train_linker,
)
from ctdx.linkage.u_sampling import (
    LevelCounts,
    estimate_u,
    level_counts,
    rows_for_pairs,
    sample_arrow_filters,
    sample_filters,
)
from tests.linkage.cohort import encoded_cohort

# Untrained linkers, so that only the u estimates differ; "learned" adds the twins level.
CONFIG = ScoringConfig(mode="privacy", min_records_to_train=10**9, twins="learned")


@pytest.fixture(scope="module")
def cohort() -> EncodedRecords:
    records, _ = encoded_cohort(700, 4, 11, b"u sampling test secret, not a real one")
    return records


def _estimates(records: EncodedRecords, max_pairs: float) -> tuple[tuple[ComparisonLevels, ...], ...]:
    """The starting u, u as Splink samples it and as ``estimate_u`` does (same records, max_pairs, seed)."""
    empty = np.zeros(0, dtype=np.int64)
    connection = duckdb.connect(":memory:")
    try:
        load_records(connection, records, (empty, empty))
        splink = train_linker(connection, "ctdx_records", len(records.ids), CONFIG)
        ours = train_linker(connection, "ctdx_records", len(records.ids), CONFIG)
        # Splink stops a comparison early once each of its levels has 100 pairs; here it counts them all.
        splink.linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=3, min_count_per_level=None)
        start = comparison_levels(ours.linker)
        counts = estimate_u(ours.linker, start, connection, "ctdx_records", ours.fields, max_pairs, 3)
        assert counts.pairs > 0
        return start, comparison_levels(splink.linker), comparison_levels(ours.linker)
    finally:
        connection.close()


def test_on_every_pair_the_bits_give_splinks_u(cohort: EncodedRecords) -> None:
    everyone = len(cohort.ids) * (len(cohort.ids) - 1) / 2
    start, splink, ours = _estimates(cohort, everyone)
    observed = 0
    for before, theirs, mine in zip(start, splink, ours, strict=True):
        assert theirs.conditions == mine.conditions
        assert np.allclose(theirs.u, mine.u, rtol=1e-12, atol=0.0)
        observed += sum(a != b for a, b in zip(before.u, mine.u, strict=True))
    # Not a trivial agreement: most levels moved from their starting u.
    assert observed >= 12


@pytest.mark.parametrize("tally", ["dense", "sorted", "pair by pair"])
def test_the_levels_are_counted_as_duckdb_counts_them_on_the_encodings(
    cohort: EncodedRecords, tally: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Conditions of every shape the levels use (two fields of one record, crossed fields, missing filters),
    counted by ``level_counts`` and by DuckDB's ``ctdx_sim`` on every pair of the stored encodings; with the
    combinations tallied in one array, per block by sorting, or (conditions that cannot be grouped) each
    pair read by DuckDB."""
    if tally == "sorted":
        monkeypatch.setattr(u_sampling, "DENSE_CODES", 0)
    elif tally == "pair by pair":
        monkeypatch.setattr(levels, "_thresholds", lambda expressions, count: None)
    comparisons = (
        ComparisonLevels(
            (
                "given_l IS NULL OR given_r IS NULL",
                "ctdx_sim(first_l, given_l) >= 0.92 AND ctdx_sim(given_l, given_r) >= 0.55",
                "ctdx_sim(first_r, family_l) >= 0.55 AND NOT (ctdx_sim(family_l, given_r) >= 0.6)",
                "coalesce(ctdx_sim(skeleton_l, skeleton_r) < 0.6, TRUE) AND first_r IS NOT NULL",
                "ELSE",
            ),
            (True, False, False, False, False),
            (0.0, 0.5, 0.3, 0.1, 0.1),
            (0.0, 0.2, 0.2, 0.3, 0.3),
        ),
    )
    empty = np.zeros(0, dtype=np.int64)
    connection = duckdb.connect(":memory:")
    try:
        load_records(connection, cohort, (empty, empty))
        connection.execute(SIM_MACRO)
        fields = ("given", "first", "family", "skeleton")
        sides = ", ".join(f"{side}.{f} AS {f}_{side}" for f in fields for side in "lr")
        rows = connection.execute(
            f"SELECT {comparisons[0].level_sql()} AS g, count(*) FROM (SELECT {sides} FROM ctdx_records l "
            "JOIN ctdx_records r ON l.unique_id < r.unique_id) GROUP BY g"
        ).fetchall()
        filters = sample_filters(connection, "ctdx_records", list(fields), len(cohort.ids), 1)
    finally:
        connection.close()
    expected = np.zeros(5, dtype=np.int64)
    for level, count in rows:
        expected[level] = count
    counts = level_counts(filters, comparisons, block_pairs=20_000)
    assert np.array_equal(counts.counts[0], expected)
    assert (expected > 0).all()


def test_every_pair_is_counted_once_in_one_level(cohort: EncodedRecords) -> None:
    empty = np.zeros(0, dtype=np.int64)
    connection = duckdb.connect(":memory:")
    try:
        load_records(connection, cohort, (empty, empty))
        model = train_linker(connection, "ctdx_records", len(cohort.ids), CONFIG)
        filters = sample_filters(connection, "ctdx_records", model.fields, len(cohort.ids), 1)
        comparisons = comparison_levels(model.linker)
    finally:
        connection.close()
    # A field the levels compare is missing from the records: refused, not counted as unknown.
    with pytest.raises(ConfigError, match="which the records do not have"):
        level_counts({k: v for k, v in filters.items() if k in ("names", "birth")}, comparisons)
    # Small blocks: the pairs go through DuckDB in many of them, and none is lost or counted twice.
    counts = level_counts(filters, comparisons, block_pairs=5_000)
    assert counts.pairs == len(cohort.ids) * (len(cohort.ids) - 1) // 2
    assert all(int(c.sum()) == counts.pairs for c in counts.counts)
    assert _same(counts, level_counts(filters, comparisons))


def _same(a: LevelCounts, b: LevelCounts) -> bool:
    return a.pairs == b.pairs and all(np.array_equal(x, y) for x, y in zip(a.counts, b.counts, strict=True))


def test_a_sample_of_the_records_estimates_the_u_of_all_pairs(cohort: EncodedRecords) -> None:
    everyone = len(cohort.ids) * (len(cohort.ids) - 1) / 2
    _, _, full = _estimates(cohort, everyone)
    _, _, sampled = _estimates(cohort, everyone / 4)
    assert rows_for_pairs(everyone / 4) < len(cohort.ids)
    for whole, part in zip(full, sampled, strict=True):
        common = np.array(whole.u) > 0.05
        assert np.allclose(np.array(part.u)[common], np.array(whole.u)[common], rtol=0.1)


def test_the_matches_of_the_sample_leave_u_pair_by_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    """u of the non-matches, from the truth of a cohort, against the sample's u as measured, with λ m
    subtracted, and with each sampled pair weighed by its chance of not matching (``u_of_non_matches``):
    per comparison the last is at least as close to the truth, and at the top levels of the names and the
    birth date, where the cohort's matches swamp the non-matches, closer than the subtraction by a fifth at
    least (from 0.02 to 0.62 of its error over 9 runs: the bit flips and the EM fit move it)."""
    records, persons = encoded_cohort(1500, 4, 11, b"u sampling test secret, not a real one")
    n = len(records.ids)
    config = ScoringConfig(mode="privacy", min_records_to_train=100, u_max_pairs=n * (n - 1) / 2)
    empty = np.zeros(0, dtype=np.int64)
    connection = duckdb.connect(":memory:")
    try:
        load_records(connection, records, (empty, empty))
        model = train_linker(connection, "ctdx_records", n, config)
        assert not model.matches_in_u  # the trained linker's u is already the non-matches'
        comparisons = comparison_levels(model.linker)
        filters = sample_filters(connection, "ctdx_records", list(model.fields), n, 1)
        connection.execute(SIM_MACRO)
        connection.register("ctdx_truth", pa.table({"unique_id": records.ids, "person": persons}))
        sides = ", ".join(f"{side}.{f} AS {f}_{side}" for f in model.fields for side in "lr")
        true_u = []
        for comparison in comparisons:
            rows = connection.execute(
                f"SELECT {comparison.level_sql()} AS g, count(*) FROM (SELECT {sides} FROM ctdx_records l "
                "JOIN ctdx_records r ON l.unique_id < r.unique_id "
                "JOIN ctdx_truth tl ON tl.unique_id = l.unique_id JOIN ctdx_truth tr ON tr.unique_id = r.unique_id "
                "WHERE tl.person <> tr.person) GROUP BY g"
            ).fetchall()
            counts = np.zeros(len(comparison.conditions))
            for level, count in rows:
                counts[level] = count
            counts[np.array(comparison.null)] = 0
            true_u.append(counts / counts.sum())
    finally:
        connection.close()
    counts = level_counts(filters, comparisons)
    sampled = counts.u(comparisons)
    # The linker's u came from this sample: subtract and weigh from the sample's own.
    raw = [
        dataclasses.replace(c, u=tuple(np.nan_to_num(u)), matches_in_u=True)
        for c, u in zip(comparisons, sampled, strict=True)
    ]
    subtracted = [c.u_without_matches(model.prior) for c in raw]
    weighed = counts.u_of_non_matches(raw, model.prior, U_FLOOR)
    for comparison, truth, measured, minus, ours in zip(comparisons, true_u, sampled, subtracted, weighed, strict=True):
        known = ~np.array(comparison.null)
        error = np.abs(np.nan_to_num(ours) - truth)[known].sum()
        assert error <= np.abs(minus - truth)[known].sum() + 1e-9
        assert error <= np.abs(np.nan_to_num(measured) - truth)[known].sum() + 1e-9
    for names_or_birth in (0, 1):
        truth, ours, minus = true_u[names_or_birth][1], weighed[names_or_birth][1], subtracted[names_or_birth][1]
        assert sampled[names_or_birth][1] > 2 * truth  # the matches swamp the top level
        assert abs(ours - truth) < 0.8 * abs(minus - truth)


def test_the_spark_records_give_the_sample_duckdb_draws(cohort: EncodedRecords) -> None:
    """The Spark backend samples u from its Arrow table (encodings as lists of 64-bit words, in another
    row order): the same records as DuckDB's sample for the same seed, with the same bits."""
    empty = np.zeros(0, dtype=np.int64)
    fields = list(cohort.packed)
    table = arrow_table(cohort, (empty, empty), as_longs=True)
    shuffled = table.take(np.random.default_rng(5).permutation(table.num_rows))
    connection = duckdb.connect(":memory:")
    try:
        load_records(connection, cohort, (empty, empty))
        expected = sample_filters(connection, "ctdx_records", fields, 300, 7)
    finally:
        connection.close()
    found = sample_arrow_filters(shuffled, fields, 300, 7)
    for name in fields:
        assert np.array_equal(found[name].present, expected[name].present), name
        assert np.array_equal(found[name].packed, expected[name].packed), name
    # Missing encodings are part of it (records without a birth date, a sex, ...).
    assert any(not expected[name].present.all() for name in fields)
