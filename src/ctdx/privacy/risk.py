"""Privacy risk of released microdata: exact copies, leaked rare combinations, and attacks in the manner of
anonymeter (Giomi et al., PoPETs 2023).

Own code rather than the anonymeter package: anonymeter needs pandas and scikit-learn at pinned versions and
works on data frames; ours runs on the integer matrices the release already holds and is a few dozen lines.

Each attack (singling out, linkability, inference) is run on targets from the training data (main) and
from a control split the release never saw (control); the risk is (main - control) / (1 - control), with
95 % Wilson intervals on both rates carried to the risk's bounds. Inference: the attacker knows the
auxiliary columns of a target and reads the secret column off the release row that matches the target on
the most auxiliary columns (ties broken at random).

Inference and linkability find nearest release rows by grouping the release on the attacker's columns and
comparing distinct patterns in numpy blocks (``_Groups``), so every control row can be a target on 100k-row
tables (D1: 5 CPU s for 20,000 + 20,000 targets, against ~44 s for the former row-by-row scan); the random
tie-breaks draw the same numbers as that scan did, so results are unchanged (tests/privacy/test_risk.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ctdx.privacy.utility import joint_keys, sets

Matrix = npt.NDArray[np.int64]
Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution


def wilson(successes: int, trials: int) -> tuple[float, float]:
    """The 95 % Wilson score interval of a success rate."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    centre = (p + Z95**2 / (2 * trials)) / (1 + Z95**2 / trials)
    half = Z95 * math.sqrt(p * (1 - p) / trials + Z95**2 / (4 * trials**2)) / (1 + Z95**2 / trials)
    # The interval holds the rate; rounding alone left 13 successes in 13 trials an upper end of
    # 0.9999999999999998, below the rate it bounds.
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


class _Groups:
    """Release rows grouped by their values on the attacker's columns, and nearest groups found in blocks.

    An attack asks, per target, which release rows lie nearest (Hamming distance over categorical columns).
    Scanning every release row for every target costs targets x rows; here each distinct target pattern is
    compared once with each distinct release pattern (blocks of a few million cells in numpy), and a target
    then reads the rows of its nearest patterns. Rows keep the order the row-by-row scan saw them in, so the
    random tie-breaks draw the same numbers and pick the same rows."""

    def __init__(self, release: Matrix, columns: list[int]) -> None:
        self.patterns, inverse, counts = np.unique(release[:, columns], axis=0, return_inverse=True, return_counts=True)
        self.rows = np.argsort(inverse.reshape(-1), kind="stable")
        self.starts = np.concatenate(([0], np.cumsum(counts)))
        self.counts = counts
        self.columns = columns

    def members(self, groups: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """The release rows of some groups, in row order."""
        if len(groups) == 1:
            return self.rows[self.starts[groups[0]] : self.starts[groups[0] + 1]]
        return np.sort(np.concatenate([self.rows[self.starts[g] : self.starts[g + 1]] for g in groups]))

    def nearest(
        self, targets: Matrix, n: int
    ) -> tuple[npt.NDArray[np.int64], list[npt.NDArray[np.int64]], list[npt.NDArray[np.int64]]]:
        """Per target, which distinct target pattern it has; per pattern, the release groups at most as far
        as its ``n``-th nearest release row, and their distances."""
        found, inverse = np.unique(targets[:, self.columns], axis=0, return_inverse=True)
        want = min(n, int(self.counts.sum()))
        block = max(1, 4_000_000 // max(len(self.patterns), 1))
        groups: list[npt.NDArray[np.int64]] = []
        distances: list[npt.NDArray[np.int64]] = []
        for start in range(0, len(found), block):
            part = found[start : start + block]
            distance = np.zeros((len(part), len(self.patterns)), dtype=np.int64)
            for column in range(part.shape[1]):
                distance += part[:, column, None] != self.patterns[None, :, column]
            if want <= 1:
                reach = distance.min(axis=1)
            else:
                levels = np.stack(
                    [(distance == level) @ self.counts for level in range(part.shape[1] + 1)], axis=1
                ).cumsum(axis=1)
                reach = (levels < want).sum(axis=1)
            which, group = np.nonzero(distance <= reach[:, None])
            cuts = np.searchsorted(which, np.arange(1, len(part)))
            for i, chosen in enumerate(np.split(group, cuts)):
                groups.append(chosen)
                distances.append(distance[i, chosen])
        return inverse.reshape(-1), groups, distances


def _hits(targets: Matrix, release: Matrix, aux: list[int], secrets: list[int], rng: np.random.Generator) -> list[int]:
    """For each secret, how many targets the attack guesses right (one neighbour search serves every secret):
    the release row matching the target on the most auxiliary columns, ties broken at random."""
    index = _Groups(release, aux)
    inverse, groups, _ = index.nearest(targets, 1)
    hits = np.zeros(len(secrets), dtype=np.int64)
    for target, pattern in zip(targets, inverse, strict=True):
        chosen = groups[pattern]
        size = int(index.counts[chosen].sum())
        row = index.members(chosen)[int(rng.choice(size))]
        hits += release[row, secrets] == target[secrets]
    return [int(h) for h in hits]


def inference_risks(
    train: Matrix, control: Matrix, release: Matrix, aux: list[int], secrets: list[int], attacks: int, seed: int
) -> list[dict[str, float]]:
    """The attack's risk for each secret column."""
    rng = np.random.default_rng(seed)
    n = min(attacks, len(control))
    main = _hits(train[rng.choice(len(train), n, replace=False)], release, aux, secrets, rng)
    held = _hits(control[rng.choice(len(control), n, replace=False)], release, aux, secrets, rng)

    def risk(m: float, c: float) -> float:
        return 0.0 if c >= 1 else (m - c) / (1 - c)

    out = []
    for m, c in zip(main, held, strict=True):
        (main_low, main_high), (held_low, held_high) = wilson(m, n), wilson(c, n)
        out.append(
            {
                "attacks": float(n),
                "main_rate": m / n,
                "control_rate": c / n,
                "risk": risk(m / n, c / n),
                "risk_low": max(0.0, risk(main_low, held_high)),
                "risk_high": max(0.0, risk(main_high, held_low)),
            }
        )
    return out


# --- what a release report uses (on top of the benchmark's inference attack above) ---------------------------


def _risk(main: int, control: int, trials: int) -> dict[str, float]:
    """anonymeter's risk (main - control) / (1 - control) with its 95 % interval from the Wilson intervals."""

    def risk(m: float, c: float) -> float:
        return 0.0 if c >= 1 else (m - c) / (1 - c)

    if trials == 0:
        return {"attacks": 0.0, "main_rate": 0.0, "control_rate": 0.0, "risk": 0.0, "risk_low": 0.0, "risk_high": 1.0}
    (main_low, main_high), (held_low, held_high) = wilson(main, trials), wilson(control, trials)
    return {
        "attacks": float(trials),
        "main_rate": main / trials,
        "control_rate": control / trials,
        "risk": max(0.0, risk(main / trials, control / trials)),
        "risk_low": max(0.0, risk(main_low, held_high)),
        "risk_high": max(0.0, risk(main_high, held_low)),
    }


def _same_size(train: Matrix, control: Matrix, rng: np.random.Generator) -> Matrix:
    """A random part of ``train`` as large as ``control``, so a query singles out as easily in both."""
    return train[rng.choice(len(train), min(len(train), len(control)), replace=False)]


def singling_out_risk(
    train: Matrix, control: Matrix, release: Matrix, *, columns: int, queries: int, seed: int
) -> dict[str, float]:
    """Multivariate singling out (anonymeter): predicates read off release rows, checked on the real rows.

    Each query is the conjunction ``column = value`` over ``columns`` random columns of a random release row
    that the query isolates within the release. It succeeds when it matches exactly one row of a train
    sample as large as the control split (main) or exactly one control row (control); comparing equal
    sizes keeps the control a fair baseline (a smaller table makes any predicate more likely unique). The
    price: a row the generator memorised is in that sample only |control| / |train| of the time, so against
    a memorising generator this risk understates the truth by about that factor (read it as a lower bound
    there; the exact-copy share in the report measures memorisation directly)."""
    rng = np.random.default_rng(seed)
    main_rows = _same_size(train, control, rng)
    tried = hits_main = hits_control = 0
    for _ in range(queries * 20):
        if tried == queries or len(release) == 0:
            break
        row = release[rng.integers(len(release))]
        chosen = np.sort(rng.choice(release.shape[1], min(columns, release.shape[1]), replace=False))
        if int((release[:, chosen] == row[chosen]).all(axis=1).sum()) != 1:
            continue
        tried += 1
        hits_main += int((main_rows[:, chosen] == row[chosen]).all(axis=1).sum() == 1)
        hits_control += int((control[:, chosen] == row[chosen]).all(axis=1).sum() == 1)
    return _risk(hits_main, hits_control, tried)


def _neighbours(
    index: _Groups,
    groups: npt.NDArray[np.int64],
    distances: npt.NDArray[np.int64],
    n: int,
    jitter: npt.NDArray[np.float64],
) -> npt.NDArray[np.int64]:
    """The ``n`` release rows nearest a target: every row of the groups nearer than the farthest one needed,
    and of the rows at that distance, those with the smallest jitter (a random tie-break)."""
    reach = distances.max()
    inside = index.members(groups[distances < reach]) if (distances < reach).any() else np.empty(0, np.int64)
    edge = index.members(groups[distances == reach])
    need = min(n, int(index.counts.sum())) - len(inside)
    if need < len(edge):
        edge = edge[np.argpartition(jitter[edge], need - 1)[:need]]
    return np.concatenate((inside, edge))


def linkability_risk(
    train: Matrix,
    control: Matrix,
    release: Matrix,
    *,
    aux_a: list[int],
    aux_b: list[int],
    neighbours: int,
    attacks: int,
    seed: int,
) -> dict[str, float]:
    """Linkability (anonymeter): can two halves of a person's record be joined through the release?

    The attacker holds columns ``aux_a`` of a target in one source and ``aux_b`` in another; for each half
    they take the ``neighbours`` nearest release rows (Hamming distance, ties broken at random) and link the
    halves when the two sets share a row. Targets: ``attacks`` control rows (all when fewer) and as many
    train rows."""
    rng = np.random.default_rng(seed)
    n = min(attacks, len(control), len(train))
    index_a, index_b = _Groups(release, aux_a), _Groups(release, aux_b)
    hits = []
    for targets in (
        train[rng.choice(len(train), n, replace=False)],
        control[rng.choice(len(control), n, replace=False)],
    ):
        found = 0
        near_a, near_b = index_a.nearest(targets, neighbours), index_b.nearest(targets, neighbours)
        for a, b in zip(near_a[0], near_b[0], strict=True):
            jitter = rng.random(len(release)) * 0.5
            rows_a = _neighbours(index_a, near_a[1][a], near_a[2][a], neighbours, jitter)
            rows_b = _neighbours(index_b, near_b[1][b], near_b[2][b], neighbours, jitter)
            found += int(np.intersect1d(rows_a, rows_b).size > 0)
        hits.append(found)
    return _risk(hits[0], hits[1], n)


def exact_copies(source: Matrix, release: Matrix) -> dict[str, float]:
    """Release rows equal to a source row that is unique in the source, as a share of release rows (SDNist's
    "unique exact matches"), and the share of source-unique rows the release reproduces."""
    if len(source) == 0 or len(release) == 0:
        return {"copies_of_unique_pct": 0.0, "unique_reproduced_pct": 0.0}
    rows, counts = np.unique(source, axis=0, return_counts=True)
    unique = {row.tobytes() for row in rows[counts == 1]}
    released = [row.tobytes() for row in release]
    copies = sum(1 for row in released if row in unique)
    reproduced = len(unique & set(released))
    return {
        "copies_of_unique_pct": 100 * copies / len(release),
        "unique_reproduced_pct": 100 * reproduced / max(len(unique), 1),
    }


def rare_leakage(
    source: Matrix, release: Matrix, *, below: int, lengths: Sequence[int], limit: int, seed: int, whole: bool
) -> dict[str, dict[str, float]]:
    """SDS's leakage: combinations rarer than ``below`` in the source that appear in the release.

    Per length (column sets drawn as in ``utility.sets``, at most ``limit`` of them, with ``seed + length``)
    and, with ``whole``, for the combination of every column: how many such combinations, and their share of
    the source's rare combinations. Missing is an ordinary value here: a combination with an empty value
    identifies a person as well as any other."""
    plans: list[tuple[str, list[tuple[int, ...]]]] = [
        (str(n), sets(source.shape[1], n, limit, seed + n)) for n in lengths if n <= source.shape[1]
    ]
    if whole:
        plans.append(("all", [tuple(range(source.shape[1]))]))
    out: dict[str, dict[str, float]] = {}
    for label, chosen in plans:
        leaked = rare = 0
        for columns in chosen:
            ks, kr = joint_keys(columns, source, release)
            values, counts = np.unique(ks, return_counts=True)
            rare_values = values[counts < below]
            rare += len(rare_values)
            leaked += int(np.isin(rare_values, kr).sum())
        out[label] = {"leaked": float(leaked), "rare_in_source": float(rare), "leaked_pct": 100 * leaked / max(rare, 1)}
    return out
