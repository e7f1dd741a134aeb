"""Clustering: no chaining of unrelated people, cannot-links respected, a range around the count."""

from __future__ import annotations

import math

import numpy as np
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


def test_a_chain_through_a_middle_record_does_not_join_two_clearly_different_people() -> None:
    # A~B and B~C are links, but A and C were compared and scored as different people: no one person.
    ids = ["a", "b", "c"]
    links = [("a", "b", 0.97), ("b", "c", 0.96)]
    clusters = cluster(ids, links, evidence=[("a", "c", 0.02)])
    assert clusters["a"] == clusters["b"] != clusters["c"]
    # Had A and C looked alike (a typo too many for the threshold), the three are one person.
    together = cluster(ids, links, evidence=[("a", "c", 0.6)])
    assert len(set(together.values())) == 1
    # Connected components (Splink's clustering) would have merged the chain regardless.
    scored = [ScoredPair("a", "b", 0.97, False), ScoredPair("b", "c", 0.96, False), ScoredPair("a", "c", 0.02, False)]
    labels, count = cluster_scored(ids, scored, ClusteringConfig(threshold=0.9, samples=0))
    assert labels["a"] == labels["b"] != labels["c"] and count.estimate == 2


def test_a_long_chain_of_strong_links_never_becomes_one_giant_cluster() -> None:
    # 1,000 records each linked only to the next: connected components make one person of all of them.
    n = 1000
    ids = [f"r{i}" for i in range(n)]
    scored = [ScoredPair(f"r{i}", f"r{i + 1}", 0.99, False) for i in range(n - 1)]
    labels, count = cluster_scored(ids, scored, ClusteringConfig(threshold=0.9, samples=20))
    sizes = np.bincount(np.array(list(labels.values())))
    assert sizes.max() <= 3
    assert count.low <= count.estimate <= count.high


def test_two_records_of_one_organisation_join_only_on_their_own_strong_pair() -> None:
    ids = ["ngo:1", "police:1", "ngo:2"]
    orgs = ["ngo", "police", "ngo"]
    scored = [
        ScoredPair("ngo:1", "police:1", 0.99, False),
        ScoredPair("police:1", "ngo:2", 0.98, False),
        ScoredPair("ngo:1", "ngo:2", 0.92, False),
    ]
    strict = ClusteringConfig(threshold=0.9, samples=0, same_organisation_min=0.95)
    labels, _ = cluster_scored(ids, scored, strict, organisations=orgs)
    # The NGO's own pair (0.92) is not strong enough: one of its records stays apart.
    assert labels["ngo:1"] == labels["police:1"] != labels["ngo:2"]
    lenient = ClusteringConfig(threshold=0.9, samples=0, same_organisation_min=0.9)
    assert len(set(cluster_scored(ids, scored, lenient, organisations=orgs)[0].values())) == 1
    with pytest.raises(ValidationError):
        cluster_scored(ids, scored, strict)


def _reference(n: int, pairs: list[tuple[int, int, float]], cannot: set[tuple[int, int]], density: float) -> int:
    """The greedy merge over all pairs, written plainly: the number of clusters."""
    scored = {(min(a, b), max(a, b)): s for a, b, s in pairs}
    members = {i: [i] for i in range(n)}
    owner = list(range(n))
    for _, a, b in sorted(((s, a, b) for a, b, s in pairs if s >= 0.9), key=lambda t: (-t[0], t[1], t[2])):
        ra, rb = owner[a], owner[b]
        if ra == rb:
            continue
        cross = [(min(x, y), max(x, y)) for x in members[ra] for y in members[rb]]
        if any(p in cannot for p in cross) or sum(scored.get(p, 0.0) for p in cross) < density * len(cross):
            continue
        for x in members[rb]:
            owner[x] = ra
        members[ra].extend(members.pop(rb))
    return len(members)


def test_the_vectorised_clustering_gives_the_plain_greedy_result() -> None:
    random = np.random.default_rng(7)
    for _ in range(30):
        n = 40
        drawn = {tuple(sorted(int(x) for x in random.choice(n, 2, replace=False))) for _ in range(60)}
        pairs = [(a, b, float(random.choice([0.3, 0.6, 0.91, 0.95, 0.99]))) for a, b in sorted(drawn)]
        cannot = {(min(a, b), max(a, b)) for a, b in (random.choice(n, 2, replace=False) for _ in range(3))}
        cannot -= {(min(a, b), max(a, b)) for a, b, _ in pairs}
        ids = [str(i) for i in range(n)]
        scored = [ScoredPair(str(a), str(b), s, False) for a, b, s in pairs]
        scored += [ScoredPair(str(a), str(b), 0.5, True) for a, b in cannot]
        labels, count = cluster_scored(ids, scored, ClusteringConfig(threshold=0.9, samples=0))
        assert count.estimate == len(set(labels.values())) == _reference(n, pairs, cannot, 0.5)


def test_the_range_covers_the_truth_when_possible_links_were_missed() -> None:
    # Ten persons with two records each; the model is sure of two pairs and scores the other eight
    # between 0.1 and the threshold (missing birth dates), plus one unrelated pair at 0.05.
    ids = [f"p{i}-{side}" for i in range(10) for side in "ab"]
    sure = [ScoredPair(f"p{i}-a", f"p{i}-b", 0.995, False) for i in range(2)]
    missed = [ScoredPair(f"p{i}-a", f"p{i}-b", 0.15 + 0.05 * i, False) for i in range(2, 10)]
    unrelated = [ScoredPair("p0-a", "p5-a", 0.05, False)]
    config = ClusteringConfig(threshold=0.9, possible_link=0.1, samples=200)
    _, count = cluster_scored(ids, sure + missed + unrelated, config)
    assert count.estimate == 18
    assert count.low <= 10 <= count.high
    assert count.low == 10  # the unrelated pair below possible_link never joins anything
    # Without the possible links the bootstrap alone misses the truth: this is what the low end fixes.
    _, bootstrap_only = cluster_scored(ids, sure + missed + unrelated, ClusteringConfig(possible_link=0.9))
    assert bootstrap_only.low > 10


def test_possible_links_keep_cannot_links_and_chaining_rules() -> None:
    ids = ["olena", "olena2", "oksana"]
    pairs = [
        ScoredPair("olena", "olena2", 0.3, False),
        ScoredPair("olena2", "oksana", 0.3, False),
        ScoredPair("olena", "oksana", 0.2, True),
    ]
    _, count = cluster_scored(ids, pairs, ClusteringConfig(possible_link=0.1, samples=0))
    assert count.estimate == 3 and count.low == 2 and count.high == 3
    with pytest.raises(ValidationError):
        ClusteringConfig(threshold=0.9, possible_link=0.95)


def test_declared_sources_keep_one_record_per_person_and_the_strongest_partner_wins() -> None:
    # Two organisations, each declared free of duplicates. b1 and b2 look alike (0.6) and a1 is close to
    # both (0.95 against 0.94, a near-tie): undeclared, all three become one person.
    ids = ["a:1", "a:2", "b:1", "b:2"]
    orgs = ["a", "a", "b", "b"]
    scored = [
        ScoredPair("a:1", "b:1", 0.95, False),
        ScoredPair("a:1", "b:2", 0.94, False),
        ScoredPair("b:1", "b:2", 0.6, False),
        ScoredPair("a:2", "b:2", 0.93, False),
    ]
    undeclared, _ = cluster_scored(ids, scored, ClusteringConfig(threshold=0.9, samples=0), orgs)
    assert undeclared["a:1"] == undeclared["b:1"] == undeclared["b:2"]
    declared = ClusteringConfig(threshold=0.9, samples=0, one_record_per_person=frozenset({"a", "b"}))
    labels, count = cluster_scored(ids, scored, declared, orgs)
    # Greedy by probability: a:1 keeps b:1 (0.95), b:2 goes to a:2 (0.93), never two records of one source.
    assert labels["a:1"] == labels["b:1"] != labels["b:2"] == labels["a:2"]
    assert count.estimate == 2
    # Declaring only b still keeps b's records apart.
    only_b = ClusteringConfig(threshold=0.9, samples=0, one_record_per_person=frozenset({"b"}))
    assert cluster_scored(ids, scored, only_b, orgs)[0]["b:1"] != cluster_scored(ids, scored, only_b, orgs)[0]["b:2"]
    with pytest.raises(ValidationError):
        cluster_scored(ids, scored, declared)  # the organisations are needed


def test_under_the_declaration_a_lower_threshold_links_the_best_partner_only() -> None:
    # a:1's true partner scored 0.3 (a corrupted birth date); a stranger of b also scored 0.2 with it.
    ids = ["a:1", "b:1", "b:2"]
    orgs = ["a", "b", "b"]
    scored = [ScoredPair("a:1", "b:1", 0.3, False), ScoredPair("a:1", "b:2", 0.2, False)]
    declared = ClusteringConfig(threshold=0.15, possible_link=0.1, samples=0, one_record_per_person=frozenset("ab"))
    labels, count = cluster_scored(ids, scored, declared, orgs)
    assert labels["a:1"] == labels["b:1"] != labels["b:2"]
    # The low end cannot go below the declared organisation's two distinct persons.
    assert count.estimate == 2 and count.low == 2


def test_the_declaration_splits_a_clique_that_holds_two_records_of_one_source() -> None:
    # Every pair linked (a clique passes untouched when nothing is declared).
    ids = ["a:1", "a:2", "b:1"]
    orgs = ["a", "a", "b"]
    scored = [
        ScoredPair("a:1", "a:2", 0.97, False),
        ScoredPair("a:1", "b:1", 0.99, False),
        ScoredPair("a:2", "b:1", 0.98, False),
    ]
    assert len(set(cluster_scored(ids, scored, ClusteringConfig(samples=0), orgs)[0].values())) == 1
    declared = ClusteringConfig(samples=50, one_record_per_person=frozenset("a"))
    labels, count = cluster_scored(ids, scored, declared, orgs)
    assert labels["a:1"] == labels["b:1"] != labels["a:2"]
    assert count.low == count.estimate == count.high == 2


def test_the_low_end_allows_the_true_pairs_the_model_expects_but_never_scored() -> None:
    # Twenty records; lambda says 0.05 of the 190 pairs are true (9.5 pairs), the scored pairs hold 2.5 of them.
    ids = [f"r{i}" for i in range(20)]
    pairs = [ScoredPair("r0", "r1", 0.99, False), ScoredPair("r2", "r3", 0.99, False)]
    pairs += [ScoredPair("r4", "r5", 0.52, False)]
    config = ClusteringConfig(threshold=0.9, samples=100)
    _, without = cluster_scored(ids, pairs, config)
    assert without.unscored_pairs == 0.0 and without.low == 17
    _, count = cluster_scored(ids, pairs, config, prior=0.05)
    assert count.unscored_pairs == pytest.approx(0.05 * 190 - 2.5)
    assert count.estimate == 18 and count.high >= 18
    assert count.low == 17 - 7  # the possible-link count, seven unscored true pairs fewer
    with pytest.raises(ValidationError):
        cluster_scored(ids, pairs, config, prior=1.5)


def test_capture_recapture_over_name_and_birth_keys_estimates_the_pairs_neither_proposed() -> None:
    # 100 persons with two records each. Name keys proposed 80 of the pairs, birth-date keys 50, both 40:
    # 90 were scored (all sure), and Chapman's estimate says about 10 were proposed by neither.
    ids = [f"p{i}-{side}" for i in range(100) for side in "ab"]
    pairs = [ScoredPair(f"p{i}-a", f"p{i}-b", 0.999, False) for i in range(90)]
    by_names = [i < 80 for i in range(90)]
    by_birth = [i >= 40 for i in range(90)]
    config = ClusteringConfig(threshold=0.9, samples=50)
    _, scored_only = cluster_scored(ids, pairs, config)
    assert scored_only.estimate == scored_only.low == 110  # the truth (100) outside the range
    _, count = cluster_scored(ids, pairs, config, captured=(by_names, by_birth))
    p = 0.999  # each pair counts as its match probability
    n1, n2, m = 80 * p, 50 * p, 40 * p
    assert count.unscored_pairs == pytest.approx((n1 + 1) * (n2 + 1) / (m + 1) - 1 - 90 * p)
    # The low end takes the upper end of the estimate's 95 % interval (Seber's variance).
    deviation = ((n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))) ** 0.5
    assert count.low == 110 - math.ceil(count.unscored_pairs + 1.959964 * deviation)
    assert count.estimate == 110 and count.low <= 100 <= count.high
    # Keys that always agree (every pair proposed by both) leave nothing unscored.
    assert cluster_scored(ids, pairs, config, captured=([True] * 90, [True] * 90))[1].low == 110


def test_the_expected_count_weighs_each_uncertain_pair_by_its_probability() -> None:
    ids = ["a", "b", "c", "d"]
    pairs = [ScoredPair("a", "b", 0.999, False), ScoredPair("c", "d", 0.6, False)]
    _, count = cluster_scored(ids, pairs, ClusteringConfig(threshold=0.9))
    # The clusters count the 0.6 pair as two persons; the expectation as 1.4.
    assert count.estimate == 3
    assert count.expected == pytest.approx(4 - 0.999 - 0.6)
    assert count.persons == 2 and count.persons_range == (2, 3)
    # Three records of one person, every pair certain: one person whatever the order.
    trio = [ScoredPair("x", "y", 1.0, False), ScoredPair("y", "z", 1.0, False), ScoredPair("x", "z", 1.0, False)]
    assert cluster_scored(["x", "y", "z"], trio)[1].expected == pytest.approx(1.0, abs=1e-9)


def test_the_expected_count_never_joins_what_the_rules_keep_apart() -> None:
    # Twins (a cannot-link) and a third record that is surely one twin: it scores high against the other
    # twin too, but cannot be both, so that pair counts no match.
    ids = ["olena", "oksana", "olena2"]
    pairs = [
        ScoredPair("olena", "oksana", 0.99, True),
        ScoredPair("olena", "olena2", 0.999, False),
        ScoredPair("oksana", "olena2", 0.98, False),
    ]
    _, count = cluster_scored(ids, pairs)
    assert count.estimate == 2
    assert count.expected == pytest.approx(2.001)
    # A declared organisation's two records are two persons; a record elsewhere joins at most one of them.
    ids = ["ngo:1", "ngo:2", "police:1"]
    pairs = [ScoredPair("ngo:1", "police:1", 0.95, False), ScoredPair("ngo:2", "police:1", 0.9, False)]
    organisations = ["ngo", "ngo", "police"]
    config = ClusteringConfig(one_record_per_person=frozenset({"ngo"}))
    _, declared = cluster_scored(ids, pairs, config, organisations)
    assert declared.estimate == 2 and declared.expected == pytest.approx(3 - 0.95)
    _, undeclared = cluster_scored(ids, pairs, ClusteringConfig(), organisations)
    assert undeclared.expected < declared.expected


def test_the_expected_sharing_counts_the_persons_organisations_share() -> None:
    # Certain pairs: the expectation is what the persons share. Ana is known to all three organisations,
    # Bo to the NGO and the police, Chen (two police records) to the police only.
    ids = ["ngo:ana", "police:ana", "hotline:ana", "ngo:bo", "police:bo", "police:chen", "police:chen2"]
    organisations = [uid.split(":")[0] for uid in ids]
    certain = [
        ScoredPair("ngo:ana", "police:ana", 1.0, False),
        ScoredPair("ngo:ana", "hotline:ana", 1.0, False),
        ScoredPair("police:ana", "hotline:ana", 1.0, False),
        ScoredPair("ngo:bo", "police:bo", 1.0, False),
        ScoredPair("police:chen", "police:chen2", 1.0, False),
        ScoredPair("ngo:bo", "hotline:ana", 0.0, False),
    ]
    _, count = cluster_scored(ids, certain, ClusteringConfig(), organisations)
    sharing = count.sharing
    assert sharing is not None
    assert sharing.overlap == pytest.approx({("hotline", "ngo"): 1, ("hotline", "police"): 1, ("ngo", "police"): 2})
    assert sharing.persons == pytest.approx({"hotline": 1, "ngo": 2, "police": 3})
    assert sharing.shared == pytest.approx({"hotline": 1, "ngo": 2, "police": 2})
    # An uncertain cross pair is shared with its probability; a pair the rules keep apart is not shared.
    uncertain = [ScoredPair("ngo:a", "police:a", 0.3, False), ScoredPair("ngo:b", "police:b", 0.9, True)]
    records = ["ngo:a", "police:a", "ngo:b", "police:b"]
    _, count = cluster_scored(records, uncertain, ClusteringConfig(), ["ngo", "police"] * 2)
    assert count.sharing is not None
    assert count.sharing.overlap == pytest.approx({("ngo", "police"): 0.3})
    assert count.sharing.shared == pytest.approx({"ngo": 0.3, "police": 0.3})
    assert count.sharing.persons == pytest.approx({"ngo": 2, "police": 2})
    # Without the organisations there is nothing to share.
    assert cluster_scored(ids, certain)[1].sharing is None


def test_the_expected_sharing_is_the_expected_counts_by_inclusion_and_exclusion() -> None:
    # Persons both A and B hold = persons among A's records + among B's - among both's; A's persons known
    # elsewhere = among A's + among the others' - among all, each counted as the expected count counts them
    # (same orders of the records), on random uncertain pairs of four organisations, some records of one
    # organisation matching each other.
    from ctdx.linkage.clustering import expected_persons, expected_sharing

    random = np.random.default_rng(7)
    n = 60
    organisations = random.integers(0, 4, n)
    left = random.integers(0, n, 400)
    right = random.integers(0, n, 400)
    keep = left != right
    left, right = left[keep], right[keep]
    probability = random.random(left.size) ** 3
    excluded = random.random(left.size) < 0.1
    sharing = expected_sharing(n, left, right, probability, excluded, organisations)

    def persons_among(held: set[int]) -> float:
        within = np.isin(organisations[left], list(held)) & np.isin(organisations[right], list(held))
        others = int((~np.isin(organisations, list(held))).sum())  # records outside count one person each
        return expected_persons(n, left, right, probability, excluded | ~within) - others

    everyone = {0, 1, 2, 3}
    for a in range(4):
        assert sharing.persons[str(a)] == pytest.approx(persons_among({a}))
        elsewhere = persons_among({a}) + persons_among(everyone - {a}) - persons_among(everyone)
        assert sharing.shared[str(a)] == pytest.approx(elsewhere) and elsewhere > 0
        for b in range(a + 1, 4):
            both = persons_among({a}) + persons_among({b}) - persons_among({a, b})
            assert sharing.overlap[str(a), str(b)] == pytest.approx(both) and both > 0
    assert sum(sharing.persons.values()) >= expected_persons(n, left, right, probability, excluded)
