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
  cluster that would hold two of its records on indirect evidence alone is refused;
- no person holds two records of an organisation that declared one record per person
  (``one_record_per_person``, from its signed package). Merging strongest first, each of its records keeps
  its best partner in every other source: the greedy one-to-one assignment of anonlink's ``greedy_solve``,
  here one constraint among the others, so undeclared sources keep their duplicates. It lets the threshold
  go low without merging people: a record's second-best match can no longer join it.

A merge needs a mean strength of ``min_density``, but never more than the threshold itself
(``ClusteringConfig.density``): a link always joins two single records.

**Speed.** The rules can only split a connected component, never join two, and a component whose records
are all pairwise linked (a clique) with no cannot-link and no weak same-organisation pair passes them
unchanged. So components are found first, vectorised (numpy union-find by pointer jumping), cliques are
accepted as they are, and only the remaining components go through the greedy merge in Python. At scale
almost every component is a pair or a clique of a few records.

The number of distinct persons a trained model reports is not the number of clusters (the person ids)
but the **expected number of persons** (``expected_persons``, ``EXPECTED_METHOD``): clusters keep every
pair below the threshold as two persons, which over-counts wherever true pairs score between the
thresholds (a duplicate without its birth date, a namesake with one), while the expectation weighs each
pair by its probability. An untrained model (a small hub) keeps the cluster count: its probabilities are
judgement, not fitted to the hub's data.

The same holds for the **overlap between organisations**: the persons both hold, counted on the person
ids, leave out every shared person whose two records score below the threshold (the demo's cohort: 15
shared persons where the truth is 77). ``expected_sharing`` weighs each pair by its probability instead
(``SHARING_METHOD``), per pair of organisations and per organisation (its persons, and those also known
elsewhere), and a trained model reports it beside the person ids' figures.

The count gets a range (``RANGE_METHOD``) from these sources of doubt:

- **link uncertainty** (parametric bootstrap): each scored pair is kept with its match probability, the
  sample is clustered the same way, and the central 95 % of the counts is taken. It only resamples the
  links the model is fairly sure of, so on its own it cannot cover the pairs the model missed: with names
  and birth dates often missing (``ctdx sample``: recall 0.12 at precision 1.0), the truth fell far below it;
- **possible links** (the low end): every pair scored at least ``possible_link`` (default 0.1) and below
  the threshold is taken as a link too, clustered under the same rules (a possible link weighs 1 in the
  density; cannot-links and the same-organisation rule hold). The high end is the larger of the estimate
  (confident links only) and the bootstrap's 97.5 % quantile: with precision near 1, fewer merges than the
  confident links is unlikely;
- **true pairs never scored** (``unscored_true_pairs``): how many true pairs there are is estimated twice,
  and the larger estimate taken: the model's λ (the chance that two random records match,
  ``Scoring.prior``) times all n(n-1)/2 pairs, and a capture-recapture over the two kinds of blocking key
  (a pair proposed by name keys, by birth-date keys, or by both: Chapman's estimator, with the upper end of
  its 95 % interval). Less the sum of the match probabilities of the scored pairs (the true pairs the
  model found among them), the rest are true pairs that blocking never proposed, that scored below the
  scoring's floor, or that the twin rule set apart. Each joins two records, so it lowers the count by at
  most one.

The low end is the smaller of the possible-link count and the bootstrap's 2.5 % quantile, less the upper
end of the unscored true pairs (rounded up), and never below the largest declared organisation's records
(they are all different persons). It is only as good as those estimates: λ comes from a training rule
whose recall is assumed (too low a λ adds nothing), and the capture-recapture assumes that name keys and
birth keys miss a true pair independently; a true pair whose names and birth date are both corrupted is
rarer under that assumption than in data where corruption comes in bursts (the figures in
``bench/linkage/README.md`` say where the truth still falls outside). Records outside every candidate pair
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
from ctdx.linkage.merging import FloatArray, Graph, IntArray, cluster_graph
from ctdx.linkage.scoring import ScoredPair


@dataclass(frozen=True)
class ClusteringConfig:
    """Where a pair counts as a link, how dense a merge must be, and how the count's range is drawn.

    ``same_organisation_min``: when set, two records of one organisation join one person only if their own
    pair scores at least this; ``None`` leaves same-organisation duplicates to the other rules.
    ``one_record_per_person``: the organisations that declared their records free of duplicates (signed
    package metadata): a person holds at most one record of each of them.
    """

    threshold: float = 0.9
    min_density: float = 0.5
    possible_link: float = 0.1
    samples: int = 200
    seed: int = 0
    same_organisation_min: float | None = None
    one_record_per_person: frozenset[str] = frozenset()

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
        if isinstance(self.one_record_per_person, str) or not all(
            isinstance(org, str) for org in self.one_record_per_person
        ):
            raise ValidationError("one_record_per_person is a set of organisation ids", field="one_record_per_person")

    @property
    def density(self) -> float:
        """The density a merge needs: ``min_density``, but never above the threshold, so that a link always
        joins two single records (below 0.5 the threshold would otherwise change nothing)."""
        return min(self.min_density, self.threshold)

    @property
    def needs_organisations(self) -> bool:
        """Whether clustering needs the organisation of every record."""
        return self.same_organisation_min is not None or bool(self.one_record_per_person)


DEFAULT_CLUSTERING_CONFIG = ClusteringConfig()


def cluster(
    ids: Sequence[str],
    links: Iterable[tuple[str, str, float]],
    cannot_link: Iterable[tuple[str, str]] = (),
    min_density: float = DEFAULT_CLUSTERING_CONFIG.min_density,
    organisations: Sequence[str] | None = None,
    same_organisation_min: float | None = None,
    evidence: Iterable[tuple[str, str, float]] = (),
    one_record_per_person: Iterable[str] = (),
) -> dict[str, int]:
    """A cluster number per id, from links (id, id, strength) merged strongest first under the rules above.

    Every link given counts as an edge: pass the pairs above the threshold as ``links`` and, if wanted, the
    scored pairs below it as ``evidence`` (they weigh in the density, never join anything).
    ``organisations`` (one per id, same order) is needed with ``same_organisation_min`` and with
    ``one_record_per_person`` (the organisations declared free of duplicates).
    """
    index = {uid: i for i, uid in enumerate(ids)}
    link_list, evidence_list = list(links), list(evidence)
    graph = _graph(index, link_list + evidence_list, len(link_list))
    cannot = _pairs(index, list(cannot_link))
    declared = frozenset(one_record_per_person)
    if declared and organisations is None:
        raise ValidationError("one record per person needs the organisation of every record", field="organisations")
    org_numbers = _numbered(organisations)[1] if organisations is not None else None
    exclusive = _exclusive(organisations, declared) if organisations is not None else None
    labels = cluster_graph(graph, cannot, min_density, org_numbers, same_organisation_min, exclusive)
    return dict(zip(ids, labels.tolist(), strict=True))


def _exclusive(organisations: Sequence[str] | IntArray, declared: frozenset[str]) -> npt.NDArray[np.bool_] | None:
    """Per record, whether its organisation declared one record per person (None when none did)."""
    if not declared:
        return None
    return np.isin(np.asarray(organisations, dtype=object).astype(str), sorted(declared))


def _graph(index: dict[str, int], pairs: list[tuple[str, str, float]], links: int) -> Graph:
    left = np.fromiter((index[a] for a, _, _ in pairs), dtype=np.int64, count=len(pairs))
    right = np.fromiter((index[b] for _, b, _ in pairs), dtype=np.int64, count=len(pairs))
    strength = np.fromiter((s for _, _, s in pairs), dtype=np.float64, count=len(pairs))
    return Graph.of(len(index), left, right, strength, np.arange(len(pairs)) < links)


def _pairs(index: dict[str, int], pairs: list[tuple[str, str]]) -> tuple[IntArray, IntArray]:
    left = np.fromiter((index[a] for a, _ in pairs), dtype=np.int64, count=len(pairs))
    right = np.fromiter((index[b] for _, b in pairs), dtype=np.int64, count=len(pairs))
    return left, right


def _numbered(values: Sequence[str] | IntArray) -> tuple[list[str], IntArray]:
    """The distinct organisations (sorted, as text) and each record's number among them."""
    names, inverse = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    return [str(name) for name in names], inverse.astype(np.int64)


RANGE_METHOD = (
    "low: the fewer of the count with every pair scored at or above the possible-link probability taken as a "
    "link and the 2.5 % quantile of a bootstrap over link probabilities, less the true pairs never scored, "
    "each at most one person fewer (the larger of lambda x all pairs and a capture-recapture over name and "
    "birth-date keys, upper end of its 95 % interval, less the sum of scored match probabilities); high: the "
    "more of the count with confident links only (the person ids) and the 97.5 % quantile; both widened to "
    "hold the expected count. It is the spread of the linking under the model: the model's own error (a "
    "probability that is off for a kind of pair) is not in it"
)


EXPECTED_METHOD = (
    "the expected number of persons from the match probabilities: per record, the chance that it matches "
    "none of the records before it, summed, averaged over four orders of the records; a pair the rules keep "
    "apart (twins, two records of an organisation that declared one record per person, a record and the "
    "cluster of a twin of its own) counts as no match"
)
EXPECTED_ORDERS = 4
SHARING_METHOD = (
    "expected from the match probabilities, as the count is: the persons two organisations both hold are the "
    "expected persons among each one's records less those among both's records together; the persons an "
    "organisation shares with the others are its own expected persons plus the others' less those of all the "
    "records; pairs never scored count as no match, so both lean low"
)


@dataclass(frozen=True)
class PersonCount:
    """The number of distinct persons with its range (``RANGE_METHOD``, module docstring): the low end
    takes possible links and the unscored true pairs too (the upper end of their interval), the high end
    only confident links, both widened by the resampling. ``estimate`` is the number of clusters (person
    ids: confident links only); ``expected`` the expected number of persons (``expected_persons``), the
    better count when many true pairs score between the thresholds. ``unscored_pairs`` is the expected
    number of unscored true pairs (0 without λ and capture flags)."""

    estimate: int
    low: int
    high: int
    unscored_pairs: float = 0.0
    expected: float | None = None
    # What the organisations share, expected (``expected_sharing``): with ``expected``, and absent without
    # the records' organisations.
    sharing: ExpectedSharing | None = None

    @property
    def persons(self) -> int:
        """The count to report: the expected number of persons when there is one, else the clusters."""
        return self.estimate if self.expected is None else round(self.expected)

    @property
    def persons_range(self) -> tuple[int, int]:
        """The range, widened to hold ``persons`` (the expected count can fall outside the cluster counts)."""
        return min(self.low, self.persons), max(self.high, self.persons)


def expected_persons(
    n: int,
    left: IntArray,
    right: IntArray,
    probability: FloatArray,
    excluded: npt.NDArray[np.bool_],
    orders: int = EXPECTED_ORDERS,
) -> float:
    """The expected number of distinct persons among ``n`` records from the match probabilities of the scored
    pairs that are not ``excluded`` (``EXPECTED_METHOD``).

    A person is counted at its first record: record i starts a person unless it matches an earlier record,
    which it does not with probability prod(1 - p_ij) over the earlier j, if the pairs' matches are
    independent. The sum over records is the expected count; its order matters a little (for a person of
    three records whose pairs are uncertain), so it is averaged over the given order and seeded random ones.

    Where thresholded clusters count every pair below the threshold as two persons, this weighs each pair by
    its probability. It is as good as the probabilities' calibration and as the pairs the scoring keeps: on
    ``ctdx sample``'s 10,000 cases (names or birth dates missing in most duplicates) +4.5 % to +9.6 % off the
    truth with pairs kept from p >= 0.01 (the hub's default), -2.5 % to -3.0 % from 0.001 (the tail is
    over-confident), where the clusters are +20.8 % off; on FEBRL, whose true pairs the model scores low
    rather than uncertain, it gains less (``bench/linkage/README.md``). Pairs never scored count as no
    match, as in the clusters."""
    total = 0.0
    for later, _earlier, logs in _in_orders(n, left, right, probability, excluded, orders):
        total += float(np.exp(np.bincount(later, weights=logs, minlength=n)).sum())
    return total / orders


def _in_orders(
    n: int,
    left: IntArray,
    right: IntArray,
    probability: FloatArray,
    excluded: npt.NDArray[np.bool_],
    orders: int,
) -> Iterable[tuple[IntArray, IntArray, FloatArray]]:
    """Per order of the records (the given one, then seeded random ones, the same for every caller): each
    pair that is not ``excluded`` as its later and its earlier record, and log(1 - p)."""
    keep = ~excluded
    a, b = left[keep], right[keep]
    logs = np.log1p(-np.minimum(probability[keep], 1.0 - 1e-12))
    rng = np.random.default_rng(0)
    for k in range(orders):
        rank = np.arange(n) if k == 0 else rng.permutation(n)
        first_later = rank[a] > rank[b]
        yield np.where(first_later, a, b), np.where(first_later, b, a), logs


@dataclass(frozen=True)
class ExpectedSharing:
    """What the organisations share, expected from the match probabilities (``expected_sharing``): per
    organisation its persons and those also known elsewhere, per pair of organisations (sorted names) the
    persons both hold."""

    persons: dict[str, float]
    shared: dict[str, float]
    overlap: dict[tuple[str, str], float]


def expected_sharing(
    n: int,
    left: IntArray,
    right: IntArray,
    probability: FloatArray,
    excluded: npt.NDArray[np.bool_],
    organisations: IntArray,
    names: Sequence[str] | None = None,
    orders: int = EXPECTED_ORDERS,
) -> ExpectedSharing:
    """The persons each organisation holds, those also known elsewhere, and those each pair of organisations
    both hold, each counted as ``expected_persons`` counts persons, in the same orders (``SHARING_METHOD``).
    ``organisations`` numbers each record's organisation ``0..k-1``; ``names`` names them (by default their
    numbers).

    By inclusion and exclusion: persons both A and B hold = persons among A's records + among B's - among
    A's and B's together; A's persons known elsewhere = persons among A's + among the others' - among all.
    Per order each difference is a sum over records: record i of A adds the chance that it starts a person
    among A's records (it matches no earlier record of A) times the chance that it matches an earlier
    record of B (of any other organisation), and a record of B adds the same with A and B exchanged (for
    "elsewhere": the chance that it starts a person among the records outside A, times the chance that it
    matches an earlier record of A). So nothing is ever negative, and it takes one pass over the pairs per
    order, whatever the number of organisations."""
    org = organisations.astype(np.int64)
    k = len(names) if names is not None else (int(org.max()) + 1 if org.size else 0)
    labels = list(names) if names is not None else [str(a) for a in range(k)]
    persons = np.zeros(k)
    shared = np.zeros(k)
    overlap = np.zeros((k, k))
    for later, earlier, logs in _in_orders(n, left, right, probability, excluded, orders):
        same = org[later] == org[earlier]
        cross = ~same
        own = np.bincount(later[same], weights=logs[same], minlength=n)
        elsewhere = np.bincount(later[cross], weights=logs[cross], minlength=n)
        persons += np.bincount(org, weights=np.exp(own), minlength=k)
        shared += np.bincount(org, weights=np.exp(own) * -np.expm1(elsewhere), minlength=k)
        # Per (record, organisation of an earlier partner): the log of the chance of matching none of them.
        codes, inverse = np.unique(later[cross] * k + org[earlier[cross]], return_inverse=True)
        none = np.bincount(inverse, weights=logs[cross], minlength=codes.size)
        record, other = codes // k, codes % k
        np.add.at(overlap, (org[record], other), np.exp(own[record]) * -np.expm1(none))
        # Record i outside A with earlier partners in A: it starts a person among the records outside A (no
        # earlier match there) and matches one of A's.
        outside = np.exp(own[record] + elsewhere[record] - none) * -np.expm1(none)
        shared += np.bincount(other, weights=outside, minlength=k)
    persons, shared, overlap = persons / orders, shared / orders, overlap / orders
    overlap += overlap.T
    return ExpectedSharing(
        persons={labels[a]: float(persons[a]) for a in range(k)},
        shared={labels[a]: float(shared[a]) for a in range(k)},
        overlap={(labels[a], labels[b]): float(overlap[a, b]) for a in range(k) for b in range(a + 1, k)},
    )


def count_range(
    graph: Graph,
    cannot: tuple[IntArray, IntArray] | None,
    config: ClusteringConfig,
    organisations: IntArray | None = None,
    exclusive: npt.NDArray[np.bool_] | None = None,
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
    sub_exclusive = exclusive[touched] if exclusive is not None else None
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
        labels = cluster_graph(
            sample, sub_cannot, config.density, sub_orgs, config.same_organisation_min, sub_exclusive
        )
        counts[i] = fixed + (int(labels.max()) + 1 if labels.size else 0)
    low, high = np.percentile(counts, [2.5, 97.5])
    return int(np.floor(low)), int(np.ceil(high))


def cluster_scored(
    ids: Sequence[str],
    pairs: Sequence[ScoredPair],
    config: ClusteringConfig = DEFAULT_CLUSTERING_CONFIG,
    organisations: Sequence[str] | None = None,
    prior: float | None = None,
    captured: tuple[Sequence[bool], Sequence[bool]] | None = None,
) -> tuple[dict[str, int], PersonCount]:
    """Clusters of the scored pairs at ``config.threshold`` and the person count with its range.

    ``organisations`` (one per id, same order) is needed when ``config.same_organisation_min`` or
    ``config.one_record_per_person`` is set. ``prior`` (the model's λ, ``Scoring.prior``) and ``captured``
    (per pair, whether a name key and whether a birth-date key proposed it) widen the low end by the true
    pairs never scored (``unscored_true_pairs``).
    """
    if len(set(ids)) != len(ids):
        raise ValidationError("record ids must be unique", field="unique_id")
    index = {uid: i for i, uid in enumerate(ids)}
    count = len(pairs)
    left = np.fromiter((index[p.left] for p in pairs), dtype=np.int64, count=count)
    right = np.fromiter((index[p.right] for p in pairs), dtype=np.int64, count=count)
    probability = np.fromiter((p.probability for p in pairs), dtype=np.float64, count=count)
    siblings = np.fromiter((p.siblings for p in pairs), dtype=bool, count=count)
    flags = None
    if captured is not None:
        flags = (np.asarray(captured[0], dtype=bool), np.asarray(captured[1], dtype=bool))
    labels, person_count = cluster_arrays(
        len(ids), left, right, probability, siblings, config, organisations, prior, flags
    )
    return dict(zip(ids, labels.tolist(), strict=True)), person_count


Z_975 = 1.959964  # the standard normal's 97.5 % quantile: the upper end of a two-sided 95 % interval


def unscored_true_pairs(
    n: int,
    probability: FloatArray,
    siblings: npt.NDArray[np.bool_],
    prior: float | None,
    captured: tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]] | None = None,
) -> tuple[float, float]:
    """The true pairs expected among all ``n (n - 1) / 2`` pairs less those the clustering can take (the sum
    of the match probabilities of the scored pairs that are not siblings), the module docstring's "true
    pairs never scored": the expectation and the upper end of its 95 % interval. The expected total is the
    larger of two estimates, each left out when its input is missing:

    - λ (``prior``) times all pairs (no interval: λ's own error is unknown here);
    - a capture-recapture estimate from ``captured``, per scored pair whether the two records share a name
      key and whether they share a birth-date key. With n1 and n2 the true pairs each kind of key proposed
      (sums of match probabilities) and m those both did, Chapman's estimator (n1 + 1)(n2 + 1) / (m + 1) - 1
      counts the true pairs, those neither proposed included, and Seber's variance
      (n1 + 1)(n2 + 1)(n1 - m)(n2 - m) / ((m + 1)^2 (m + 2)) gives its interval (Seber, The Estimation of
      Animal Abundance, 1982, 3.1.1). It assumes that whether a true pair's names agree enough says nothing
      of whether its birth dates do.
    """
    expected = high = 0.0
    if prior is not None:
        if not 0.0 <= prior <= 1.0:
            raise ValidationError("the prior (lambda) must be a probability", field="prior")
        expected = high = prior * n * (n - 1) / 2
    if captured is not None:
        by_names, by_birth = captured
        if by_names.shape != probability.shape or by_birth.shape != probability.shape:
            raise ValidationError("one capture flag per scored pair", field="captured")
        n1 = float(probability[by_names].sum())
        n2 = float(probability[by_birth].sum())
        m = float(probability[by_names & by_birth].sum())
        chapman = (n1 + 1) * (n2 + 1) / (m + 1) - 1
        variance = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
        expected, high = max(expected, chapman), max(high, chapman + Z_975 * variance**0.5)
    taken = float(probability[~siblings].sum())
    return max(0.0, expected - taken), max(0.0, high - taken)


def cluster_arrays(
    n: int,
    left: IntArray,
    right: IntArray,
    probability: FloatArray,
    siblings: npt.NDArray[np.bool_],
    config: ClusteringConfig = DEFAULT_CLUSTERING_CONFIG,
    organisations: Sequence[str] | IntArray | None = None,
    prior: float | None = None,
    captured: tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]] | None = None,
) -> tuple[IntArray, PersonCount]:
    """``cluster_scored`` on arrays: scored pairs as record indexes ``0..n-1``, their probabilities and
    sibling flags. Returns a cluster number per record and the count with its range; ``prior`` and
    ``captured`` as ``unscored_true_pairs`` takes them."""
    if config.needs_organisations and (organisations is None or len(organisations) != n):
        raise ValidationError(
            "same_organisation_min and one_record_per_person need the organisation of every record",
            field="organisations",
        )
    org_numbers: IntArray | None = None
    org_names: list[str] = []
    exclusive: npt.NDArray[np.bool_] | None = None
    if organisations is not None:
        org_names, org_numbers = _numbered(organisations)
        exclusive = _exclusive(organisations, config.one_record_per_person)
    cannot = (left[siblings], right[siblings])
    pairs = ~siblings
    graph = Graph.of(n, left[pairs], right[pairs], probability[pairs], probability[pairs] >= config.threshold)
    rules = (config.density, org_numbers, config.same_organisation_min, exclusive)
    labels = cluster_graph(graph, cannot, *rules)
    estimate = int(labels.max()) + 1 if n else 0
    possible = possible_count(graph, cannot, config, org_numbers, exclusive)
    low, high = possible, estimate
    if config.samples:
        sampled_low, sampled_high = count_range(graph, cannot, config, org_numbers, exclusive)
        low, high = min(low, sampled_low), max(high, sampled_high)
    unscored, unscored_high = unscored_true_pairs(n, probability, siblings, prior, captured)
    # Each unscored true pair joins two records: at most one person fewer. A declared organisation's records
    # are all different persons, which bounds the count from below.
    floor = min(n, 1)
    if exclusive is not None and org_numbers is not None and exclusive.any():
        floor = max(floor, int(np.bincount(org_numbers[exclusive]).max()))
    low = max(floor, min(low, estimate) - int(np.ceil(unscored_high)))
    apart = _apart(labels, left, right, siblings, org_numbers, exclusive)
    expected = expected_persons(n, left, right, probability, apart)
    sharing = None
    if org_numbers is not None:
        sharing = expected_sharing(n, left, right, probability, apart, org_numbers, org_names)
    return labels, PersonCount(estimate, min(low, estimate), high, unscored, expected, sharing)


def _apart(
    labels: IntArray,
    left: IntArray,
    right: IntArray,
    siblings: npt.NDArray[np.bool_],
    organisations: IntArray | None,
    exclusive: npt.NDArray[np.bool_] | None,
) -> npt.NDArray[np.bool_]:
    """Per scored pair, whether the rules keep its records apart: a cannot-link itself, or a pair between two
    clusters that a cannot-link or a declared organisation's records already hold apart (one twin's other
    record scores high against the other twin, but cannot be both)."""
    if not left.size:
        return siblings.copy()
    width = np.int64(int(labels.max()) + 1)
    a, b = labels[left], labels[right]
    low, high = np.minimum(a, b), np.maximum(a, b)
    code = low * width + high
    apart: npt.NDArray[np.bool_] = np.isin(code, code[siblings])
    if exclusive is not None and organisations is not None and exclusive.any():
        # Two clusters that each hold a record of one declared organisation never merge: per cluster, a bit
        # per declared organisation (64 at a time).
        rows = np.flatnonzero(exclusive)
        declared = np.unique(organisations[rows], return_inverse=True)[1]
        for first in range(0, int(declared.max()) + 1, 64):
            part = (declared >= first) & (declared < first + 64)
            bits = np.zeros(int(width), dtype=np.uint64)
            flags = np.left_shift(np.uint64(1), (declared[part] - first).astype(np.uint64))
            np.bitwise_or.at(bits, labels[rows[part]], flags)
            apart |= (bits[a] & bits[b]) != 0
    apart &= a != b
    apart |= siblings
    return apart


def possible_count(
    graph: Graph,
    cannot: tuple[IntArray, IntArray] | None,
    config: ClusteringConfig,
    organisations: IntArray | None = None,
    exclusive: npt.NDArray[np.bool_] | None = None,
) -> int:
    """The person count when every pair of ``graph`` scored at least ``config.possible_link`` is a link of
    strength 1 (the low end of the range: the missed-but-possible links all taken), under the same rules."""
    keep = graph.strength >= config.possible_link
    ones = np.ones(int(keep.sum()), dtype=np.float64)
    # Merge order as in the real run (strongest first); every kept pair weighs 1 in the density.
    rank = 1.0 - (1.0 - graph.strength[keep]) * 1e-6
    possible = Graph(graph.n, graph.left[keep], graph.right[keep], np.minimum(rank, ones), ones.astype(bool))
    labels = cluster_graph(possible, cannot, config.density, organisations, config.same_organisation_min, exclusive)
    return int(labels.max()) + 1 if graph.n else 0
