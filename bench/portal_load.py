"""Portal load: requests per second and p50/p95/p99 latency of the main API queries, beside Datasette.

Builds a release of ``--records`` synthetic records (default 1,000,000) with ``ctdx sample`` and
``ctdx.release.build_release`` (k-anonymous microdata and the DP flows and year x gender x age tables),
serves it with ``ctdx portal serve`` and serves the same tables with Datasette (from its own virtual
environment ``bench/.venvs/datasette``, created by this script when missing; the tables are loaded into one
SQLite file), then sends the same queries to both from ``--concurrency`` client threads:

- ``facets``: the microdata, first page, faceted by gender and age band;
- ``filtered``: the microdata filtered by gender and age band, faceted by citizenship;
- ``sorted``: the microdata sorted by year, 100 rows;
- ``flows``: the DP flows table faceted by citizenship (sums of noisy counts in ctdx, row counts in Datasette).

Usage: ``.venv/bin/python bench/portal_load.py [--records 1000000] [--requests 400] [--concurrency 8]``.
Prints a table and saves ``bench/results/portal_load.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CTDX = ROOT / ".venv" / "bin" / "ctdx"
ANCHOR_VENV = ROOT / "bench" / ".venvs" / "datasette"
DATASETTE = ANCHOR_VENV / "bin" / "datasette"
RESULTS = ROOT / "bench" / "results" / "portal_load.json"
QUERIES = {
    "facets": ("microdata", "_facet=gender&_facet=ageBroad&_size=50"),
    "filtered": ("microdata", "gender=Woman&ageBroad=18--29&_facet=citizenship&_size=50"),
    "sorted": ("microdata", "_sort=yearOfRegistration&_size=100"),
    "flows": ("aggregates-flows", "_facet=citizenship&_size=50"),
}


def build(records: int, work: Path) -> Path:
    from ctdx.privacy.aggregates import select_breakdowns
    from ctdx.privacy.ledger import create_ledger
    from ctdx.privacy.publication import checkbox_consent, publish_records
    from ctdx.privacy.schema import load_publication_schema
    from ctdx.release import DEFAULT_QUASI_IDENTIFIERS, ReleaseConfig, build_release
    from ctdx.sample import generate_cohort

    out = work / "release"
    if (out / "datapackage.json").exists():
        return out
    started = time.perf_counter()
    schema = load_publication_schema(first_year=2010, last_year=2024)
    table = publish_records(generate_cohort(records, 3, 1).records(), schema, consent=checkbox_consent).table
    ledger = work / "ledger.json"
    create_ledger(ledger, dataset="bench", epsilon_budget=10, delta_budget=1e-4)
    config = ReleaseConfig(
        name="bench", version="1.0.0", title="Portal load benchmark", k=10, suppression_limit=0.05,
        quasi_identifiers=DEFAULT_QUASI_IDENTIFIERS, epsilon=1.0, delta=1e-6, threshold=25,
        breakdowns=select_breakdowns(["year_gender_age", "flows"]),
    )  # fmt: skip
    build_release(out, table, config, ledger=ledger)
    print(f"release of {len(table):,} rows built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return out


def to_sqlite(release: Path, database: Path) -> None:
    if database.exists():
        return
    with sqlite3.connect(database) as db:
        for name, path in (("microdata", "microdata.csv"), ("aggregates-flows", "aggregates/flows.csv")):
            with (release / path).open(newline="", encoding="utf-8") as handle:
                reader = csv.reader(handle)
                header = next(reader)
                integer = {"count", "error_bound"}
                columns = ", ".join(f'"{h}" {"INTEGER" if h in integer else "TEXT"}' for h in header)
                db.execute(f'CREATE TABLE "{name}" ({columns})')
                marks = ", ".join("?" * len(header))
                db.executemany(f'INSERT INTO "{name}" VALUES ({marks})', reader)
            for h in header:
                if h not in ("count", "error_bound"):
                    db.execute(f'CREATE INDEX "{name}_{h}" ON "{name}" ("{h}")')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit(f"the server for {url} stopped")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer")


def load(base: str, path: str, requests: int, concurrency: int) -> dict[str, float]:
    def one(_: int) -> float:
        started = time.perf_counter()
        response = client.get(base + path)
        response.raise_for_status()
        return time.perf_counter() - started

    with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=concurrency)) as client:
        one(0)
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            latencies = sorted(pool.map(one, range(requests)))
        elapsed = time.perf_counter() - started
    cut = statistics.quantiles(latencies, n=100)
    return {"rps": requests / elapsed, "p50_ms": cut[49] * 1000, "p95_ms": cut[94] * 1000, "p99_ms": cut[98] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ctdx-portal-bench")
    args = parser.parse_args()
    work = args.work / str(args.records)
    work.mkdir(parents=True, exist_ok=True)
    release = build(args.records, work)
    database = work / "release.db"
    to_sqlite(release, database)
    if not DATASETTE.exists():
        subprocess.run([sys.executable, "-m", "venv", str(ANCHOR_VENV)], check=True)
        subprocess.run([str(ANCHOR_VENV / "bin" / "pip"), "install", "-q", "datasette"], check=True)
    ours_port, theirs_port = free_port(), free_port()
    servers = [
        subprocess.Popen(
            [str(CTDX), "portal", "serve", str(release), "--port", str(ours_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [
                str(DATASETTE),
                "serve",
                str(database),
                "--port",
                str(theirs_port),
                "--immutable",
                str(database),
                "--setting",
                "sql_time_limit_ms",
                "20000",
                "--setting",
                "facet_time_limit_ms",
                "20000",
                "--setting",
                "num_sql_threads",
                str(args.concurrency),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    ours, theirs = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{theirs_port}"
    results: list[dict[str, object]] = []
    try:
        wait(f"{ours}/api/", servers[0])
        wait(f"{theirs}/-/versions.json", servers[1])
        version = httpx.get(f"{theirs}/-/versions.json").json()["datasette"]["version"]
        for name, (table, query) in QUERIES.items():
            for system, base, path in (
                ("ctdx portal", ours, f"/api/bench-1.0.0/{table}.json?{query}"),
                (f"datasette {version}", theirs, f"/release/{table}.json?{query}"),
            ):
                measured = load(base, path, args.requests, args.concurrency)
                results.append({"query": name, "system": system, **measured})
                print(f"{name:9} {system:18} {measured['rps']:8.1f} req/s  p50 {measured['p50_ms']:7.1f} ms  "
                      f"p95 {measured['p95_ms']:7.1f} ms  p99 {measured['p99_ms']:7.1f} ms")  # fmt: skip
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"records": args.records, "requests": args.requests, "concurrency": args.concurrency,
             "machine": machine, "results": results}, indent=1,
        ) + "\n", encoding="utf-8",
    )  # fmt: skip


if __name__ == "__main__":
    main()
