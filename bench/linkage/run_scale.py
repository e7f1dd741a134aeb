"""Scale benchmark (issue 6, benchmarks.md B8 LD5): link a ``ctdx sample`` cohort end to end in privacy mode.

    python bench/linkage/run_scale.py 10000            # writes results/scale-10000.json
    python bench/linkage/run_scale.py 100000 --workers 2
    python bench/linkage/run_scale.py --table          # the README's "## Scale" rows from results/

Phases, each timed (wall and CPU seconds of this process and its workers):

1. ``load``: the organisations' CSVs and ``truth.csv`` of ``data/ld5-<cases>`` (``gen_cohort.py``);
2. ``normalise_encode``: ``identity_of`` and ``Encoder.encode_many`` in ``--workers`` processes (each
   organisation encodes its own cases; here they share the machine);
3. ``block``: ``blocking.candidate_pairs`` on the encodings (Hamming LSH, vectorised);
4. ``score``: Fellegi-Sunter on the candidate pairs: trained by Splink (on at most ``--train-sample``
   records) and evaluated in chunks by ``batch.score_chunked`` (``--scorer chunked``, the default), or
   Splink's own prediction (``--scorer splink``, DuckDB; or Spark with ``--backend spark``);
   ``--compare-splink`` scores with both and reports how the links differ (a check, not a timing);
5. ``cluster``: the density-constrained clustering and the count's range (``clustering.cluster_arrays``).

Metrics of benchmarks.md B4 against the truth: pairwise P/R/F1 before and after clustering, B-cubed, the
person-count error and its range, pair completeness and reduction ratio of the blocking, the largest
cluster. Peak RSS is ``ru_maxrss`` of this process and of its finished workers (DuckDB's native memory
included).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from evaluate import evaluate  # noqa: E402
from gen_cohort import ensure_cohort  # noqa: E402

from ctdx.errors import ValidationError  # noqa: E402
from ctdx.linkage.batch import TRAIN_SAMPLE, EncodedRecords, link_encoded  # noqa: E402
from ctdx.linkage.blocking import DEFAULT_BLOCKING, LSH_BLOCKING, Blocking, BlockingRule, candidate_pairs  # noqa: E402
from ctdx.linkage.clustering import ClusteringConfig  # noqa: E402
from ctdx.linkage.encoding import DEFAULT_ENCODING_CONFIG, SALTS, Encoder, LinkageSecret  # noqa: E402
from ctdx.linkage.normalise import identity_of  # noqa: E402
from ctdx.linkage.scoring import ScoringConfig  # noqa: E402

SECRET = LinkageSecret(b"ctdx benchmark secret, not a real one!!")
IDENTITY_FIELDS = ("prs_FirstName", "prs_MiddleName", "prs_SecondName", "prs_Birthdate", "prs_Gender")
DATE_FIELDS = ("ext_IdentificationDate", "ext_CaseOpenedDate")
THRESHOLD = 0.9
# Wider than the default: given or family name with the birth date too, for pairs whose names changed
# more (LD5 100k: pair completeness 0.568 -> 0.602, 9.3 -> 13.9 candidates per record).
WIDE_BLOCKING = Blocking(
    rules=(
        *DEFAULT_BLOCKING.rules,
        BlockingRule(("family", "birth"), (12, 12), 20),
        BlockingRule(("given", "birth"), (12, 12), 20),
    ),
    max_block=100,
)
# Narrower, for 1,000,000 records: longer bands, smaller blocks; fewer pairs to score, lower completeness.
NARROW_BLOCKING = Blocking(
    rules=(
        BlockingRule(("names",), (30,), 30, max_block=10),
        BlockingRule(("given", "family"), (16, 16), 20, max_block=20),
        BlockingRule(("names", "birth"), (14, 14), 20, max_block=50),
    ),
    max_block=50,
)
PRESETS = {"default": DEFAULT_BLOCKING, "wide": WIDE_BLOCKING, "narrow": NARROW_BLOCKING, "lsh": LSH_BLOCKING}


class Clock:
    """Wall and CPU seconds per phase; CPU includes finished child processes."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @staticmethod
    def _cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), self._cpu()
        yield
        self.wall[name] = round(time.perf_counter() - wall, 2)
        self.cpu[name] = round(self._cpu() - cpu, 2)
        print(f"{name}: {self.wall[name]:.1f} s wall, {self.cpu[name]:.1f} CPU-s", file=sys.stderr, flush=True)


def load(folder: Path) -> tuple[list[str], list[str], list[dict[str, object]], dict[str, str]]:
    """Record ids (``org:record``, so the evaluation splits cross- and within-organisation pairs),
    organisations, identity values and the truth (record -> person) of a cohort folder."""
    truth = {}
    with (folder / "truth.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            truth[f"{row['org']}:{row['source_record_id']}"] = row["person_id"]
    ids, orgs, values = [], [], []
    for path in sorted(folder.glob("*.csv")):
        if path.name == "truth.csv":
            continue
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                record: dict[str, object] = {k: row[k] for k in IDENTITY_FIELDS if row.get(k)}
                if row.get("prs_Citizenship"):
                    record["prs_Citizenship"] = tuple(c for c in row["prs_Citizenship"].replace("|", ";").split(";"))
                for name in DATE_FIELDS:
                    if row.get(name):
                        record[name] = dt.date.fromisoformat(row[name][:10])
                ids.append(f"{path.stem}:{row['source_record_id']}")
                orgs.append(path.stem)
                values.append(record)
    return ids, orgs, values, truth


def _encode_chunk(
    values: list[dict[str, object]], salt: str = DEFAULT_ENCODING_CONFIG.salt
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], int]:
    """Normalise and encode one chunk (in a worker): packed filters and presence per field."""
    identities, unreadable = [], 0
    for record in values:
        try:
            identities.append(identity_of(record))
        except ValidationError:
            unreadable += 1
            identities.append(identity_of({k: v for k, v in record.items() if k != "prs_Birthdate"}))
    batch = Encoder(SECRET, replace(DEFAULT_ENCODING_CONFIG, salt=salt)).encode_many(identities)
    return {name: (f.packed, f.present) for name, f in batch.fields.items()}, unreadable


def encode(
    values: list[dict[str, object]], workers: int, salt: str = DEFAULT_ENCODING_CONFIG.salt
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], int]:
    size = 20_000
    chunks = [values[i : i + size] for i in range(0, len(values), size)]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(_encode_chunk, chunks, [salt] * len(chunks)))
    else:
        parts = [_encode_chunk(c, salt) for c in chunks]
    fields = {}
    for name in parts[0][0]:
        fields[name] = (
            np.concatenate([p[0][name][0] for p in parts]),
            np.concatenate([p[0][name][1] for p in parts]),
        )
    return fields, sum(p[1] for p in parts)


def blocking_figures(left: np.ndarray, right: np.ndarray, person: np.ndarray) -> dict[str, float]:
    """Pair completeness and reduction ratio of the candidate pairs."""
    n = person.size
    sizes = np.bincount(person)
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    kept = int((person[left] == person[right]).sum())
    all_pairs = n * (n - 1) // 2
    return {
        "candidate_pairs": int(left.size),
        "candidates_per_record": left.size / n,
        "true_pairs": true_pairs,
        "pair_completeness": kept / true_pairs if true_pairs else 1.0,
        "reduction_ratio": 1 - left.size / all_pairs,
    }


def table() -> str:
    """The "## Scale" rows of bench/linkage/README.md from results/scale-*.json."""
    lines = [
        "| run | blocking | cand./rec | PC | P | R | F1 | post-cl. F1 | B³ F1 "
        "| count error (person ids, expected; range) | max cluster "
        "| encode / block / score / cluster CPU-s | CPU-s total | wall | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for path in sorted(HERE.glob("results/scale-*.json"), key=lambda p: (len(p.stem), p.stem)):
        r = json.loads(path.read_text())
        m, cpu = r["metrics"], r["timings"]["cpu"]
        b, pw, pc = m["blocking"], m["pairwise"], m["post_cluster"]
        low, high = m["count_range"]
        entities = m["entities"]
        phases = " / ".join(f"{cpu[k]:.0f}" for k in ("normalise_encode", "block", "score", "cluster"))
        error = m.get("expected_count_error")
        expected = "" if error is None else f", expected {error:+.1%}"
        lines.append(
            f"| {r['dataset']} ({r['backend']}, {r.get('scorer', 'splink')}) | {r['env']['blocking']} "
            f"| {b['candidates_per_record']:.1f} "
            f"| {b['pair_completeness']:.3f} | {pw['precision']:.3f} | {pw['recall']:.3f} | {pw['f1']:.3f} "
            f"| {pc['f1']:.3f} | {m['bcubed']['f1']:.3f} "
            f"| {m['count_error']:+.1%}{expected} ({(low - entities) / entities:+.1%} to "
            f"{(high - entities) / entities:+.1%}) "
            f"| {m['max_cluster_size']} (true {m['max_true_cluster_size']}) | {phases} | {r['cpu_seconds_total']:.0f} "
            f"| {r['timings']['end_to_end_wall']:.0f} s | {r['peak_rss_mb'] / 1024:.1f} GiB |"
        )
    return "\n".join(lines)


def main() -> None:
    if sys.argv[1:] == ["--table"]:
        print(table())
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", type=int)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backend", choices=["duckdb", "spark"], default="duckdb")
    parser.add_argument("--samples", type=int, default=200, help="Resamples for the count's range.")
    parser.add_argument("--blocking", choices=sorted(PRESETS), default="default")
    parser.add_argument("--scorer", choices=["chunked", "splink"], default="chunked")
    parser.add_argument("--train-sample", type=int, default=TRAIN_SAMPLE, help="Records the model trains on.")
    parser.add_argument("--compare-splink", action="store_true", help="Also score with Splink; compare links.")
    parser.add_argument("--salt", choices=list(SALTS), default=DEFAULT_ENCODING_CONFIG.salt, help="Name salt.")
    parser.add_argument("--seed", type=int, default=ScoringConfig.seed, help="The model's sampling seed.")
    parser.add_argument(
        "--u-max-pairs", type=float, default=ScoringConfig.u_max_pairs, help="Random pairs u is estimated on."
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    folder = ensure_cohort(args.cases)
    blocking_config = PRESETS[args.blocking]
    clock = Clock()
    started = time.perf_counter()
    with clock.phase("load"):
        ids, orgs, values, truth = load(folder)
    with clock.phase("normalise_encode"):
        fields, unreadable = encode(values, args.workers, args.salt)
        del values
    records = EncodedRecords(ids, orgs, {k: v[0] for k, v in fields.items()}, {k: v[1] for k, v in fields.items()})
    _, person = np.unique(np.array([truth[i] for i in ids]), return_inverse=True)
    with clock.phase("block"):
        candidates = candidate_pairs(records.packed, records.present, blocking_config)
    left, right = candidates.left, candidates.right
    blocking = {**blocking_figures(left, right, person), **candidates.summary()}
    print(json.dumps(blocking), file=sys.stderr)
    if args.backend == "spark":  # the session link_encoded's Spark backend will pick up: both cores
        from ctdx.linkage.spark import spark_session

        spark_session("local[2]", memory="4g")
    clustering = ClusteringConfig(threshold=THRESHOLD, samples=args.samples)
    scoring = ScoringConfig(mode="privacy", seed=args.seed, u_max_pairs=args.u_max_pairs)
    result = link_encoded(
        records,
        (left, right),
        scoring,
        clustering,
        backend=args.backend,
        scorer=args.scorer,
        train_sample=args.train_sample,
    )
    clock.wall.update({k: round(v, 2) for k, v in result.seconds.items()})
    clock.cpu.update({k: round(v, 2) for k, v in result.cpu_seconds.items()})
    end_to_end = time.perf_counter() - started
    peak_mb = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
    predicted = [(ids[a], ids[b]) for a, b in zip(*result.link_pairs, strict=True)]
    clusters = dict(zip(ids, result.labels.astype(str).tolist(), strict=True))
    metrics = evaluate(truth, clusters, predicted)
    comparison = None
    if args.compare_splink:
        other = link_encoded(records, (left, right), scoring, clustering, scorer="splink")
        ours = set(zip(*(a.tolist() for a in result.link_pairs), strict=True))
        theirs = set(zip(*(a.tolist() for a in other.link_pairs), strict=True))
        comparison = {
            "splink_scored_pairs": other.scored_pairs,
            "links_both": len(ours & theirs),
            "links_only_chunked": len(ours - theirs),
            "links_only_splink": len(theirs - ours),
            "count_chunked": result.count.estimate,
            "count_splink": other.count.estimate,
            "splink_cpu_seconds": other.cpu_seconds,
        }
        print(json.dumps(comparison), file=sys.stderr)
    metrics["blocking"] = blocking
    metrics["count_range"] = [result.count.low, result.count.high]
    entities = len(set(truth.values()))
    metrics["expected_count"] = result.count.expected
    metrics["expected_count_error"] = (
        None if result.count.expected is None else (result.count.expected - entities) / entities
    )
    sizes = np.bincount(result.labels)
    metrics["max_cluster_size"] = int(sizes.max())
    metrics["max_true_cluster_size"] = int(np.bincount(person).max())
    report: dict[str, Any] = {
        "dataset": f"ld5-{args.cases}",
        "profile": "P-min + sex + citizenship",
        "system": "ctdx-privacy",
        "backend": args.backend,
        "threshold": THRESHOLD,
        "model": "trained" if result.trained else "default",
        "scored_pairs": result.scored_pairs,
        "scorer": args.scorer if args.backend == "duckdb" else "splink",
        "train_sample": min(args.train_sample, len(ids)),
        "seed": args.seed,
        "u_max_pairs": args.u_max_pairs,
        "compare_splink": comparison,
        "unreadable_birth_dates": unreadable,
        "metrics": metrics,
        "timings": {"wall": clock.wall, "cpu": clock.cpu, "end_to_end_wall": round(end_to_end, 2)},
        "cpu_seconds_total": round(Clock._cpu(), 2),
        "peak_rss_mb": round(peak_mb / 1024, 1),
        "env": {
            "python": platform.python_version(),
            "cores": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
            "date": dt.date.today().isoformat(),
            "git_sha": subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
            ).stdout.strip(),
            "workers": args.workers,
            "blocking": args.blocking,
            "salt": args.salt,
            "blocking_rules": vars(blocking_config),
        },
    }
    scorer = "-spark" if args.backend == "spark" else "-chunked" if args.scorer == "chunked" else ""
    suffix = scorer + ("" if args.blocking == "default" else f"-{args.blocking}")
    out = args.out or HERE / "results" / f"scale-{args.cases}{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, default=str))
    print(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
