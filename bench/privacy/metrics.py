"""Utility metrics of a release against its training data (docs/benchmarks.md A7).

The logic lives in ctdx.privacy.utility; this module re-exports it under the names the bench scripts use.
"""

from __future__ import annotations

from ctdx.privacy.utility import (
    Matrix,
    combination_metrics,
    k_marginal,
    sets,
    three_way_tvd,
    tvd,
    unique_copies_pct,
)

__all__ = ["Matrix", "combination_metrics", "k_marginal", "sets", "three_way_tvd", "tvd", "unique_copies_pct"]
