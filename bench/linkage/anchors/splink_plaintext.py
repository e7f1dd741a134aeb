"""Anchor B1: plaintext Splink 5 on DuckDB, configured exactly as /work/shared/anchors/linkage.md system 2.

Unsupervised Fellegi-Sunter, no labels. NameComparison (Jaro-Winkler 0.92/0.88/0.7, term-frequency
adjustments) on given_name and surname; DateOfBirthComparison on the YYYYMMDD string; P-full adds the
address comparisons (on a ctdx sample cohort, ``ld5-*``: exact sex and citizenship). Blocking: surname OR
date_of_birth OR given_name (P-full on FEBRL: OR postcode). Training:
lambda from deterministic rules at an assumed recall of 0.7, u by random sampling (1e7 pairs, seed 1),
EM on block_on(date_of_birth) then block_on(surname). Prediction scores every blocked pair once (that
gives reduction ratio and pair completeness); each threshold t then keeps pairs with probability >= t and
clusters them with Splink's connected components at t. LD4 (several organisations) is link_and_dedupe.

    bench/.venvs/splink/bin/python splink_plaintext.py febrl4 --profile P-min --thresholds 0.5 0.9 0.99
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from common import Phases, environment, is_sample, profile_columns, read_dataset, task_of, write_result
from evaluate import evaluate


def settings(profile: str, link_type: str, sample: bool = False):  # type: ignore[no-untyped-def]
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    comparisons = [
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison(
            "date_of_birth", input_is_string=True, datetime_format="%Y%m%d", invalid_dates_as_null=False
        ),
    ]
    blocking = [block_on("surname"), block_on("date_of_birth"), block_on("given_name")]
    if profile == "P-full" and sample:
        comparisons += [cl.ExactMatch("sex"), cl.ExactMatch("citizenship")]
    elif profile == "P-full":
        comparisons += [
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("address_1", [1, 2]),
            cl.LevenshteinAtThresholds("address_2", [1, 2]),
            cl.LevenshteinAtThresholds("suburb", [1, 2]),
            cl.LevenshteinAtThresholds("postcode", [1]),
            cl.ExactMatch("state"),
        ]
        blocking.append(block_on("postcode"))
    return SettingsCreator(
        link_type=link_type,
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("--profile", choices=["P-min", "P-full"], required=True)
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.5, 0.9, 0.99])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    phases = Phases()
    import duckdb
    import pandas as pd
    from splink import DuckDBAPI, Linker, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    rows, truth = read_dataset(args.dataset)
    task = task_of(rows)
    columns = profile_columns(args.dataset, args.profile)
    frame = pd.DataFrame(
        [{"unique_id": r["uid"], "org": r["file"], **{c: (r[c] or None) for c in columns}} for r in rows]
    )
    connection = duckdb.connect()
    connection.execute(f"SET threads = {args.threads}")
    db_api = DuckDBAPI(connection)
    if task == "dedupe":
        tables = [db_api.register(frame.drop(columns=["org"]))]
        link_type = "dedupe_only"
    else:
        tables = [
            db_api.register(part.drop(columns=["org"]), dataset_display_name=str(org).replace("-", "_"))  # a SQL name
            for org, part in frame.groupby("org", sort=True)
        ]
        link_type = "link_only" if task == "link" else "link_and_dedupe"
    linker = Linker(tables, settings(args.profile, link_type, is_sample(args.dataset)), log_level=logging.WARNING)
    phases.mark("load")

    swapped = "l.given_name = r.surname and l.surname = r.given_name"
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth"), swapped], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname"))
    phases.mark("train")

    predictions = linker.inference.predict()
    scored = predictions.as_pandas_dataframe()[["unique_id_l", "unique_id_r", "match_probability"]]
    phases.mark("predict")
    left, right, probability = (
        scored["unique_id_l"].tolist(),
        scored["unique_id_r"].tolist(),
        scored["match_probability"].tolist(),
    )
    candidates = len(left)
    candidate_true = sum(1 for a, b in zip(left, right, strict=True) if truth[a] == truth[b])
    phases.mark("blocking_diagnostics")

    results = []
    for threshold in args.thresholds:
        timing = Phases()
        clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
        frame_c = clustered.as_pandas_dataframe()[["unique_id", "cluster_id"]]
        clusters = dict(zip(frame_c["unique_id"].tolist(), map(str, frame_c["cluster_id"].tolist()), strict=True))
        timing.mark("cluster")
        predicted = [(a, b) for a, b, p in zip(left, right, probability, strict=True) if p >= threshold]
        metrics = evaluate(truth, clusters, predicted, candidates, candidate_true)
        results.append({"threshold": threshold, "metrics": metrics, "timings": timing.seconds})
    phases.mark("cluster_and_evaluate")
    write_result(
        args.out,
        {
            "dataset": args.dataset,
            "profile": args.profile,
            "system": "splink",
            "method": "fs-em+cc",
            "link_type": link_type,
            "lambda": linker._settings_obj._probability_two_random_records_match,
            "results": results,
            "timings": phases.seconds,
            "cpu": phases.cpu,
            "env": {
                **environment(["splink", "duckdb", "pandas", "numpy", "sqlglot", "pyarrow"]),
                "threads": args.threads,
            },
        },
    )


if __name__ == "__main__":
    main()
