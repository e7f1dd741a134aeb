"""Utility metrics of a release against the source table it was built from (docs/benchmarks.md A7).

Tables are integer matrices (rows x columns) of category codes; missing is an ordinary category unless a
caller drops it. The metrics are the NIST CRC / SDNist ones (k-marginal, 3-way TVD) and the SDS combination
metrics (union MAE with absent = 0, fabricated and suppressed shares). They are our own code because neither
SDNist nor the SDS toolkit is a library we can call on integer matrices without pulling in their data
pipelines; each function is a few lines of counting and is tested against hand-computed tables.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.int64]


def _keys(x: Matrix, columns: tuple[int, ...], radix: int) -> npt.NDArray[np.int64]:
    key = np.zeros(len(x), dtype=np.int64)
    for c in columns:
        key = key * radix + x[:, c]
    return key


def _counts(x: Matrix, columns: tuple[int, ...], radix: int) -> dict[int, int]:
    values, counts = np.unique(_keys(x, columns, radix), return_counts=True)
    return dict(zip(values.tolist(), counts.tolist(), strict=True))


def tvd(t: Matrix, s: Matrix, columns: tuple[int, ...], radix: int) -> float:
    """Total variation distance between the distributions of ``columns`` in T and S."""
    a, b = _counts(t, columns, radix), _counts(s, columns, radix)
    return 0.5 * sum(abs(a.get(k, 0) / len(t) - b.get(k, 0) / len(s)) for k in a.keys() | b.keys())


def k_marginal(t: Matrix, s: Matrix, radix: int) -> float:
    """SDNist's k-marginal without a group feature: 1000 * (1 - mean two-way TVD)."""
    pairs = list(itertools.combinations(range(t.shape[1]), 2))
    return 1000 * (1 - float(np.mean([tvd(t, s, p, radix) for p in pairs])))


def sets(d: int, length: int, limit: int, seed: int) -> list[tuple[int, ...]]:
    """Every column set of ``length``, or ``limit`` of them drawn without replacement."""
    every = list(itertools.combinations(range(d), length))
    if len(every) <= limit:
        return every
    rng = np.random.default_rng(seed)
    return [every[i] for i in sorted(rng.choice(len(every), limit, replace=False).tolist())]


def three_way_tvd(t: Matrix, s: Matrix, radix: int) -> float:
    """Mean TVD over up to 200 three-column sets drawn with the fixed seed 2024."""
    return float(np.mean([tvd(t, s, c, radix) for c in sets(t.shape[1], 3, 200, 2024)]))


def combination_metrics(
    t: Matrix, s: Matrix, radix: int, scale: float, limit: int = 300, blank: Sequence[int] | None = None
) -> dict[str, float]:
    """Union MAE by length 1-4 (absent = 0; S counts times ``scale``), fabricated and suppressed shares.

    ``blank`` (one code per column) follows SDS: an S row whose value in a column is that column's blank code
    holds no combination over that column set (pac-synth leaves attributes out of records).
    """
    out: dict[str, float] = {}
    fabricated = distinct_s = suppressed = frequent_t = 0
    for length in (1, 2, 3, 4):
        errors = []
        for columns in sets(t.shape[1], length, limit, 7 + length):
            kept = s
            if blank is not None:
                cols = list(columns)
                kept = s[np.all(s[:, cols] != np.asarray([blank[j] for j in cols]), axis=1)]
            a, b = _counts(t, columns, radix), _counts(kept, columns, radix)
            errors += [abs(a.get(k, 0) - scale * b.get(k, 0)) for k in a.keys() | b.keys()]
            fabricated += sum(1 for k in b if k not in a)
            distinct_s += len(b)
            suppressed += sum(1 for k, v in a.items() if v >= 10 and k not in b)
            frequent_t += sum(1 for v in a.values() if v >= 10)
        out[f"union_mae_{length}"] = float(np.mean(errors))
    out["fabricated_pct"] = 100 * fabricated / max(distinct_s, 1)
    out["suppressed_pct"] = 100 * suppressed / max(frequent_t, 1)
    return out


def unique_copies_pct(t: Matrix, s: Matrix) -> float:
    """The share of S rows equal to a row that occurs exactly once in T."""
    rows, counts = np.unique(t, axis=0, return_counts=True)
    unique = {row.tobytes() for row in rows[counts == 1]}
    return 100 * sum(1 for row in s if row.tobytes() in unique) / max(len(s), 1)


# --- what a release report uses (on top of the benchmark's functions above) ---------------------------------

MISSING_CODE = 0  # ``encode`` gives the empty text (a missing value) code 0 in every column
TVD_SEED = 2024  # the seed ``three_way_tvd`` draws its column sets with (stated in every report)
TVD_SETS = 200  # at most this many three-column sets


def encode(header: Sequence[str], *tables: Iterable[Sequence[str]]) -> tuple[list[Matrix], int, list[dict[str, int]]]:
    """Text tables with the same ``header`` as integer matrices sharing one code book per column.

    The empty text (missing) is code 0 in every column. Returns the matrices, the radix (largest code + 1)
    and the code books (text to code, per column)."""
    books: list[dict[str, int]] = [{"": MISSING_CODE} for _ in header]
    out: list[Matrix] = []
    for table in tables:
        rows = [[books[j].setdefault(v, len(books[j])) for j, v in enumerate(row)] for row in table]
        out.append(np.asarray(rows, dtype=np.int64).reshape(len(rows), len(header)))
    return out, max(len(b) for b in books), books


def joint_keys(columns: Sequence[int], *tables: Matrix) -> list[npt.NDArray[np.int64]]:
    """One integer per row naming its combination of ``columns``, comparable across ``tables``.

    Keys are re-compressed after every column, so any number of columns fits in 64 bits."""
    stacked = np.concatenate([t[:, list(columns)] for t in tables], axis=0)
    key = np.zeros(len(stacked), dtype=np.int64)
    for j in range(stacked.shape[1]):
        key = key * (int(stacked[:, j].max(initial=0)) + 1) + stacked[:, j]
        key = np.unique(key, return_inverse=True)[1].astype(np.int64).reshape(-1)
    bounds = np.cumsum([0, *(len(t) for t in tables)])
    return [key[bounds[i] : bounds[i + 1]] for i in range(len(tables))]


def _known_counts(t: Matrix, s: Matrix, columns: tuple[int, ...]) -> tuple[dict[int, int], dict[int, int]]:
    """Counts of each combination of ``columns`` among the rows where every one of them is known."""
    kt, ks = joint_keys(columns, t, s)
    known_t = (t[:, list(columns)] != MISSING_CODE).all(axis=1)
    known_s = (s[:, list(columns)] != MISSING_CODE).all(axis=1)
    out = []
    for keys in (kt[known_t], ks[known_s]):
        values, counts = np.unique(keys, return_counts=True)
        out.append(dict(zip(values.tolist(), counts.tolist(), strict=True)))
    return out[0], out[1]


def combination_report(
    t: Matrix, s: Matrix, *, scale: float, lengths: Sequence[int] = (1, 2, 3, 4), limit: int = 300, seed: int = 7
) -> dict[str, dict[str, float]]:
    """The SDS combination metrics of release ``s`` against source ``t``, by combination length.

    Following the CTDC denominator rule (and SDS, which does not count empty values), a row counts towards a
    combination only when every value in it is known. Per length: ``union_mae`` (mean |t - scale * s| over
    the union of combinations, absent = 0), ``intersection_mae`` (SDS's, over combinations in both),
    ``fabricated_pct`` (release combinations absent from the source, per distinct source combination) and
    ``suppressed_pct`` (source combinations absent from the release, per distinct source combination), as
    SDS defines them; ``column_sets`` says how many column sets were measured (at most ``limit``, drawn with
    ``seed + length``)."""
    out: dict[str, dict[str, float]] = {}
    for length in lengths:
        if length > t.shape[1]:
            continue
        union: list[float] = []
        both: list[float] = []
        fabricated = suppressed = distinct_t = 0
        chosen = sets(t.shape[1], length, limit, seed + length)
        for columns in chosen:
            a, b = _known_counts(t, s, columns)
            union += [abs(a.get(k, 0) - scale * b.get(k, 0)) for k in a.keys() | b.keys()]
            both += [abs(a[k] - scale * b[k]) for k in a.keys() & b.keys()]
            fabricated += sum(1 for k in b if k not in a)
            suppressed += sum(1 for k in a if k not in b)
            distinct_t += len(a)
        out[str(length)] = {
            "union_mae": float(np.mean(union)) if union else 0.0,
            "intersection_mae": float(np.mean(both)) if both else 0.0,
            "fabricated_pct": 100 * fabricated / max(distinct_t, 1),
            "suppressed_pct": 100 * suppressed / max(distinct_t, 1),
            "column_sets": float(len(chosen)),
        }
    return out


def flag_share_errors(
    t: Matrix, s: Matrix, groups: Mapping[str, Sequence[int]], positive: Mapping[int, int]
) -> dict[str, dict[str, float]]:
    """How far the release's flag shares are from the source's, by flag group, under CTDC's denominator rule.

    A flag's share is the number of rows where it is ``positive[column]`` (the code of ``1``) over the rows
    where any flag of its group is known (data-standard.md 6.6), never over all rows. Per group: the mean and
    the largest absolute difference in percentage points."""
    out: dict[str, dict[str, float]] = {}
    for group, columns in groups.items():
        differences = []
        known_t = (t[:, list(columns)] != MISSING_CODE).any(axis=1)
        known_s = (s[:, list(columns)] != MISSING_CODE).any(axis=1)
        for c in columns:
            code = positive.get(c)
            share_t = float((t[known_t, c] == code).sum()) / max(int(known_t.sum()), 1)
            share_s = float((s[known_s, c] == code).sum()) / max(int(known_s.sum()), 1)
            differences.append(100 * abs(share_t - share_s))
        out[group] = {"mean_pp": float(np.mean(differences)), "max_pp": float(np.max(differences))}
    return out
