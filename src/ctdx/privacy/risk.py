"""Privacy risk of released microdata: exact copies, leaked rare combinations, and attacks in the manner of
anonymeter (Giomi et al., PoPETs 2023).

Own code rather than the anonymeter package: anonymeter needs pandas and scikit-learn at pinned versions and
works on data frames; ours runs on the integer matrices the release already holds and is a few dozen lines.

Each attack (singling out, linkability, inference) is run on targets from the training data (main) and
from a control split the release never saw (control); the risk is (main - control) / (1 - control), with
95 % Wilson intervals on both rates carried to the risk's bounds. Inference: the attacker knows the
auxiliary columns of a target and reads the secret column off the release row that matches the target on
the most auxiliary columns (ties broken at random).
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
    return max(0.0, centre - half), min(1.0, centre + half)


def _hits(targets: Matrix, release: Matrix, aux: list[int], secrets: list[int], rng: np.random.Generator) -> list[int]:
    """For each secret, how many targets the attack guesses right (one neighbour search serves every secret)."""
    hits = [0] * len(secrets)
    for target in targets:
        mismatches = (release[:, aux] != target[aux]).sum(axis=1)
        row = release[rng.choice(np.flatnonzero(mismatches == mismatches.min()))]
        for i, secret in enumerate(secrets):
            hits[i] += int(row[secret] == target[secret])
    return hits


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
    release: Matrix, target: Matrix, columns: list[int], n: int, jitter: npt.NDArray[np.float64]
) -> set[int]:
    distance = (release[:, columns] != target[columns]).sum(axis=1) + jitter
    return set(np.argpartition(distance, min(n, len(release)) - 1)[:n].tolist())


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
    hits = []
    for targets in (
        train[rng.choice(len(train), n, replace=False)],
        control[rng.choice(len(control), n, replace=False)],
    ):
        found = 0
        for target in targets:
            jitter = rng.random(len(release)) * 0.5
            found += int(
                bool(
                    _neighbours(release, target, aux_a, neighbours, jitter)
                    & _neighbours(release, target, aux_b, neighbours, jitter)
                )
            )
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
