"""Utility metrics of a release against the source table it was built from (docs/benchmarks.md A7).

Tables are integer matrices (rows x columns) of category codes; missing is an ordinary category unless a
caller drops it. The metrics are the NIST CRC / SDNist ones (k-marginal, 3-way TVD) and the SDS combination
metrics (union MAE with absent = 0, fabricated and suppressed shares). They are our own code because neither
SDNist nor the SDS toolkit is a library we can call on integer matrices without pulling in their data
pipelines; each function is a few lines of counting and is tested against hand-computed tables.
"""

from __future__ import annotations

import itertools

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


def combination_metrics(t: Matrix, s: Matrix, radix: int, scale: float, limit: int = 300) -> dict[str, float]:
    """Union MAE by length 1-4 (absent = 0; S counts times ``scale``), fabricated and suppressed shares."""
    out: dict[str, float] = {}
    fabricated = distinct_s = suppressed = frequent_t = 0
    for length in (1, 2, 3, 4):
        errors = []
        for columns in sets(t.shape[1], length, limit, 7 + length):
            a, b = _counts(t, columns, radix), _counts(s, columns, radix)
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
