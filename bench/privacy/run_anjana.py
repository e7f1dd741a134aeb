"""The anjana anchor (greedy k-anonymity, docs/benchmarks.md A5) on the same train split and hierarchies.

Runs in its own venv (``bench/.venvs/kanon``: anjana 1.2.3, pycanon 1.3.5, their exact pins) and imports
nothing of ctdx: it reads ``out/train.csv`` and ``out/hierarchies.json`` written by ``run_ours.py`` and
writes ``out/anjana_kanon.csv`` and ``out/anjana.json``.

Run: ``bench/.venvs/kanon/bin/python bench/privacy/run_anjana.py``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from anjana.anonymity import k_anonymity
from pycanon import anonymity

OUT = Path(__file__).resolve().parent / "out"
K, SUPPRESSION_PERCENT = 10, 5


def main() -> None:
    data = pd.read_csv(OUT / "train.csv", dtype=str, keep_default_na=False)
    levels = json.loads((OUT / "hierarchies.json").read_text())
    qis = list(levels)
    hierarchies = {q: {level: np.asarray(values) for level, values in enumerate(levels[q])} for q in qis}
    started = time.perf_counter()
    released = k_anonymity(data, [], qis, K, SUPPRESSION_PERCENT, hierarchies)
    seconds = time.perf_counter() - started
    released.to_csv(OUT / "anjana_kanon.csv", index=False)
    verified = int(anonymity.k_anonymity(released, qis))
    result = {"k": K, "suppression_percent": SUPPRESSION_PERCENT, "seconds": seconds, "pycanon_k": verified}
    result["rows_in"], result["rows_out"] = len(data), len(released)
    (OUT / "anjana.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
