"""Clustering scored pairs into persons without chaining unrelated people together, and counting them.

Connected components over pairs above a threshold (Splink's ``cluster_pairwise_predictions_at_threshold``)
let one wrong link merge two large clusters; with names and birth dates only, that chains thousands of
records into one giant cluster at low thresholds (benchmarks.md B6: person count -14 % to +31 %). Here
pairs are merged in decreasing order of probability, and two clusters merge only when

- the mean match probability over all cross pairs between them is at least ``min_density``, a pair
  that was never scored counting 0 (average linkage; anonlink's ``probabilistic_greedy_solve`` uses the
  share of linked cross pairs the same way). A chain A~B~C whose ends were compared and found different
  (A-C at 0.02) has mean (0.97 + 0.02) / 2 < 0.5 between {A, B} and {C}, so it stops there, and a long
  chain never closes; had A and C looked alike (0.6), the three merge;
- no cross pair is a cannot-link (the scoring marks twins and siblings: same family name, a given name
  no spelling rule explains);
- optionally (``same_organisation_min``), two records of one organisation end in one person only when
  their own pair scores at least that high: an organisation rarely registers one person twice, so a
  cluster that would hold two of its records on indirect evidence alone is refused.

**Speed.** The rules can only split a connected component, never join two, and a component whose records
are all pairwise linked (a clique) with no cannot-link and no weak same-organisation pair passes them
unchanged. So components are found first, vectorised (numpy union-find by pointer jumping), cliques are
accepted as they are, and only the remaining components go through the greedy merge in Python. At scale
almost every component is a pair or a clique of a few records.

The number of distinct persons gets a range (``RANGE_METHOD``) from two sources of doubt:

- **link uncertainty** (parametric bootstrap): each scored pair is kept with its match probability, the
  sample is clustered the same way, and the central 95 % of the counts is taken. It only resamples the
  links the model is fairly sure of, so on its own it cannot cover the pairs the model missed: with names
  and birth dates often missing (``ctdx sample``: recall 0.12 at precision 1.0), the truth fell far below it;
- **possible links** (the low end): every pair scored at least ``possible_link`` (default 0.1) and below
  the threshold is taken as a link too, clustered under the same rules (a possible link weighs 1 in the
  density; cannot-links and the same-organisation rule hold). The low end is the smaller of this count and
  the bootstrap's 2.5 % quantile. The high end is the larger of the estimate (confident links only) and the
  bootstrap's 97.5 % quantile: with precision near 1, fewer merges than the confident links is unlikely.

Neither covers true pairs that blocking never proposed or that scored below ``possible_link``: the range is
honest about the scored evidence, not about what was never compared. Records outside every candidate pair
are counted once, not resampled.

This is our own code: Splink offers only connected components, the graph libraries (networkx, igraph)
have no density- or constraint-aware merge, and scipy is not a dependency (its ``connected_components`` is
the one step numpy does here in a few lines).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ctdx.errors import ValidationError
from ctdx.linkage.scoring import ScoredPair

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ClusteringConfig:
    """Where a pair counts as a link, how dense a merge must be, and how the count's range is drawn.

    ``same_organisation_min``: when set, two records of one organisation join one person only if their own
    pair scores at least this; ``None`` leaves same-organisation duplicates to the other rules.
    """

    threshold: float = 0.9
    min_density: float = 0.5
    possible_link: float = 0.1
    samples: int = 200
    seed: int = 0
    same_organisation_min: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ValidationError("the match threshold must be between 0 and 1", field="threshold")
        if not 0.0 < self.possible_link <= self.threshold:
            raise ValidationError("possible_link must be in (0, threshold]", field="possible_link")
        if not 0.0 < self.min_density <= 1.0:
            raise ValidationError("min_density must be in (0, 1]", field="min_density")
        if self.samples < 0:
            raise ValidationError("samples must not be negative", field="samples")
        if self.same_organisation_min is not None and not 0.0 < self.same_organisation_min <= 1.0:
            raise ValidationError("same_organisation_min must be in (0, 1]", field="same_organisation_min")


DEFAULT_CLUSTERING_CONFIG = ClusteringConfig()


@dataclass(frozen=True)
class Graph:
    """Scored pairs between records ``0..n-1`` as arrays, each undirected pair once with ``left < right``:
    its strength (match probability) and whether it is a link (at or above the threshold). Pairs below the
    threshold are evidence for the density rule only."""

    n: int
    left: IntArray
    right: IntArray
    strength: FloatArray
    link: npt.NDArray[np.bool_]

    @classmethod
    def of(
        cls, n: int, left: IntArray, right: IntArray, strength: FloatArray, link: npt.NDArray[np.bool_] | None = None
    ) -> Graph:
        """Pairs ordered, self-pairs dropped, a repeated pair kept once (a link before evidence, then the
        highest strength). Without ``link`` every pair is a link."""
        a = np.minimum(left, right).astype(np.int64)
        b = np.maximum(left, right).astype(np.int64)
        is_link = np.ones(a.size, dtype=bool) if link is None else link.astype(bool)
        keep = a != b
        a, b, s, is_link = a[keep], b[keep], strength[keep].astype(np.float64), is_link[keep]
        order = np.lexsort((-s, ~is_link, b, a))
        a, b, s, is_link = a[order], b[order], s[order], is_link[order]
        first = np.ones(a.size, dtype=bool)
        first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        return cls(n, a[first], b[first], s[first], is_link[first])


def components(n: int, left: IntArray, right: IntArray) -> IntArray:
    """The connected component of each of ``n`` nodes, named by its smallest node (vectorised union-find:
    hook each root under the smallest root it touches, then jump pointers until every node points at a
    root; a few rounds, each a pass of numpy over the edges)."""
    parent = np.arange(n, dtype=np.int64)
    if not left.size:
        return parent
    while True:
        ra, rb = parent[left], parent[right]
        spans = ra != rb
        if not spans.any():
            return parent
        low, high = np.minimum(ra[spans], rb[spans]), np.maximum(ra[spans], rb[spans])
        np.minimum.at(parent, high, low)
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped


def _compact(labels: IntArray) -> IntArray:
    """Labels renumbered 0..k-1 in order of first appearance."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[inverse]


def cluster_graph(
    graph: Graph,
    cannot: tuple[IntArray, IntArray] | None = None,
    min_density: float = DEFAULT_CLUSTERING_CONFIG.min_density,
    organisations: IntArray | None = None,
    same_organisation_min: float | None = None,
) -> IntArray:
    """A cluster number (0..k-1) per node of ``graph``, under the rules of the module docstring.

    ``cannot`` holds the cannot-link pairs as two index arrays; ``organisations`` an organisation number per
    node, used only with ``same_organisation_min``.
    """
    n = graph.n
    link_left, link_right = graph.left[graph.link], graph.right[graph.link]
    labels = components(n, link_left, link_right)
    if not link_left.size:
        return _compact(labels)
    size = np.bincount(labels, minlength=n)
    links = np.bincount(labels[link_left], minlength=n)
    # A clique of links passes every rule unless a link is itself too weak for the density, a cannot-link
    # lies inside, or two records of one organisation are joined by a weak pair.
    greedy = links != size * (size - 1) // 2
    weak = graph.link & (graph.strength < min_density)
    greedy[labels[graph.left[weak]]] = True
    cannot_left = cannot_right = np.zeros(0, dtype=np.int64)
    if cannot is not None and cannot[0].size:
        cannot_left, cannot_right = np.minimum(*cannot), np.maximum(*cannot)
        inside = labels[cannot_left] == labels[cannot_right]
        greedy[labels[cannot_left[inside]]] = True
    check_orgs = organisations is not None and same_organisation_min is not None
    if check_orgs:
        assert organisations is not None and same_organisation_min is not None
        same_org = organisations[link_left] == organisations[link_right]
        greedy[labels[link_left[same_org & (graph.strength[graph.link] < same_organisation_min)]]] = True
    greedy &= size > 1
    if not greedy.any():
        return _compact(labels)

    # The greedy merge, one component at a time, on the pairs and cannot-links inside it.
    component = labels[graph.left]
    chosen = greedy[component] & (component == labels[graph.right])
    e_left, e_right = graph.left[chosen], graph.right[chosen]
    e_strength, e_link = graph.strength[chosen], graph.link[chosen]
    order = np.argsort(labels[e_left], kind="stable")
    e_left, e_right, e_strength, e_link = e_left[order], e_right[order], e_strength[order], e_link[order]
    bounds = np.flatnonzero(np.diff(labels[e_left])) + 1
    forbidden: dict[int, set[tuple[int, int]]] = {}
    if cannot_left.size:
        inside = (labels[cannot_left] == labels[cannot_right]) & greedy[labels[cannot_left]]
        for x, y in zip(cannot_left[inside].tolist(), cannot_right[inside].tolist(), strict=True):
            forbidden.setdefault(int(labels[x]), set()).add((x, y))
    next_label = n
    result = labels.copy()
    for part in zip(
        np.split(e_left, bounds),
        np.split(e_right, bounds),
        np.split(e_strength, bounds),
        np.split(e_link, bounds),
        strict=True,
    ):
        pieces = _greedy(
            *part,
            forbidden.get(int(labels[part[0][0]]), set()),
            min_density,
            organisations if check_orgs else None,
            same_organisation_min,
        )
        for members in pieces:
            result[members] = next_label
            next_label += 1
    return _compact(result)


def _greedy(
    left: IntArray,
    right: IntArray,
    strength: FloatArray,
    link: npt.NDArray[np.bool_],
    forbidden: set[tuple[int, int]],
    min_density: float,
    organisations: IntArray | None,
    same_organisation_min: float | None,
) -> list[list[int]]:
    """The clusters of one component: links merged strongest first while the merge keeps the rules. The
    density of a merge is the mean strength over all cross pairs, an unscored pair counting 0 (average
    linkage): a link between two groups whose other pairs were scored as different people does not merge
    them."""
    lefts, rights, strengths = left.tolist(), right.tolist(), strength.tolist()
    scored = {(a, b): s for a, b, s in zip(lefts, rights, strengths, strict=True)}
    parent = {node: node for node in {*lefts, *rights}}
    members = {node: [node] for node in parent}
    orgs = organisations
    floor = same_organisation_min if same_organisation_min is not None else 0.0

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    ordered = sorted(
        (t for t, is_link in zip(zip(strengths, lefts, rights, strict=True), link.tolist(), strict=True) if is_link),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    for _, a, b in ordered:
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        left_members, right_members = members[ra], members[rb]
        evidence = 0.0
        blocked = False
        for x in left_members:
            for y in right_members:
                pair = (x, y) if x < y else (y, x)
                found = scored.get(pair, 0.0)
                if pair in forbidden or (orgs is not None and orgs[x] == orgs[y] and found < floor):
                    blocked = True
                    break
                evidence += found
            if blocked:
                break
        if blocked or evidence < min_density * len(left_members) * len(right_members):
            continue
        if len(left_members) < len(right_members):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra].extend(members.pop(rb))
    return list(members.values())


def cluster(
    ids: Sequence[str],
    links: Iterable[tuple[str, str, float]],
    cannot_link: Iterable[tuple[str, str]] = (),
    min_density: float = DEFAULT_CLUSTERING_CONFIG.min_density,
    organisations: Sequence[str] | None = None,
    same_organisation_min: float | None = None,
    evidence: Iterable[tuple[str, str, float]] = (),
) -> dict[str, int]:
    """A cluster number per id, from links (id, id, strength) merged strongest first under the rules above.

    Every link given counts as an edge: pass the pairs above the threshold as ``links`` and, if wanted, the
    scored pairs below it as ``evidence`` (they weigh in the density, never join anything).
    ``organisations`` (one per id, same order) is needed only with ``same_organisation_min``.
    """
    index = {uid: i for i, uid in enumerate(ids)}
    link_list, evidence_list = list(links), list(evidence)
    graph = _graph(index, link_list + evidence_list, len(link_list))
    cannot = _pairs(index, list(cannot_link))
    org_numbers = _numbers(organisations) if organisations is not None else None
    labels = cluster_graph(graph, cannot, min_density, org_numbers, same_organisation_min)
    return dict(zip(ids, labels.tolist(), strict=True))


def _graph(index: dict[str, int], pairs: list[tuple[str, str, float]], links: int) -> Graph:
    left = np.fromiter((index[a] for a, _, _ in pairs), dtype=np.int64, count=len(pairs))
    right = np.fromiter((index[b] for _, b, _ in pairs), dtype=np.int64, count=len(pairs))
    strength = np.fromiter((s for _, _, s in pairs), dtype=np.float64, count=len(pairs))
    return Graph.of(len(index), left, right, strength, np.arange(len(pairs)) < links)


def _pairs(index: dict[str, int], pairs: list[tuple[str, str]]) -> tuple[IntArray, IntArray]:
    left = np.fromiter((index[a] for a, _ in pairs), dtype=np.int64, count=len(pairs))
    right = np.fromiter((index[b] for _, b in pairs), dtype=np.int64, count=len(pairs))
    return left, right


def _numbers(values: Sequence[str]) -> IntArray:
    _, inverse = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    return inverse.astype(np.int64)


RANGE_METHOD = (
    "low: the fewer of the count with every pair scored at or above the possible-link probability taken as a "
    "link and the 2.5 % quantile of a bootstrap over link probabilities; high: the more of the count with "
    "confident links only (the estimate) and the 97.5 % quantile; pairs never compared are not covered"
)


@dataclass(frozen=True)
class PersonCount:
    """The number of distinct persons with its range (``RANGE_METHOD``, module docstring): the low end
    takes possible links too, the high end only confident ones, both widened by the resampling."""

    estimate: int
    low: int
    high: int


def count_range(
    graph: Graph,
    cannot: tuple[IntArray, IntArray] | None,
    config: ClusteringConfig,
    organisations: IntArray | None = None,
) -> tuple[int, int]:
    """The central 95 % of person counts when each pair of ``graph`` is kept with its strength (a
    probability) and a kept pair is a certain link. Nodes in no pair count once in every sample; only the
    rest are clustered per sample."""
    touched = np.zeros(graph.n, dtype=bool)
    touched[graph.left] = True
    touched[graph.right] = True
    sub_n = int(touched.sum())
    fixed = graph.n - sub_n
    local = np.cumsum(touched) - 1
    left, right = local[graph.left], local[graph.right]
    sub_cannot = None
    if cannot is not None and cannot[0].size:
        both = touched[cannot[0]] & touched[cannot[1]]
        sub_cannot = (local[cannot[0][both]], local[cannot[1][both]])
    sub_orgs = organisations[touched] if organisations is not None else None
    # Strongest pairs first, as in the real run; a kept pair then weighs 1 in the density.
    order = np.argsort(-graph.strength, kind="stable")
    left, right, strength = left[order], right[order], graph.strength[order]
    ones = np.ones(strength.size, dtype=np.float64)
    rank = 1.0 - np.arange(strength.size, dtype=np.float64) / max(strength.size, 1) * 1e-9
    random = np.random.default_rng(config.seed)
    counts = np.empty(config.samples, dtype=np.int64)
    for i in range(config.samples):
        kept = random.random(strength.size) < strength
        link = ones[kept].astype(bool)
        sample = Graph(sub_n, left[kept], right[kept], rank[kept], link)
        labels = cluster_graph(sample, sub_cannot, config.min_density, sub_orgs, config.same_organisation_min)
        counts[i] = fixed + (int(labels.max()) + 1 if labels.size else 0)
    low, high = np.percentile(counts, [2.5, 97.5])
    return int(np.floor(low)), int(np.ceil(high))


def cluster_scored(
    ids: Sequence[str],
    pairs: Sequence[ScoredPair],
    config: ClusteringConfig = DEFAULT_CLUSTERING_CONFIG,
    organisations: Sequence[str] | None = None,
) -> tuple[dict[str, int], PersonCount]:
    """Clusters of the scored pairs at ``config.threshold`` and the person count with its range.

    ``organisations`` (one per id, same order) is needed when ``config.same_organisation_min`` is set.
    """
    if len(set(ids)) != len(ids):
        raise ValidationError("record ids must be unique", field="unique_id")
    index = {uid: i for i, uid in enumerate(ids)}
    count = len(pairs)
    left = np.fromiter((index[p.left] for p in pairs), dtype=np.int64, count=count)
    right = np.fromiter((index[p.right] for p in pairs), dtype=np.int64, count=count)
    probability = np.fromiter((p.probability for p in pairs), dtype=np.float64, count=count)
    siblings = np.fromiter((p.siblings for p in pairs), dtype=bool, count=count)
    labels, person_count = cluster_arrays(len(ids), left, right, probability, siblings, config, organisations)
    return dict(zip(ids, labels.tolist(), strict=True)), person_count


def cluster_arrays(
    n: int,
    left: IntArray,
    right: IntArray,
    probability: FloatArray,
    siblings: npt.NDArray[np.bool_],
    config: ClusteringConfig = DEFAULT_CLUSTERING_CONFIG,
    organisations: Sequence[str] | IntArray | None = None,
) -> tuple[IntArray, PersonCount]:
    """``cluster_scored`` on arrays: scored pairs as record indexes ``0..n-1``, their probabilities and
    sibling flags. Returns a cluster number per record and the count with its range."""
    if config.same_organisation_min is not None and (organisations is None or len(organisations) != n):
        raise ValidationError("same_organisation_min needs the organisation of every record", field="organisations")
    org_numbers: IntArray | None = None
    if organisations is not None:
        org_numbers = (
            organisations.astype(np.int64) if isinstance(organisations, np.ndarray) else _numbers(organisations)
        )
    cannot = (left[siblings], right[siblings])
    pairs = ~siblings
    graph = Graph.of(n, left[pairs], right[pairs], probability[pairs], probability[pairs] >= config.threshold)
    labels = cluster_graph(graph, cannot, config.min_density, org_numbers, config.same_organisation_min)
    estimate = int(labels.max()) + 1 if n else 0
    possible = possible_count(graph, cannot, config, org_numbers)
    if not config.samples:
        return labels, PersonCount(estimate, min(possible, estimate), estimate)
    low, high = count_range(graph, cannot, config, org_numbers)
    return labels, PersonCount(estimate, min(low, possible, estimate), max(high, estimate))


def possible_count(
    graph: Graph,
    cannot: tuple[IntArray, IntArray] | None,
    config: ClusteringConfig,
    organisations: IntArray | None = None,
) -> int:
    """The person count when every pair of ``graph`` scored at least ``config.possible_link`` is a link of
    strength 1 (the low end of the range: the missed-but-possible links all taken), under the same rules."""
    keep = graph.strength >= config.possible_link
    ones = np.ones(int(keep.sum()), dtype=np.float64)
    # Merge order as in the real run (strongest first); every kept pair weighs 1 in the density.
    rank = 1.0 - (1.0 - graph.strength[keep]) * 1e-6
    possible = Graph(graph.n, graph.left[keep], graph.right[keep], np.minimum(rank, ones), ones.astype(bool))
    labels = cluster_graph(possible, cannot, config.min_density, organisations, config.same_organisation_min)
    return int(labels.max()) + 1 if graph.n else 0
