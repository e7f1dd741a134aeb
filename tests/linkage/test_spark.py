"""Splink's Spark backend in local mode: the same similarity and the same persons as DuckDB.

Needs pyspark (the ``spark`` extra, installed by ``make install``) and Java 17; skipped with the reason
when either is missing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ctdx.linkage.batch import EncodedRecords, arrow_table, link_encoded
from ctdx.linkage.clustering import ClusteringConfig
from ctdx.linkage.encoding import Encoder, LinkageSecret
from ctdx.linkage.normalise import identity_of
from ctdx.linkage.scoring import RULE_UNMET, ScoringConfig
from tests.linkage.cohort import COHORT, ORGANISATIONS

pytest.importorskip("pyspark", reason="the Spark backend needs the spark extra (pyspark)")
if shutil.which("java") is None:
    pytest.skip("the Spark backend needs Java 17 on the PATH", allow_module_level=True)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from ctdx.linkage.spark import spark_session

    session = spark_session("local[1]", memory="1g")
    yield session
    session.stop()


def _records() -> EncodedRecords:
    entries = [e for e in COHORT if e.consent]
    batch = Encoder(LinkageSecret(b"spark test secret, not a real one!!!")).encode_many(
        [identity_of(e.case().values) for e in entries]
    )
    return EncodedRecords(
        [f"{e.organisation}:{e.record_id}" for e in entries],
        [e.organisation for e in entries],
        {name: f.packed for name, f in batch.fields.items()},
        {name: f.present for name, f in batch.fields.items()},
    )


def test_the_spark_similarity_is_the_fraction_of_agreeing_bits(spark: Any) -> None:
    from ctdx.linkage.spark import register_similarity

    records = _records()
    table = arrow_table(records, (np.zeros(0, np.int64), np.zeros(0, np.int64)), as_longs=True)
    spark.createDataFrame(table.select(["unique_id", "names"])).createOrReplaceTempView("ctdx_test")
    register_similarity(spark)
    rows = spark.sql(
        "SELECT l.unique_id, r.unique_id, ctdx_sim(l.names, r.names) FROM ctdx_test l CROSS JOIN ctdx_test r"
    ).collect()
    index = {uid: i for i, uid in enumerate(records.ids)}
    bits = np.unpackbits(records.packed["names"], axis=1)
    for left, right, similarity in rows:
        expected = float((bits[index[left]] == bits[index[right]]).mean())
        assert similarity == pytest.approx(expected, abs=1e-12)


def test_spark_and_duckdb_find_the_same_persons(spark: Any) -> None:
    records = _records()
    left, right = np.triu_indices(len(records.ids), 1)
    pairs = (left.astype(np.int64), right.astype(np.int64))
    config = ClusteringConfig(threshold=0.9, samples=0)
    duckdb = link_encoded(records, pairs, ScoringConfig(mode="privacy"), config)
    # link_encoded's Spark backend takes the active session (the fixture's local[1]).
    on_spark = link_encoded(records, pairs, ScoringConfig(mode="privacy"), config, backend="spark")
    assert duckdb.scored_pairs == on_spark.scored_pairs > 0
    assert sorted(zip(*duckdb.link_pairs, strict=True)) == sorted(zip(*on_spark.link_pairs, strict=True))
    assert duckdb.labels.tolist() == on_spark.labels.tolist()
    assert duckdb.count == on_spark.count


def test_the_em_band_rule_reads_the_same_first_bits_on_spark(spark: Any) -> None:
    from ctdx.linkage.scoring import EM_BAND_BITS, em_rules
    from ctdx.linkage.spark import spark_em_rule

    records = _records()
    rules = em_rules("privacy", list(records.packed))
    assert rules and all("shiftrightunsigned" in spark_em_rule(rule) for rule in rules)
    table = arrow_table(records, (np.zeros(0, np.int64), np.zeros(0, np.int64)), as_longs=True)
    spark.createDataFrame(table.select(["unique_id", "birth"])).createOrReplaceTempView("ctdx_band")
    shift = 64 - EM_BAND_BITS
    rows = dict(spark.sql(f"SELECT unique_id, shiftrightunsigned(birth[0], {shift}) FROM ctdx_band").collect())
    bits = np.unpackbits(records.packed["birth"], axis=1)[:, :EM_BAND_BITS]
    for i, uid in enumerate(records.ids):
        expected = int("".join(map(str, bits[i])), 2) if records.present["birth"][i] else None
        assert rows[uid] == expected


def test_a_hub_links_on_spark_as_on_duckdb(spark: Any, tmp_path: Path) -> None:
    # `ctdx hub link --backend spark`: the hub's stored encodings, as arrays, scored on the active session.
    from tests.linkage.test_hub import new_hub, package

    hub = new_hub(tmp_path / "hub.sqlite")
    for org in ORGANISATIONS:
        hub.receive(package(org))
    config = ClusteringConfig(threshold=0.9, samples=0)
    on_duckdb = hub.link(ScoringConfig(mode="privacy"), config, arrays=True)
    on_spark = hub.link(ScoringConfig(mode="privacy"), config, backend="spark")
    assert on_spark.persons == on_duckdb.persons and on_spark.count == on_duckdb.count
    assert on_spark.candidate_pairs == on_duckdb.candidate_pairs > 0
    assert len(set(on_spark.persons.values())) == len({e.person for e in COHORT if e.consent})
    assert set(hub.persons().values()) == set(on_spark.persons.values())
    # The same session links again (a hub process's next run): the previous run's view is not in the way.
    assert hub.link(ScoringConfig(mode="privacy"), config, backend="spark").persons == on_spark.persons
    hub.close()


def test_a_trained_model_scores_on_spark_as_on_duckdb(spark: Any) -> None:
    # Enough records for EM: both backends train (u on the same sample of records, EM each on its own
    # database), then refine λ over the pairs they scored (``scoring.refined_pairs``), and must agree on
    # the links and the count.
    from ctdx.linkage.blocking import DEFAULT_BLOCKING, candidate_pairs
    from tests.linkage.cohort import encoded_cohort

    records, persons = encoded_cohort(2100, 5, 11, b"spark training test secret, not real")
    candidates = candidate_pairs(records.packed, records.present, DEFAULT_BLOCKING)
    pairs = (candidates.left, candidates.right)
    config = ClusteringConfig(threshold=0.9, samples=0)
    on_duckdb = link_encoded(records, pairs, ScoringConfig(mode="privacy"), config, scorer="splink")
    on_spark = link_encoded(records, pairs, ScoringConfig(mode="privacy"), config, backend="spark")
    assert on_duckdb.trained and on_spark.trained
    duckdb_links = set(zip(*(a.tolist() for a in on_duckdb.link_pairs), strict=True))
    spark_links = set(zip(*(a.tolist() for a in on_spark.link_pairs), strict=True))
    assert len(duckdb_links & spark_links) >= 0.9 * max(len(duckdb_links), len(spark_links)) > 0
    assert on_duckdb.count.expected is not None and on_spark.count.expected is not None
    assert on_spark.count.expected == pytest.approx(on_duckdb.count.expected, rel=0.02)
    right = [persons[a] == persons[b] for a, b in spark_links]
    assert sum(right) > 0.95 * len(right)


def test_a_hub_where_no_pair_meets_the_training_rule_links_on_spark_with_the_starting_values(spark: Any) -> None:
    # As on DuckDB (``test_batch_scoring``): no birth date, so no pair meets the training rule; the hub
    # keeps the starting values instead of failing in EM.
    from ctdx.linkage.batch import EncodedRecords
    from ctdx.linkage.blocking import DEFAULT_BLOCKING, candidate_pairs
    from tests.linkage.cohort import encoded_cohort

    records, _ = encoded_cohort(2100, 5, 11, b"spark training test secret, not real")
    present = {**records.present, "birth": np.zeros_like(records.present["birth"])}
    packed = {**records.packed, "birth": np.zeros_like(records.packed["birth"])}
    undated = EncodedRecords(records.ids, records.organisations, packed, present)
    candidates = candidate_pairs(undated.packed, undated.present, DEFAULT_BLOCKING)
    pairs = (candidates.left, candidates.right)
    config = ClusteringConfig(threshold=0.9, samples=0)
    assert len(records.ids) >= ScoringConfig().min_records_to_train
    on_spark = link_encoded(undated, pairs, ScoringConfig(mode="privacy"), config, backend="spark")
    on_duckdb = link_encoded(undated, pairs, ScoringConfig(mode="privacy"), config, scorer="splink")
    assert not on_spark.trained and not on_duckdb.trained
    assert on_spark.default_because == on_duckdb.default_because == RULE_UNMET
    assert on_spark.labels.tolist() == on_duckdb.labels.tolist()
