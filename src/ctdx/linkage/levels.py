"""Pairs' levels from the filters' similarities: numpy computes ``ctdx_sim``, DuckDB reads the levels' SQL.

A level is SQL (``scoring.ComparisonLevels.conditions``, one source of truth, the conditions Splink
evaluates), and almost all it costs is the similarity ``ctdx_sim(a, b) = 1 - hamming(a, b) / bits`` of two
Bloom filters, computed by DuckDB as ``bit_count(xor(a, b))`` on ``BIT`` strings, once per condition that
names it. Here each similarity a set of conditions names is computed once per pair by numpy (popcounts of
the packed filters, or a matrix product for all pairs of a sample: ``u_sampling``), given to DuckDB as a
number, and the conditions are rewritten to read those numbers (``Conditions``). What remains of a
condition (comparisons, ``AND``/``OR``, ``IS NULL`` on a side's field, ``coalesce``) is what DuckDB
evaluates fast. Written here because no library evaluates Splink's levels on precomputed similarities.
"""

from __future__ import annotations

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
    ``s0``, ``s1``, ... (``similarities[i]`` says which), and the sides' fields they still read (``sides``)."""

    expressions: tuple[str, ...]
    similarities: tuple[Similarity, ...]
    sides: tuple[str, ...]

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
        return cls(rewritten, tuple(found), tuple(sides))

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
        import pyarrow as pa  # type: ignore[import-untyped]

        left, right = pairs
        rows = {"l": left, "r": right}
        columns: dict[str, Any] = {}
        for index, key in enumerate(self.similarities):
            first, first_side, second, second_side = key
            missing = ~(present[first][rows[first_side]] & present[second][rows[second_side]])
            columns[f"s{index}"] = pa.array(similarity(key), mask=missing)
        for side in self.sides:
            field, which = side[:-2], side[-1]
            columns[side] = pa.array(np.ones(left.size, dtype=bool), mask=~present[field][rows[which]])
        if not columns:
            columns["ctdx_none"] = pa.array(np.zeros(left.size, dtype=bool))
        selected = ", ".join(f"{sql} AS e{i}" for i, sql in enumerate(self.expressions))
        connection.register("ctdx_level_pairs", pa.table(columns))
        try:
            result: dict[str, npt.NDArray[Any]] = connection.execute(
                f"SELECT {selected} FROM ctdx_level_pairs"
            ).fetchnumpy()
        finally:
            connection.unregister("ctdx_level_pairs")
        return result


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
