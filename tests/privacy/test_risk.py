"""Privacy risk measures: exact copies, rare-combination leakage and the anonymeter-style attacks."""

from __future__ import annotations

import numpy as np
import pytest

from ctdx.privacy.risk import (
    exact_copies,
    inference_risks,
    linkability_risk,
    rare_leakage,
    singling_out_risk,
    wilson,
)


def m(rows: list[list[int]]):
    return np.asarray(rows, dtype=np.int64)


def test_copies_of_unique_source_rows_are_counted() -> None:
    source = m([[1, 1], [1, 1], [2, 2], [3, 3]])  # (2,2) and (3,3) are unique
    release = m([[1, 1], [2, 2], [2, 2], [4, 4]])
    assert exact_copies(source, release) == {"copies_of_unique_pct": 50.0, "unique_reproduced_pct": 50.0}


def test_a_rare_source_combination_in_the_release_is_leakage() -> None:
    source = m([[1, 1]] * 5 + [[2, 1]])  # (2,1) and value 2 occur once: rare below 5
    clean = rare_leakage(source, m([[1, 1]] * 5), below=5, lengths=(1, 2), limit=10, seed=0, whole=True)
    assert all(v["leaked"] == 0 for v in clean.values())
    leaky = rare_leakage(source, m([[1, 1]] * 5 + [[2, 1]]), below=5, lengths=(1, 2), limit=10, seed=0, whole=True)
    assert leaky["1"]["leaked"] == 1 and leaky["2"]["leaked"] == 1 and leaky["all"]["leaked"] == 1
    assert leaky["1"]["rare_in_source"] == 1 and leaky["1"]["leaked_pct"] == 100.0


def people(n: int, seed: int):
    return np.random.default_rng(seed).integers(1, 12, size=(n, 8))


def test_a_release_that_copies_its_training_rows_is_caught_by_every_attack() -> None:
    train, control = people(600, 1), people(200, 2)
    leaky = train.copy()
    single = singling_out_risk(train, control, leaky, columns=4, queries=200, seed=3)
    link = linkability_risk(
        train, control, leaky, aux_a=[0, 1, 2, 3], aux_b=[4, 5, 6], neighbours=1, attacks=200, seed=4
    )
    [infer] = inference_risks(train, control, leaky, [0, 1, 2, 3, 4, 5], [7], 200, 5)
    # singling out compares a train sample as large as the control split: a memorised row is in it 1 time in 3
    assert single["risk_low"] > 0.15 and single["main_rate"] > 5 * single["control_rate"], single
    for risk in (link, infer):
        assert risk["risk_low"] > 0.3, risk
    for risk in (single, link, infer):
        assert risk["risk_low"] <= risk["risk"] <= risk["risk_high"]


def test_a_release_independent_of_its_training_rows_shows_no_risk() -> None:
    train, control, release = people(600, 1), people(200, 2), people(600, 9)
    single = singling_out_risk(train, control, release, columns=4, queries=200, seed=3)
    link = linkability_risk(
        train, control, release, aux_a=[0, 1, 2, 3], aux_b=[4, 5, 6], neighbours=1, attacks=200, seed=4
    )
    [infer] = inference_risks(train, control, release, [0, 1, 2, 3, 4, 5], [7], 200, 5)
    for risk in (single, link, infer):
        assert risk["risk_low"] == 0.0 and risk["risk_high"] < 0.2, risk
        assert risk["attacks"] == 200


def test_the_wilson_interval_holds_the_rate() -> None:
    low, high = wilson(30, 100)
    assert low < 0.3 < high and high - low == pytest.approx(0.18, abs=0.01)
    assert wilson(0, 0) == (0.0, 1.0)
    # Every rate lies inside its interval, the extremes too: 13 of 13 has an upper end of exactly 1 (rounding
    # once gave 0.9999999999999998, and a report's risk then exceeded its own upper bound).
    for trials in range(1, 60):
        for successes in range(trials + 1):
            low, high = wilson(successes, trials)
            assert 0.0 <= low <= successes / trials <= high <= 1.0, (successes, trials)
    assert wilson(13, 13)[1] == 1.0 and wilson(0, 13)[0] == 0.0


# --- the row-by-row scans the attacks replaced, kept to check that the grouped search gives the same answer ---


def slow_hits(targets, release, aux, secrets, rng):
    hits = [0] * len(secrets)
    for target in targets:
        mismatches = (release[:, aux] != target[aux]).sum(axis=1)
        row = release[rng.choice(np.flatnonzero(mismatches == mismatches.min()))]
        for i, secret in enumerate(secrets):
            hits[i] += int(row[secret] == target[secret])
    return hits


def slow_inference(train, control, release, aux, secrets, attacks, seed):
    rng = np.random.default_rng(seed)
    n = min(attacks, len(control))
    main = slow_hits(train[rng.choice(len(train), n, replace=False)], release, aux, secrets, rng)
    held = slow_hits(control[rng.choice(len(control), n, replace=False)], release, aux, secrets, rng)
    return [(m, c) for m, c in zip(main, held, strict=True)]


def slow_linkability(train, control, release, aux_a, aux_b, neighbours, attacks, seed):
    def near(target, columns, jitter):
        distance = (release[:, columns] != target[columns]).sum(axis=1) + jitter
        return set(np.argpartition(distance, min(neighbours, len(release)) - 1)[:neighbours].tolist())

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
            found += int(bool(near(target, aux_a, jitter) & near(target, aux_b, jitter)))
        hits.append(found)
    return hits


def tables(seed: int, values: int, rows: int):
    """Train, control and a release half copied from train, half new; few values make many ties."""
    rng = np.random.default_rng(seed)
    train, control = rng.integers(0, values, size=(rows, 7)), rng.integers(0, values, size=(rows // 3, 7))
    release = np.concatenate([train[: rows // 2], rng.integers(0, values, size=(rows // 2, 7))])
    return train, control, release[rng.permutation(len(release))]


@pytest.mark.parametrize(("seed", "values", "rows"), [(1, 2, 300), (2, 4, 600), (3, 9, 900), (4, 30, 400)])
def test_the_grouped_inference_attack_counts_exactly_what_the_row_scan_counted(seed, values, rows) -> None:
    train, control, release = tables(seed, values, rows)
    aux, secrets = [0, 1, 2, 3, 4], [5, 6]
    found = inference_risks(train, control, release, aux, secrets, 150, seed)
    expected = slow_inference(train, control, release, aux, secrets, 150, seed)
    n = min(150, len(control))
    assert [(round(r["main_rate"] * n), round(r["control_rate"] * n)) for r in found] == expected


@pytest.mark.parametrize("neighbours", [1, 3, 10, 5000])
@pytest.mark.parametrize(("seed", "values", "rows"), [(1, 2, 300), (2, 4, 600), (3, 9, 900)])
def test_the_grouped_linkability_attack_links_exactly_what_the_row_scan_linked(seed, values, rows, neighbours) -> None:
    train, control, release = tables(seed, values, rows)
    aux_a, aux_b = [0, 1, 2, 3], [3, 4, 5, 6]
    found = linkability_risk(
        train, control, release, aux_a=aux_a, aux_b=aux_b, neighbours=neighbours, attacks=120, seed=seed
    )
    main, held = slow_linkability(train, control, release, aux_a, aux_b, neighbours, 120, seed)
    n = min(120, len(control))
    assert (round(found["main_rate"] * n), round(found["control_rate"] * n)) == (main, held)
