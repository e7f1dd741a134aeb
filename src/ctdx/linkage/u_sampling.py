"""u by random sampling on the encodings' bits: what Splink's ``estimate_u_using_random_sampling`` estimates,
in a fraction of its time.

u is a level's share among pairs of different people; like Splink, we measure it on every pair of a random
sample of records (``rows_for_pairs``), in privacy mode only. Splink evaluates each level's SQL on every
pair, one comparison after another, in one DuckDB thread (the sample is one row group): 36 of FEBRL4's 52
CPU-seconds of linkage (bench/linkage/README.md, "LD1 end to end"). Here the levels stay the same SQL, read
by DuckDB (``levels.Conditions``), but the similarities they compare come from numpy: on a sample, the
Hamming distances of all pairs are one matrix product of the filters' bits (|a xor b| = |a| + |b| - 2 a.b).

No library computes this: Splink's sampler is the slow part, and the similarity is our encoding's. Counts,
the null level and unobserved levels are treated as Splink treats them: u is a level's count over the
pairs whose comparison is not null, and a level no sampled pair reached keeps its starting u. Unlike
Splink, every comparison is counted on all the sample's pairs (Splink stops a comparison once each of its
levels has 100 pairs).

The sample keeps each pair's levels in every comparison (tallied per combination), so once EM has given m,
the matches among the random pairs can leave u pair by pair (``LevelCounts.u_of_non_matches``), where
Splink's per-level counts only allow subtracting λ m from each level.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ctdx.linkage.levels import Conditions, IntArray, Similarity, filter_bits

if TYPE_CHECKING:  # scoring calls this module
    from ctdx.linkage.scoring import ComparisonLevels

# Pairs whose similarities DuckDB reads at a time: about 140 MB more than Splink's sampler at 1e7 pairs.
BLOCK_PAIRS = 250_000
# Up to this many combinations of levels' inputs (``Conditions.combinations``), the sample's pairs are
# tallied per combination in one array (8 bytes each); beyond, per block by sorting.
DENSE_CODES = 1 << 22
FloatArray = npt.NDArray[np.float64]


def rows_for_pairs(pairs: float) -> int:
    """The number of records whose pairs number about ``pairs`` (r(r - 1) / 2 = pairs), as Splink sizes
    its sample."""
    return math.ceil(0.5 * (math.sqrt(8.0 * pairs + 1.0) + 1.0))


@dataclass(frozen=True)
class Filters:
    """A field's filters for the sampled records, one row per record (zeros where the record has none)."""

    packed: npt.NDArray[np.uint8]
    present: npt.NDArray[np.bool_]

    @property
    def bits(self) -> int:
        return filter_bits(self.packed)


@dataclass(frozen=True)
class LevelCounts:
    """The levels of the sampled pairs: each distinct combination of levels (a row of ``levels``, a column
    per comparison, Splink's order) with the number of pairs that have it (``weights``), and the pairs
    sampled."""

    levels: npt.NDArray[np.int16]
    weights: npt.NDArray[np.int64]
    sizes: tuple[int, ...]
    pairs: int

    @property
    def counts(self) -> tuple[npt.NDArray[np.int64], ...]:
        """Per comparison how many sampled pairs fell in each of its levels."""
        return tuple(
            np.bincount(self.levels[:, i], weights=self.weights, minlength=size).round().astype(np.int64)
            for i, size in enumerate(self.sizes)
        )

    def u(self, comparisons: Sequence[ComparisonLevels]) -> tuple[npt.NDArray[np.float64], ...]:
        """Per comparison the u of each level: its count over the non-null pairs, NaN where no pair fell
        (the level keeps its starting u) and at the null level."""
        return _shares(self.counts, comparisons)

    def u_of_non_matches(
        self, comparisons: Sequence[ComparisonLevels], prior: float, floor: float
    ) -> tuple[npt.NDArray[np.float64], ...]:
        """u with the sample's matches taken out pair by pair: each sampled pair counts by its chance of
        not matching, 1 - P(match | its levels) under the comparisons' m and u and λ = ``prior``, and u is
        recomputed from those counts until it settles (Fellegi-Sunter's EM step for u, on the random
        sample, with m and λ fixed). A level keeps at least ``floor`` of its sampled u.

        Random pairs are not all non-matches: λ of them match (``scoring.ComparisonLevels.u_without_matches``).
        Subtracting λ m from a rare level's sampled share is a difference of two noisy numbers of about the
        same size; here a sampled pair whose other comparisons agree too is recognised as a match and
        leaves the count, and one whose other comparisons disagree stays."""
        from ctdx.linkage.scoring import probabilities

        sampled = self.u(comparisons)
        u = [np.where(np.isnan(x), np.array(c.u), x) for x, c in zip(sampled, comparisons, strict=True)]
        m = [np.array(c.m) for c in comparisons]
        known = [~np.array(c.null) for c in comparisons]
        for _ in range(100):
            factors = np.zeros(self.weights.size, dtype=np.float64)
            for i in range(len(comparisons)):
                weight = np.zeros(u[i].size)
                weight[known[i]] = np.log2(np.maximum(m[i][known[i]], 1e-300) / np.maximum(u[i][known[i]], 1e-300))
                factors += weight[self.levels[:, i]]
            apart = self.weights * (1.0 - probabilities(factors, prior))
            kept = [np.bincount(self.levels[:, i], weights=apart, minlength=size) for i, size in enumerate(self.sizes)]
            updated = []
            for i, x in enumerate(_shares(tuple(kept), comparisons)):
                # As ``u``: the sampled levels share 1, a level no pair reached keeps its starting u.
                observed = ~np.isnan(sampled[i])
                x = np.where(observed, np.maximum(np.nan_to_num(x), floor * np.nan_to_num(sampled[i])), u[i])
                x[observed] /= x[observed].sum()
                updated.append(x)
            settled = all(np.allclose(a, b, rtol=1e-6, atol=0) for a, b in zip(updated, u, strict=True))
            u = updated
            if settled:
                break
        return tuple(np.where(np.isnan(x), np.nan, y) for x, y in zip(sampled, u, strict=True))


def _shares(
    counts: Sequence[npt.NDArray[Any]], comparisons: Sequence[ComparisonLevels]
) -> tuple[npt.NDArray[np.float64], ...]:
    result = []
    for level_counts, comparison in zip(counts, comparisons, strict=True):
        known = ~np.array(comparison.null)
        total = level_counts[known].sum()
        u = np.full(level_counts.shape, np.nan)
        observed = known & (level_counts > 0)
        if total > 0:
            u[observed] = level_counts[observed] / total
        result.append(u)
    return tuple(result)


def sample_filters(connection: Any, table: str, fields: Sequence[str], size: int, seed: int) -> dict[str, Filters]:
    """The filters of ``size`` records of ``table`` drawn at random (seeded), in the order of their ids."""
    import pyarrow as pa  # type: ignore[import-untyped]

    total = int(connection.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    size = min(size, total)
    chosen = np.sort(np.random.default_rng(seed).choice(total, size=size, replace=False)) + 1
    connection.register("ctdx_u_rows", pa.table({"row": pa.array(chosen, pa.int64())}))
    try:
        selected = ", ".join(f"{f}::BLOB AS {f}" for f in fields)
        query = (
            f"SELECT {selected} FROM (SELECT *, row_number() OVER (ORDER BY unique_id) AS ctdx_row FROM {table}) "
            "WHERE ctdx_row IN (SELECT row FROM ctdx_u_rows) ORDER BY unique_id"
        )
        rows = connection.execute(query).fetchall()
    finally:
        connection.unregister("ctdx_u_rows")
    filters = {}
    for index, name in enumerate(fields):
        values = [row[index] for row in rows]
        width = max((len(v) for v in values if v is not None), default=1)
        packed = np.zeros((len(values), width), dtype=np.uint8)
        present = np.array([v is not None for v in values], dtype=bool)
        for row, value in enumerate(values):
            if value is not None:
                packed[row] = np.frombuffer(value, dtype=np.uint8)
        filters[name] = Filters(packed, present)
    return filters


@dataclass(frozen=True)
class _Bits:
    """The sample's filters as 0/1 matrices, for the matrix products, with each row's count of ones."""

    ones: dict[str, npt.NDArray[np.float32]]
    weights: dict[str, npt.NDArray[np.float32]]
    bits: dict[str, int]
    # The ones two fields of each record share (the same-record similarities), computed once.
    own: dict[tuple[str, str], npt.NDArray[np.float32]] = field(default_factory=dict)

    @classmethod
    def of(cls, filters: dict[str, Filters]) -> _Bits:
        ones = {name: np.unpackbits(f.packed, axis=1).astype(np.float32) for name, f in filters.items()}
        weights = {name: m.sum(axis=1) for name, m in ones.items()}
        return cls(ones, weights, {name: f.bits for name, f in filters.items()})

    def similarity(self, key: Similarity, start: int, stop: int, block: tuple[IntArray, IntArray]) -> FloatArray:
        """``ctdx_sim`` of ``key`` on the block's pairs: rows ``start``..``stop`` on the left (``block[0]``,
        from ``start``), every later row on the right (``block[1]``, from ``start``)."""
        first, first_side, second, second_side = key
        left, right = block
        a_rows = (left if first_side == "l" else right) + start
        b_rows = (left if second_side == "l" else right) + start
        if first_side == second_side:
            # Two fields of one record (the twins level: a given name against its own first given name).
            if (first, second) not in self.own:
                self.own[first, second] = np.einsum("ij,ij->i", self.ones[first], self.ones[second])
            common = self.own[first, second][a_rows]
        elif first_side == "l":
            common = (self.ones[first][start:stop] @ self.ones[second][start:].T)[left, right]
        else:
            common = (self.ones[second][start:stop] @ self.ones[first][start:].T)[left, right]
        distance = self.weights[first][a_rows] + self.weights[second][b_rows] - 2.0 * common
        result: FloatArray = 1.0 - distance.astype(np.float64) / self.bits[first]
        return result


def level_counts(
    filters: dict[str, Filters], comparisons: Sequence[ComparisonLevels], block_pairs: int = BLOCK_PAIRS
) -> LevelCounts:
    """The levels of every pair of the sampled records (the earlier record on the left, as Splink orders a
    dedupe pair) in each comparison, tallied per combination."""
    import duckdb

    conditions = Conditions.of([c.level_sql() for c in comparisons], list(filters))
    size = len(next(iter(filters.values())).present) if filters else 0
    sizes = tuple(len(c.conditions) for c in comparisons)
    if not comparisons or size < 2:
        return LevelCounts(np.zeros((0, len(sizes)), dtype=np.int16), np.zeros(0, dtype=np.int64), sizes, 0)
    sample = _Bits.of(filters)
    present = {name: f.present for name, f in filters.items()}
    # Pairs with one combination code share their levels (``Conditions.codes``): the codes are tallied over
    # all blocks, and DuckDB reads each combination once at the end. Conditions that cannot be coded are
    # read pair by pair, and their levels tallied (``_Tally``).
    combinations = conditions.combinations
    tally = _Tally(combinations) if combinations is not None else _Tally(math.prod(sizes))
    connection = duckdb.connect(":memory:")
    pairs = 0
    try:
        start = 0
        while start < size - 1:
            # Rows start..stop against every later row: about block_pairs pairs.
            stop = min(size - 1, start + max(1, block_pairs // max(size - start - 1, 1)))
            rows, columns = np.nonzero(np.triu(np.ones((stop - start, size - start), dtype=bool), 1))
            block = (rows.astype(np.int64), columns.astype(np.int64))
            similarity = partial(sample.similarity, start=start, stop=stop, block=block)
            absolute = (block[0] + start, block[1] + start)
            codes = conditions.codes(similarity, present, absolute)
            if codes is None:
                found = conditions.evaluate(connection, similarity, present, absolute)
                codes = _level_codes(np.column_stack([found[f"e{i}"] for i in range(len(sizes))]), sizes)
            tally.add(codes)
            pairs += block[0].size
            start = stop
        distinct, weights = tally.result()
        if combinations is not None:
            found = conditions.of_codes(connection, distinct)
            levels = np.column_stack([np.asarray(found[f"e{i}"], dtype=np.int16) for i in range(len(sizes))])
        else:
            levels = _levels_of_codes(distinct, sizes)
    finally:
        connection.close()
    return LevelCounts(levels.reshape(-1, len(sizes)), weights, sizes, pairs)


class _Tally:
    """Counts of integer codes below ``size``: in one array when small enough, else per block by sorting."""

    def __init__(self, size: int) -> None:
        self.dense: IntArray | None = np.zeros(size, dtype=np.int64) if size <= DENSE_CODES else None
        self.seen: list[tuple[IntArray, IntArray]] = []

    def add(self, codes: IntArray) -> None:
        if self.dense is not None:
            self.dense += np.bincount(codes, minlength=self.dense.size)
        else:
            self.seen.append(np.unique(codes, return_counts=True))

    def result(self) -> tuple[IntArray, IntArray]:
        """The distinct codes and how many times each was added."""
        if self.dense is not None:
            (distinct,) = np.nonzero(self.dense)
            return distinct.astype(np.int64), self.dense[distinct]
        if not self.seen:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        distinct, where = np.unique(np.concatenate([c for c, _ in self.seen]), return_inverse=True)
        counts = np.bincount(where.reshape(-1), weights=np.concatenate([n for _, n in self.seen]))
        return distinct.astype(np.int64), counts.round().astype(np.int64)


def _level_codes(levels: npt.NDArray[Any], sizes: Sequence[int]) -> IntArray:
    codes = np.zeros(levels.shape[0], dtype=np.int64)
    radix = 1
    for i, size in enumerate(sizes):
        codes += levels[:, i].astype(np.int64) * radix
        radix *= size
    return codes


def _levels_of_codes(codes: IntArray, sizes: Sequence[int]) -> npt.NDArray[np.int16]:
    levels = np.zeros((codes.size, len(sizes)), dtype=np.int16)
    radix = 1
    for i, size in enumerate(sizes):
        levels[:, i] = (codes // radix) % size
        radix *= size
    return levels


def estimate_u(
    linker: Any,
    comparisons: Sequence[ComparisonLevels],
    connection: Any,
    table: str,
    fields: Sequence[str],
    max_pairs: float,
    seed: int,
) -> LevelCounts:
    """Set the u of every non-null level of ``linker`` (whose comparisons are ``comparisons``, on the
    encoded ``fields`` of ``table``) from the pairs of a random sample of about ``max_pairs`` pairs (a level
    no pair reached keeps its u). Returns the counts."""
    filters = sample_filters(connection, table, fields, rows_for_pairs(max_pairs), seed)
    return set_sampled_u(linker, comparisons, filters)


def set_sampled_u(linker: Any, comparisons: Sequence[ComparisonLevels], filters: dict[str, Filters]) -> LevelCounts:
    """Set the u of ``linker``'s levels from every pair of the sampled records' ``filters`` (a level no
    pair reached keeps its u); the counts, for ``LevelCounts.u_of_non_matches`` once EM has run."""
    counts = level_counts(filters, comparisons)
    for comparison, u in zip(linker._settings_obj.comparisons, counts.u(comparisons), strict=True):
        for level, value in zip(comparison.comparison_levels, u, strict=True):
            if not level.is_null_level and not math.isnan(value):
                level.u_probability = float(value)
    return counts


def sample_arrow_filters(table: Any, fields: Sequence[str], size: int, seed: int) -> dict[str, Filters]:
    """``sample_filters`` on an Arrow table whose encodings are lists of big-endian 64-bit words
    (``batch.arrow_table(as_longs=True)``, the Spark backend's records): the same records for the same
    seed (drawn among the rows in the order of their ids), so both backends estimate u on one sample."""
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    total = table.num_rows
    size = min(size, total)
    order = np.asarray(pc.sort_indices(table, sort_keys=[("unique_id", "ascending")]))
    rows = order[np.sort(np.random.default_rng(seed).choice(total, size=size, replace=False))]
    filters = {}
    for name in fields:
        column = table.column(name).take(rows).combine_chunks()
        present = column.is_valid().to_numpy(zero_copy_only=False)
        values = column.to_pylist()
        width = max((len(v) for v in values if v is not None), default=1)
        packed = np.zeros((size, width * 8), dtype=np.uint8)
        for row, words in enumerate(values):
            if words is not None:
                packed[row] = np.asarray(words, dtype=np.int64).astype(">i8").view(np.uint8)
        filters[name] = Filters(packed, present)
    return filters
