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
