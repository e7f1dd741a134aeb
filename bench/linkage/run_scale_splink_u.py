"""``run_scale.py`` with Splink's u sampler in place of ours, for comparison (same options).

    PYTHONPATH=src python bench/linkage/run_scale_splink_u.py 50000 --blocking lsh --samples 50 --seed 2

ctdx estimates u in privacy mode from the filters' bits (``ctdx.linkage.u_sampling``); this runs the same
link with ``linker.training.estimate_u_using_random_sampling`` (Splink's defaults: it stops a comparison
once each level has 100 pairs), so the two samplers can be compared seed by seed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ctdx.linkage import scoring


def splink_u(
    linker: Any, comparisons: Any, connection: Any, table: str, fields: Any, max_pairs: float, seed: int
) -> None:
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)


scoring.estimate_u = splink_u  # type: ignore[assignment]

import run_scale  # noqa: E402

if __name__ == "__main__":
    run_scale.main()
