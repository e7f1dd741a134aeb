"""FEBRL through the hub's array path: what ``ctdx hub link`` gives a hub of 10,000 cases or more.

    PYTHONPATH=src python bench/linkage/run_arrays.py febrl4 --profile min --out results/arrays-febrl4-min.json

``run_ours.py`` links FEBRL as one object per record (``linking.link``), the path of a hub below
``hub.ARRAYS_FROM`` cases. FEBRL4's 10,000 records are at that size, so a hub holding them links packed arrays:
the same records and encodings as ``run_ours.py``, blocked by ``blocking.blocking_for`` (the rules the hub
picks for its size), scored and clustered by ``batch.link_encoded`` once per threshold, and evaluated as
``run_ours.py`` evaluates (``evaluate.py``). CPU seconds and peak RSS are this process's; ``timings`` are the
in-process seconds of each phase up to the first threshold's link (LD1 end to end: what a hub's link takes).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from evaluate import evaluate  # noqa: E402
from run_ours import SECRET, febrl_records  # noqa: E402

from ctdx.errors import ValidationError  # noqa: E402
from ctdx.linkage.batch import EncodedRecords, link_encoded  # noqa: E402
from ctdx.linkage.blocking import blocking_for, candidate_pairs  # noqa: E402
from ctdx.linkage.clustering import ClusteringConfig  # noqa: E402
from ctdx.linkage.encoding import ENCODED_FIELDS, WITH_ADDRESS, Encoder, EncodingConfig  # noqa: E402
from ctdx.linkage.normalise import identity_of  # noqa: E402
from ctdx.linkage.scoring import ScoringConfig  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", choices=["febrl1", "febrl2", "febrl3", "febrl4"])
    parser.add_argument("--profile", choices=["min", "full"], default="min")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.9, 0.5])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    full = args.profile == "full"
    started, wall = time.process_time(), time.perf_counter()
    records, truth, _ = febrl_records(args.dataset, full)
    encoder = Encoder(SECRET, EncodingConfig(fields=WITH_ADDRESS if full else ENCODED_FIELDS))
    ids, organisations, identities = [], [], []
    for uid, org, values in records:
        if not full:
            values = {k: v for k, v in values.items() if not k.startswith("prs_Mailing")}
        try:
            identity = identity_of(values)
        except ValidationError:  # an unreadable birth date: linked without it, as run_ours.py does
            identity = identity_of({k: v for k, v in values.items() if k != "prs_Birthdate"})
        ids.append(uid)
        organisations.append(org)
        identities.append(identity)
    normalised = time.perf_counter()
    batch = encoder.encode_many(identities)
    encoded = EncodedRecords(
        ids,
        organisations,
        {k: f.packed for k, f in batch.fields.items()},
        {k: f.present for k, f in batch.fields.items()},
    )
    encoded_at = time.perf_counter()
    blocking = blocking_for(len(ids))
    candidates = candidate_pairs(encoded.packed, encoded.present, blocking)
    blocked = time.perf_counter()
    timings: dict[str, float] = {}
    entities = len(set(truth.values()))
    rows = []
    for threshold in args.thresholds:
        clustering = ClusteringConfig(threshold=threshold, possible_link=min(0.1, threshold), samples=args.samples)
        result = link_encoded(encoded, (candidates.left, candidates.right), ScoringConfig(mode="privacy"), clustering)
        if not timings:  # the phases of the first threshold's run: what a hub's link takes
            timings = {
                "load_normalise": normalised - wall,
                "encode": encoded_at - normalised,
                "block": blocked - encoded_at,
                **result.seconds,
                "end_to_end": time.perf_counter() - wall,
            }
        predicted = [(ids[a], ids[b]) for a, b in zip(*result.link_pairs, strict=True)]
        metrics = evaluate(truth, dict(zip(ids, result.labels.astype(str).tolist(), strict=True)), predicted)
        expected = result.count.expected
        metrics["expected_count"] = expected
        metrics["expected_count_error"] = None if expected is None else (expected - entities) / entities
        metrics["scored_pairs"] = result.scored_pairs
        rows.append({"threshold": threshold, "metrics": metrics})
        pw = metrics["pairwise"]
        print(
            f"t={threshold}: P {pw['precision']:.3f} R {pw['recall']:.3f} F1 {pw['f1']:.3f} "
            f"count error {metrics['count_error']:+.1%} expected-count error "
            f"{'-' if expected is None else format((expected - entities) / entities, '+.1%')}",
            file=sys.stderr,
        )
    report = {
        "dataset": args.dataset,
        "profile": "P-full" if full else "P-min",
        "system": "ctdx-privacy",
        "path": "arrays",
        "blocking": blocking.name,
        "results": rows,
        "timings": {k: round(v, 2) for k, v in timings.items()},
        "cpu_seconds": round(time.process_time() - started, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    out = args.out or HERE / "results" / f"arrays-{args.dataset}-{args.profile}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, default=str))
    print(json.dumps({k: v for k, v in report.items() if k != "results"}))


if __name__ == "__main__":
    main()
