"""Anchor B0: the exact-HMAC baseline (linkage.md system 1), standard library only.

Key = HMAC-SHA256(secret, norm(given_name) | norm(surname) | date_of_birth) with norm = NFKD, strip accents,
lowercase, keep [a-z0-9]. Equal keys match and the clusters are the key groups. ``missing=skip``: a record
with an empty key field never matches; ``missing=empty``: empty fields are hashed as "". P-min only.

    python exact_hash.py febrl4 --missing skip --out results/anchors/exact-febrl4-skip.json
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

from common import SECRET, Phases, environment, read_dataset, write_result
from evaluate import evaluate


def norm(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]", "", stripped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("--missing", choices=["skip", "empty"], required=True)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    phases = Phases()
    rows, truth = read_dataset(args.dataset)
    phases.mark("load")
    clusters: dict[str, str] = {}
    for row in rows:
        parts = [norm(row["given_name"]), norm(row["surname"]), norm(row["date_of_birth"])]
        if args.missing == "skip" and not all(parts):
            clusters[row["uid"]] = "single:" + row["uid"]
            continue
        clusters[row["uid"]] = hmac.new(SECRET, "|".join(parts).encode(), hashlib.sha256).hexdigest()
    phases.mark("encode")
    groups: dict[str, list[str]] = defaultdict(list)
    for uid, key in clusters.items():
        groups[key].append(uid)
    pairs = [(a, b) for members in groups.values() for i, a in enumerate(members) for b in members[i + 1 :]]
    phases.mark("cluster")
    metrics = evaluate(truth, clusters, pairs)
    phases.mark("evaluate")
    write_result(
        args.out,
        {
            "dataset": args.dataset,
            "profile": "P-min",
            "system": "exact-hmac",
            "method": f"missing={args.missing}",
            "results": [{"threshold": None, "metrics": metrics}],
            "timings": phases.seconds,
            "cpu": phases.cpu,
            "env": environment([]),
        },
    )


if __name__ == "__main__":
    main()
