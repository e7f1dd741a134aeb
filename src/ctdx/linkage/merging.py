"""The merge behind ``clustering``: scored pairs as arrays, merged strongest first under its rules.

``cluster_graph`` finds connected components of the links (numpy union-find), accepts the cliques that no
rule touches as they are, and sends only the other components through ``_greedy``, the merge in Python:
average-linkage density, cannot-links, the same-organisation floor and one record per declared
organisation. What the rules are and why they exist is in ``ctdx.linkage.clustering``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ctdx.errors import ValidationError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


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
    cannot: tuple[IntArray, IntArray] | None,
    min_density: float,
    organisations: IntArray | None = None,
    same_organisation_min: float | None = None,
    exclusive: npt.NDArray[np.bool_] | None = None,
) -> IntArray:
    """A cluster number (0..k-1) per node of ``graph``, under the rules of the module docstring.

    ``cannot`` holds the cannot-link pairs as two index arrays; ``organisations`` an organisation number per
    node, used with ``same_organisation_min`` and ``exclusive``: per node, whether its organisation declared
    one record per person (no cluster then holds two records of that organisation).
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
    if exclusive is not None and exclusive.any():
        if organisations is None:
            raise ValidationError("one record per person needs the organisation of every record", field="organisations")
        check_orgs = True
        # A component holding two records of one declared organisation must be split by the greedy merge.
        declared = np.flatnonzero(exclusive)
        width = int(organisations.max()) + 1
        keys, repeats = np.unique(labels[declared] * width + organisations[declared], return_counts=True)
        greedy[keys[repeats > 1] // width] = True
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
            exclusive,
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
    exclusive: npt.NDArray[np.bool_] | None = None,
) -> list[list[int]]:
    """The clusters of one component: links merged strongest first while the merge keeps the rules. The
    density of a merge is the mean strength over all cross pairs, an unscored pair counting 0 (average
    linkage): a link between two groups whose other pairs were scored as different people does not merge
    them. Two records of one organisation that declared one record per person never merge: merging
    strongest first, each such record keeps its best partner in every other source (anonlink's greedy
    solver does the same for two parties)."""
    lefts, rights, strengths = left.tolist(), right.tolist(), strength.tolist()
    scored = {(a, b): s for a, b, s in zip(lefts, rights, strengths, strict=True)}
    parent = {node: node for node in {*lefts, *rights}}
    members = {node: [node] for node in parent}
    orgs = organisations
    floor = same_organisation_min if same_organisation_min is not None else 0.0
    declared = set(np.flatnonzero(exclusive).tolist()) if exclusive is not None else set()

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
                if pair in forbidden or (orgs is not None and orgs[x] == orgs[y] and (found < floor or x in declared)):
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
