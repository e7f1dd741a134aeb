"""Clustering scored pairs into persons without chaining unrelated people together, and counting them.

Connected components over pairs above a threshold (Splink's ``cluster_pairwise_predictions_at_threshold``)
let one wrong link merge two large clusters; with names and birth dates only, that chains thousands of
records into one giant cluster at low thresholds (benchmarks.md B6: person count -14 % to +31 %). Here
pairs are merged in decreasing order of probability, and two clusters merge only when

- at least ``min_density`` of the possible cross pairs between them are links above the threshold (the
  rule of anonlink's ``probabilistic_greedy_solve``, without its one-record-per-dataset limit), and
- no cross pair is a cannot-link (the scoring marks twins and siblings: same family name, a given name
  no spelling rule explains).

The number of distinct persons gets an uncertainty range by resampling: each scored pair is kept with its
match probability, the sample is clustered the same way, and the range is the central 95 % of the counts
(a parametric bootstrap over link uncertainty; it does not cover true pairs that blocking never proposed).
This is our own code: Splink offers only connected components, and the graph libraries (networkx, igraph)
have no density- or constraint-aware merge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ctdx.errors import ValidationError
from ctdx.linkage.scoring import ScoredPair


@dataclass(frozen=True)
class ClusteringConfig:
    """Where a pair counts as a link, how dense a merge must be, and how the count's range is drawn."""

    threshold: float = 0.9
    min_density: float = 0.5
    samples: int = 200
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ValidationError("the match threshold must be between 0 and 1", field="threshold")
        if not 0.0 < self.min_density <= 1.0:
            raise ValidationError("min_density must be in (0, 1]", field="min_density")


DEFAULT_CLUSTERING_CONFIG = ClusteringConfig()


def cluster(
    ids: Sequence[str],
    links: Iterable[tuple[str, str, float]],
    cannot_link: Iterable[tuple[str, str]] = (),
    min_density: float = DEFAULT_CLUSTERING_CONFIG.min_density,
) -> dict[str, int]:
    """A cluster number per id, from links (id, id, strength) merged strongest first under the rules above.

    Every link given counts as an edge; pass only the pairs above the threshold.
    """
    index = {uid: i for i, uid in enumerate(ids)}
    parent = list(range(len(ids)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(ids))}
    edges: set[tuple[int, int]] = set()
    ordered: list[tuple[float, int, int]] = []
    for left, right, strength in links:
        a, b = sorted((index[left], index[right]))
        if a != b and (a, b) not in edges:
            edges.add((a, b))
            ordered.append((strength, a, b))
    forbidden = {tuple(sorted((index[x], index[y]))) for x, y in cannot_link}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    ordered.sort(key=lambda t: (-t[0], t[1], t[2]))
    for _, a, b in ordered:
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        left_members, right_members = members[ra], members[rb]
        linked = 0
        blocked = False
        for x in left_members:
            for y in right_members:
                pair = (x, y) if x < y else (y, x)
                if pair in forbidden:
                    blocked = True
                    break
                linked += pair in edges
            if blocked:
                break
        if blocked or linked < min_density * len(left_members) * len(right_members):
            continue
        if len(left_members) < len(right_members):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra].extend(members.pop(rb))
    numbering: dict[int, int] = {}
    return {uid: numbering.setdefault(root(i), len(numbering)) for uid, i in index.items()}


@dataclass(frozen=True)
class PersonCount:
    """The number of distinct persons, with the central 95 % range over resampled links."""

    estimate: int
    low: int
    high: int


def cluster_scored(
    ids: Sequence[str], pairs: Sequence[ScoredPair], config: ClusteringConfig = DEFAULT_CLUSTERING_CONFIG
) -> tuple[dict[str, int], PersonCount]:
    """Clusters of the scored pairs at ``config.threshold`` and the person count with its range."""
    if len(set(ids)) != len(ids):
        raise ValidationError("record ids must be unique", field="unique_id")
    cannot = [(p.left, p.right) for p in pairs if p.siblings]
    links = [(p.left, p.right, p.probability) for p in pairs if p.probability >= config.threshold and not p.siblings]
    clusters = cluster(ids, links, cannot, config.min_density)
    estimate = len(set(clusters.values()))
    if not config.samples:
        return clusters, PersonCount(estimate, estimate, estimate)
    random = np.random.default_rng(config.seed)
    candidates = [p for p in pairs if not p.siblings]
    probabilities = np.array([p.probability for p in candidates])
    counts = []
    for _ in range(config.samples):
        kept = random.random(len(candidates)) < probabilities
        sample = [(p.left, p.right, p.probability) for p, keep in zip(candidates, kept, strict=True) if keep]
        counts.append(len(set(cluster(ids, sample, cannot, config.min_density).values())))
    low, high = np.percentile(counts, [2.5, 97.5])
    return clusters, PersonCount(estimate, min(int(np.floor(low)), estimate), max(int(np.ceil(high)), estimate))
