"""Baselines for the privacy benchmark (docs/benchmarks.md A9): what any release must beat or be read against.

- ``indep_eps<E>``: independent DP one-way marginals. Every column's histogram over the declared domain,
  concatenated into one vector (L1 sensitivity = number of columns under add/remove of one row), gets
  OpenDP's discrete Laplace noise at scale d / epsilon (the privacy map is checked to be at most epsilon);
  the noisy counts are clipped at 0, normalised, and each column is sampled independently. The row count is
  the mean of the noisy column totals.
- ``subsample_10`` and ``subsample_40``: random 10 % and 40 % of train (numpy seed 0), no privacy at all.
- ``holdout``: the control split, a fresh sample from the same source (the reference for "as good as data").

Runs in the main venv; ``run.sh`` times each call. Writes ``out/<D>/<name>.csv`` and ``<name>.json``.

Run: ``.venv/bin/python bench/privacy/run_baselines.py D0 indep --epsilon 4`` / ``subsample`` / ``holdout``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import opendp.prelude as dp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import OUT, load, save

dp.enable_features("contrib")


def independent(dataset: str, epsilon: float, seed: int) -> None:
    started = time.perf_counter()
    train = load(dataset)
    names = train.schema.names
    d = len(names)
    sizes = [len(train.schema.column(n).categories) + 1 for n in names]  # code 0 = missing
    counts = np.concatenate([np.bincount(train.codes[n] + 1, minlength=s) for n, s in zip(names, sizes, strict=True)])
    laplace = dp.m.make_laplace(dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=d / epsilon)
    spent = laplace.map(d)
    if spent > epsilon * (1 + 1e-9):
        raise SystemExit(f"the Laplace measurement costs {spent}, more than {epsilon}")
    noisy = np.asarray(laplace(counts.tolist()), dtype=np.float64)
    offsets = np.cumsum([0, *sizes])
    pieces = [np.clip(noisy[offsets[j] : offsets[j + 1]], 0, None) for j in range(d)]
    if dataset == "D0":  # D0 has no missing value (a blank is the category NA): its slot is not in the domain
        for piece in pieces:
            piece[0] = 0.0
    rows = max(1, round(float(np.mean([noisy[offsets[j] : offsets[j + 1]].sum() for j in range(d)]))))
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    codes = {}
    for n, piece in zip(names, pieces, strict=True):
        p = piece / piece.sum() if piece.sum() > 0 else np.full(len(piece), 1 / len(piece))
        codes[n] = (rng.choice(len(piece), rows, p=p) - 1).astype(np.int32)
    synthetic = type(train)(train.schema, codes)
    name = f"indep_eps{epsilon:g}"
    save(synthetic, OUT / dataset / f"{name}.csv")
    meta = {
        "system": "independent DP 1-way marginals (OpenDP discrete Laplace)",
        "epsilon": epsilon,
        "epsilon_spent": spent,
        "scale": d / epsilon,
        "fit_seconds": fit_seconds,
        "sample_seconds": time.perf_counter() - started,
    }
    (OUT / dataset / f"{name}.json").write_text(json.dumps(meta, indent=1))


def subsamples(dataset: str, seed: int) -> None:
    train = load(dataset)
    rng = np.random.default_rng(seed)
    for share in (0.1, 0.4):
        started = time.perf_counter()
        mask = np.zeros(len(train), dtype=bool)
        mask[rng.choice(len(train), int(share * len(train)), replace=False)] = True
        name = f"subsample_{round(share * 100)}"
        save(train.take(mask), OUT / dataset / f"{name}.csv")
        meta = {"system": f"subsample {round(share * 100)} % of train", "share": share, "seed": seed}
        meta["fit_seconds"], meta["sample_seconds"] = 0.0, time.perf_counter() - started
        (OUT / dataset / f"{name}.json").write_text(json.dumps(meta, indent=1))


def holdout(dataset: str) -> None:
    shutil.copyfile(OUT / dataset / "control.csv", OUT / dataset / "holdout.csv")
    meta = {"system": "holdout (the unseen 20 % control split)", "fit_seconds": None, "sample_seconds": None}
    (OUT / dataset / "holdout.json").write_text(json.dumps(meta, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", choices=("D0", "D1"))
    parser.add_argument("kind", choices=("indep", "subsample", "holdout"))
    parser.add_argument("--epsilon", type=float)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.kind == "indep":
        if args.epsilon is None:
            parser.error("the independent-marginals baseline needs --epsilon (no default)")
        independent(args.dataset, args.epsilon, args.seed)
    elif args.kind == "subsample":
        subsamples(args.dataset, args.seed)
    else:
        holdout(args.dataset)


if __name__ == "__main__":
    main()
