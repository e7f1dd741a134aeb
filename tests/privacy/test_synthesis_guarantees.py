"""DP synthesis: what it must never do (emit a planted unique person, invent combinations, drift with a seed).

The tables are built to break the guarantees: a structured table whose exploitation types are exclusive and
missing as a block (a tree of pairs alone invents many combinations there), and thirty people each made
unique by a country nobody else has.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ctdx.privacy.schema import MISSING, PublicationTable, load_publication_schema
from ctdx.privacy.synthesis import synthesise
from ctdx.privacy.synthesis_sampling import Measurements, allocate, rare_rows, synthetic_rows
from ctdx.privacy.utility import combination_metrics

COLUMNS = (
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "citizenship",
    "CountryOfExploitation",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
)


def _structured(n: int, seed: int) -> PublicationTable:
    """Exactly one exploitation type per case or none recorded; women mostly sexually exploited; few countries."""
    full = load_publication_schema(first_year=2015, last_year=2024)
    schema = dataclasses.replace(full, columns=tuple(full.column(c) for c in COLUMNS))
    rng = np.random.default_rng(seed)
    gender = rng.choice(2, n, p=[0.6, 0.4])  # Woman, Man
    kind = np.where(gender == 0, rng.choice(3, n, p=[0.15, 0.8, 0.05]), rng.choice(3, n, p=[0.8, 0.1, 0.1]))
    recorded = rng.random(n) < 0.7
    citizenship = rng.choice(8, n, p=[0.3, 0.2, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05])
    codes = {
        "yearOfRegistration": (2 + rng.choice(8, n)).astype(np.int32),
        "gender": gender.astype(np.int32),
        "ageBroad": np.where(rng.random(n) < 0.3, MISSING, 2 + rng.choice(5, n)).astype(np.int32),
        "citizenship": citizenship.astype(np.int32),
        "CountryOfExploitation": np.where(rng.random(n) < 0.6, citizenship, rng.choice(8, n)).astype(np.int32),
    }
    for index, name in enumerate(("isForcedLabour", "isSexualExploit", "isOtherExploit")):
        codes[name] = np.where(recorded, (kind == index).astype(np.int32), MISSING).astype(np.int32)
    return PublicationTable(schema, codes)


def _matrix(table: PublicationTable) -> np.ndarray:
    return np.stack([table.codes[n].astype(np.int64) - MISSING for n in table.schema.names], axis=1)


@pytest.fixture(scope="module")
def structured() -> PublicationTable:
    return _structured(20_000, seed=3)


def test_fabricated_combinations_stay_below_one_percent_on_a_structured_table(structured) -> None:
    t = _matrix(structured)
    fresh = combination_metrics(t, _matrix(_structured(20_000, seed=4)), 256, 1.0)  # 2.3 % fabricated
    default = synthesise(structured, epsilon=4.0, delta=1e-6, seed=0)
    strict = synthesise(structured, epsilon=4.0, delta=1e-6, seed=0, min_count_length=4)
    plain = synthesise(structured, epsilon=4.0, delta=1e-6, seed=0, min_count=1, value_floor=0, cell_floor=0)
    scores = {
        name: combination_metrics(t, _matrix(r.table), 256, 1.0)
        for name, r in [("default", default), ("strict", strict), ("plain", plain)]
    }
    assert scores["default"]["fabricated_pct"] <= fresh["fabricated_pct"]  # fewer than a fresh sample invents
    assert scores["strict"]["fabricated_pct"] <= 1.0  # every combination of up to four columns checked
    assert scores["plain"]["fabricated_pct"] > 3 * scores["strict"]["fabricated_pct"]  # the guards do the work
    for name in ("default", "strict"):
        assert scores[name]["suppressed_pct"] <= 10.0
    synthetic = _matrix(default.table)
    recorded = synthetic[:, 5] > 0
    assert np.all(synthetic[recorded, 5:].sum(axis=1) - 3 == 1)  # flags 0/1 are codes 1/2: exactly one is 1


def test_people_made_unique_by_a_rare_country_never_appear(structured) -> None:
    planted = 30
    codes = {n: c.copy() for n, c in structured.codes.items()}
    for person in range(planted):  # countries 100-159 belong to one person each (the others use 0-7)
        codes["citizenship"][person] = 100 + person
        codes["CountryOfExploitation"][person] = 130 + person
    table = PublicationTable(structured.schema, codes)
    synthetic = synthesise(table, epsilon=4.0, delta=1e-6, seed=0).table
    for name in ("citizenship", "CountryOfExploitation"):
        assert not np.isin(synthetic.codes[name], np.arange(100, 160)).any()
    rows = {row.tobytes() for row in _matrix(synthetic)}
    assert not any(row.tobytes() in rows for row in _matrix(table)[:planted])


def test_sampling_is_deterministic_given_the_measurements_and_a_seed() -> None:
    measurements = Measurements(
        compress=(np.array([0, 1, 2]), np.array([0, 1, 1, 1])),
        sizes=(3, 2),
        one_way=(np.array([500, 300, 200]), np.array([400, 590, 9, 1])),
        sigma_1=5.0,
        edges=((0, 1),),
        two_way={(0, 1): np.array([[200, 300], [100, 200], [100, 100]])},
        sigma_2=5.0,
        rows=1000.0,
    )
    options = {"value_floor": 1.5, "cell_floor": 1.5, "min_count": 3.0, "length": 2, "pool": 2.0}
    first = synthetic_rows(measurements, rows=1000, seed=4, **options)
    assert np.array_equal(first, synthetic_rows(measurements, rows=1000, seed=4, **options))
    assert not np.array_equal(first, synthetic_rows(measurements, rows=1000, seed=5, **options))
    # values whose noisy count is below the floor (9 and 1 against at least 1.5 * 5) never appear
    assert set(np.unique(first[:, 1]).tolist()) <= {0, 1}
    assert abs(int((first[:, 0] == 0).sum()) - 500) <= 25  # one-way counts follow the measurements


def test_systematic_allocation_gives_floor_or_ceiling_counts() -> None:
    rng = np.random.default_rng(0)
    p = np.array([0.5, 0.3, 0.15, 0.05])
    for m in (1, 7, 100, 1001):
        counts = np.bincount(allocate(rng, m, p), minlength=4)
        assert counts.sum() == m
        assert np.all(np.abs(counts - m * p) < 1)


def test_rare_rows_flags_every_row_holding_a_rare_combination() -> None:
    x = np.array([[0, 0]] * 5 + [[1, 1]] * 5 + [[0, 1]] * 2 + [[2, 0]])
    rare = rare_rows(x, min_count=3, length=2)
    assert rare.tolist() == [False] * 10 + [True] * 3
    assert rare_rows(x, min_count=3, length=1).tolist() == [False] * 12 + [True]
