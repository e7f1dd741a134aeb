"""One linkage run: records in, a person per record, the distinct-person count and the overlap out.

The hub runs it on the encodings of the contributions it holds (privacy mode); an organisation runs it on
its own cases to find duplicates (plaintext mode, ``deduplicate_cases``). Both use the same blocking
(``blocking``), Fellegi-Sunter scoring (``scoring``) and clustering (``clustering``); the records live in
an in-memory DuckDB database for the run and nothing of them is written anywhere.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import Any

from ctdx.errors import ConfigError, ValidationError
from ctdx.linkage.blocking import (
    DEFAULT_MAX_BLOCK,
    cap_keys,
    token_blocking_keys,
    training_key_columns,
    training_keys,
)
from ctdx.linkage.clustering import (
    DEFAULT_CLUSTERING_CONFIG,
    EXPECTED_METHOD,
    RANGE_METHOD,
    SHARING_METHOD,
    ClusteringConfig,
    PersonCount,
    cluster_scored,
)
from ctdx.linkage.normalise import identity_of
from ctdx.linkage.scoring import ScoredPair, ScoringConfig, plaintext_fields, score_pairs
from ctdx.model.records import CaseRecord

FieldValues = Mapping[str, bytes | None] | Mapping[str, str | None]


@dataclass(frozen=True)
class LinkageInput:
    """One record to link: its id, its organisation, its fields (encodings or raw strings) and block keys."""

    unique_id: str
    organisation: str
    fields: FieldValues
    blocking_keys: Sequence[str]


@dataclass(frozen=True)
class OrganisationSummary:
    """What one organisation contributed and how much of it other organisations also know."""

    cases: int
    persons: int
    shared_persons: int


@dataclass(frozen=True)
class LinkageResult:
    """The outcome of a run. ``persons`` maps each record id to a person id stable for its cluster.
    ``one_record_per_person`` lists the organisations whose records were kept one per person (declared).

    ``prior`` is the model's λ (the chance that two random records match); ``twins`` is the twin policy of
    the scoring and ``twins_cannot_link`` whether it kept pairs that look like twins apart in this run
    (``scoring`` module docstring). ``pairs`` (the scored candidate pairs) and ``seconds`` (time per phase)
    are for evaluation in-process: they are never stored or shown, because similarity scores fingerprint
    records. ``blocking`` says what the block cap dropped (``blocking.cap_keys``): counts only. ``salt``
    is the name salt of a hub's packages (set by ``Hub.link``); ``path`` says whether the records were linked
    as objects (``link``) or as packed arrays (``batch.link_encoded``, through ``Hub.link``).
    """

    persons: dict[str, str]
    count: PersonCount
    records: int
    candidate_pairs: int
    links: int
    trained: bool
    mode: str
    organisations: dict[str, OrganisationSummary]
    overlap: dict[tuple[str, str], int]
    twins: str
    twins_cannot_link: bool
    pairs: tuple[ScoredPair, ...] = ()
    seconds: dict[str, float] = field(default_factory=dict)
    prior: float | None = None
    one_record_per_person: tuple[str, ...] = ()
    blocking: dict[str, int | str] = field(default_factory=dict)
    salt: str | None = None
    path: str = "objects"
    # Why the model kept its starting values, when it did (``scoring.TrainedLinker.default_because``).
    default_because: str | None = None

    def organisation_rows(self) -> dict[str, dict[str, Any]]:
        """Per organisation its cases, persons and persons also known elsewhere by the person ids and, from a
        trained model, the expected ones (``clustering.expected_sharing``), which count the persons whose
        records score below the threshold too."""
        sharing = self.count.sharing
        rows = {}
        for org, summary in sorted(self.organisations.items()):
            row: dict[str, Any] = dict(vars(summary))
            if sharing is not None and org in sharing.persons:
                row["expected_persons"] = round(sharing.persons[org], 1)
                row["expected_shared_persons"] = round(sharing.shared[org], 1)
            rows[org] = row
        return rows

    def overlap_rows(self) -> list[dict[str, Any]]:
        """Per pair of organisations that share someone, the persons both hold by the person ids and, from a
        trained model, the expected number (``clustering.expected_sharing``)."""
        expected = {} if self.count.sharing is None else self.count.sharing.overlap
        rows = []
        for pair in sorted(set(self.overlap) | {k for k, e in expected.items() if e >= 0.05}):
            row: dict[str, Any] = {"organisations": list(pair), "persons": self.overlap.get(pair, 0)}
            if pair in expected:
                row["expected_persons"] = round(expected[pair], 1)
            rows.append(row)
        return rows

    def summary(self) -> dict[str, Any]:
        """The result without per-record rows: what a report or the CLI shows."""
        return {
            "mode": self.mode,
            "records": self.records,
            "distinct_persons": self.count.persons,
            "distinct_persons_method": EXPECTED_METHOD if self.count.expected is not None else "person ids",
            "distinct_persons_range": list(self.count.persons_range),
            "distinct_persons_range_method": RANGE_METHOD,
            "person_ids": self.count.estimate,
            "expected_unscored_true_pairs": round(self.count.unscored_pairs, 1),
            "one_record_per_person": list(self.one_record_per_person),
            "candidate_pairs": self.candidate_pairs,
            "links": self.links,
            "model": "trained" if self.trained else "default",
            **({} if self.default_because is None else {"model_default_because": self.default_because}),
            "path": self.path,
            "twins": {"policy": self.twins, "cannot_link": self.twins_cannot_link},
            "organisations": self.organisation_rows(),
            "overlap": self.overlap_rows(),
            **({} if self.count.sharing is None else {"sharing_method": SHARING_METHOD}),
            "blocking": dict(self.blocking),
            **({} if self.salt is None else {"salt": self.salt}),
        }


def link(
    inputs: Sequence[LinkageInput],
    scoring: ScoringConfig,
    clustering: ClusteringConfig = DEFAULT_CLUSTERING_CONFIG,
    max_block: int = DEFAULT_MAX_BLOCK,
) -> LinkageResult:
    """Block, score and cluster ``inputs``; in privacy mode their fields are encodings, else raw strings.
    A blocking key held by more than ``max_block`` records is dropped (counted in the result)."""
    try:
        import duckdb
        import pyarrow as pa  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ConfigError("linkage needs the linkage extra: pip install 'ctdx[linkage]'") from exc

    ids = [r.unique_id for r in inputs]
    if len(set(ids)) != len(ids):
        raise ValidationError("record ids must be unique within one linkage run", field="unique_id")
    privacy = scoring.mode == "privacy"
    columns: dict[str, Any] = {"unique_id": pa.array(ids, pa.string())}
    field_names = list(dict.fromkeys(name for r in inputs for name in r.fields))
    for name in field_names:
        values = [r.fields.get(name) for r in inputs]
        columns[name] = pa.array(values, pa.binary() if privacy else pa.string())
    capped = cap_keys([r.blocking_keys for r in inputs], max_block)
    columns["blocking_keys"] = pa.array(capped.keys, pa.list_(pa.string()))
    training = [training_keys(r.blocking_keys) for r in inputs]
    for column in training_key_columns():
        columns[column] = pa.array([t[column] for t in training], pa.string())
    raw = pa.table(columns)
    connection = duckdb.connect(":memory:")
    try:
        connection.register("ctdx_raw", raw)
        casts = ", ".join(f"{n}::BIT AS {n}" if privacy else n for n in field_names)
        extra = ", ".join(("blocking_keys", *training_key_columns()))
        connection.execute(f"CREATE TABLE ctdx_records AS SELECT unique_id, {casts}, {extra} FROM ctdx_raw")
        connection.unregister("ctdx_raw")
        started = time.perf_counter()
        scored = score_pairs(connection, "ctdx_records", len(inputs), scoring)
    finally:
        connection.close()
    scored_at = time.perf_counter()
    organisations_of = [r.organisation for r in inputs]
    captured = captured_by(inputs, scored.pairs, capped.keys)
    clusters, count = cluster_scored(ids, scored.pairs, clustering, organisations_of, scored.prior, captured)
    if not scored.trained:
        # The default model's probabilities are judgement, not fitted to the hub's data: count person ids.
        count = replace(count, expected=None, sharing=None)
    seconds = {"score": scored_at - started, "cluster": time.perf_counter() - scored_at}
    persons = person_ids(clusters)
    organisations, overlap = organisation_overlap({r.unique_id: r.organisation for r in inputs}, persons)
    return LinkageResult(
        persons=persons,
        count=count,
        records=len(inputs),
        candidate_pairs=len(scored.pairs),
        links=sum(p.probability >= clustering.threshold and not p.siblings for p in scored.pairs),
        trained=scored.trained,
        mode=scoring.mode,
        organisations=organisations,
        overlap=overlap,
        twins=scoring.twins,
        twins_cannot_link=scored.twins_cannot_link,
        pairs=scored.pairs,
        seconds=seconds,
        prior=scored.prior,
        one_record_per_person=tuple(sorted(clustering.one_record_per_person & set(organisations_of))),
        blocking=dict(capped.summary()),
        default_because=scored.default_because,
    )


BIRTH_KEY_PREFIXES = ("birth", "b:")  # ``blocking``: privacy-mode birth bands, plaintext birth-date keys
ADDRESS_KEY_PREFIXES = ("postcode", "street")  # privacy-mode address bands: neither occasion


def captured_by(
    inputs: Sequence[LinkageInput], pairs: Sequence[ScoredPair], keys: Sequence[Sequence[str]] | None = None
) -> tuple[list[bool], list[bool]]:
    """Per scored pair, whether its records share a name key (names, skeletons, given and family name) and
    whether they share a birth-date key: the two capture occasions of ``clustering.unscored_true_pairs``.
    ``keys`` are the key lists blocking used (after ``blocking.cap_keys``), by default the inputs' own."""
    names: dict[str, set[str]] = {}
    births: dict[str, set[str]] = {}
    for record, record_keys in zip(inputs, keys or [r.blocking_keys for r in inputs], strict=True):
        held = {k for k in record_keys if not k.startswith(ADDRESS_KEY_PREFIXES)}
        births[record.unique_id] = {k for k in held if k.startswith(BIRTH_KEY_PREFIXES)}
        names[record.unique_id] = held - births[record.unique_id]
    by_names = [not names[p.left].isdisjoint(names[p.right]) for p in pairs]
    by_birth = [not births[p.left].isdisjoint(births[p.right]) for p in pairs]
    return by_names, by_birth


def person_ids(clusters: Mapping[str, int]) -> dict[str, str]:
    """A person id per record: a digest of the cluster's smallest record id, so it is stable across runs
    while that record stays in the cluster."""
    first: dict[int, str] = {}
    for uid, number in clusters.items():
        if number not in first or uid < first[number]:
            first[number] = uid
    names = {n: "P-" + hashlib.sha256(uid.encode()).hexdigest()[:16] for n, uid in first.items()}
    return {uid: names[number] for uid, number in clusters.items()}


def organisation_overlap(
    organisation_of: Mapping[str, str], persons: Mapping[str, str]
) -> tuple[dict[str, OrganisationSummary], dict[tuple[str, str], int]]:
    """Per organisation its cases, persons and persons also known elsewhere; per pair of organisations the
    persons both know. ``organisation_of`` maps each record id to its organisation."""
    organisations_of: dict[str, set[str]] = defaultdict(set)
    cases = Counter(organisation_of.values())
    for uid, organisation in organisation_of.items():
        organisations_of[persons[uid]].add(organisation)
    overlap: Counter[tuple[str, str]] = Counter()
    persons_of: Counter[str] = Counter()
    shared_of: Counter[str] = Counter()
    for orgs in organisations_of.values():
        for org in orgs:
            persons_of[org] += 1
            shared_of[org] += len(orgs) > 1
        for pair in combinations(sorted(orgs), 2):
            overlap[pair] += 1
    summaries = {org: OrganisationSummary(cases[org], persons_of[org], shared_of[org]) for org in cases}
    return summaries, dict(overlap)


def deduplicate_cases(
    cases: Sequence[CaseRecord],
    clustering: ClusteringConfig = DEFAULT_CLUSTERING_CONFIG,
    scoring: ScoringConfig | None = None,
) -> LinkageResult:
    """Plaintext deduplication of one organisation's cases, with the hub's scoring on the raw tokens.

    Record ids are ``system:record_id`` of each case's source. A case whose identifying fields cannot be
    read raises ``ValidationError`` naming the case and the field, never the value.
    """
    inputs = []
    for case in cases:
        uid = f"{case.source.system}:{case.source.record_id}"
        try:
            identity = identity_of(case.values)
        except ValidationError as exc:
            raise ValidationError(exc.message, case=uid, **exc.context) from None
        inputs.append(LinkageInput(uid, case.source.system, plaintext_fields(identity), token_blocking_keys(identity)))
    return link(inputs, scoring or ScoringConfig(mode="plaintext"), clustering)
