"""Score every release in ``out/<D>/`` against its train split and print the benchmark's tables.

Every system wrote ``<name>.csv`` (its release) and ``<name>.json`` (seconds inside the process, privacy
parameters); ``run.sh`` wrote ``<name>.time`` (``/usr/bin/time -v``) and ``<name>.status`` (the exit code:
124 is a timeout). This script reads them all, encodes each release with the dataset's declared domain
(a value outside it, such as anjana's ``2005-2018`` or a blank pac-synth cell, gets a code of its own, so it
counts as a mismatch), and computes with the library's metrics (``metrics.py``, ``attacks.py``):
k-marginal, 3-way TVD, union MAE by length 1-4, fabricated and suppressed shares, unique-row copies, and the
inference attack with every control row as a target (95 % Wilson intervals). Scores are cached per release
(``<name>.eval.json``, keyed by the release file's size and time) so that a rerun only scores what changed.

Writes ``out/results.json`` and the compact ``bench/results/privacy.json``; prints markdown tables.

Run: ``.venv/bin/python bench/privacy/report.py [--no-attacks]``.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attacks import inference_risks
from compare_kanon import compare
from metrics import combination_metrics, k_marginal, three_way_tvd, unique_copies_pct

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
RESULTS = HERE.parent / "results" / "privacy.json"
SCALED = ("subsample_10", "subsample_40", "holdout")  # counts scaled to train size in the union MAE
BLANK = "<blank>"
WORKERS = int(os.environ.get("REPORT_WORKERS", "2"))


class Encoder:
    """Text -> integer codes per column: 0 missing, 1.. the declared domain, then every other label seen."""

    def __init__(self, columns: list[str], domain: dict[str, list[str]], missing_is_na: bool) -> None:
        self.columns = columns
        self.missing_is_na = missing_is_na
        self.codes = [{v: i + 1 for i, v in enumerate(domain[c])} for c in columns]

    def matrix(self, path: Path, blank_is_value: bool = False) -> np.ndarray:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            position = [header.index(c) for c in self.columns]
            rows = list(reader)
        out = np.zeros((len(rows), len(self.columns)), dtype=np.int64)
        for j, (p, codes) in enumerate(zip(position, self.codes, strict=True)):
            for i, row in enumerate(rows):
                value = row[p]
                if value == "" and blank_is_value:
                    value = BLANK
                elif value == "" or (value == "NA" and self.missing_is_na):
                    continue
                code = codes.get(value)
                if code is None:
                    code = codes[value] = len(codes) + 1
                out[i, j] = code
        return out


def time_v(path: Path) -> dict[str, float]:
    """CPU seconds, wall seconds and peak RSS from a ``/usr/bin/time -v`` report."""
    if not path.is_file():
        return {}
    text = path.read_text(errors="replace")

    def number(label: str) -> float | None:
        found = re.search(rf"{re.escape(label)}: ([0-9.:]+)", text)
        if not found:
            return None
        value = found.group(1)
        if ":" in value:
            seconds = 0.0
            for part in value.split(":"):
                seconds = seconds * 60 + float(part)
            return seconds
        return float(value)

    user, system = number("User time (seconds)"), number("System time (seconds)")
    out = {
        "cpu_seconds": (user or 0.0) + (system or 0.0),
        "wall_seconds": number("Elapsed (wall clock) time (h:mm:ss or m:ss)"),
        "peak_rss_mb": (number("Maximum resident set size (kbytes)") or 0.0) / 1024,
    }
    return {k: v for k, v in out.items() if v is not None}


def combination_metrics_sds(t: np.ndarray, s: np.ndarray, blank: list[int], limit: int = 300) -> dict[str, float]:
    """SDS semantics: a blank cell (an attribute pac-synth left out of a record) is not a combination."""
    radix = int(max(t.max(), s.max())) + 1
    return combination_metrics(t, s, radix, 1.0, limit, blank=blank)


def evaluate(
    name: str, t: np.ndarray, c: np.ndarray, s: np.ndarray, meta: dict[str, object], targets: int
) -> dict[str, float]:
    radix = int(max(t.max(), s.max(), c.max())) + 1
    scale = len(t) / len(s) if name in SCALED else 1.0
    scores: dict[str, float] = {
        "k_marginal": k_marginal(t, s, radix),
        "three_way_tvd": three_way_tvd(t, s, radix),
        **combination_metrics(t, s, radix, scale),
        "unique_copies_pct": unique_copies_pct(t, s),
        "rows_out": float(len(s)),
    }
    blank = meta.get("blank")
    if isinstance(blank, list):
        library = {
            k: scores[k] for k in ("fabricated_pct", "suppressed_pct", *(f"union_mae_{i}" for i in (1, 2, 3, 4)))
        }
        scores.update({f"blank_as_value_{k}": v for k, v in library.items()})
        scores.update(combination_metrics_sds(t, s, blank))
        scores["blank_cells_pct"] = 100 * float(np.mean(s == np.asarray(blank)))
    if targets >= 0 and name != "holdout":
        aux = [int(i) for i in meta["aux"]]  # type: ignore[union-attr]
        secrets = [int(i) for i in meta["secret_columns"]]  # type: ignore[union-attr]
        keep = aux + secrets
        found = inference_risks(
            t[:, keep],
            c[:, keep],
            s[:, keep],
            list(range(len(aux))),
            list(range(len(aux), len(keep))),
            targets or len(c),
            1,
        )
        for secret, risk in zip(meta["secrets"], found, strict=True):  # type: ignore[call-overload]
            scores.update({f"inference_{secret}_{key}": value for key, value in risk.items()})
    return scores


def score(job: tuple[str, str, str, int]) -> str:
    """Score one release (in a worker process) and cache the result in ``<name>.eval.json``."""
    dataset, name, stamp, targets = job
    folder = OUT / dataset
    info = json.loads((folder / "domain.json").read_text())
    columns = list(info["domain"])
    encoder = Encoder(columns, info["domain"], info["missing_is_na"])
    t, c = encoder.matrix(folder / "train.csv"), encoder.matrix(folder / "control.csv")
    context = {
        "aux": [columns.index(q) for q in info["quasi_identifiers"]],
        "secret_columns": [columns.index(s) for s in info["secrets"]],
        "secrets": info["secrets"],
    }
    pac = name.startswith("pacsynth")
    s = encoder.matrix(folder / f"{name}.csv", blank_is_value=pac)
    blank = {"blank": [codes.get(BLANK, -1) for codes in encoder.codes]} if pac else {}
    scores = evaluate(name, t, c, s, context | blank, targets)
    (folder / f"{name}.eval.json").write_text(json.dumps({"stamp": stamp, "scores": scores}))
    return name


def dataset_results(dataset: str, targets: int, attack: re.Pattern[str]) -> dict[str, object]:
    folder = OUT / dataset
    info = json.loads((folder / "domain.json").read_text())
    columns = list(info["domain"])
    encoder = Encoder(columns, info["domain"], info["missing_is_na"])
    t, c = encoder.matrix(folder / "train.csv"), encoder.matrix(folder / "control.csv")
    unique_rows = float(np.mean(np.unique(t, axis=0, return_counts=True)[1] == 1))
    runs: dict[str, dict[str, object]] = {}
    jobs: dict[str, tuple[str, str, str, int]] = {}
    names = sorted({p.stem for p in folder.glob("*.json")} | {p.stem for p in folder.glob("*.status")})
    skip = {"domain", "hierarchies", "kanon_comparison"}
    for name in names:
        if name in skip or name.endswith(".eval"):
            continue
        meta = json.loads((folder / f"{name}.json").read_text()) if (folder / f"{name}.json").is_file() else {}
        status_file = folder / f"{name}.status"
        status = int(status_file.read_text().strip() or 0) if status_file.is_file() else 0
        run: dict[str, object] = {"meta": meta, "exit_status": status, **time_v(folder / f"{name}.time")}
        if (folder / f"{name}.log").is_file() and status != 0:
            log = (folder / f"{name}.log").read_text(errors="replace").splitlines()
            run["rounds_done"] = sum(1 for line in log if line.startswith("Selected"))
            budget = [line for line in log if "Budget Used" in line]
            if budget:
                run["budget_used"] = float(budget[-1].rsplit(" ", 1)[-1])
        if status == 0 and not meta:
            continue  # a job that wrote releases under other names (subsample -> subsample_10, subsample_40)
        release = folder / f"{name}.csv"
        if release.is_file() and status == 0:
            release_targets = targets if attack.search(name) else -1
            stamp = f"{release.stat().st_size}:{release.stat().st_mtime_ns}:{release_targets}"
            cache = folder / f"{name}.eval.json"
            cached = json.loads(cache.read_text()) if cache.is_file() else {}
            if cached.get("stamp") != stamp:
                jobs[name] = (dataset, name, stamp, release_targets)
        runs[name] = run
    with ProcessPoolExecutor(max_workers=WORKERS) as pool:
        for name in pool.map(score, jobs.values()):
            print(f"scored {dataset} {name}", file=sys.stderr)
    for name, run in runs.items():
        cache = folder / f"{name}.eval.json"
        if isinstance(run, dict) and "exit_status" in run and run["exit_status"] == 0 and cache.is_file():
            run["scores"] = json.loads(cache.read_text())["scores"]
        runs[name] = run
    return {
        "train_rows": len(t),
        "control_rows": len(c),
        "columns": len(columns),
        "train_rows_unique_pct": 100 * unique_rows,
        "quasi_identifiers": info["quasi_identifiers"],
        "secrets": info["secrets"],
        "kanon": compare(dataset) if (folder / "hierarchies.json").is_file() else {},
        "runs": runs,
    }


ORDER = (
    "holdout",
    "subsample_40",
    "subsample_10",
    "indep",
    "anjana",
    "ours_kanon",
    "ours_eps",
    "pacsynth",
    "mst",
    "aim",
)


def order(name: str) -> tuple[int, str]:
    for i, prefix in enumerate(ORDER):
        if name.startswith(prefix):
            return i, name
    return len(ORDER), name


def label(name: str, run: dict[str, object]) -> str:
    meta = run.get("meta") or {}
    base = str(meta.get("system", name)) if isinstance(meta, dict) else name
    if isinstance(meta, dict) and "sampler" in meta:
        base += f", {meta['sampler']}"
    return base


def epsilon_of(name: str) -> str:
    found = re.search(r"eps([0-9.]+)", name)
    return found.group(1) if found else "–"


def tables(results: dict[str, object]) -> str:
    lines = []
    for dataset, data in results["datasets"].items():  # type: ignore[union-attr]
        lines.append(f"\n### {dataset}: {data['train_rows']:,} train rows × {data['columns']} columns\n")
        lines.append(
            "| release | ε | k-marginal | 3-way TVD | union-MAE L1 / L2 / L3 / L4 | fabricated % | suppressed % "
            "| unique-row copies % | rows out | fit + sample s (in process) | CPU s | peak MB |"
        )
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for name in sorted(data["runs"], key=order):
            run = data["runs"][name]
            meta = run.get("meta") or {}
            timing = ""
            if meta.get("fit_seconds") is not None:
                timing = f"{meta['fit_seconds']:.1f} + {meta.get('sample_seconds') or 0:.1f}"
            cpu = f"{run['cpu_seconds']:.0f}" if "cpu_seconds" in run else ""
            peak = f"{run['peak_rss_mb']:.0f}" if "peak_rss_mb" in run else ""
            if "scores" not in run:
                stopped = {124: "**timeout**", 143: "**stopped** (SIGTERM, exit 143)", 137: "**killed** (exit 137)"}
                what = stopped.get(int(run["exit_status"]), f"**failed** (exit {run['exit_status']})")
                if run.get("rounds_done"):
                    what += f" after {run['rounds_done']} rounds, {100 * float(run.get('budget_used', 0)):.0f} % of ρ"
                lines.append(f"| {name} | {epsilon_of(name)} | {what} | | | | | | | | {cpu} | {peak} |")
                continue
            s = run["scores"]
            mae = " / ".join(f"{s[f'union_mae_{i}']:.1f}" for i in (1, 2, 3, 4))
            lines.append(
                f"| {label(name, run)} | {epsilon_of(name)} | {s['k_marginal']:.1f} | {s['three_way_tvd']:.3f} | {mae} "
                f"| {s['fabricated_pct']:.2f} | {s['suppressed_pct']:.2f} | {s['unique_copies_pct']:.2f} "
                f"| {int(s['rows_out']):,} | {timing} | {cpu} | {peak} |"
            )
        kanon = data.get("kanon") or {}
        if kanon:
            lines.append(
                f"\n{dataset} k-anonymity (k = 10, suppression ≤ 5 %, QIs {', '.join(data['quasi_identifiers'])}):\n"
            )
            lines.append(
                "| system | information loss | rows removed | rows with QIs suppressed | classes "
                "| discernibility / n² | k verified | seconds |"
            )
            lines.append("|---|---|---|---|---|---|---|---|")
            for who, k in kanon.items():
                verified = "own checker" if who == "ours" else f"pycanon {k.get('pycanon_k')}"
                lines.append(
                    f"| {who} | {k['information_loss']:.4f} | {k['rows_removed']:,} "
                    f"| {int(k.get('rows_locally_suppressed', 0)):,} "
                    f"| {k['classes']} | {k['discernibility_over_n2']:.4f} | {verified} | {k['seconds']:.2f} |"
                )
        secrets = data["secrets"]
        lines.append(f"\n{dataset} inference attack (knows {', '.join(data['quasi_identifiers'])}): risk [95 % CI]\n")
        lines.append("| release | " + " | ".join(secrets) + " | control-target hit rates | targets |")
        lines.append("|---|" + "---|" * (len(secrets) + 2))
        for name in sorted(data["runs"], key=order):
            s = data["runs"][name].get("scores") or {}
            if f"inference_{secrets[0]}_risk" not in s:
                continue
            cells = [
                f"{s[f'inference_{x}_risk']:.3f} "
                f"[{s[f'inference_{x}_risk_low']:.3f}, {s[f'inference_{x}_risk_high']:.3f}]"
                for x in secrets
            ]
            held = " / ".join(f"{s[f'inference_{x}_control_rate']:.3f}" for x in secrets)
            targets = int(s[f"inference_{secrets[0]}_attacks"])
            lines.append(f"| {name} | " + " | ".join(cells) + f" | {held} | {targets:,} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-attacks", action="store_true")
    parser.add_argument("--targets", default="0", help="attack targets: 0 = every control row; or D0:0,D1:2000")
    parser.add_argument("--attack", default="", help="D1:REGEX attacks only D1's releases whose name matches REGEX")
    args = parser.parse_args()
    per = dict(p.split(":") for p in args.targets.split(",")) if ":" in args.targets else {}
    attack = dict(p.split(":", 1) for p in args.attack.split(",") if ":" in p)
    targets = {d: -1 if args.no_attacks else int(per.get(d, args.targets if not per else "0")) for d in ("D0", "D1")}
    datasets = [d for d in ("D0", "D1") if (OUT / d / "domain.json").is_file()]
    results: dict[str, object] = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_average": os.getloadavg()},
        "datasets": {d: dataset_results(d, targets[d], re.compile(attack.get(d, "."))) for d in datasets},
    }
    (OUT / "results.json").write_text(json.dumps(results, indent=1))
    compact = json.loads(json.dumps(results))
    for data in compact["datasets"].values():
        for run in data["runs"].values():
            if isinstance(run.get("meta"), dict):
                run["meta"].pop("parameters", None)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(compact, indent=1) + "\n")
    print(tables(results))


if __name__ == "__main__":
    main()
