"""Benchmark ctdx on D1: k-anonymity (k=10, 5 % suppression, five quasi-identifiers) and DP synthetic data
at epsilon 1, 4 and 12, beside subsample and holdout baselines. Writes ``out/results.json`` and the
train split and our k-anonymous output for the anjana runner (``run_anjana.py``, its own venv).

Run: ``.venv/bin/python bench/privacy/run_ours.py [--cases 100000]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attacks import inference_risks
from data import OUT, d1, save
from metrics import combination_metrics, k_marginal, three_way_tvd, unique_copies_pct

from ctdx.privacy import MISSING, PublicationTable, anonymise, build_hierarchy, check_k_anonymity, synthesise
from ctdx.release.files import write_csv

# The anchors' quasi-identifiers for D1 (shared/anchors/privacy.md), so that anjana runs on the same ones.
QUASI_IDENTIFIERS = ("yearOfRegistration", "gender", "ageBroad", "citizenship", "CountryOfExploitation")
SECRETS = ("isSexualExploit", "meansDebtBondageEarnings", "recruiterRelation")
ATTACKS = 2000
RADIX = 256  # above the largest cardinality (251 countries with missing)


def matrix(table: PublicationTable) -> np.ndarray:
    return np.stack([table.codes[n].astype(np.int64) - MISSING for n in table.schema.names], axis=1)


def utility(train: np.ndarray, release: np.ndarray, scale: float) -> dict[str, float]:
    return {
        "k_marginal": k_marginal(train, release, RADIX),
        "three_way_tvd": three_way_tvd(train, release, RADIX),
        **combination_metrics(train, release, RADIX, scale),
        "unique_copies_pct": unique_copies_pct(train, release),
        "rows_out": float(len(release)),
    }


def risks(t: np.ndarray, c: np.ndarray, released: np.ndarray, names: list[str]) -> dict[str, float]:
    """The inference attack on each secret, the quasi-identifiers as what the attacker knows."""
    aux = [names.index(q) for q in QUASI_IDENTIFIERS]
    found = inference_risks(t, c, released, aux, [names.index(s) for s in SECRETS], ATTACKS, seed=1)
    out: dict[str, float] = {}
    for secret, risk in zip(SECRETS, found, strict=True):
        out.update({f"inference_{secret}_{key}": value for key, value in risk.items()})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    started = time.perf_counter()
    train, control = d1(args.cases)
    results: dict[str, object] = {"cases": args.cases, "train_rows": len(train), "columns": len(train.schema.names)}
    results["data_seconds"] = time.perf_counter() - started
    save(train, OUT / "train.csv")
    t, c = matrix(train), matrix(control)

    qis = list(QUASI_IDENTIFIERS)
    started = time.perf_counter()
    kanon = anonymise(train, quasi_identifiers=qis, k=10, suppression_limit=0.05)
    seconds = time.perf_counter() - started
    write_csv(OUT / "ours_kanon.csv", kanon.header, kanon.rows)
    check = check_k_anonymity(OUT / "ours_kanon.csv", quasi_identifiers=qis, k=10)
    results["kanon"] = {
        "k": 10,
        "suppression_limit": 0.05,
        "quasi_identifiers": qis,
        "levels": dict(kanon.levels),
        "heights": dict(kanon.heights),
        "information_loss": kanon.information_loss,
        "rows_locally_suppressed": kanon.rows_locally_suppressed,
        "rows_removed": kanon.rows_removed,
        "nodes_evaluated": kanon.nodes_evaluated,
        "lattice_nodes": kanon.lattice_nodes,
        "seconds": seconds,
        "verified": check.ok,
        "smallest_class": check.smallest_class,
    }
    hierarchies = {}
    for q in qis:
        tree = build_hierarchy(train.schema.column(q))
        hierarchies[q] = [
            [tree.labels[level][int(code)] for code in tree.maps[level]] for level in range(tree.height + 1)
        ]
    (OUT / "hierarchies.json").write_text(json.dumps(hierarchies))

    rng = np.random.default_rng(0)
    runs: dict[str, object] = {}
    runs["holdout"] = utility(t, matrix(control), len(train) / len(control))
    for share in (0.1, 0.4):
        pick = rng.choice(len(t), int(share * len(t)), replace=False)
        runs[f"subsample_{int(share * 100)}"] = utility(t, t[pick], 1 / share) | risks(
            t, c, t[pick], list(train.schema.names)
        )
    for epsilon in (1.0, 4.0, 12.0):
        started = time.perf_counter()
        synthetic = synthesise(train, epsilon=epsilon, delta=1e-6, seed=0)
        seconds = time.perf_counter() - started
        released = matrix(synthetic.table)
        scores = utility(t, released, 1.0)
        scores.update({"epsilon_spent": synthetic.epsilon, "seconds": seconds})
        scores.update(risks(t, c, released, list(train.schema.names)))
        runs[f"ctdx_synth_eps{epsilon:g}"] = scores
    results["utility"] = runs
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    (OUT / "results.json").write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
