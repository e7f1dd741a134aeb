"""LD4 of benchmarks.md B8: FEBRL3 split over K organisations with ``random.Random(seed)``.

Each FEBRL3 record goes to one of K organisations drawn uniformly by a seeded generator, so a person's
duplicates land sometimes in one organisation (within-organisation pairs, a local dedupe) and sometimes in
several (cross-organisation pairs, what the hub links). The truth stays the n of ``rec-<n>-...``. Writes
``data/ld4-s<seed>.csv`` with the organisation in the ``file`` column (org1..orgK). Standard library only,
so it runs in any venv.

    python bench/linkage/split_orgs.py --orgs 4 --seeds 0 1 2 3 4
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def split(rows: list[dict[str, str]], orgs: int, seed: int) -> list[dict[str, str]]:
    """The same rows with ``file`` set to the organisation each was drawn into."""
    rng = random.Random(seed)
    return [{**row, "file": f"org{rng.randrange(orgs) + 1}"} for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=4)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--source", type=Path, default=DATA / "febrl3.csv")
    args = parser.parse_args()
    with args.source.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    for seed in args.seeds:
        out = split(rows, args.orgs, seed)
        path = DATA / f"ld4-s{seed}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            writer.writerows(out)
        by_org: dict[str, set[str]] = {}
        for row in out:
            by_org.setdefault(row["file"], set()).add(row["entity_id"])
        sizes = {org: sum(1 for r in out if r["file"] == org) for org in sorted(by_org)}
        print(f"ld4 seed {seed}: {len(out)} records over {args.orgs} organisations {sizes} -> {path}")


if __name__ == "__main__":
    main()
