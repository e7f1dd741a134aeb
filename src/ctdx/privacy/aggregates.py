"""Differentially private aggregate tables: counts for the standard breakdowns and country-to-country flows.

Every cell of every table is counted over the *whole* domain of its columns (from the standard, with
missing as one more value), so which cells exist reveals nothing. All tables are released through one
OpenDP measurement over the concatenated cell vector: adding or removing one case changes one cell per
table, so the L1 sensitivity is the number of tables and the L2 sensitivity its square root.

* ``delta == 0``: OpenDP's discrete Laplace (pure epsilon-DP);
* ``delta > 0``: OpenDP's discrete Gaussian, accounted in zero-concentrated DP and converted to
  (epsilon, delta) by OpenDP.

The noise scale is found by OpenDP's ``binary_search_param`` and the privacy actually spent is what the
measurement's own map reports. No noise is drawn with numpy or our own code (integer noise from a vetted
sampler resists floating-point attacks, Mironov 2012). Cells whose noisy count is below ``threshold``
are suppressed (post-processing, no extra privacy cost). Each published cell carries its error bound at
the stated confidence, from OpenDP's scale-to-accuracy functions, and the release states the probability
that an empty cell is published by noise alone (choose a threshold above the error bound to keep it
small). The unit of privacy is one row (case): a person with several cases in one dataset is protected
less, by the number of their cases.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt
import opendp.prelude as dp

from ctdx.errors import ValidationError
from ctdx.privacy.schema import MISSING, PublicationTable

# OpenDP puts every constructor that has not been through its own proof review behind "contrib"; we
# enable that and nothing else ("floating-point" and "honest-but-curious" stay off).
dp.enable_features("contrib")

MISSING_LABEL = ""


@dataclass(frozen=True)
class Breakdown:
    """One published table: a name and the columns it crosses."""

    name: str
    columns: tuple[str, ...]
    title: str = ""


@cache
def standard_breakdowns() -> tuple[Breakdown, ...]:
    """The breakdowns CTDC publishes beside its microdata (``data/breakdowns.json``)."""
    text = resources.files("ctdx.privacy").joinpath("data", "breakdowns.json").read_text(encoding="utf-8")
    return tuple(Breakdown(b["name"], tuple(b["columns"]), b["title"]) for b in json.loads(text)["breakdowns"])


def select_breakdowns(names: Sequence[str]) -> tuple[Breakdown, ...]:
    """The standard breakdowns called ``names``, in the order given (all of them when ``names`` is empty)."""
    known = {b.name: b for b in standard_breakdowns()}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValidationError(f"no standard breakdown {', '.join(unknown)}; known: {', '.join(known)}")
    return tuple(known[n] for n in names) if names else standard_breakdowns()


@dataclass(frozen=True)
class AggregateTable:
    """The published cells of one breakdown (suppressed cells are left out and counted)."""

    breakdown: Breakdown
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    cells: int
    cells_suppressed: int


@dataclass(frozen=True)
class AggregateRelease:
    """The tables and what they cost and guarantee."""

    tables: tuple[AggregateTable, ...]
    mechanism: str
    epsilon: float
    delta: float
    scale: float
    threshold: int
    error_bound: int
    confidence: float
    rows_in: int
    empty_cell_published: float


def _cells(table: PublicationTable, breakdown: Breakdown) -> tuple[npt.NDArray[np.int64], list[tuple[str, ...]]]:
    """Exact counts over the full domain (missing first), and the label of every cell."""
    domains = [("", *table.schema.column(c).categories) for c in breakdown.columns]
    index = np.zeros(len(table), dtype=np.int64)
    for column, domain in zip(breakdown.columns, domains, strict=True):
        index = index * len(domain) + (table.codes[column].astype(np.int64) - MISSING)
    size = math.prod(len(d) for d in domains)
    counts = np.bincount(index, minlength=size).astype(np.int64)
    labels = [tuple(cell) for cell in itertools.product(*domains)]
    return counts, labels


def _measurement(delta: float, scale: float, cells: int) -> dp.Measurement:
    domain = dp.vector_domain(dp.atom_domain(T=int), size=cells)
    if delta == 0:
        return dp.m.make_laplace(domain, dp.l1_distance(T=int), scale=scale)
    gaussian = dp.m.make_gaussian(domain, dp.l2_distance(T=float), scale=scale)
    return dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(gaussian), delta)


def empty_cell_probability(delta: float, scale: float, threshold: int) -> float:
    """The probability that noise alone lifts an empty cell to the threshold: a property of the noise, not of the
    data, so it can be published. Summed over the noise distribution (discrete Laplace if ``delta`` is 0,
    discrete Gaussian otherwise) out to 40 scales, far past any mass that matters."""
    reach = int(max(threshold, 1) + 40 * scale) + 1
    x = np.arange(-reach, reach + 1, dtype=float)
    weights = np.exp(-np.abs(x) / scale) if delta == 0 else np.exp(-(x * x) / (2 * scale * scale))
    return float(weights[x >= max(threshold, 1)].sum() / weights.sum())


def _tiny_scale_bound(delta: float, scale: float, alpha: float) -> int:
    """0 when even one unit of noise is less likely than ``alpha`` (OpenDP's accuracy overflows there).

    Tails: discrete Laplace P(|X| >= 1) = 2e^(-1/s) / (1 + e^(-1/s)); discrete Gaussian
    P(|X| >= 1) <= 2 q / (1 - q) with q = e^(-1/(2 s^2)) (normalising constant at least 1).
    """
    q = math.exp(-1 / scale) if delta == 0 else math.exp(-1 / (2 * scale * scale))
    tail = 2 * q / (1 + q) if delta == 0 else 2 * q / (1 - q)
    if tail <= alpha:
        return 0
    raise ValidationError("the error bound of this noise scale cannot be computed")


def dp_aggregates(
    table: PublicationTable,
    *,
    breakdowns: Sequence[Breakdown],
    epsilon: float,
    delta: float,
    threshold: int,
    confidence: float = 0.95,
) -> AggregateRelease:
    """Noisy counts of every breakdown of ``table`` at (``epsilon``, ``delta``), small cells suppressed."""
    if not math.isfinite(epsilon) or epsilon <= 0:
        raise ValidationError("epsilon must be a positive number")
    if not 0 <= delta < 1:
        raise ValidationError("delta must be at least 0 and below 1")
    if threshold < 0:
        raise ValidationError("the suppression threshold cannot be negative")
    if not 0 < confidence < 1:
        raise ValidationError("the confidence of the error bound is between 0 and 1")
    if not breakdowns:
        raise ValidationError("name at least one breakdown")
    exact = [_cells(table, b) for b in breakdowns]
    vector = np.concatenate([counts for counts, _ in exact])
    tables = len(breakdowns)
    d_in: float | int = tables if delta == 0 else math.sqrt(tables)
    d_out: float | tuple[float, float] = epsilon if delta == 0 else (epsilon, delta)
    scale = float(dp.binary_search_param(lambda s: _measurement(delta, s, len(vector)), d_in=d_in, d_out=d_out))
    measurement = _measurement(delta, scale, len(vector))
    spent = measurement.map(d_in)  # type: ignore[no-untyped-call]
    spent_epsilon, spent_delta = (float(spent), 0.0) if delta == 0 else (float(spent[0]), float(spent[1]))
    alpha = 1 - confidence
    if delta == 0:
        bound = dp.discrete_laplacian_scale_to_accuracy(scale, alpha)
    else:
        bound = dp.discrete_gaussian_scale_to_accuracy(scale, alpha)
    error_bound = math.ceil(bound) if math.isfinite(bound) else _tiny_scale_bound(delta, scale, alpha)
    noisy = np.asarray(measurement(vector.tolist()), dtype=np.int64)
    out, start = [], 0
    for breakdown, (counts, labels) in zip(breakdowns, exact, strict=True):
        cell_counts = noisy[start : start + len(counts)]
        start += len(counts)
        keep = cell_counts >= max(threshold, 1)
        rows = tuple((*labels[i], str(int(cell_counts[i])), str(error_bound)) for i in np.flatnonzero(keep).tolist())
        out.append(
            AggregateTable(
                breakdown=breakdown,
                header=(*breakdown.columns, "count", "error_bound"),
                rows=rows,
                cells=len(counts),
                cells_suppressed=int((~keep).sum()),
            )
        )
    return AggregateRelease(
        tables=tuple(out),
        mechanism="discrete_laplace" if delta == 0 else "discrete_gaussian",
        epsilon=spent_epsilon,
        delta=spent_delta,
        scale=scale,
        threshold=threshold,
        error_bound=error_bound,
        confidence=confidence,
        rows_in=len(table),
        empty_cell_published=empty_cell_probability(delta, scale, threshold),
    )
