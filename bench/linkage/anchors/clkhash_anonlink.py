"""Anchor B2 reference: clkhash 0.18.3 CLKs + anonlink 0.15.3, configured as /work/shared/anchors/linkage.md system 3.

1024-bit record-level CLK, schema v3 (``clk_schema_min.json`` / ``clk_schema_full.json``: the weights of the
clkhash FEBRL4 API tutorial, default keyed BLAKE2b). Candidates: Dice >= t over all pairs (no blocking) with
``dice_coefficient_accelerated``. Methods:

- ``greedy`` on FEBRL4 (two parties): ``greedy_solve``, 1-1 groups;
- ``greedy`` on one file (dedupe): the file compared with itself, pairs with i<j fed to ``greedy_solve`` as a
  single dataset, so groups are cliques of candidates;
- ``cc`` on one file: the candidate pairs, then connected components;
- ``multiparty`` on LD4 and the sample cohorts (``ld5-*``, whose P-full schema
  ``clk_schema_sample_full.json`` adds sex and citizenship to P-min's): one dataset per organisation,
  ``greedy_solve`` over all cross-organisation candidates (anonlink's own multi-party use: at most one
  record per organisation in a group, so it cannot dedupe within an organisation).

For greedy and multiparty the predicted pairs are the solver's groups; for cc they are the candidates.

    bench/.venvs/anon/bin/python clkhash_anonlink.py febrl4 --profile P-full --method greedy --threshold 0.8
"""

from __future__ import annotations

import argparse
import array
from pathlib import Path

from common import HERE, SECRET, Phases, environment, is_sample, read_dataset, task_of, write_result
from evaluate import evaluate

SCHEMAS = {"P-min": HERE / "clk_schema_min.json", "P-full": HERE / "clk_schema_full.json"}
# P-full of a ctdx sample cohort (ld5-*): P-min's features and the sample's sex and citizenship.
SAMPLE_FULL_SCHEMA = HERE / "clk_schema_sample_full.json"


def encode(rows: list[dict[str, str]], profile: str, sample: bool = False) -> tuple[list, list[int]]:  # type: ignore[type-arg]
    from clkhash import clk
    from clkhash.schema import from_json_file

    path = SAMPLE_FULL_SCHEMA if sample and profile == "P-full" else SCHEMAS[profile]
    with path.open() as handle:
        schema = from_json_file(handle)
    columns = [f.identifier for f in schema.fields]
    data = [[row[c] for c in columns] for row in rows]
    clks = clk.generate_clks(data, schema, SECRET.decode())
    return clks, [c.count() for c in clks]


def components(n: int, pairs: list[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    return [find(i) for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("--profile", choices=list(SCHEMAS), required=True)
    parser.add_argument("--method", choices=["greedy", "cc", "multiparty"], required=True)
    parser.add_argument("--threshold", type=float, required=True)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from anonlink.candidate_generation import find_candidate_pairs
    from anonlink.similarities import dice_coefficient_accelerated
    from anonlink.solving import greedy_solve

    phases = Phases()
    rows, truth = read_dataset(args.dataset)
    uids = [row["uid"] for row in rows]
    task = task_of(rows)
    phases.mark("load")
    clks, popcounts = encode(rows, args.profile, is_sample(args.dataset))
    phases.mark("encode")

    clusters: dict[str, str] = {}
    predicted: list[tuple[str, str]] = []
    if task == "link" or args.method == "multiparty":
        if args.method == "cc":
            parser.error("cc is for one file; use greedy (two parties) or multiparty")
        orgs = sorted({row["file"] for row in rows})
        index = [[i for i, row in enumerate(rows) if row["file"] == org] for org in orgs]
        datasets = [[clks[i] for i in members] for members in index]
        candidates = find_candidate_pairs(datasets, dice_coefficient_accelerated, args.threshold)
        phases.mark("compare")
        groups = greedy_solve(candidates)
        phases.mark("solve")
        for number, group in enumerate(groups):
            members = sorted(uids[index[d][r]] for d, r in group)
            for uid in members:
                clusters[uid] = f"g{number}"
            predicted += [(a, b) for i, a in enumerate(members) for b in members[i + 1 :]]
    else:
        similarity, (_, _), (rec0, rec1) = find_candidate_pairs(
            [clks, clks], dice_coefficient_accelerated, args.threshold
        )
        keep = [i for i in range(len(similarity)) if rec0[i] < rec1[i]]
        phases.mark("compare")
        if args.method == "cc":
            pairs = [(rec0[i], rec1[i]) for i in keep]
            roots = components(len(uids), pairs)
            clusters = {uid: f"c{root}" for uid, root in zip(uids, roots, strict=True)}
            predicted = [(uids[a], uids[b]) for a, b in pairs]
        else:
            single = (
                array.array("d", (similarity[i] for i in keep)),
                (array.array("I", bytes(4 * len(keep))), array.array("I", bytes(4 * len(keep)))),
                (array.array("I", (rec0[i] for i in keep)), array.array("I", (rec1[i] for i in keep))),
            )
            for number, group in enumerate(greedy_solve(single)):
                members = sorted(uids[r] for _, r in group)
                for uid in members:
                    clusters[uid] = f"g{number}"
                predicted += [(a, b) for i, a in enumerate(members) for b in members[i + 1 :]]
        phases.mark("solve")
    for uid in uids:
        clusters.setdefault(uid, "single:" + uid)
    metrics = evaluate(truth, clusters, predicted)
    phases.mark("evaluate")
    mean = sum(popcounts) / len(popcounts)
    sd = (sum((p - mean) ** 2 for p in popcounts) / len(popcounts)) ** 0.5
    write_result(
        args.out,
        {
            "dataset": args.dataset,
            "profile": args.profile,
            "system": "clkhash+anonlink",
            "method": args.method,
            "popcount": {"mean": mean, "sd": sd, "bits": 1024},
            "results": [{"threshold": args.threshold, "metrics": metrics}],
            "timings": phases.seconds,
            "cpu": phases.cpu,
            "env": environment(["clkhash", "anonlink", "numpy", "bitarray", "cryptography"]),
        },
    )


if __name__ == "__main__":
    main()
