"""Import throughput: rows per second and peak memory of ``ctdx import``, beside ``frictionless validate``.

For each size (default 100,000 and 1,000,000 rows) the script generates a cohort with ``ctdx sample`` (one
organisation, fixed seed), writes the same rows as CSV and XLSX, then times, in separate processes so that
peak memory is the process's own:

- ``ctdx import FILE --org bench`` into a fresh SQLite database (validation, encryption, audit, store);
- ``ctdx import FILE --org bench --dry-run`` (read and validate only);
- ``frictionless validate --schema htcds-tableschema.json --schema-sync FILE`` (the anchor, from its own
  virtual environment ``bench/.venvs/frictionless``, created by this script when missing): reading and
  checking every row against the Table Schema that ``ctdx standard export`` writes, no store.

Usage: ``.venv/bin/python bench/import.py [--sizes 100000 1000000] [--formats csv xlsx]``.
Prints a table and saves ``bench/results/import.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CTDX = ROOT / ".venv" / "bin" / "ctdx"
ANCHOR_VENV = ROOT / "bench" / ".venvs" / "frictionless"
FRICTIONLESS = ANCHOR_VENV / "bin" / "frictionless"
RESULTS = ROOT / "bench" / "results" / "import.json"


@dataclass
class Run:
    system: str
    mode: str
    file_format: str
    rows: int
    seconds: float
    cpu_seconds: float
    rows_per_second: float
    rows_per_cpu_second: float
    peak_rss_mib: float
    exit_code: int


def ensure_anchor() -> None:
    if FRICTIONLESS.exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(ANCHOR_VENV)], check=True)
    subprocess.run([str(ANCHOR_VENV / "bin" / "pip"), "install", "-q", "frictionless[excel]>=5.18"], check=True)


# A fresh wrapper process per command, so that RUSAGE_CHILDREN's peak is that command's own peak.
WRAPPER = (
    "import resource, subprocess, sys; "
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(usage.ru_maxrss, usage.ru_utime + usage.ru_stime, code)"
)


def measure(command: list[str], cwd: Path | None = None) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds, peak resident memory (MiB) and exit code of one command, in its own process.

    CPU seconds (user + system) are reported beside wall seconds because a shared machine's load stretches
    wall time but not the work done.
    """
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *command], capture_output=True, text=True, check=True, cwd=cwd
    )
    seconds = time.perf_counter() - start
    peak_kib, cpu, code = done.stdout.split()
    if int(code) not in (0, 1):
        print(f"  ! {command[0]} exited {code}: {done.stderr.strip()[-300:]}", file=sys.stderr)
    return seconds, float(cpu), int(peak_kib) / 1024, int(code)


def to_xlsx(csv_path: Path, xlsx_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("cases")
    with csv_path.open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    book.save(xlsx_path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "xlsx"])
    parser.add_argument("--keep", type=Path, help="keep generated files in this directory")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to save the figures (JSON)")
    args = parser.parse_args()
    ensure_anchor()
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="ctdx-bench-import-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for size in args.sizes:
            out = work / f"cohort-{size}"
            subprocess.run(
                [str(CTDX), "sample", "--cases", str(size), "--orgs", "1", "--seed", "7", "--out", str(out)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            csv_path = next(p for p in out.glob("*.csv") if p.name != "truth.csv")
            schema = out / "htcds-tableschema.json"
            subprocess.run(
                [str(CTDX), "standard", "export", "--format", "tableschema", "--out", str(schema)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            with csv_path.open(encoding="utf-8") as handle:
                rows = sum(1 for _ in handle) - 1
            files = {"csv": csv_path}
            if "xlsx" in args.formats:
                files["xlsx"] = out / "cases.xlsx"
                to_xlsx(csv_path, files["xlsx"])
            for file_format in args.formats:
                path = files[file_format]
                db = work / f"bench-{size}-{file_format}.sqlite"
                env_db = f"sqlite:///{db}"
                key = work / "bench.key"
                commands = {
                    ("ctdx", "import"): [
                        str(CTDX),
                        "import",
                        str(path),
                        "--org",
                        "bench",
                        "--database",
                        env_db,
                    ],
                    ("ctdx", "dry-run"): [
                        str(CTDX),
                        "import",
                        str(path),
                        "--org",
                        "bench",
                        "--database",
                        env_db,
                        "--dry-run",
                    ],
                    # frictionless refuses paths outside its working directory ("not safe"): run it beside
                    # the file, against the HTCDS Table Schema that ctdx exports, matched by column name.
                    ("frictionless", "validate"): [
                        str(FRICTIONLESS),
                        "validate",
                        "--schema",
                        schema.name,
                        "--schema-sync",
                        path.name,
                    ],
                }
                for (system, mode), command in commands.items():
                    seconds, cpu, peak, code = measure(command, cwd=path.parent if system == "frictionless" else None)
                    run = Run(
                        system,
                        mode,
                        file_format,
                        rows,
                        round(seconds, 2),
                        round(cpu, 2),
                        round(rows / seconds),
                        round(rows / cpu) if cpu else 0,
                        round(peak, 1),
                        code,
                    )
                    runs.append(run)
                    print(
                        f"{system:12} {mode:9} {file_format:5} {rows:>9,} rows {seconds:8.1f} s "
                        f"{rows / seconds:>10,.0f} rows/s {cpu:8.1f} s CPU {run.rows_per_cpu_second:>9,} rows/CPU-s "
                        f"{peak:8.1f} MiB (exit {code})",
                        flush=True,
                    )
                db.unlink(missing_ok=True)
                key.unlink(missing_ok=True)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(
        json.dumps(
            {
                "date": time.strftime("%Y-%m-%d"),
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}",
                "load_average_at_end": os.getloadavg(),
                "command": "python bench/import.py " + " ".join(sys.argv[1:]),
                "runs": [asdict(r) for r in runs],
            },
            indent=1,
        )
        + "\n"
    )
    print(f"saved {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
