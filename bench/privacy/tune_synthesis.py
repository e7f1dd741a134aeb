"""Scratch tuning of ``ctdx.privacy.synthesis`` on D1 (and D0): utility, fabrication and CPU seconds per epsilon.

Prints one line per (dataset, epsilon): k-marginal, 3-way TVD, union MAE at lengths 1-4, fabricated and
suppressed shares (``metrics.py``, docs/benchmarks.md A7), fabricated share by length, the epsilon spent and
the CPU seconds of fit + sample (``resource.getrusage``, the machine is shared). Results also go to
``out/tune_synthesis.json``. The D1 split is cached in ``out/`` (its generation takes a minute).

D0 is the CTDC VP public file through an ad-hoc schema: its 16 columns as they are, every column a picklist
whose domain is the set of values in the whole public file (as the anchors declared it, shared/anchors/
privacy.md), an empty cell missing, a multi-value such as ``Female;Male`` one category, the 1/blank flags in
the codebook's two groups (exploitation type, perpetrator role); the same 80/20 split seed as the anchors.

Run: ``CASES=100000 .venv/bin/python bench/privacy/tune_synthesis.py [--eps 1 4 12] [--data d1 d0]
[--set name=value ...]`` where ``--set`` passes keyword arguments to ``synthesise``.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import resource
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import OUT, SPLIT_SEED, d1, schema
from metrics import combination_metrics, k_marginal, sets, three_way_tvd

from ctdx.privacy import MISSING, PublicationTable
from ctdx.privacy.schema import Column
from ctdx.privacy.synthesis import synthesise
from ctdx.privacy.utility import _counts

RADIX = 256
# D0's flag groups, from the CTDC codebook (multi-valued fields published as 1/blank flags), not from the data
D0_GROUPS = {
    "isForcedLabour": "typeOfExploitation",
    "isSexualExploit": "typeOfExploitation",
    "IP_Exploiter": "perpetratorRole",
    "IP_RecruiterBroker": "perpetratorRole",
    "IP_TransactionProcess": "perpetratorRole",
    "IP_ControlAbuseKidnap": "perpetratorRole",
}
D0_FILE = Path("/work/shared/data/ctdc/CTDC_VPsynthetic_condensed.csv")


def matrix(table: PublicationTable) -> np.ndarray:
    return np.stack([table.codes[n].astype(np.int64) - MISSING for n in table.schema.names], axis=1)


def cached_d1(cases: int) -> tuple[PublicationTable, PublicationTable]:
    path = OUT / f"tune_d1_{cases}.npz"
    s = schema()
    if not path.exists():
        train, control = d1(cases)
        OUT.mkdir(parents=True, exist_ok=True)
        np.savez(path, train=matrix(train), control=matrix(control))
    saved = np.load(path)

    def table(x: np.ndarray) -> PublicationTable:
        return PublicationTable(s, {n: (x[:, j] + MISSING).astype(np.int32) for j, n in enumerate(s.names)})

    return table(saved["train"]), table(saved["control"])


def d0() -> tuple[PublicationTable, PublicationTable]:
    with D0_FILE.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    columns = []
    for j, name in enumerate(header):
        values = tuple(sorted({r[j] for r in rows if r[j] != ""}))
        columns.append(
            Column(
                name=name,
                title=name,
                kind="picklist",
                source=name,
                categories=values,
                hierarchy="",
                group=D0_GROUPS.get(name),
            )
        )
    base = schema()
    s = dataclasses.replace(base, name="ctdc-vp", columns=tuple(columns))
    codes = {c.name: np.array([c.code(r[j]) for r in rows], dtype=np.int32) for j, c in enumerate(columns)}
    table = PublicationTable(s, codes)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(table))
    cut = int(0.8 * len(table))
    train = np.zeros(len(table), dtype=bool)
    train[order[:cut]] = True
    return table.take(train), table.take(~train)


def fabricated_by_length(t: np.ndarray, s: np.ndarray, limit: int = 300) -> dict[str, float]:
    out = {}
    for length in (1, 2, 3, 4):
        fabricated = distinct = 0
        for columns in sets(t.shape[1], length, limit, 7 + length):
            a, b = _counts(t, columns, RADIX), _counts(s, columns, RADIX)
            fabricated += sum(1 for k in b if k not in a)
            distinct += len(b)
        out[f"fab_L{length}"] = 100 * fabricated / max(distinct, 1)
    return out


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def parse(value: str) -> object:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--eps", type=float, nargs="+", default=[1.0, 4.0, 12.0])
    parser.add_argument("--data", nargs="+", default=["d1", "d0"])
    parser.add_argument("--delta", type=float, default=1e-6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", nargs="*", default=[], help="name=value keyword arguments for synthesise")
    parser.add_argument("--quick", action="store_true", help="skip k-marginal and 3-way TVD")
    args = parser.parse_args()
    options = {k: parse(v) for k, v in (item.split("=", 1) for item in args.set)}
    cases = int(os.environ.get("CASES", "100000"))
    results = []
    for name in args.data:
        train, _ = cached_d1(cases) if name == "d1" else d0()
        t = matrix(train)
        for epsilon in args.eps:
            before = cpu()
            synthetic = synthesise(train, epsilon=epsilon, delta=args.delta, seed=args.seed, **options)  # type: ignore[arg-type]
            seconds = cpu() - before
            s = matrix(synthetic.table)
            row: dict[str, object] = {"data": name, "epsilon": epsilon, "options": options}
            print(options, end=" ")
            if not args.quick:
                row["k_marginal"] = k_marginal(t, s, RADIX)
                row["three_way_tvd"] = three_way_tvd(t, s, RADIX)
            row.update(combination_metrics(t, s, RADIX, 1.0))
            row.update(fabricated_by_length(t, s))
            row.update(
                {"epsilon_spent": synthetic.epsilon, "rows_out": len(s), "rows_train": len(t), "cpu_seconds": seconds}
            )
            results.append(row)
            print(
                f"{name} eps={epsilon:g} km={row.get('k_marginal', float('nan')):.1f} "
                f"tvd3={row.get('three_way_tvd', float('nan')):.3f} "
                f"mae={row['union_mae_1']:.1f}/{row['union_mae_2']:.1f}/{row['union_mae_3']:.1f}/"
                f"{row['union_mae_4']:.1f} fab={row['fabricated_pct']:.2f}% "
                f"(L {row['fab_L1']:.1f}/{row['fab_L2']:.1f}/{row['fab_L3']:.1f}/{row['fab_L4']:.1f}) "
                f"sup={row['suppressed_pct']:.2f}% spent={synthetic.epsilon:.3f} rows={len(s)} cpu={seconds:.1f}s",
                flush=True,
            )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "tune_synthesis.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
