"""k-anonymous microdata: full-domain generalisation over a lattice, local suppression, optional l-diversity.

**Search.** Every combination of generalisation levels of the quasi-identifiers is a node of the lattice.
A node is *feasible* when the rows in equivalence classes smaller than ``k`` (or not ``l``-diverse) are at
most ``suppression_limit`` of the rows. Among feasible nodes we return the one with the least information
loss (Iyengar's loss metric, as ARX; a suppressed row loses everything). This is our own code rather than
ARX (Java, a server) or anjana (greedy, not optimal; exact pins): it is a branch and bound that is
globally optimal like ARX's Flash, with two prunings:

* the loss of a node is at least the loss of its generalisation alone (suppression only adds loss), and
  that bound is additive over columns, so nodes are visited in order of the bound and the search stops
  as soon as the bound reaches the best loss found;
* feasibility is monotone (generalising only merges classes), so a node below a node already found
  infeasible is skipped without counting (Flash's predictive tagging).

**Local suppression.** Rows of the violating classes keep their other columns but have every
quasi-identifier replaced by ``*``; if those rows do not themselves form a class of at least ``k`` (and
``l``-diverse), they are removed. ``k`` and ``suppression_limit`` are required: there are no defaults.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ctdx.errors import ValidationError
from ctdx.privacy.hierarchies import TOP, Hierarchy, build_hierarchy
from ctdx.privacy.schema import MISSING, PublicationTable

MAX_LATTICE_NODES = 2_000_000
KEY_LIMIT = 2**62


@dataclass(frozen=True)
class KAnonymousTable:
    """The released rows and what was done to them."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    quasi_identifiers: tuple[str, ...]
    levels: Mapping[str, int]
    heights: Mapping[str, int]
    k: int
    suppression_limit: float
    sensitive: tuple[str, ...]
    l_diversity: int | None
    rows_in: int
    rows_locally_suppressed: int
    rows_removed: int
    information_loss: float
    lattice_nodes: int
    nodes_evaluated: int


@dataclass(frozen=True)
class _Evaluation:
    violating: npt.NDArray[np.bool_]
    loss: float


def _class_ids(columns: Sequence[npt.NDArray[np.int64]], radices: Sequence[int]) -> npt.NDArray[np.int64]:
    """One integer per row naming its equivalence class (mixed-radix key, compressed before it overflows)."""
    key = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    span = 1
    for column, radix in zip(columns, radices, strict=True):
        if span * radix >= KEY_LIMIT:
            _, key = np.unique(key, return_inverse=True)
            key = key.astype(np.int64)
            span = int(key.max()) + 1 if len(key) else 1
        key = key * radix + column
        span *= radix
    return key


def _violating(
    class_id: npt.NDArray[np.int64], k: int, sensitive: Sequence[npt.NDArray[np.int32]], l_diversity: int | None
) -> npt.NDArray[np.bool_]:
    """Rows whose class has fewer than ``k`` rows, or fewer than ``l`` distinct known values of a sensitive column."""
    _, inverse, counts = np.unique(class_id, return_inverse=True, return_counts=True)
    bad: npt.NDArray[np.bool_] = counts[inverse] < k
    if l_diversity is not None:
        classes = len(counts)
        for values in sensitive:
            known = values != MISSING
            pairs = np.unique(inverse[known].astype(np.int64) * (int(values.max()) + 2) + values[known])
            distinct = np.bincount(pairs // (int(values.max()) + 2), minlength=classes)
            bad |= distinct[inverse] < l_diversity
    return bad


def anonymise(
    table: PublicationTable,
    *,
    quasi_identifiers: Sequence[str],
    k: int,
    suppression_limit: float,
    sensitive: Sequence[str] = (),
    l_diversity: int | None = None,
    hierarchies: Mapping[str, Hierarchy] | None = None,
) -> KAnonymousTable:
    """The least-loss k-anonymous (and optionally l-diverse) version of ``table``.

    ``suppression_limit`` is the largest share of rows (0 to 1) that may be suppressed.
    """
    if k < 2:
        raise ValidationError("k must be at least 2")
    if not 0 <= suppression_limit <= 1:
        raise ValidationError("the suppression limit is a share of rows, between 0 and 1")
    if not quasi_identifiers:
        raise ValidationError("name at least one quasi-identifier")
    if l_diversity is not None and (l_diversity < 2 or not sensitive):
        raise ValidationError("l-diversity needs l of at least 2 and at least one sensitive column")
    schema = table.schema
    qis = tuple(quasi_identifiers)
    for name in (*qis, *sensitive):
        schema.column(name)
    if set(qis) & set(sensitive):
        raise ValidationError("a column cannot be both a quasi-identifier and sensitive")
    given = hierarchies or {}
    trees = [given.get(q) or build_hierarchy(schema.column(q)) for q in qis]
    n, m = len(table), len(qis)
    generalised = [
        [t.generalise(table.codes[q], lv).astype(np.int64) for lv in range(t.height + 1)]
        for q, t in zip(qis, trees, strict=True)
    ]
    cell_loss = [[t.loss[lv][g] for lv, g in enumerate(levels)] for t, levels in zip(trees, generalised, strict=True)]
    radices = [[len(labels) for labels in t.labels] for t in trees]
    sensitive_codes = [table.codes[s] for s in sensitive]
    allowed = math.floor(suppression_limit * n)

    lattice_size = math.prod(t.height + 1 for t in trees)
    if lattice_size > MAX_LATTICE_NODES:
        raise ValidationError(f"the lattice has {lattice_size} nodes: name fewer quasi-identifiers")
    nodes = np.asarray(list(itertools.product(*[range(t.height + 1) for t in trees])), dtype=np.int64).reshape(-1, m)
    mean_loss = [np.asarray([float(c.mean()) if n else 0.0 for c in per_level]) for per_level in cell_loss]
    bound: npt.NDArray[np.float64] = np.zeros(len(nodes))
    for q in range(m):
        bound += mean_loss[q][nodes[:, q]] / m
    order = np.argsort(bound, kind="stable")

    def evaluate(node: npt.NDArray[np.int64]) -> _Evaluation | None:
        columns = [generalised[q][int(node[q])] for q in range(m)]
        class_id = _class_ids(columns, [radices[q][int(node[q])] for q in range(m)])
        bad = _violating(class_id, k, sensitive_codes, l_diversity)
        suppressed = int(bad.sum())
        if suppressed > allowed:
            return None
        kept = ~bad
        loss = (sum(float(cell_loss[q][int(node[q])][kept].sum()) for q in range(m)) + suppressed * m) / max(n * m, 1)
        return _Evaluation(bad, loss)

    best: tuple[npt.NDArray[np.int64], _Evaluation] | None = None
    infeasible: list[npt.NDArray[np.int64]] = []
    evaluated = 0
    for index in order:
        node = nodes[index]
        if best is not None and bound[index] >= best[1].loss:
            break
        if infeasible and bool(np.any(np.all(np.asarray(infeasible) >= node, axis=1))):
            continue
        evaluated += 1
        result = evaluate(node)
        if result is None:
            infeasible.append(node)
        elif best is None or result.loss < best[1].loss:
            best = (node, result)
    if best is None:
        raise ValidationError(
            f"no generalisation reaches k={k} within the suppression limit: allow more suppression or lower k",
            k=k,
        )
    node, result = best
    return _release(
        table,
        qis,
        trees,
        node,
        result,
        generalised,
        sensitive_codes,
        k,
        l_diversity,
        suppression_limit,
        lattice_size,
        evaluated,
        tuple(sensitive),
    )


def _release(
    table: PublicationTable,
    qis: tuple[str, ...],
    trees: Sequence[Hierarchy],
    node: npt.NDArray[np.int64],
    result: _Evaluation,
    generalised: Sequence[Sequence[npt.NDArray[np.int64]]],
    sensitive_codes: Sequence[npt.NDArray[np.int32]],
    k: int,
    l_diversity: int | None,
    suppression_limit: float,
    lattice_size: int,
    evaluated: int,
    sensitive: tuple[str, ...],
) -> KAnonymousTable:
    """Apply the chosen node: generalise, suppress violating rows' quasi-identifiers, drop what stays unsafe."""
    bad = result.violating
    # a suppressed cell reads ``*``, as does a column generalised to its top: they are one value
    columns = [
        np.where(bad, 0 if node[q] == t.height else -1, generalised[q][int(node[q])]) for q, t in enumerate(trees)
    ]
    class_id = _class_ids([c + 1 for c in columns], [len(t.labels[int(node[q])]) + 1 for q, t in enumerate(trees)])
    removed = _violating(class_id, k, sensitive_codes, l_diversity)
    keep = ~removed
    schema = table.schema
    text: dict[str, list[str]] = {}
    for q, (name, tree) in enumerate(zip(qis, trees, strict=True)):
        labels = tree.labels[int(node[q])]
        text[name] = [TOP if code < 0 else labels[code] for code in columns[q][keep].tolist()]
    for name in schema.names:
        if name not in text:
            categories = schema.column(name).categories
            text[name] = ["" if c == MISSING else categories[c] for c in table.codes[name][keep].tolist()]
    rows = tuple(zip(*(text[name] for name in schema.names), strict=True))
    return KAnonymousTable(
        header=schema.names,
        rows=rows,
        quasi_identifiers=qis,
        levels={q: int(node[i]) for i, q in enumerate(qis)},
        heights={q: t.height for q, t in zip(qis, trees, strict=True)},
        k=k,
        suppression_limit=suppression_limit,
        sensitive=sensitive,
        l_diversity=l_diversity,
        rows_in=len(table),
        rows_locally_suppressed=int(bad.sum()),
        rows_removed=int(removed.sum()),
        information_loss=result.loss,
        lattice_nodes=lattice_size,
        nodes_evaluated=evaluated,
    )
