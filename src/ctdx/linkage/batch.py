"""Linking encodings held as arrays: the hub's path from ten thousand records to millions.

``linking.link`` takes one ``LinkageInput`` object per record with string blocking keys, which is fine
for a small hub. At scale every per-record Python object and string key costs memory and
time, so here the encodings stay packed numpy arrays (``EncodedRecords``, as ``Encoder.encode_many``
returns them), candidate pairs come from ``blocking.candidate_pairs`` as index arrays, and clustering
works on arrays (``clustering.cluster_arrays``).

Scoring (``scorer="chunked"``, the default on DuckDB) trains the model as ``scoring.score_pairs`` does
(``scoring.train_linker``: same levels, λ rule, u sampling, EM passes), on all records up to
``train_sample`` and on a random sample of that many records above it, and then computes the match weights
itself: the model is linear in its levels, so a pair's weight is the prior's log2 odds plus, per comparison,
the log2 Bayes factor of the first level whose SQL condition holds (``scoring.ComparisonLevels``). numpy
computes the similarities those conditions compare (popcounts of the gathered encodings) and DuckDB
evaluates the conditions on them (``levels``), in chunks of pairs, and the results stay arrays (record
indexes, probabilities, sibling flags): no exploded key row per pair, no retained encodings in a prediction
table, no Python object per pair. At 1,000,000 records Splink's own prediction over 11.9 M pairs reached
21.7 GiB (bench/linkage/README.md, "Scale"); this is why we write the evaluation ourselves. λ and u are
refined over the scored pairs as ``score_pairs`` refines them (``scoring.refined_model``).

``scorer="splink"`` keeps the former path: the candidate pairs reach Splink through its exploded-key
blocking (each pair gets its own key, listed in the key lists of its two records) and
``scoring.score_pairs`` predicts; for comparison and small cohorts.

``backend`` selects where Splink runs: ``"duckdb"`` (default, in-process) or ``"spark"`` (``ctdx.linkage.
spark``: Splink's Spark backend, for hubs that outgrow one machine; tested in local mode).
"""

from __future__ import annotations

import resource
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ctdx.errors import ConfigError, ValidationError
from ctdx.linkage.blocking import DEFAULT_LSH_CONFIG, TRAINING_BANDS, training_key_columns
from ctdx.linkage.clustering import DEFAULT_CLUSTERING_CONFIG, ClusteringConfig, PersonCount, cluster_arrays
from ctdx.linkage.levels import Conditions, filter_bits, pair_similarity
from ctdx.linkage.scoring import (
    ComparisonLevels,
    ScoredPair,
    ScoringConfig,
    TrainedLinker,
    comparison_levels,
    factors_of,
    prediction_floor,
    probabilities,
    refined_model,
    score_pairs,
    siblings_sql,
    train_linker,
    twins_cannot_link,
)

Backend = Literal["duckdb", "spark"]
Scorer = Literal["chunked", "splink"]
# Records the chunked scorer trains on (all of them up to this many, else a random sample).
TRAIN_SAMPLE = 200_000
# Bytes of gathered encodings (both sides) per chunk of pairs the chunked scorer hands DuckDB.
CHUNK_BYTES = 256 * 2**20
IntArray = npt.NDArray[np.int64]
TRAINING_FIELDS = ("names", "birth")


@dataclass(frozen=True)
class EncodedRecords:
    """Records to link: ids, organisations, and per field the packed encodings (one row per record) with
    which rows are known."""

    ids: Sequence[str]
    organisations: Sequence[str]
    packed: Mapping[str, npt.NDArray[np.uint8]]
    present: Mapping[str, npt.NDArray[np.bool_]]

    def __post_init__(self) -> None:
        n = len(self.ids)
        if len(self.organisations) != n or any(
            a.shape[0] != n or self.present[k].shape[0] != n for k, a in self.packed.items()
        ):
            raise ValidationError("every column must have one row per record", field="records")
        if len(set(self.ids)) != n:
            raise ValidationError("record ids must be unique within one linkage run", field="unique_id")


@dataclass(frozen=True)
class BatchResult:
    """A cluster number per record (same order as the input), the count, and what evaluation needs.

    ``link_pairs`` (record indexes of the pairs at or above the threshold, the lower index on the left)
    and the timings are for
    evaluation in-process, never stored: similarity scores fingerprint records.
    """

    labels: IntArray
    count: PersonCount
    scored_pairs: int
    trained: bool
    link_pairs: tuple[IntArray, IntArray]
    # The model's λ (the chance that two random records match), as the count used it.
    prior: float | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    # Why an untrained model kept its starting values (``scoring.TrainedLinker.default_because``).
    default_because: str | None = None


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def training_columns(
    records: EncodedRecords, rows: int = DEFAULT_LSH_CONFIG.rows, seed: int = DEFAULT_LSH_CONFIG.seed
) -> dict[str, npt.NDArray[np.int64]]:
    """``TRAINING_BANDS`` bands of ``rows`` sampled bits of the names and of the birth encodings per record
    (as integers, -1 when unknown): the keys of the rule λ is estimated with (``blocking.training_keys``),
    with the band length that ``scoring.training_recall`` assumes."""
    random = np.random.default_rng(seed)
    keys = {}
    for band in range(TRAINING_BANDS):
        for name in TRAINING_FIELDS:
            packed = records.packed[name]
            positions = np.sort(random.choice(packed.shape[1] * 8, size=min(rows, 62), replace=False))
            bits = np.unpackbits(packed[:, positions // 8], axis=1).reshape(packed.shape[0], -1, 8)
            chosen = bits[:, np.arange(positions.size), positions % 8].astype(np.int64)
            values = (chosen << np.arange(positions.size, dtype=np.int64)).sum(axis=1)
            keys[f"train_{name}{band}"] = np.where(records.present[name], values, -1)
    return keys


def arrow_table(records: EncodedRecords, pairs: tuple[IntArray, IntArray], as_longs: bool = False) -> Any:
    """The records as an Arrow table: ``unique_id``, one column per field (binary, or a list of signed
    64-bit words with ``as_longs``, for Spark), ``blocking_keys`` (one key per candidate pair of the
    record) and the training keys."""
    import pyarrow as pa  # type: ignore[import-untyped]

    n = len(records.ids)
    columns: dict[str, Any] = {"unique_id": pa.array(list(records.ids), pa.string())}
    for name, packed in records.packed.items():
        valid = pa.py_buffer(np.packbits(records.present[name], bitorder="little").tobytes())
        width = packed.shape[1]
        if as_longs:
            if width % 8:
                raise ValidationError("an encoding must be a whole number of 64-bit words", field=name)
            words = np.ascontiguousarray(packed).view(">i8").astype(np.int64).reshape(-1)
            offsets = pa.array(np.arange(0, n + 1, dtype=np.int32) * (width // 8))
            lists = pa.ListArray.from_arrays(offsets, pa.array(words, pa.int64()))
            columns[name] = pa.ListArray.from_buffers(
                pa.list_(pa.int64()), n, [valid, lists.buffers()[1]], children=[lists.values]
            )
        else:
            data = pa.py_buffer(np.ascontiguousarray(packed).tobytes())
            columns[name] = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), n, [valid, data])
    left, right = pairs
    owner = np.concatenate([left, right])
    key = np.concatenate([np.arange(left.size, dtype=np.int64)] * 2)
    order = np.argsort(owner, kind="stable")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=n))]).astype(np.int32)
    columns["blocking_keys"] = pa.ListArray.from_arrays(pa.array(offsets), pa.array(key[order], pa.int64()))
    for name, values in training_columns(records).items():
        columns[name] = pa.array(values, pa.int64(), mask=values < 0)
    return pa.table(columns)


def link_encoded(
    records: EncodedRecords,
    pairs: tuple[IntArray, IntArray],
    scoring: ScoringConfig,
    clustering: ClusteringConfig = DEFAULT_CLUSTERING_CONFIG,
    backend: Backend = "duckdb",
    scorer: Scorer = "chunked",
    train_sample: int = TRAIN_SAMPLE,
) -> BatchResult:
    """Score the candidate ``pairs`` (record indexes) of ``records`` on ``backend`` and cluster them: on
    DuckDB with the chunked scorer (module docstring) or Splink's prediction (``scorer="splink"``).
    Privacy mode only: plaintext deduplication stays inside one organisation (``linking``)."""
    if scoring.mode != "privacy":
        raise ConfigError("link_encoded links encodings: use scoring mode 'privacy'")
    if scorer not in ("chunked", "splink"):
        raise ConfigError(f"unknown scorer {scorer!r}: use chunked or splink")
    started, cpu = time.perf_counter(), _cpu()
    if backend == "duckdb" and scorer == "chunked":
        model = train_model(records, scoring, train_sample)
        trained_at, trained_cpu = time.perf_counter(), _cpu()
        arrays = score_chunked(records, pairs, scoring, model=model)
        scored_at, scored_cpu = time.perf_counter(), _cpu()
        result = _clustered(records, arrays, clustering, (started, cpu), (scored_at, scored_cpu))
        # The score phase's training part, apart (the rest evaluates the pairs in chunks).
        result.seconds["score_train"] = trained_at - started
        result.cpu_seconds["score_train"] = trained_cpu - cpu
        return result
    if backend == "duckdb":
        scored = _score_duckdb(records, pairs, scoring)
    elif backend == "spark":
        from ctdx.linkage.spark import score_pairs_spark

        on_spark = score_pairs_spark(arrow_table(records, pairs, as_longs=True), len(records.ids), scoring)
        scored = _Scored(on_spark.pairs, on_spark.trained, on_spark.prior, on_spark.default_because)
    else:
        raise ConfigError(f"unknown linkage backend {backend!r}: use duckdb or spark")
    scored_at, scored_cpu = time.perf_counter(), _cpu()
    index = {uid: i for i, uid in enumerate(records.ids)}
    count = len(scored.pairs)
    left = np.fromiter((index[p.left] for p in scored.pairs), dtype=np.int64, count=count)
    right = np.fromiter((index[p.right] for p in scored.pairs), dtype=np.int64, count=count)
    probability = np.fromiter((p.probability for p in scored.pairs), dtype=np.float64, count=count)
    siblings = np.fromiter((p.siblings for p in scored.pairs), dtype=bool, count=count)
    arrays = ScoredArrays(left, right, probability, siblings, scored.trained, scored.prior, scored.default_because)
    return _clustered(records, arrays, clustering, (started, cpu), (scored_at, scored_cpu))


def _clustered(
    records: EncodedRecords,
    scored: ScoredArrays,
    clustering: ClusteringConfig,
    started: tuple[float, float],
    scored_at: tuple[float, float],
) -> BatchResult:
    left, right, probability, siblings = scored.left, scored.right, scored.probability, scored.siblings
    # λ, so that the count's low end allows for the true pairs never scored, as ``linking.link`` does.
    labels, person_count = cluster_arrays(
        len(records.ids), left, right, probability, siblings, clustering, records.organisations, scored.prior
    )
    if not scored.trained:
        # As ``linking.link``: the default model's probabilities are judgement, not fitted to the data.
        person_count = replace(person_count, expected=None, sharing=None)
    linked = (probability >= clustering.threshold) & ~siblings
    return BatchResult(
        labels=labels,
        count=person_count,
        scored_pairs=int(left.size),
        trained=scored.trained,
        # Lower index first, whichever side the scorer put each record on.
        link_pairs=(np.minimum(left, right)[linked], np.maximum(left, right)[linked]),
        prior=scored.prior,
        default_because=scored.default_because,
        seconds={"score": scored_at[0] - started[0], "cluster": time.perf_counter() - scored_at[0]},
        cpu_seconds={"score": scored_at[1] - started[1], "cluster": _cpu() - scored_at[1]},
    )


@dataclass(frozen=True)
class ScoredArrays:
    """The scored pairs as arrays: record indexes, match probabilities, sibling flags (cannot-link), and
    the λ they were computed with."""

    left: IntArray
    right: IntArray
    probability: npt.NDArray[np.float64]
    siblings: npt.NDArray[np.bool_]
    trained: bool
    prior: float
    default_because: str | None = None


@dataclass(frozen=True)
class PairModel:
    """What the chunked scorer needs of a trained linker: its comparisons (``scoring.ComparisonLevels``), λ,
    whether EM ran, and the SQL condition of the cannot-link pairs ("FALSE" if none)."""

    comparisons: tuple[ComparisonLevels, ...]
    prior: float
    trained: bool
    siblings: str
    default_because: str | None = None

    @classmethod
    def of(cls, model: TrainedLinker, scoring: ScoringConfig) -> PairModel:
        apart = twins_cannot_link(scoring.twins, model.trained)
        return cls(
            comparison_levels(model.linker, model.matches_in_u),
            model.prior,
            model.trained,
            siblings_sql(scoring.mode, model.fields) if apart else "FALSE",
            model.default_because,
        )


def _subset(records: EncodedRecords, rows: IntArray) -> EncodedRecords:
    return EncodedRecords(
        [records.ids[i] for i in rows],
        [records.organisations[i] for i in rows],
        {k: v[rows] for k, v in records.packed.items()},
        {k: v[rows] for k, v in records.present.items()},
    )


def _connect() -> Any:
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - duckdb is a core dependency
        raise ConfigError("linkage needs duckdb") from exc
    return duckdb.connect(":memory:")


def load_records(connection: Any, records: EncodedRecords, pairs: tuple[IntArray, IntArray]) -> None:
    """Create ``ctdx_records`` (the table ``scoring.train_linker`` and ``score_pairs`` take) in ``connection``:
    ``arrow_table`` with the encodings as ``BIT``."""
    table = arrow_table(records, pairs)
    fields = ", ".join(f"{name}::BLOB::BIT AS {name}" for name in records.packed)
    connection.register("ctdx_raw", table)
    keys = ", ".join(("blocking_keys", *training_key_columns()))
    connection.execute(f"CREATE TABLE ctdx_records AS SELECT unique_id, {fields}, {keys} FROM ctdx_raw")
    connection.unregister("ctdx_raw")


def train_model(records: EncodedRecords, scoring: ScoringConfig, sample: int = TRAIN_SAMPLE) -> PairModel:
    """Train the model as ``scoring.score_pairs`` does, on all ``records`` or, above ``sample``, on a random
    sample of that many (seeded by ``scoring.seed``). λ is a share of all pairs, so a sample of records
    estimates it without bias; m and u are per-pair shares."""
    n = len(records.ids)
    if sample < 2:
        raise ConfigError("the training sample needs at least 2 records")
    rows = np.arange(n, dtype=np.int64)
    if n > sample:
        rows = np.sort(np.random.default_rng(scoring.seed).choice(n, size=sample, replace=False))
    empty = np.zeros(0, dtype=np.int64)
    connection = _connect()
    try:
        load_records(connection, _subset(records, rows) if rows.size < n else records, (empty, empty))
        return PairModel.of(train_linker(connection, "ctdx_records", int(rows.size), scoring), scoring)
    finally:
        connection.close()


def evaluate_pairs(
    records: EncodedRecords,
    pairs: tuple[IntArray, IntArray],
    expressions: Sequence[str],
    chunk_bytes: int = CHUNK_BYTES,
) -> list[npt.NDArray[Any]]:
    """Per SQL expression (over ``ctdx_sim`` of the encodings and the sides' fields) its value on each pair.
    The similarities come from numpy and DuckDB reads the expressions on them (``levels``), on chunks of
    pairs (each about ``chunk_bytes`` if all the pairs' encodings were gathered at once; one field's are)."""
    left, right = pairs
    if left.shape != right.shape:
        raise ValidationError("the pair arrays must have the same length", field="pairs")
    conditions = Conditions.of(expressions, list(records.packed))
    bits = {name: filter_bits(packed) for name, packed in records.packed.items()}
    width = sum(packed.shape[1] for packed in records.packed.values()) * 2
    step = max(1, chunk_bytes // max(width, 1))
    values: list[list[npt.NDArray[Any]]] = [[] for _ in expressions]
    connection = _connect()
    try:
        connection.execute("SET preserve_insertion_order = true")  # a result row per pair, in order
        for start in range(0, left.size, step):
            chunk = (left[start : start + step], right[start : start + step])
            similarity = partial(pair_similarity, packed=records.packed, bits=bits, pairs=chunk)
            result = conditions.evaluate(connection, similarity, records.present, chunk)
            for i, parts in enumerate(values):
                parts.append(np.asarray(result[f"e{i}"]))
    finally:
        connection.close()
    return [np.concatenate(parts) if parts else np.zeros(0) for parts in values]


def pair_levels(
    records: EncodedRecords, pairs: tuple[IntArray, IntArray], model: PairModel, chunk_bytes: int = CHUNK_BYTES
) -> npt.NDArray[np.int16]:
    """Per candidate pair its level in each comparison of ``model``: a row per pair, a column per
    comparison, as ``scoring.factors_of`` weighs them (``evaluate_pairs``)."""
    columns = evaluate_pairs(records, pairs, [c.level_sql() for c in model.comparisons], chunk_bytes)
    levels = np.empty((pairs[0].size, len(model.comparisons)), dtype=np.int16)
    for i, column in enumerate(columns):
        levels[:, i] = column.astype(np.int16)
    return levels


def pair_siblings(
    records: EncodedRecords, pairs: tuple[IntArray, IntArray], model: PairModel, chunk_bytes: int = CHUNK_BYTES
) -> npt.NDArray[np.bool_]:
    """Per pair whether it is a cannot-link under ``model`` (twins and siblings, ``scoring.siblings_sql``).
    A separate pass, so that it reads only the pairs a scorer keeps: its similarities are as many again as
    the levels'."""
    (flags,) = evaluate_pairs(records, pairs, [f"coalesce({model.siblings}, FALSE)"], chunk_bytes)
    return flags.astype(bool)


def score_chunked(
    records: EncodedRecords,
    pairs: tuple[IntArray, IntArray],
    scoring: ScoringConfig,
    train_sample: int = TRAIN_SAMPLE,
    chunk_bytes: int = CHUNK_BYTES,
    model: PairModel | None = None,
) -> ScoredArrays:
    """Score ``pairs`` as ``scoring.score_pairs`` would (module docstring), returning arrays: the pairs
    Splink's prediction would return (probability at the trained λ at least ``predict_threshold``, or
    ``scoring.prediction_floor`` for a trained model, whose λ and u are then refined over them as ``score_pairs``
    refines them), kept when their refined probability reaches ``predict_threshold``."""
    model = model or train_model(records, scoring, train_sample)
    levels = pair_levels(records, pairs, model, chunk_bytes)
    factors = factors_of(levels, model.comparisons)
    floor = prediction_floor(scoring, model.trained)
    keep = probabilities(factors, model.prior) >= floor
    levels, factors = levels[keep], factors[keep]
    left, right = pairs[0][keep], pairs[1][keep]
    siblings = pair_siblings(records, (left, right), model, chunk_bytes)
    prior = model.prior
    if model.trained:
        factors, prior = refined_model(levels, model.comparisons, len(records.ids), prior)
    chances = probabilities(factors, prior)
    keep = chances >= scoring.predict_threshold
    return ScoredArrays(
        left[keep], right[keep], chances[keep], siblings[keep], model.trained, prior, model.default_because
    )


@dataclass(frozen=True)
class _Scored:
    pairs: tuple[ScoredPair, ...]
    trained: bool
    prior: float
    default_because: str | None = None


def _score_duckdb(records: EncodedRecords, pairs: tuple[IntArray, IntArray], scoring: ScoringConfig) -> _Scored:
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - duckdb is a core dependency
        raise ConfigError("linkage needs duckdb") from exc
    connection = duckdb.connect(":memory:")
    try:
        load_records(connection, records, pairs)
        result = score_pairs(connection, "ctdx_records", len(records.ids), scoring)
    finally:
        connection.close()
    return _Scored(result.pairs, result.trained, result.prior, result.default_because)
