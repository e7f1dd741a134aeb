"""Collect one run of ``run.sh`` into bench/results/linkage.json and print the markdown tables.

Reads ``results/run/NAME.json`` (metrics from each system, computed by ``evaluate.py``), ``NAME.time``
(``/usr/bin/time -v``: CPU seconds = user + system, peak RSS, wall) and ``NAME.meta`` (load before and after,
exit code). Standard library only. Also checks the issue-6 targets against the rows it has and writes a
small JSON (one flat row per system x dataset x profile x method x threshold).

    python bench/linkage/report.py --runs bench/linkage/results/run --json bench/results/linkage.json
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = {"febrl4": 0, "febrl3": 1, "febrl2": 2, "febrl1": 3}
SYSTEM_ORDER = {"exact-hmac": 0, "splink": 1, "clkhash+anonlink": 2, "ctdx-plaintext": 3, "ctdx-privacy": 4}
TITLES = {
    "febrl4": "FEBRL4: link A-B (5,000 + 5,000 records, 5,000 true cross pairs)",
    "febrl3": "FEBRL3: dedupe (5,000 records, 2,000 entities, 6,538 true pairs)",
    "febrl2": "FEBRL2: dedupe (5,000 records, 4,000 entities, 1,934 true pairs)",
    "febrl1": "FEBRL1: dedupe (1,000 records, 500 entities, 500 true pairs)",
    "ld5-10000": "LD5 10k: `ctdx sample --cases 10000 --orgs 5 --seed 1` (10,000 records, 7,861 persons)",
    "ld5-100000": "LD5 100k: `ctdx sample --cases 100000 --orgs 5 --seed 1` (100,000 records, 78,838 persons)",
}


def _time_file(path: Path) -> dict[str, float]:
    if not path.exists():
        return {}
    text = path.read_text()
    out: dict[str, float] = {}
    for key, pattern in (
        ("user", r"User time \(seconds\): ([\d.]+)"),
        ("system", r"System time \(seconds\): ([\d.]+)"),
        ("peak_kb", r"Maximum resident set size \(kbytes\): (\d+)"),
    ):
        found = re.search(pattern, text)
        if found:
            out[key] = float(found.group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    if wall:
        seconds = 0.0
        for part in wall.group(1).split(":"):
            seconds = seconds * 60 + float(part)
        out["wall"] = seconds
    return out


def _meta(path: Path) -> dict[str, object]:
    if not path.exists():
        return {}
    first = path.read_text().splitlines()[0]
    return dict(json.loads(first))


def collect(runs: Path) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Flat rows for every (run, threshold), and the runs that failed or were skipped."""
    rows, failed = [], []
    for meta_path in sorted(runs.glob("*.meta")):
        name = meta_path.stem
        meta = _meta(meta_path)
        result_path = runs / f"{name}.json"
        if meta.get("rc") != 0 or not result_path.exists():
            failed.append(
                {"name": name, "rc": meta.get("rc"), "note": "timeout" if meta.get("rc") == 124 else "failed"}
            )
            continue
        run = json.loads(result_path.read_text())
        if "results" not in run:  # the attack runs: reported on their own
            continue
        timing = _time_file(runs / f"{name}.time")
        dataset = str(run["dataset"])
        for result in run["results"]:
            m = result["metrics"]
            row: dict[str, object] = {
                "run": name,
                "dataset": dataset,
                "system": run["system"],
                "profile": run.get("profile", "P-min"),
                "method": run.get("method") or run.get("model", ""),
                "threshold": result["threshold"],
                "precision": m["pairwise"]["precision"],
                "recall": m["pairwise"]["recall"],
                "f1": m["pairwise"]["f1"],
                "post_cluster_f1": m["post_cluster"]["f1"],
                "bcubed_f1": m["bcubed"]["f1"],
                "count_error": m["count_error"],
                "clusters": m["clusters"],
                "entities": m["entities"],
                "false_merges": m.get("false_merges"),
                "false_splits": m.get("false_splits"),
                "reduction_ratio": m.get("blocking", {}).get("reduction_ratio"),
                "pair_completeness": m.get("blocking", {}).get("pair_completeness"),
                "count_range": m.get("count_range"),
                "expected_count_error": m.get("expected_count_error"),
                "wall_s": timing.get("wall"),
                "cpu_s": (timing["user"] + timing["system"]) if "user" in timing else None,
                "peak_mb": timing["peak_kb"] / 1024 if "peak_kb" in timing else run.get("peak_rss_mb"),
                "load1": [meta.get("load1_before"), meta.get("load1_after")],
                "phases": {k: round(v, 2) for k, v in run.get("timings", {}).items()},
            }
            for part in ("pairwise_cross", "pairwise_within", "post_cluster_cross", "post_cluster_within"):
                if part in m:
                    row[f"{part}_f1"] = m[part]["f1"]
                    row[f"{part}_recall"] = m[part]["recall"]
                    row[f"{part}_precision"] = m[part]["precision"]
            if "popcount" in run:
                row["popcount_mean"] = run["popcount"]["mean"]
            rows.append(row)
    for skipped in sorted(runs.glob("*.skipped")):
        failed.append(json.loads(skipped.read_text()))
    rows.sort(
        key=lambda r: (
            ORDER.get(str(r["dataset"]), 9),
            str(r["dataset"]),
            SYSTEM_ORDER.get(str(r["system"]), 9),
            str(r["profile"]) != "P-min",
            str(r["method"]),
            float(r["threshold"]) if r["threshold"] is not None else 0.0,
        )
    )
    return rows, failed


def _f(value: object, digits: int = 3) -> str:
    return "–" if value is None else f"{float(value):.{digits}f}"  # type: ignore[arg-type]


def _count(row: dict[str, object]) -> str:
    text = f"{float(row['count_error']):+.1%} ({row['clusters']})"  # type: ignore[arg-type]
    if row.get("count_range"):
        low, high = row["count_range"]  # type: ignore[misc]
        text += f" [{low}–{high}]"
    if row.get("expected_count_error") is not None:
        text += f", expected {float(row['expected_count_error']):+.1%}"  # type: ignore[arg-type]
    return text.replace("%", " %")


def tables(rows: list[dict[str, object]]) -> str:
    out = []
    header = (
        "| system | profile | method | t | P | R | F1 | post-cluster F1 | count error (clusters) | B³ F1 "
        "| RR / PC | wall s | CPU s | peak MB | load1 |\n|" + "---|" * 15
    )
    datasets = sorted({str(r["dataset"]) for r in rows}, key=lambda d: (ORDER.get(d, 9), d))
    for dataset in datasets:
        chosen = [r for r in rows if r["dataset"] == dataset]
        out.append(f"\n### {TITLES.get(dataset, dataset)}\n\n{header}")
        for r in chosen:
            blocking = (
                f"{_f(r['reduction_ratio'], 4)} / {_f(r['pair_completeness'])}"
                if r["reduction_ratio"] is not None
                else "–"
            )
            load = r["load1"]
            threshold = r["threshold"] if r["threshold"] is not None else "–"
            out.append(
                f"| {r['system']} | {r['profile']} | {r['method']} | {threshold} "
                f"| {_f(r['precision'])} | {_f(r['recall'])} | {_f(r['f1'])} | {_f(r['post_cluster_f1'])} "
                f"| {_count(r)} | {_f(r['bcubed_f1'])} | {blocking} | {_f(r['wall_s'], 1)} | {_f(r['cpu_s'], 1)} "
                f"| {_f(r['peak_mb'], 0)} | {_f(load[0], 1)}–{_f(load[1], 1)} |"  # type: ignore[index]
            )
        if any("pairwise_cross_f1" in r for r in chosen) and dataset.startswith(("ld4", "ld5")):
            out.append(
                "\nCross- and within-organisation pairs (P / R / F1):\n\n"
                "| system | profile | method | t | pairwise cross | pairwise within | post-cluster cross "
                "| post-cluster within |\n|---|---|---|---|---|---|---|---|"
            )
            for r in chosen:
                cells = [
                    f"{_f(r[f'{p}_precision'])} / {_f(r[f'{p}_recall'])} / {_f(r[f'{p}_f1'])}"
                    for p in ("pairwise_cross", "pairwise_within", "post_cluster_cross", "post_cluster_within")
                ]
                threshold = r["threshold"] if r["threshold"] is not None else "–"
                out.append(
                    f"| {r['system']} | {r['profile']} | {r['method']} | {threshold} | " + " | ".join(cells) + " |"
                )
    return "\n".join(out)


def phases(rows: list[dict[str, object]]) -> str:
    """Seconds per phase (in process, wall) of each run, once per run."""
    out = ["\n### Seconds per phase (wall, in process; CPU s of the whole process beside)\n"]
    out.append("| dataset | system | profile | method | phases | CPU s | peak MB |\n|---|---|---|---|---|---|---|")
    seen = set()
    for r in rows:
        if r["run"] in seen:
            continue
        seen.add(r["run"])
        method = r["method"] if r["system"] != "clkhash+anonlink" else f"{r['method']} t={r['threshold']}"
        steps = " · ".join(f"{k} {v:.2f}" for k, v in r["phases"].items())  # type: ignore[attr-defined]
        out.append(
            f"| {r['dataset']} | {r['system']} | {r['profile']} | {method} | {steps} | {_f(r['cpu_s'], 1)} "
            f"| {_f(r['peak_mb'], 0)} |"
        )
    return "\n".join(out)


def headline(rows: list[dict[str, object]]) -> str:
    """Per dataset and profile, each system at its best-F1 threshold (the oracle policy of B4)."""
    out = [
        "\n### Headline: each system at its best-F1 threshold\n",
        "| dataset | profile | system | method, t | F1 | post-cluster F1 | count error | B³ F1 | CPU s | peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    keys = sorted(
        {(str(r["dataset"]), str(r["profile"])) for r in rows},
        key=lambda k: (ORDER.get(k[0], 9), k[0], k[1] != "P-min"),
    )
    for dataset, profile in keys:
        for system in sorted(SYSTEM_ORDER, key=SYSTEM_ORDER.__getitem__):
            best = _best(rows, dataset=dataset, profile=profile, system=system)
            if best is None:
                continue
            threshold = best["threshold"] if best["threshold"] is not None else "–"
            out.append(
                f"| {dataset} | {profile} | {system} | {best['method']}, {threshold} | {_f(best['f1'])} "
                f"| {_f(best['post_cluster_f1'])} | {_count(best)} | {_f(best['bcubed_f1'])} | {_f(best['cpu_s'], 1)} "
                f"| {_f(best['peak_mb'], 0)} |"
            )
    return "\n".join(out)


def _best(rows: list[dict[str, object]], **match: object) -> dict[str, object] | None:
    chosen = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    return max(chosen, key=lambda r: float(r["f1"]), default=None)  # type: ignore[arg-type]


def targets(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """The issue-6 targets that this run can check, with our best figure and the anchor beside it."""
    checks = []
    for profile, goal in (("P-full", 0.99), ("P-min", 0.95)):
        ours = _best(rows, dataset="febrl4", system="ctdx-privacy", profile=profile)
        splink = _best(rows, dataset="febrl4", system="splink", profile=profile)
        checks.append(
            {
                "target": f"FEBRL4 privacy mode F1 >= {goal} ({profile})",
                "ours": ours and ours["f1"],
                "anchor": splink and splink["f1"],
                "met": bool(ours and float(ours["f1"]) >= goal),  # type: ignore[arg-type]
            }
        )
        checks.append(
            {
                "target": f"FEBRL4 privacy within 0.01 F1 of plaintext Splink ({profile})",
                "ours": ours and ours["f1"],
                "anchor": splink and splink["f1"],
                "met": bool(ours and splink and float(ours["f1"]) >= float(splink["f1"]) - 0.01),  # type: ignore[arg-type]
            }
        )
    for profile in ("P-min", "P-full"):
        chosen = [
            r for r in rows if r["dataset"] == "febrl3" and r["system"] == "ctdx-privacy" and r["profile"] == profile
        ]
        best = min(chosen, key=lambda r: abs(float(r["count_error"])), default=None)  # type: ignore[arg-type]
        splink = [r for r in rows if r["dataset"] == "febrl3" and r["system"] == "splink" and r["profile"] == profile]
        anchor = min(splink, key=lambda r: abs(float(r["count_error"])), default=None)  # type: ignore[arg-type]
        checks.append(
            {
                "target": f"FEBRL3 person-count error within 3 % ({profile}, privacy mode)",
                "ours": best and best["count_error"],
                "ours_threshold": best and best["threshold"],
                "anchor": anchor and anchor["count_error"],
                "met": bool(best and abs(float(best["count_error"])) <= 0.03),  # type: ignore[arg-type]
            }
        )
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=HERE / "results" / "run")
    parser.add_argument("--json", type=Path, default=HERE.parent / "results" / "linkage.json")
    args = parser.parse_args()
    rows, failed = collect(args.runs)
    checks = targets(rows)
    attack = {path.stem: json.loads(path.read_text()) for path in sorted(args.runs.glob("attack*.json"))}
    env = {}
    for meta in sorted(args.runs.glob("*.json")):
        run = json.loads(meta.read_text())
        if isinstance(run, dict) and "env" in run and "system" in run:
            env[str(run["system"])] = run["env"]
    args.json.parent.mkdir(parents=True, exist_ok=True)

    def small(value: object) -> object:
        if isinstance(value, float):
            return round(value, 4)
        if isinstance(value, dict):
            return {k: small(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [small(v) for v in value]
        return value

    lines = [json.dumps(small(row), ensure_ascii=False) for row in rows]
    rest = json.dumps(small({"failed": failed, "targets": checks, "attack": attack, "env": env}), indent=1)
    args.json.write_text('{"rows": [\n' + ",\n".join(lines) + "\n],\n" + rest[1:].lstrip() + "\n")
    print(headline(rows))
    print(tables(rows))
    print(phases(rows))
    print(
        "\n### Issue-6 targets (best threshold of each system)\n\n"
        "| target | ours | Splink plaintext | met |\n|---|---|---|---|"
    )
    for c in checks:
        if "count error" in str(c["target"]):
            ours = "–" if c["ours"] is None else f"{float(c['ours']):+.1%} (t={c['ours_threshold']})"  # type: ignore[arg-type]
            anchor = "–" if c["anchor"] is None else f"{float(c['anchor']):+.1%}"  # type: ignore[arg-type]
        else:
            ours, anchor = _f(c["ours"]), _f(c["anchor"])
        print(f"| {c['target']} | {ours} | {anchor} | {'yes' if c['met'] else 'no'} |")
    if attack:
        print(
            "\n### Attacks (share of simulated people re-identified)\n\n"
            "| public list | people | names | frequency, hardened | pattern mining, hardened | frequency, unhardened "
            "| pattern mining, unhardened | hub: largest near-identical group |\n|---|---|---|---|---|---|---|---|"
        )
        for a in attack.values():
            h, u = a["reidentified_hardened"], a["reidentified_unhardened"]
            print(
                f"| {a.get('public_list', '')} | {a['simulated_records']} | {a['public_names']} | {h['frequency']:.1%} "
                f"| {h['pattern_mining']:.1%} | {u['frequency']:.1%} | {u['pattern_mining']:.1%} "
                f"| {a['hub_largest_near_identical_group_share']:.1%} |"
            )
    if failed:
        print("\nNot measured: " + ", ".join(f"{f.get('name')} ({f.get('note') or f.get('skipped')})" for f in failed))
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
