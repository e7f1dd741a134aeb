"""Differentially private synthetic microdata from measured marginals (the MST recipe) that invent almost nothing.

Measurement follows McKenna, Miklau and Sheldon, "Winning the NIST Contest" (JPC 2021), with the privacy
budget rho (zero-concentrated DP) split in three equal parts:

1. measure every one-way marginal (discrete Gaussian, L2 sensitivity sqrt(d)) and merge the values whose
   noisy count is below three noise deviations into one bucket per column (domain compression);
2. choose the pairs of columns to measure: a spanning tree grown Kruskal-style, each edge picked by
   OpenDP's report-noisy-max (exponential mechanism in zCDP) on the L1 distance between the pair's counts
   and the independence estimate from step 1 (sensitivity 1). Favoured pairs (the marginals users read
   most) join the tree first and cost nothing, as the choice does not depend on the data;
3. measure the chosen two-way marginals (discrete Gaussian, L2 sensitivity sqrt(edges)).

The model's "columns" are not all single published columns: a multi-valued field published as flags (the
schema's flag groups, when their joint domain is small: the three exploitation types, the five labour
sectors, the three kinds of sexual exploitation) and the age band with the two majority statuses it
determines are each measured and modelled as one joint column. Their flags stay flags in the output; the
grouping comes from the schema, not the data, so it costs nothing, and it keeps exclusive or block-missing
flags consistent (a tree of pairs alone gave 6,000 rows with two exploitation types where the data have one).

Every noise draw and every privacy map is OpenDP's (``contrib`` only); the per-step losses add up by
zCDP composition (Bun and Steinke 2016, lemma 2.3) and the total is converted to (epsilon, delta) by
OpenDP. Everything after the measurements is post-processing (``synthesis_sampling``) and costs nothing:
the measurements are made consistent and truncated (values and cells that noise alone could have produced
get no mass), rows are drawn along the tree by systematic sampling, and a pool of twice the rows is filtered
to the rows whose every combination of up to ``min_count_length`` model columns is held by at least
``min_count`` rows per release size (SDS's k-synthetic rule applied to the synthetic rows, Edge et al.,
arXiv 2005.05688), then raked back to the pool's one- and two-way marginals. On the 100k benchmark cohort at
epsilon 4 this takes the fabricated combinations of lengths 1-4 from 14 % to under 1 % (bench/privacy).
The unit of privacy is one row (case). This replaces Private-PGM (``mbi`` needs JAX, about 300 MB): on a
tree the calibrated conditionals are the model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import opendp.prelude as dp

from ctdx.errors import ValidationError
from ctdx.privacy.schema import MISSING, PublicationTable
from ctdx.privacy.synthesis_sampling import Measurements, synthetic_rows

dp.enable_features("contrib")

# Post-processing settings (no privacy cost; bench/privacy/tune_synthesis.py measures them). Noisy two-way
# cells and one-way values below this many noise deviations count as empty when sampling, and never less
# than the deviation noise alone exceeds for 0.1 of a table's cells on average (synthesis_sampling).
DEFAULT_CELL_FLOOR = 1.5
DEFAULT_VALUE_FLOOR = 1.5
# k-synthetic filter: every combination of up to 3 model columns held by at least 3.5 rows per release
# size. On the 100k cohort at epsilon 4: 3 gives 1.2 % fabricated and 7.6 % suppressed, 3.5 gives 0.85 %
# and 9.7 %, 4 gives 0.7 % and 10.9 %. Length 4 is stricter and slower (C(d, 4) column sets). 1 turns it off.
DEFAULT_MIN_COUNT = 3.5
DEFAULT_MIN_COUNT_LENGTH = 3
DEFAULT_POOL = 2.0  # rows drawn before filtering, per release row

# Columns modelled jointly besides the schema's flag groups: the majority statuses follow from the age band.
JOINT_COLUMNS = (("ageBroad", "majorityStatus", "majorityStatusAtExploit"),)

# A flag group is modelled as one column when its joint domain has at most this many cells (three
# exploitation types: 27; five labour sectors: 243); the eight means of control (6,561 cells) would spread
# their rows over too many cells to measure, and stay single flags.
MAX_JOINT_CELLS = 1000

FAVOURED_PAIRS = (
    ("citizenship", "CountryOfExploitation"),
    ("yearOfRegistration", "gender"),
    ("gender", "ageBroad"),
    ("isSexualExploit", "isForcedLabour"),
    ("isForcedLabour", "meansDebtBondageEarnings"),
)


@dataclass(frozen=True)
class SyntheticData:
    """The synthetic table and what it cost."""

    table: PublicationTable
    epsilon: float
    delta: float
    rho: float
    edges: tuple[tuple[str, str], ...]
    selected_edges: int


def _gaussian(scale: float, d_in_type: str = "vector") -> dp.Measurement:
    if d_in_type == "scalar":
        return dp.m.make_gaussian(dp.atom_domain(T=int), dp.absolute_distance(T=float), scale=scale)
    return dp.m.make_gaussian(dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=float), scale=scale)


def _rho_map(measurement: dp.Measurement, d_in: float) -> float:
    return float(measurement.map(d_in))  # type: ignore[no-untyped-call]


def rho_for(epsilon: float, delta: float) -> float:
    """The zCDP budget whose conversion by OpenDP gives (``epsilon``, ``delta``)."""
    scale = dp.binary_search_param(
        lambda s: dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(_gaussian(s, "scalar")), delta),
        d_in=1.0,
        d_out=(epsilon, delta),
    )
    return _rho_map(_gaussian(float(scale), "scalar"), 1.0)


def epsilon_of(rho: float, delta: float) -> float:
    """The epsilon OpenDP's conversion gives for ``rho`` at ``delta``."""
    measurement = dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(_gaussian(1 / math.sqrt(2 * rho), "scalar")), delta)
    return float(measurement.map(1.0)[0])  # type: ignore[no-untyped-call]


def _noisy(vector: npt.NDArray[np.int64], sensitivity: float, rho: float) -> tuple[npt.NDArray[np.int64], float, float]:
    """``vector`` with discrete Gaussian noise costing ``rho``; the noisy vector, its scale and the rho spent."""
    scale = float(dp.binary_search_param(_gaussian, d_in=sensitivity, d_out=rho))
    measurement = _gaussian(scale)
    out = np.asarray(measurement(vector.tolist()), dtype=np.int64)
    return out, scale, _rho_map(measurement, sensitivity)


def _selector(rho: float) -> dp.Measurement:
    """OpenDP's report-noisy-max over scores of sensitivity 1, costing ``rho`` each time it runs."""
    domain = dp.vector_domain(dp.atom_domain(T=float, nan=False))
    metric = dp.linf_distance(T=float)

    def make(scale: float) -> dp.Measurement:
        return dp.m.make_noisy_max(domain, metric, dp.zero_concentrated_divergence(), scale=scale)

    return make(float(dp.binary_search_param(make, d_in=1.0, d_out=rho)))


class _Components:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[ra] = rb
        return True


def _pair_counts(x: npt.NDArray[np.int64], i: int, j: int, sizes: Sequence[int]) -> npt.NDArray[np.int64]:
    return np.bincount(x[:, i] * sizes[j] + x[:, j], minlength=sizes[i] * sizes[j]).astype(np.int64)


def _distribution(counts: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    clamped = np.clip(counts, 0, None).astype(float)
    total = clamped.sum()
    return clamped / total if total > 0 else np.full(len(counts), 1 / len(counts))


def _blocks(table: PublicationTable, joint: Sequence[Sequence[str]]) -> list[tuple[int, ...]]:
    """The model's columns: every flag group of the schema and every ``joint`` tuple as one, the rest alone."""
    names = table.schema.names
    position = {n: i for i, n in enumerate(names)}
    radix = {n: len(table.schema.column(n).categories) + 1 for n in names}
    groups = [g for g in table.schema.groups().values() if math.prod(radix[n] for n in g) <= MAX_JOINT_CELLS]
    for g in joint:
        if math.prod(radix.get(n, 1) for n in g) > MAX_JOINT_CELLS:
            raise ValidationError(f"a joint column group may have at most {MAX_JOINT_CELLS} cells", group=list(g))
    together = [tuple(g) for g in groups] + [tuple(g) for g in joint]
    blocks: list[tuple[int, ...]] = []
    taken: set[int] = set()
    for group in together:
        members = tuple(position[n] for n in group if n in position and position[n] not in taken)
        if members:
            blocks.append(members)
            taken.update(members)
    blocks += [(i,) for i in range(len(names)) if i not in taken]
    return sorted(blocks)


def _block_codes(
    table: PublicationTable, blocks: Sequence[tuple[int, ...]], radices: Sequence[int]
) -> tuple[npt.NDArray[np.int64], list[int]]:
    """Each block's joint code (mixed radix, missing = 0 in every column) and the size of its domain."""
    names = table.schema.names
    codes, sizes = [], []
    for block in blocks:
        code = np.zeros(len(table), dtype=np.int64)
        size = 1
        for c in block:
            code = code * radices[c] + (table.codes[names[c]].astype(np.int64) - MISSING)
            size *= radices[c]
        codes.append(code)
        sizes.append(size)
    return np.stack(codes, axis=1), sizes


def _column_codes(
    out: npt.NDArray[np.int64], blocks: Sequence[tuple[int, ...]], radices: Sequence[int], names: Sequence[str]
) -> dict[str, npt.NDArray[np.int32]]:
    codes: dict[str, npt.NDArray[np.int32]] = {}
    for b, block in enumerate(blocks):
        rest = out[:, b].copy()
        for c in reversed(block):
            codes[names[c]] = (rest % radices[c] + MISSING).astype(np.int32)
            rest //= radices[c]
    return {n: codes[n] for n in names}


def synthesise(
    table: PublicationTable,
    *,
    epsilon: float,
    delta: float,
    rows: int | None = None,
    favoured: Sequence[tuple[str, str]] = FAVOURED_PAIRS,
    seed: int | None = None,
    cell_floor: float = DEFAULT_CELL_FLOOR,
    value_floor: float = DEFAULT_VALUE_FLOOR,
    joint: Sequence[Sequence[str]] | None = None,
    min_count: float = DEFAULT_MIN_COUNT,
    min_count_length: int = DEFAULT_MIN_COUNT_LENGTH,
    pool: float = DEFAULT_POOL,
) -> SyntheticData:
    """Synthetic rows of ``table``'s columns at (``epsilon``, ``delta``)-DP. Both are required.

    ``rows`` defaults to the noisy row count; ``seed`` seeds the sampling only (OpenDP's noise is not
    seedable). ``joint`` lists extra column groups to model as one column (default ``JOINT_COLUMNS``);
    the floors, ``min_count``, ``min_count_length`` and ``pool`` tune post-processing (see the constants).
    """
    if not math.isfinite(epsilon) or epsilon <= 0:
        raise ValidationError("epsilon must be a positive number")
    if not 0 < delta < 1:
        raise ValidationError("delta must be above 0 and below 1 (the measurements are Gaussian)")
    if min_count < 1 or min_count_length < 1 or pool < 1:
        raise ValidationError("min_count, min_count_length and pool must be at least 1")
    names = table.schema.names
    if len(names) < 2 or len(table) == 0:
        raise ValidationError("synthesis needs at least two columns and one row")
    columns = _blocks(table, JOINT_COLUMNS if joint is None else joint)
    d = len(columns)
    radices = [len(table.schema.column(n).categories) + 1 for n in names]  # + missing, at index 0
    x, sizes = _block_codes(table, columns, radices)
    rho = rho_for(epsilon, delta)
    spent = 0.0

    one_way, sigma, cost = _noisy(
        np.concatenate([np.bincount(x[:, j], minlength=sizes[j]) for j in range(d)]), math.sqrt(d), rho / 3
    )
    spent += cost
    offsets = np.cumsum([0, *sizes])
    noisy_1 = [one_way[offsets[j] : offsets[j + 1]] for j in range(d)]
    n_hat = max(1.0, float(np.mean([max(v.sum(), 0) for v in noisy_1])))

    # domain compression: values below three deviations share one bucket (MST, section 4)
    compress, small = [], []
    for j in range(d):
        keep = noisy_1[j] >= 3 * sigma
        mapping = np.cumsum(keep) - 1
        buckets = int(keep.sum())
        if not keep.all():
            mapping = np.where(keep, mapping, buckets)
            buckets += 1
        compress.append(mapping.astype(np.int64))
        small.append(buckets)
    xc = np.stack([compress[j][x[:, j]] for j in range(d)], axis=1)
    p1 = [_distribution(np.bincount(compress[j], weights=noisy_1[j], minlength=small[j])) for j in range(d)]

    components = _Components(d)
    index = {names[c]: b for b, block in enumerate(columns) for c in block}
    edges: list[tuple[int, int]] = []
    for a, b in favoured:
        if a in index and b in index and components.join(index[a], index[b]):
            edges.append((index[a], index[b]))
    rounds = d - 1 - len(edges)
    scores = {}
    for i in range(d):
        for j in range(i + 1, d):
            estimate = n_hat * np.outer(p1[i], p1[j]).ravel()
            scores[(i, j)] = float(np.abs(_pair_counts(xc, i, j, small) - estimate).sum())
    selected = 0
    selector = _selector((rho / 3) / max(rounds, 1))
    for _ in range(rounds):
        candidates = [pair for pair in scores if components.find(pair[0]) != components.find(pair[1])]
        choice = int(selector([scores[c] for c in candidates]))
        spent += _rho_map(selector, 1.0)
        components.join(*candidates[choice])
        edges.append(candidates[choice])
        selected += 1

    two_way_budget = rho - spent
    vectors = [_pair_counts(xc, i, j, small) for i, j in edges]
    noisy_2, sigma_2, cost = _noisy(np.concatenate(vectors), math.sqrt(len(edges)), two_way_budget)
    spent += cost
    tables, start = {}, 0
    for (i, j), vector in zip(edges, vectors, strict=True):
        tables[(i, j)] = noisy_2[start : start + len(vector)].reshape(small[i], small[j])
        start += len(vector)

    measurements = Measurements(
        compress=tuple(compress),
        sizes=tuple(small),
        one_way=tuple(noisy_1),
        sigma_1=sigma,
        edges=tuple(edges),
        two_way=tables,
        sigma_2=sigma_2,
        rows=n_hat,
    )
    count = round(n_hat) if rows is None else rows
    out = synthetic_rows(
        measurements,
        rows=count,
        seed=seed,
        value_floor=value_floor,
        cell_floor=cell_floor,
        min_count=min_count,
        length=min_count_length,
        pool=pool,
    )
    codes = _column_codes(out, columns, radices, names)
    return SyntheticData(
        table=PublicationTable(table.schema, codes),
        epsilon=epsilon_of(spent, delta),
        delta=delta,
        rho=spent,
        edges=tuple(("+".join(names[c] for c in columns[i]), "+".join(names[c] for c in columns[j])) for i, j in edges),
        selected_edges=selected,
    )
