"""How well the match probabilities of a trained hub are calibrated, level pattern by level pattern.

    PYTHONPATH=src python bench/linkage/calibration.py 10000 --out results/calibration-ld5-10000.json

Links an LD5 cohort (``run_scale.py``'s cohort, records and encodings) on the array path up to the scoring
(``batch.train_model``, ``batch.pair_levels``, ``scoring.refined_model``), then groups the candidate pairs
by their levels in every comparison and sets the sum of their match probabilities beside the number of
true pairs among them. A calibrated model has the two close in every pattern with many pairs; the patterns
furthest apart are printed and saved. A diagnostic for the engineers: a hub never sees the truth.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run_scale import encode, ensure_cohort, load  # noqa: E402

from ctdx.linkage.batch import EncodedRecords, pair_levels, train_model  # noqa: E402
from ctdx.linkage.blocking import blocking_for, candidate_pairs  # noqa: E402
from ctdx.linkage.encoding import DEFAULT_ENCODING_CONFIG  # noqa: E402
from ctdx.linkage.scoring import ScoringConfig, probabilities, refined_model  # noqa: E402


def cohort_candidates(cases: int) -> tuple[EncodedRecords, np.ndarray, np.ndarray, np.ndarray]:
    """An LD5 cohort as the hub links it: its encoded records, each record's true person (an index), and
    the candidate pairs of the blocking the hub picks for its size (left and right record indexes)."""
    ids, organisations, values, truth = load(ensure_cohort(cases))
    fields, _ = encode(values, 2, DEFAULT_ENCODING_CONFIG.salt)
    records = EncodedRecords(
        ids, organisations, {k: v[0] for k, v in fields.items()}, {k: v[1] for k, v in fields.items()}
    )
    _, person = np.unique(np.array([truth[i] for i in ids]), return_inverse=True)
    candidates = candidate_pairs(records.packed, records.present, blocking_for(len(ids)))
    return records, person, candidates.left, candidates.right


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", type=int)
    parser.add_argument("--patterns", type=int, default=20, help="How many patterns to report.")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    records, person, left, right = cohort_candidates(args.cases)
    ids = records.ids
    same = person[left] == person[right]
    model = train_model(records, ScoringConfig(mode="privacy"))
    levels = pair_levels(records, (left, right), model)
    factors, prior = refined_model(levels, model.comparisons, len(ids), model.prior)
    chance = probabilities(factors, prior)
    n = len(ids)
    true_pairs = int(sum(c * (c - 1) // 2 for c in np.bincount(person).tolist()))
    codes = np.zeros(left.size, dtype=np.int64)
    radix = 1
    for i, comparison in enumerate(model.comparisons):
        codes += levels[:, i].astype(np.int64) * radix
        radix *= len(comparison.conditions)
    distinct, where, pairs = np.unique(codes, return_inverse=True, return_counts=True)
    expected = np.bincount(where.reshape(-1), weights=chance)
    true = np.bincount(where.reshape(-1), weights=same.astype(np.float64))
    patterns = []
    for k in np.argsort(-np.abs(expected - true))[: args.patterns]:
        code, pattern = int(distinct[k]), []
        for comparison in model.comparisons:
            pattern.append(code % len(comparison.conditions))
            code //= len(comparison.conditions)
        patterns.append(
            {
                "levels": pattern,
                "pairs": int(pairs[k]),
                "true_pairs": int(true[k]),
                "expected_matches": round(float(expected[k]), 1),
                "log2_factors": [
                    round(float(c.weights(prior)[level]), 2)
                    for c, level in zip(model.comparisons, pattern, strict=True)
                ],
            }
        )
    report = {
        "dataset": f"ld5-{args.cases}",
        "lambda": {"rule": model.prior, "refined": prior, "true": true_pairs / (n * (n - 1) / 2)},
        "candidate_pairs": int(left.size),
        "true_pairs": true_pairs,
        "true_candidate_pairs": int(same.sum()),
        "expected_matches": {
            "all candidates": float(chance.sum()),
            "true candidates": float(chance[same].sum()),
            "false candidates": float(chance[~same].sum()),
        },
        "comparisons": [list(c.conditions) for c in model.comparisons],
        "patterns": patterns,
    }
    print(json.dumps({k: v for k, v in report.items() if k != "comparisons"}, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
