"""ctdx on one benchmark dataset: k-anonymity (k=10, suppression <= 5 %, the anchors' five quasi-identifiers)
or DP synthetic microdata at one epsilon (delta 1e-6), from the train split ``data.py`` wrote.

Each call is one system run: ``run.sh`` starts it under ``/usr/bin/time -v`` and ``timeout`` so that its CPU
seconds and peak memory are its own. Writes ``out/<D>/<name>.csv`` (the release, missing as the empty string)
and ``out/<D>/<name>.json`` (seconds inside the process, privacy parameters, k-anonymity details).

Run: ``.venv/bin/python bench/privacy/run_ours.py D1 synth --epsilon 4`` or ``... D0 kanon``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import OUT, QUASI_IDENTIFIERS, hierarchies, load, save

from ctdx.privacy import anonymise, check_k_anonymity, synthesise
from ctdx.release.files import write_csv

K, SUPPRESSION = 10, 0.05
ROOT = Path(__file__).resolve().parents[2]


def version() -> dict[str, object]:
    """Which ctdx ran: the commit, whether src/ctdx/privacy had uncommitted changes, and synthesis.py's hash."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    source = (ROOT / "src" / "ctdx" / "privacy" / "synthesis.py").read_bytes()
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "privacy_uncommitted": bool(git("status", "--porcelain", "src/ctdx/privacy")),
        "synthesis_sha256": hashlib.sha256(source).hexdigest()[:12],
    }


DELTA = 1e-6


def kanon(dataset: str) -> None:
    started = time.perf_counter()
    train = load(dataset)
    load_seconds = time.perf_counter() - started
    qis = list(QUASI_IDENTIFIERS[dataset])
    trees = hierarchies(dataset, train.schema)
    started = time.perf_counter()
    result = anonymise(train, quasi_identifiers=qis, k=K, suppression_limit=SUPPRESSION, hierarchies=trees)
    seconds = time.perf_counter() - started
    path = OUT / dataset / "ours_kanon.csv"
    write_csv(path, result.header, result.rows)
    started = time.perf_counter()
    check = check_k_anonymity(path, quasi_identifiers=qis, k=K)
    meta = {
        "system": "ctdx k-anonymity (optimal lattice search)",
        "k": K,
        "suppression_limit": SUPPRESSION,
        "quasi_identifiers": qis,
        "levels": dict(result.levels),
        "heights": dict(result.heights),
        "information_loss": result.information_loss,
        "rows_locally_suppressed": result.rows_locally_suppressed,
        "rows_removed": result.rows_removed,
        "nodes_evaluated": result.nodes_evaluated,
        "lattice_nodes": result.lattice_nodes,
        "fit_seconds": seconds,
        "sample_seconds": 0.0,
        "load_seconds": load_seconds,
        "verify_seconds": time.perf_counter() - started,
        "verified_k": check.ok,
        "smallest_class": check.smallest_class,
    }
    (OUT / dataset / "ours_kanon.json").write_text(json.dumps(meta, indent=1))
    print(json.dumps(meta))


def synth(dataset: str, epsilon: float, seed: int) -> None:
    started = time.perf_counter()
    train = load(dataset)
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    synthetic = synthesise(train, epsilon=epsilon, delta=DELTA, seed=seed)
    seconds = time.perf_counter() - started
    name = f"ours_eps{epsilon:g}"
    save(synthetic.table, OUT / dataset / f"{name}.csv")
    meta = {
        "system": "ctdx DP synthesis",
        "epsilon": epsilon,
        "delta": DELTA,
        "epsilon_spent": synthetic.epsilon,
        "delta_spent": synthetic.delta,
        "seed": seed,
        # synthesise() fits and samples in one call: the whole time is reported as fit
        "fit_seconds": seconds,
        "sample_seconds": 0.0,
        "load_seconds": load_seconds,
        "ctdx": version(),
    }
    (OUT / dataset / f"{name}.json").write_text(json.dumps(meta, indent=1))
    print(json.dumps(meta))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", choices=("D0", "D1"))
    parser.add_argument("mode", choices=("kanon", "synth"))
    parser.add_argument("--epsilon", type=float)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.mode == "kanon":
        kanon(args.dataset)
    elif args.epsilon is None:
        parser.error("synthesis needs --epsilon (no default)")
    else:
        synth(args.dataset, args.epsilon, args.seed)


if __name__ == "__main__":
    main()
