"""The anjana anchor (greedy k-anonymity, docs/benchmarks.md A5) on the same train split and hierarchies.

Runs in its own venv (``bench/.venvs/kanon``: anjana 1.2.3, pycanon 1.3.5, their exact pins) and imports
nothing of ctdx: it reads ``out/<D>/train.csv``, ``hierarchies.json`` and ``domain.json`` written by
``data.py`` and writes ``out/<D>/anjana_kanon.csv`` and ``anjana_kanon.json``; pycanon re-checks k on the
written file.

Run: ``bench/.venvs/kanon/bin/python bench/privacy/run_anjana.py D1``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from anjana.anonymity import k_anonymity
from pycanon import anonymity

OUT = Path(__file__).resolve().parent / "out"
K, SUPPRESSION_PERCENT = 10, 5


def main() -> None:
    folder = OUT / sys.argv[1]
    data = pd.read_csv(folder / "train.csv", dtype=str, keep_default_na=False)
    levels = json.loads((folder / "hierarchies.json").read_text())
    qis = list(levels)
    hierarchies = {q: {level: np.asarray(values) for level, values in enumerate(levels[q])} for q in qis}
    started = time.perf_counter()
    released = k_anonymity(data, [], qis, K, SUPPRESSION_PERCENT, hierarchies)
    seconds = time.perf_counter() - started
    released.to_csv(folder / "anjana_kanon.csv", index=False)
    started = time.perf_counter()
    verified = int(anonymity.k_anonymity(released, qis))
    result = {
        "system": "anjana 1.2.3 k-anonymity (greedy), verified with pycanon 1.3.5",
        "k": K,
        "suppression_percent": SUPPRESSION_PERCENT,
        "quasi_identifiers": qis,
        "fit_seconds": seconds,
        "sample_seconds": 0.0,
        "verify_seconds": time.perf_counter() - started,
        "pycanon_k": verified,
        "rows_in": len(data),
        "rows_out": len(released),
    }
    (folder / "anjana_kanon.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
