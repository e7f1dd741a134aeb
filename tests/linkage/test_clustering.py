"""Clustering: no chaining of unrelated people, cannot-links respected, a range around the count."""

from __future__ import annotations

import pytest

from ctdx.errors import ValidationError
from ctdx.linkage.clustering import ClusteringConfig, cluster, cluster_scored
from ctdx.linkage.scoring import ScoredPair


def test_one_stray_link_does_not_merge_two_groups() -> None:
    ids = ["a1", "a2", "a3", "b1", "b2", "b3"]
    group_a = [("a1", "a2", 0.99), ("a1", "a3", 0.99), ("a2", "a3", 0.98)]
    group_b = [("b1", "b2", 0.99), ("b1", "b3", 0.99), ("b2", "b3", 0.97)]
    stray = [("a3", "b1", 0.95)]
    clusters = cluster(ids, group_a + group_b + stray)
    assert len({clusters[i] for i in ids[:3]}) == 1
    assert len({clusters[i] for i in ids[3:]}) == 1
    assert clusters["a1"] != clusters["b1"]
    # Connected components would have made one person of all six.
    assert len(set(cluster(ids, group_a + group_b + stray, min_density=1e-9).values())) == 1


def test_a_chain_of_pairwise_links_stops_where_density_fails() -> None:
    ids = [f"r{i}" for i in range(6)]
    chain = [(f"r{i}", f"r{i + 1}", 0.99) for i in range(5)]
    clusters = cluster(ids, chain)
    sizes = [list(clusters.values()).count(c) for c in set(clusters.values())]
    # Half the cross pairs must be links: a path merges at most three records.
    assert max(sizes) <= 3 and len(sizes) >= 2


def test_cannot_links_keep_twins_apart_even_through_a_third_record() -> None:
    ids = ["olena", "olena2", "oksana"]
    links = [("olena", "olena2", 0.99), ("olena2", "oksana", 0.97)]
    clusters = cluster(ids, links, cannot_link=[("olena", "oksana")])
    assert clusters["olena"] == clusters["olena2"] != clusters["oksana"]


def test_the_count_has_a_range_that_reflects_uncertain_links() -> None:
    ids = ["a", "b", "c", "d"]
    pairs = [ScoredPair("a", "b", 0.999, False), ScoredPair("c", "d", 0.5, False)]
    _, count = cluster_scored(ids, pairs, ClusteringConfig(threshold=0.9, samples=300))
    assert count.estimate == 3
    assert count.low == 2 and count.high == 3
    certain = cluster_scored(ids, [ScoredPair("a", "b", 0.999999, False)], ClusteringConfig(samples=300))[1]
    assert certain.low == certain.high == certain.estimate == 3


def test_bad_configuration_and_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValidationError):
        ClusteringConfig(threshold=1.5)
    with pytest.raises(ValidationError):
        cluster_scored(["a", "a"], [])
