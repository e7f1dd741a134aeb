"""Attacks on a release, in the manner of anonymeter (Giomi et al., PoPETs 2023).

Own code rather than the anonymeter package: anonymeter needs pandas and scikit-learn at pinned versions and
works on data frames; ours runs on the integer matrices the release already holds and is a few dozen lines.

The attacker knows the auxiliary columns of a target and reads the secret column off the release row that
matches the target on the most auxiliary columns (ties broken at random). The attack is run on targets from
the training data (main) and from the control split the release never saw (control); the risk is
(main - control) / (1 - control), with 95 % Wilson intervals on both rates carried to the risk's bounds.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

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
