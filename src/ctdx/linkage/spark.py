"""Splink's Spark backend for hubs that outgrow one machine: the same scoring as DuckDB, on a Spark session.

Select it with ``batch.link_encoded(..., backend="spark")`` (or ``run_scale.py --backend spark``). The
records arrive as an Arrow table built by ``batch.arrow_table(..., as_longs=True)``: each encoding is an
``ARRAY<BIGINT>`` of 64-bit words, because Spark has no bitwise operators on ``BINARY``. The
similarity the comparisons call, ``ctdx_sim``, is registered as a temporary **SQL function** (Spark 4's
``CREATE TEMPORARY FUNCTION ... RETURN``), so no Python or Scala UDF runs per pair:

    1 - sum(bit_count(a[i] ^ b[i])) / (64 * size(a))

the fraction of agreeing bits, as ``scoring.SIM_MACRO`` computes it in DuckDB on ``BIT`` columns.
Comparisons, training (λ from the deterministic training rule; u by random sampling with ``u_sampling``
on the driver, on the records DuckDB would sample, and the sample's matches weighed out once EM has run;
m by EM on ``scoring.em_rules``, translated by ``spark_em_rule``), the refinement of λ over the scored
pairs (``scoring.refined_pairs``), the prediction threshold and the sibling rule are those of ``scoring``;
only the database differs. Privacy mode only: plaintext deduplication stays inside one organisation and
never needs a cluster.

Local mode (``spark_session("local[1]")``) is what the tests run; on a cluster pass the session of the
cluster. Spark needs Java 17 and the ``spark`` extra (``pip install 'ctdx[spark]'``). On a 2-core machine
Spark is slower than DuckDB (benchmarks.md B1: 1.6-8.7x); its point is memory and machines, not speed.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import replace
from typing import Any

from ctdx.errors import ConfigError
from ctdx.linkage.blocking import training_key_columns
from ctdx.linkage.scoring import (
    NO_EM_PAIRS,
    RULE_UNMET,
    SIBLING_COLUMNS,
    U_FLOOR,
    ScoredPair,
    Scoring,
    ScoringConfig,
    comparison_levels,
    default_prior,
    em_rules,
    expectation_maximisation,
    levels_query,
    prediction_floor,
    privacy_comparisons,
    refined_pairs,
    siblings_sql,
    too_few_records,
    training_recall,
    training_rule_met,
    training_rules,
    twins_cannot_link,
    write_u,
)
from ctdx.linkage.u_sampling import rows_for_pairs, sample_arrow_filters, set_sampled_u

KEY_COLUMNS = ("unique_id", "blocking_keys", *training_key_columns())
SIM_FUNCTION = (
    "CREATE OR REPLACE TEMPORARY FUNCTION ctdx_sim(a ARRAY<BIGINT>, b ARRAY<BIGINT>) RETURNS DOUBLE RETURN "
    "1.0 - aggregate(zip_with(a, b, (x, y) -> bit_count(x ^ y)), 0, (acc, v) -> acc + v) / (64.0 * size(a))"
)


_BAND = re.compile(r"substr\(l\.(\w+)::VARCHAR, 1, (\d+)\) = substr\(r\.\1::VARCHAR, 1, \2\)")


def spark_em_rule(rule: str) -> str:
    """``scoring.em_rules``' DuckDB rule (the first k bits of an encoding as a bit string) in Spark SQL: the
    top k bits of the first 64-bit word, which ``batch.arrow_table`` fills in the same (big-endian) order."""
    match = _BAND.fullmatch(rule)
    if match is None or not 0 < int(match[2]) <= 64:
        raise ConfigError("the Spark backend cannot translate this EM rule", rule=rule)
    column, shift = match[1], 64 - int(match[2])
    return f"shiftrightunsigned(l.{column}[0], {shift}) = shiftrightunsigned(r.{column}[0], {shift})"


def spark_session(master: str = "local[1]", memory: str = "2g") -> Any:
    """A Spark session for linkage: no UI, few shuffle partitions (local mode), quiet logs."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ConfigError("the Spark backend needs the spark extra: pip install 'ctdx[spark]'") from exc
    session = (
        SparkSession.builder.master(master)
        .appName("ctdx-linkage")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.driver.memory", memory)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def _rule_has_pairs(spark: Any, rule: str) -> bool:
    """Whether two records of the session's ``ctdx_records`` meet an EM blocking rule (on ``l`` and ``r``)."""
    query = f"SELECT 1 FROM ctdx_records l JOIN ctdx_records r ON l.unique_id <> r.unique_id AND {rule} LIMIT 1"
    return bool(spark.sql(query).take(1))


def register_similarity(spark: Any) -> None:
    """Define ``ctdx_sim`` on the session (a SQL function, evaluated inside the JVM)."""
    spark.sql(SIM_FUNCTION)


def score_pairs_spark(table: Any, records: int, config: ScoringConfig, spark: Any | None = None) -> Scoring:
    """Score the candidate pairs of ``table`` (an Arrow table from ``batch.arrow_table(as_longs=True)``)
    with Splink on Spark: the Spark counterpart of ``scoring.score_pairs``."""
    if config.mode != "privacy":
        raise ConfigError("the Spark backend links encodings: use scoring mode 'privacy'")
    try:
        from splink import Linker, SettingsCreator, SparkAPI, block_on
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ConfigError("the Spark backend needs the spark extra: pip install 'ctdx[spark]'") from exc

    spark = spark or spark_session()
    register_similarity(spark)
    fields = [c for c in table.column_names if c not in KEY_COLUMNS]
    frame = spark.createDataFrame(table)
    prior = default_prior(records)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=privacy_comparisons(fields, config.twins == "learned"),
        blocking_rules_to_generate_predictions=[block_on("blocking_keys", arrays_to_explode=["blocking_keys"])],
        probability_two_random_records_match=prior,
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=[f for f in SIBLING_COLUMNS if f in fields],
    )
    db = SparkAPI(  # type: ignore[no-untyped-call]
        spark_session=spark, break_lineage_method="persist", register_udfs_automatically=False
    )
    # A session links again (a hub process, the next run): the previous run's records view goes first.
    spark.catalog.dropTempView("ctdx_records")
    linker = Linker(db.register(frame, table_name="ctdx_records"), settings, log_level=config.log_level)
    trained = records >= config.min_records_to_train
    if trained:
        known = table.column("train_names0").is_valid().to_numpy(zero_copy_only=False) & table.column(
            "train_birth0"
        ).is_valid().to_numpy(zero_copy_only=False)
        coverage = float(known.mean()) if known.size else 1.0
        linker.training.estimate_probability_two_random_records_match(
            training_rules(block_on), recall=training_recall(config.mode, coverage)
        )
        untrained = replace(config, min_records_to_train=records + 1)
        if not training_rule_met(linker):  # as on DuckDB (``scoring.train_linker``)
            return replace(score_pairs_spark(table, records, untrained, spark), default_because=RULE_UNMET)
        # u from the sample DuckDB would draw (``u_sampling``, on the driver: a few thousand records).
        size = rows_for_pairs(config.u_max_pairs)
        filters = sample_arrow_filters(table, fields, size, config.seed)
        sample = set_sampled_u(linker, comparison_levels(linker), filters)
        rules = [spark_em_rule(rule) for rule in em_rules(config.mode, fields)]
        if not expectation_maximisation(linker, rules, lambda rule: _rule_has_pairs(spark, rule)):
            # As on DuckDB (``scoring.train_linker``): nothing learnt about m, the starting values score.
            return replace(score_pairs_spark(table, records, untrained, spark), default_because=NO_EM_PAIRS)
        prior = float(linker._settings_obj._probability_two_random_records_match)
        write_u(linker, sample.u_of_non_matches(comparison_levels(linker), prior, U_FLOOR))
    # A trained model is refined over the pairs it scored, as on DuckDB (``scoring.score_pairs``).
    floor = prediction_floor(config, trained)
    predictions = linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
    apart = twins_cannot_link(config.twins, trained)
    siblings = siblings_sql("privacy", fields) if apart else "FALSE"
    if trained:
        comparisons = comparison_levels(linker, matches_in_u=False)
        rows = spark.sql(levels_query(comparisons, siblings, predictions.physical_name)).toArrow()
        found = {name: rows.column(name).to_numpy(zero_copy_only=False) for name in rows.column_names}
        pairs, prior = refined_pairs(found, comparisons, records, prior, config.predict_threshold)
    else:
        collected = spark.sql(
            f"SELECT unique_id_l, unique_id_r, match_probability, coalesce({siblings}, FALSE) "
            f"FROM {predictions.physical_name}"
        ).collect()
        pairs = tuple(
            ScoredPair(str(a), str(b), float(p), bool(sib))
            for a, b, p, sib in collected
            if p is not None and not math.isnan(float(p))
        )
    spark.catalog.dropTempView("ctdx_records")  # the session keeps no encodings once the pairs are scored
    logging.getLogger(__name__).info("scored %d pairs on Spark", len(pairs))
    because = None if trained else too_few_records(records, config.min_records_to_train)
    return Scoring(pairs=pairs, trained=trained, prior=prior, twins_cannot_link=apart, default_because=because)
