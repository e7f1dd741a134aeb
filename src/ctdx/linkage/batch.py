"""Linking encodings held as arrays: the hub's path for 100,000s to millions of records.

``linking.link`` takes one ``LinkageInput`` object per record with string blocking keys, which is fine
for a hub of thousands of cases. At scale every per-record Python object and string key costs memory and
time, so here the encodings stay packed numpy arrays (``EncodedRecords``, as ``Encoder.encode_many``
returns them), candidate pairs come from ``blocking.candidate_pairs`` as index arrays, and clustering
works on arrays (``clustering.cluster_arrays``).

The candidate pairs reach Splink through its exploded-key blocking: each pair gets its own key, listed in
the key lists of its two records, so the blocking join yields exactly the given pairs and the scoring
(``scoring.score_pairs``, unchanged) sees the same table shape as ``linking.link`` builds.

``backend`` selects where Splink runs: ``"duckdb"`` (default, in-process) or ``"spark"`` (``ctdx.linkage.
spark``: Splink's Spark backend, for hubs that outgrow one machine; tested in local mode).
"""

from __future__ import annotations

import resource
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ctdx.errors import ConfigError, ValidationError
from ctdx.linkage.blocking import DEFAULT_LSH_CONFIG
from ctdx.linkage.clustering import DEFAULT_CLUSTERING_CONFIG, ClusteringConfig, PersonCount, cluster_arrays
from ctdx.linkage.scoring import ScoredPair, ScoringConfig, score_pairs

Backend = Literal["duckdb", "spark"]
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

    ``link_pairs`` (record indexes of the pairs at or above the threshold) and the timings are for
    evaluation in-process, never stored: similarity scores fingerprint records.
    """

    labels: IntArray
    count: PersonCount
    scored_pairs: int
    trained: bool
    link_pairs: tuple[IntArray, IntArray]
    seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def training_columns(
    records: EncodedRecords, rows: int = DEFAULT_LSH_CONFIG.rows, seed: int = DEFAULT_LSH_CONFIG.seed
) -> dict[str, npt.NDArray[np.int64]]:
    """One band of ``rows`` sampled bits of the names and of the birth encodings per record (as integers,
    -1 when unknown): the keys of the EM training rules, with the band length that
    ``scoring.training_recall`` assumes."""
    random = np.random.default_rng(seed)
    keys = {}
    for name in TRAINING_FIELDS:
        packed = records.packed[name]
        positions = np.sort(random.choice(packed.shape[1] * 8, size=min(rows, 62), replace=False))
        bits = np.unpackbits(packed[:, positions // 8], axis=1).reshape(packed.shape[0], -1, 8)
        chosen = bits[:, np.arange(positions.size), positions % 8].astype(np.int64)
        values = (chosen << np.arange(positions.size, dtype=np.int64)).sum(axis=1)
        keys[f"train_{name}"] = np.where(records.present[name], values, -1)
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
) -> BatchResult:
    """Score the candidate ``pairs`` (record indexes) of ``records`` with Splink on ``backend`` and cluster
    them. Privacy mode only: plaintext deduplication stays inside one organisation (``linking``)."""
    if scoring.mode != "privacy":
        raise ConfigError("link_encoded links encodings: use scoring mode 'privacy'")
    started, cpu = time.perf_counter(), _cpu()
    if backend == "duckdb":
        scored = _score_duckdb(records, pairs, scoring)
    elif backend == "spark":
        from ctdx.linkage.spark import score_pairs_spark

        on_spark = score_pairs_spark(arrow_table(records, pairs, as_longs=True), len(records.ids), scoring)
        scored = _Scored(on_spark.pairs, on_spark.trained)
    else:
        raise ConfigError(f"unknown linkage backend {backend!r}: use duckdb or spark")
    scored_at, scored_cpu = time.perf_counter(), _cpu()
    index = {uid: i for i, uid in enumerate(records.ids)}
    count = len(scored.pairs)
    left = np.fromiter((index[p.left] for p in scored.pairs), dtype=np.int64, count=count)
    right = np.fromiter((index[p.right] for p in scored.pairs), dtype=np.int64, count=count)
    probability = np.fromiter((p.probability for p in scored.pairs), dtype=np.float64, count=count)
    siblings = np.fromiter((p.siblings for p in scored.pairs), dtype=bool, count=count)
    labels, person_count = cluster_arrays(
        len(records.ids), left, right, probability, siblings, clustering, records.organisations
    )
    linked = (probability >= clustering.threshold) & ~siblings
    return BatchResult(
        labels=labels,
        count=person_count,
        scored_pairs=count,
        trained=scored.trained,
        link_pairs=(left[linked], right[linked]),
        seconds={"score": scored_at - started, "cluster": time.perf_counter() - scored_at},
        cpu_seconds={"score": scored_cpu - cpu, "cluster": _cpu() - scored_cpu},
    )


@dataclass(frozen=True)
class _Scored:
    pairs: tuple[ScoredPair, ...]
    trained: bool


def _score_duckdb(records: EncodedRecords, pairs: tuple[IntArray, IntArray], scoring: ScoringConfig) -> _Scored:
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - duckdb is a core dependency
        raise ConfigError("linkage needs duckdb") from exc
    table = arrow_table(records, pairs)
    fields = ", ".join(f"{name}::BLOB::BIT AS {name}" for name in records.packed)
    connection = duckdb.connect(":memory:")
    try:
        connection.register("ctdx_raw", table)
        connection.execute(
            f"CREATE TABLE ctdx_records AS SELECT unique_id, {fields}, blocking_keys, train_names, train_birth "
            "FROM ctdx_raw"
        )
        connection.unregister("ctdx_raw")
        del table
        result = score_pairs(connection, "ctdx_records", len(records.ids), scoring)
    finally:
        connection.close()
    return _Scored(result.pairs, result.trained)
