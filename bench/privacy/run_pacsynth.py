"""The pac-synth anchor (Synthetic Data Showcase's DP synthesizer, docs/benchmarks.md A2) on one dataset.

Runs in its own venv (``bench/.venvs/pacsynth``: pac-synth 0.0.8, numpy, pandas) and imports nothing of
ctdx: it reads ``out/<D>/train.csv`` (D1's missing cells become ``NA``, a value like any other) and writes
``out/<D>/<name>.csv`` and ``<name>.json``. Every column is listed in ``sensitive_zeros`` so that ``0``
flags count; no ``multi_value_columns`` (``Female;Male`` stays one value, as the anchors ran it). A blank
cell in the output is an attribute pac-synth left out of that record. Two threads.

Presets:
- ``default``: the builder's defaults (reporting length 3, prioritize-long accuracy, uncontrolled
  fabrication, no synthetic counts, delta = 1 / (n ln n) set by the library);
- ``itk``: Microsoft Intelligence Toolkit's "Anonymize case data" call (reporting length 4, balanced
  fabrication, synthetic counts on, scale factor 1).

Run: ``bench/.venvs/pacsynth/bin/python bench/privacy/run_pacsynth.py D0 --epsilon 4 [--preset itk]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import time
from pathlib import Path

import pacsynth

OUT = Path(__file__).resolve().parent / "out"


def parameters(preset: str, epsilon: float) -> pacsynth.DpAggregateSeededParameters:
    builder = pacsynth.DpAggregateSeededParametersBuilder().epsilon(epsilon)
    if preset == "itk":
        builder = (
            builder.reporting_length(4)
            .percentile_percentage(99)
            .percentile_epsilon_proportion(0.01)
            .accuracy_mode(pacsynth.AccuracyMode.prioritize_long_combinations())
            .number_of_records_epsilon_proportion(0.005)
            .fabrication_mode(pacsynth.FabricationMode.balanced())
            .empty_value("")
            .weight_selection_percentile(95)
            .use_synthetic_counts(True)
            .aggregate_counts_scale_factor(1.0)
        )
    return builder.build()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", choices=("D0", "D1"))
    parser.add_argument("--epsilon", type=float, required=True)
    parser.add_argument("--preset", choices=("default", "itk"), default="default")
    parser.add_argument("--name", required=True)
    args = parser.parse_args()
    pacsynth.set_number_of_threads(2)
    folder = OUT / args.dataset
    with (folder / "train.csv").open(newline="", encoding="utf-8") as handle:
        rows = [[value or "NA" for value in row] for row in csv.reader(handle)]
    header = rows[0]
    started = time.perf_counter()
    dataset = pacsynth.Dataset(rows, sensitive_zeros=header)
    synthesizer = pacsynth.DpAggregateSeededSynthesizer(parameters(args.preset, args.epsilon))
    synthesizer.fit(dataset)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    released = synthesizer.sample()
    sample_seconds = time.perf_counter() - started
    with (folder / f"{args.name}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        position = [released[0].index(h) for h in header]
        for row in released[1:]:
            writer.writerow([row[p].replace("<semicolon>", ";") for p in position])
    n = synthesizer.get_dp_number_of_records()
    meta = {
        "system": f"pac-synth 0.0.8 ({args.preset})",
        "epsilon": args.epsilon,
        # the library's default delta, 1 / (n ln n) of its DP record count
        "delta": 1 / (n * math.log(n)),
        "parameters": json.loads(synthesizer.parameters.to_json_str())
        if hasattr(synthesizer.parameters, "to_json_str")
        else None,
        "dp_number_of_records": n,
        "rows_out": len(released) - 1,
        "blank_cells_pct": 100
        * sum(v == "" for r in released[1:] for v in r)
        / max(1, (len(released) - 1) * len(header)),
        "fit_seconds": fit_seconds,
        "sample_seconds": sample_seconds,
        "threads": 2,
    }
    (folder / f"{args.name}.json").write_text(json.dumps(meta, indent=1))
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
