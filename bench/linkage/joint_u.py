"""Experiment: what a joint u of the names, sex and citizenship levels does to the expected count.

    PYTHONPATH=src python bench/linkage/joint_u.py 10000 --out results/joint-u-ld5-10000.json

The Fellegi-Sunter model multiplies the u of each comparison as if the fields were independent among
different people; namesakes share a citizenship and a sex more often than that (``calibration.py``). This
script trains the hub's model on an LD5 cohort (``run_scale.py``'s records), takes the random sample the
training used, weighs each sampled pair by its chance of not matching, and per cell of (names, sex,
citizenship) levels compares the cell's share of non-matches with the product of the model's u. Among
pairs with the same fields missing, a cell with at least ``--minimum`` pairs gets the log2 ratio as a
correction of its weight. λ is refined again. Both models are then scored and clustered the hub's way
(threshold 0.9), and the script prints the expected counts, the sums of probabilities on true and on
false candidate pairs, and precision at 0.9; a third row scores the joint model at the true λ (an oracle
from the truth, which a hub never has). A measurement for the engineers, not the product's model.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from calibration import cohort_candidates  # noqa: E402

from ctdx.linkage.batch import load_records, pair_levels, pair_siblings, train_model  # noqa: E402
from ctdx.linkage.clustering import ClusteringConfig, cluster_arrays  # noqa: E402
from ctdx.linkage.scoring import ScoringConfig, factors_of, probabilities, refined_model, refined_prior  # noqa: E402
from ctdx.linkage.u_sampling import level_counts, rows_for_pairs, sample_filters  # noqa: E402

JOINT = ("names", "sex", "citizenship")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", type=int)
    parser.add_argument("--minimum", type=float, default=20.0, help="Least non-match weight a corrected cell has.")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    records, person, left, right = cohort_candidates(args.cases)
    organisations = records.organisations
    entities, n = int(person.max()) + 1, len(records.ids)
    config = ScoringConfig(mode="privacy")
    model = train_model(records, config)
    comparisons = model.comparisons
    columns = [i for i, c in enumerate(comparisons) if any(f"{name}_l" in c.conditions[0] for name in JOINT)]
    # The sample the training drew (all records up to batch.TRAIN_SAMPLE, the same seed).
    connection = duckdb.connect(":memory:")
    empty = np.zeros(0, dtype=np.int64)
    load_records(connection, records, (empty, empty))
    size = rows_for_pairs(config.u_max_pairs)
    filters = sample_filters(connection, "ctdx_records", list(records.packed), size, config.seed)
    connection.close()
    sample = level_counts(filters, comparisons)
    apart = sample.weights * (1.0 - probabilities(factors_of(sample.levels, comparisons), model.prior))
    sizes = [len(comparisons[i].conditions) for i in columns]

    def cell(levels: np.ndarray) -> np.ndarray:
        codes, radix = np.zeros(levels.shape[0], dtype=np.int64), 1
        for i, size in zip(columns, sizes, strict=True):
            codes += levels[:, i].astype(np.int64) * radix
            radix *= size
        return codes

    cells = int(np.prod(sizes))
    joint = np.bincount(cell(sample.levels), weights=apart, minlength=cells)
    product, missing = np.ones(cells), []
    for code in range(cells):
        rest, pattern = code, []
        for i, size in zip(columns, sizes, strict=True):
            level, rest = rest % size, rest // size
            null, u = np.array(comparisons[i].null), np.array(comparisons[i].u)
            pattern.append(bool(null[level]))
            if not null[level]:
                product[code] *= u[level] / u[~null].sum()
        missing.append(tuple(pattern))
    groups: dict[tuple[bool, ...], float] = {}
    for code in range(cells):
        groups[missing[code]] = groups.get(missing[code], 0.0) + joint[code]
    correction = np.zeros(cells)
    for code in range(cells):
        if joint[code] >= args.minimum and product[code] > 0:
            correction[code] = np.log2(product[code] * groups[missing[code]] / joint[code])
    levels = pair_levels(records, (left, right), model)
    siblings = pair_siblings(records, (left, right), model)
    independent, prior = refined_model(levels, comparisons, n, model.prior)
    corrected = independent + correction[cell(levels)]
    corrected_prior = max(refined_prior(corrected, n, model.prior), model.prior)
    true_lambda = int(sum(c * (c - 1) // 2 for c in np.bincount(person).tolist())) / (n * (n - 1) / 2)
    rows = {}
    for name, factors, lam in (
        ("independent", independent, prior),
        ("joint", corrected, corrected_prior),
        # An oracle, from the truth a hub never has: how far the joint u gets with the right λ.
        ("joint at the true lambda", corrected, true_lambda),
    ):
        chance = probabilities(factors, lam)
        keep = chance >= config.predict_threshold
        _, count = cluster_arrays(
            n, left[keep], right[keep], chance[keep], siblings[keep], ClusteringConfig(samples=0), organisations, lam
        )
        same = person[left[keep]] == person[right[keep]]
        linked = (chance[keep] >= 0.9) & ~siblings[keep]
        rows[name] = {
            "lambda": lam,
            "expected_count_error": None if count.expected is None else (count.expected - entities) / entities,
            "probability_on_true_pairs": float(chance[keep][same].sum()),
            "probability_on_false_pairs": float(chance[keep][~same].sum()),
            "links_at_0.9": int(linked.sum()),
            "precision_at_0.9": float(same[linked].mean()) if linked.any() else None,
        }
    report = {
        "dataset": f"ld5-{args.cases}",
        "true_lambda": true_lambda,
        "true_candidate_pairs": int((person[left] == person[right]).sum()),
        "corrected_cells": int((correction != 0).sum()),
        "largest_corrections_bits": sorted((round(float(c), 2) for c in correction if c), key=abs)[-6:],
        **rows,
    }
    print(json.dumps(report, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
