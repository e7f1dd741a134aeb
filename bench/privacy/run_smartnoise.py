"""The MST and AIM anchors (smartnoise-synth 1.0.8 on mbi 1.1.0 and JAX on CPU, docs/benchmarks.md A3).

Runs in its own venv (``bench/.venvs/smartnoise``) and imports nothing of ctdx. Reads ``out/<D>/train.csv``
(D1's missing cells become ``NA``) and ``domain.json``; writes ``out/<D>/<name>.csv`` and ``<name>.json``.

- The domain is passed explicitly: a ``TableTransformer`` of ``LabelTransformer``s fitted on the declared
  domain (``domain.json``), not on the data, so ``preprocessor_eps = 0`` and the whole epsilon is left for
  training (shared/anchors/privacy.md). delta = 1e-6.
- MST is sampled i.i.d. (``synthetic_data(method="sample")`` on the fitted model): mbi 1.1.0's default
  "round" sampler, which smartnoise-synth's ``sample()`` calls, makes columns dependent through row order
  (anchors note 1). The as-shipped sample of the same fit is written too (``<name>_shipped.csv``).
- AIM uses ``max_model_size`` from the command line (10 in run.sh), its other defaults, and is sampled the
  same i.i.d. way; ``run.sh`` gives it a hard timeout, and a timeout is recorded as the result.
- numpy is seeded; OpenDP's Gaussian noise comes from its CSPRNG and cannot be seeded.

Run: ``bench/.venvs/smartnoise/bin/python bench/privacy/run_smartnoise.py D0 mst --epsilon 4 --name mst_eps4``.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from snsynth.aim import AIMSynthesizer
from snsynth.mst import MSTSynthesizer
from snsynth.transform import LabelTransformer, TableTransformer

OUT = Path(__file__).resolve().parent / "out"
DELTA = 1e-6


def declared(domain: dict[str, list[str]], missing_is_na: bool) -> pd.DataFrame:
    """One frame holding every declared value of every column (short columns repeat their values)."""
    values = {c: list(v) + (["NA"] if missing_is_na else []) for c, v in domain.items()}
    longest = max(len(v) for v in values.values())
    return pd.DataFrame({c: list(itertools.islice(itertools.cycle(v), longest)) for c, v in values.items()})


def decode(synthesizer: MSTSynthesizer | AIMSynthesizer, data: object, columns: list[str]) -> pd.DataFrame:
    frame = data.df[[f"col{i}" for i in range(len(columns))]]  # type: ignore[attr-defined]
    return pd.DataFrame(
        synthesizer._transformer.inverse_transform(list(frame.itertuples(index=False))), columns=columns
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", choices=("D0", "D1"))
    parser.add_argument("method", choices=("mst", "aim"))
    parser.add_argument("--epsilon", type=float, required=True)
    parser.add_argument("--max-model-size", type=float, default=80)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", required=True)
    args = parser.parse_args()
    np.random.seed(args.seed)
    folder = OUT / args.dataset
    meta_in = json.loads((folder / "domain.json").read_text())
    train = pd.read_csv(folder / "train.csv", dtype=str, keep_default_na=False).replace("", "NA")
    columns = list(train.columns)

    started = time.perf_counter()
    transformer = TableTransformer([LabelTransformer(nullable=False) for _ in columns])
    transformer.fit(declared(meta_in["domain"], meta_in["missing_is_na"])[columns], epsilon=0.0)
    synthesizer: MSTSynthesizer | AIMSynthesizer
    if args.method == "mst":
        synthesizer = MSTSynthesizer(epsilon=args.epsilon, delta=DELTA)
    else:
        synthesizer = AIMSynthesizer(
            epsilon=args.epsilon, delta=DELTA, max_model_size=args.max_model_size, verbose=True
        )
    synthesizer.fit(train, transformer=transformer, preprocessor_eps=0.0)
    fit_seconds = time.perf_counter() - started

    started = time.perf_counter()
    model = synthesizer.synthesizer
    sample = model.synthetic_data(rows=len(train), method="sample")
    if args.method == "mst":
        sample = synthesizer.undo_compress_fn(sample)
    released = decode(synthesizer, sample, columns)
    sample_seconds = time.perf_counter() - started
    released.to_csv(folder / f"{args.name}.csv", index=False, quoting=csv.QUOTE_MINIMAL)
    meta = {
        "system": f"smartnoise-synth 1.0.8 {args.method.upper()}",
        "epsilon": args.epsilon,
        "epsilon_left_for_training": synthesizer.epsilon,
        "preprocessor_eps": 0.0,
        "delta": DELTA,
        "seed": args.seed,
        "sampler": "i.i.d. (method='sample')",
        "fit_seconds": fit_seconds,
        "sample_seconds": sample_seconds,
    }
    if args.method == "aim":
        meta["max_model_size"] = args.max_model_size
    else:
        started = time.perf_counter()
        shipped = synthesizer.sample(len(train))
        pd.DataFrame(shipped, columns=columns).to_csv(folder / f"{args.name}_shipped.csv", index=False)
        shipped_meta = meta | {
            "sampler": "as shipped (mbi 1.1.0 'round')",
            "sample_seconds": time.perf_counter() - started,
        }
        (folder / f"{args.name}_shipped.json").write_text(json.dumps(shipped_meta, indent=1))
    (folder / f"{args.name}.json").write_text(json.dumps(meta, indent=1))
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
