"""Pairs' levels from the filters' similarities: numpy computes ``ctdx_sim``, DuckDB reads the levels' SQL.

A level is SQL (``scoring.ComparisonLevels.conditions``, one source of truth, the conditions Splink
evaluates), and almost all it costs is the similarity ``ctdx_sim(a, b) = 1 - hamming(a, b) / bits`` of two
Bloom filters, computed by DuckDB as ``bit_count(xor(a, b))`` on ``BIT`` strings, once per condition that
names it. Here each similarity a set of conditions names is computed once per pair by numpy (popcounts of
the packed filters, or a matrix product for all pairs of a sample: ``u_sampling``), given to DuckDB as a
number, and the conditions are rewritten to read those numbers (``Conditions``). What remains of a
condition (comparisons, ``AND``/``OR``, ``IS NULL`` on a side's field, ``coalesce``) is cheap, and as the
levels compare each similarity with a few constants only, DuckDB reads it once per combination of where
the similarities fall among them, not once per pair. Written here because no library evaluates Splink's
levels on precomputed similarities.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ctdx.errors import ConfigError

# A similarity in a level's SQL: ``ctdx_sim(given_l, family_r)`` (Splink may quote the columns).
SIM_CALL = re.compile(r'ctdx_sim\(\s*"?(\w+)_([lr])"?\s*,\s*"?(\w+)_([lr])"?\s*\)')
# A field of one side of a pair, left once the similarities are replaced (``given_l IS NULL``).
SIDE_COLUMN = re.compile(r'"?\b([a-z]\w*)_([lr])\b"?')

IntArray = npt.NDArray[np.int64]
# One similarity of a condition: (field, side, field, side), ``ctdx_sim(given_l, family_r)`` is
# ("given", "l", "family", "r").
Similarity = tuple[str, str, str, str]


@dataclass(frozen=True)
class Conditions:
    """SQL expressions over a pair (``x_l``, ``x_r`` columns) with each ``ctdx_sim`` replaced by a column
    ``s0``, ``s1``, ... (``similarities[i]`` says which), and the sides' fields they still read (``sides``).

    ``thresholds[i]``: the constants ``s{i}`` is compared with, when every comparison of it is ``s >= c``
    or ``s < c`` (the levels' conditions are); None otherwise. A pair's values then depend only on where
    each similarity falls among its constants, so ``evaluate`` gives DuckDB one row per such combination
    rather than one per pair."""

    expressions: tuple[str, ...]
    similarities: tuple[Similarity, ...]
    sides: tuple[str, ...]
    thresholds: tuple[tuple[float, ...], ...] | None = None

    @classmethod
    def of(cls, expressions: Sequence[str], fields: Sequence[str]) -> Conditions:
        """``expressions`` rewritten; ``ConfigError`` if one reads a field not in ``fields``."""
        found: dict[Similarity, str] = {}

        def column(match: re.Match[str]) -> str:
            key = (match[1], match[2], match[3], match[4])
            for name in (match[1], match[3]):
                if name not in fields:
                    raise ConfigError(f"a level compares {name!r}, which the records do not have")
            return found.setdefault(key, f"s{len(found)}")

        rewritten = tuple(SIM_CALL.sub(column, sql) for sql in expressions)
        sides = sorted({f"{m[1]}_{m[2]}" for sql in rewritten for m in SIDE_COLUMN.finditer(sql)})
        for side in sides:
            if side[:-2] not in fields:
                raise ConfigError(f"a level reads {side!r}, which the records do not have")
        return cls(rewritten, tuple(found), tuple(sides), _thresholds(rewritten, len(found)))

    def evaluate(
        self,
        connection: Any,
        similarity: Callable[[Similarity], npt.NDArray[np.float64]],
        present: Mapping[str, npt.NDArray[np.bool_]],
        pairs: tuple[IntArray, IntArray],
    ) -> dict[str, npt.NDArray[Any]]:
        """Each expression's value (column ``e0``, ``e1``, ...) on the pairs (``left``, ``right`` rows):
        ``similarity(key)`` gives a similarity per pair, null where either filter is missing
        (``present``: the rows that have each field)."""
        values, missing, known = self._inputs(similarity, present, pairs)
        codes = self._codes(values, missing, known)
        if codes is None:
            return self._query(connection, values, missing, known)
        distinct, inverse = np.unique(codes, return_inverse=True)
        return {name: column[inverse.reshape(-1)] for name, column in self.of_codes(connection, distinct).items()}

    def codes(
        self,
        similarity: Callable[[Similarity], npt.NDArray[np.float64]],
        present: Mapping[str, npt.NDArray[np.bool_]],
        pairs: tuple[IntArray, IntArray],
    ) -> IntArray | None:
        """Per pair the code of its combination (where each similarity falls among its constants, which
        sides are known): pairs with one code have the same values (``of_codes``). None when the
        conditions cannot be grouped (``thresholds`` is None, or too many combinations to code)."""
        if self.combinations is None:
            return None
        return self._codes(*self._inputs(similarity, present, pairs))

    @property
    def combinations(self) -> int | None:
        """How many codes ``codes`` can give (all below this), or None if it gives none."""
        if self.thresholds is None or not (self.thresholds or self.sides):
            return None
        total = math.prod([len(t) + 2 for t in self.thresholds] + [2] * len(self.sides))
        return total if 0 < total < _MAX_CODES else None

    def of_codes(self, connection: Any, codes: IntArray) -> dict[str, npt.NDArray[Any]]:
        """Each expression's value for each combination ``codes`` names (``codes``), one DuckDB row per code."""
        if self.thresholds is None:
            raise ConfigError("these conditions compare a similarity other than as s >= c or s < c")
        return self._query(connection, *_decoded(codes, self.thresholds, len(self.sides)))

    def _inputs(
        self,
        similarity: Callable[[Similarity], npt.NDArray[np.float64]],
        present: Mapping[str, npt.NDArray[np.bool_]],
        pairs: tuple[IntArray, IntArray],
    ) -> tuple[list[npt.NDArray[np.float64]], list[npt.NDArray[np.bool_]], list[npt.NDArray[np.bool_]]]:
        left, right = pairs
        rows = {"l": left, "r": right}
        values: list[npt.NDArray[np.float64]] = []
        missing: list[npt.NDArray[np.bool_]] = []
        for key in self.similarities:
            first, first_side, second, second_side = key
            values.append(similarity(key))
            missing.append(~(present[first][rows[first_side]] & present[second][rows[second_side]]))
        known = [present[side[:-2]][rows[side[-1]]] for side in self.sides]
        return values, missing, known

    def _codes(
        self,
        values: Sequence[npt.NDArray[np.float64]],
        missing: Sequence[npt.NDArray[np.bool_]],
        known: Sequence[npt.NDArray[np.bool_]],
    ) -> IntArray | None:
        """The combination code of each pair: a similarity ``v`` is coded by how many of its constants are
        at most ``v`` (``len + 1`` when it is null); ``v >= c`` and ``v < c`` hold for the largest constant
        at most ``v`` exactly when they hold for ``v`` (``_decoded`` gives DuckDB that constant, or -1)."""
        if self.thresholds is None or self.combinations is None:
            return None
        size = len(values[0]) if values else len(known[0]) if known else 0
        codes = np.zeros(size, dtype=np.int64)
        radix = 1
        for value, gone, constants in zip(values, missing, self.thresholds, strict=True):
            bucket = np.searchsorted(np.array(constants, dtype=np.float64), value, side="right")
            bucket[gone] = len(constants) + 1
            codes += bucket.astype(np.int64) * radix
            radix *= len(constants) + 2
        for has in known:
            codes += has.astype(np.int64) * radix
            radix *= 2
        return codes

    def _query(
        self,
        connection: Any,
        values: Sequence[npt.NDArray[np.float64]],
        missing: Sequence[npt.NDArray[np.bool_]],
        known: Sequence[npt.NDArray[np.bool_]],
    ) -> dict[str, npt.NDArray[Any]]:
        import pyarrow as pa  # type: ignore[import-untyped]

        size = len(values[0]) if values else len(known[0]) if known else 0
        columns: dict[str, Any] = {}
        for index, (value, gone) in enumerate(zip(values, missing, strict=True)):
            columns[f"s{index}"] = pa.array(value, mask=gone)
        for side, has in zip(self.sides, known, strict=True):
            columns[side] = pa.array(np.ones(size, dtype=bool), mask=~has)
        if not columns:
            columns["ctdx_none"] = pa.array(np.zeros(size, dtype=bool))
        selected = ", ".join(f"{sql} AS e{i}" for i, sql in enumerate(self.expressions))
        connection.register("ctdx_level_pairs", pa.table(columns))
        try:
            result: dict[str, npt.NDArray[Any]] = connection.execute(
                f"SELECT {selected} FROM ctdx_level_pairs"
            ).fetchnumpy()
        finally:
            connection.unregister("ctdx_level_pairs")
        return {name: np.asarray(column) for name, column in result.items()}


# Every use of a similarity column in a rewritten condition, with the comparison that follows it.
_COMPARED = re.compile(r"\b(s\d+)\b(?:\s*(>=|<=|<>|!=|>|<|=)\s*([0-9]*\.?[0-9]+)(?![0-9.eE]))?")
# Combinations of buckets beyond this are not grouped (the codes would overflow).
_MAX_CODES = 2**62


def _thresholds(expressions: Sequence[str], count: int) -> tuple[tuple[float, ...], ...] | None:
    """Per similarity column the sorted constants it is compared with, or None if any use of any column
    is not ``>= c`` or ``< c`` (``Conditions``)."""
    constants: list[set[float]] = [set() for _ in range(count)]
    for sql in expressions:
        for match in _COMPARED.finditer(sql):
            if match[2] not in (">=", "<"):
                return None
            constants[int(match[1][1:])].add(float(match[3]))
    return tuple(tuple(sorted(c)) for c in constants)


def _decoded(
    codes: IntArray, thresholds: Sequence[tuple[float, ...]], sides: int
) -> tuple[list[Any], list[Any], list[Any]]:
    """One representative row per code (``Conditions._codes``): values, missing and known, as
    ``Conditions._query`` takes them. A similarity is represented by the largest constant at most it, or -1
    below them all."""
    radix = 1
    rows: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
    for constants in thresholds:
        digit = (codes // radix) % (len(constants) + 2)
        radix *= len(constants) + 2
        table = np.array([-1.0, *constants, 0.0], dtype=np.float64)
        rows[0].append(table[digit])
        rows[1].append(digit == len(constants) + 1)
    for _ in range(sides):
        rows[2].append(((codes // radix) % 2).astype(bool))
        radix *= 2
    return rows


def filter_bits(packed: npt.NDArray[np.uint8]) -> int:
    """The length in bits of a field's filters, packed one row per record: whole bytes, as the encoder
    makes them (a multiple of 8 bits) and as DuckDB reads them (``BLOB::BIT``, ``bit_length``)."""
    return 8 * int(packed.shape[1])


def pair_similarity(
    key: Similarity,
    packed: Mapping[str, npt.NDArray[np.uint8]],
    bits: Mapping[str, int],
    pairs: tuple[IntArray, IntArray],
) -> npt.NDArray[np.float64]:
    """``ctdx_sim`` of ``key`` on the pairs (``left``, ``right`` rows of ``packed``), from popcounts; the
    value where a filter is missing is meaningless (``Conditions.evaluate`` masks it)."""
    first, first_side, second, second_side = key
    rows = {"l": pairs[0], "r": pairs[1]}
    if packed[first].shape[1] != packed[second].shape[1]:
        raise ConfigError(f"{first!r} and {second!r} are filters of different lengths")
    differ = np.bitwise_xor(packed[first][rows[first_side]], packed[second][rows[second_side]])
    if differ.shape[1] % 8 == 0:
        differ = differ.view(np.uint64)
    distance = np.bitwise_count(differ).sum(axis=1, dtype=np.int64)
    result: npt.NDArray[np.float64] = 1.0 - distance / bits[first]
    return result
