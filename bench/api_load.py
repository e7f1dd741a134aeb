"""API load: concurrent clients against ``ctdx serve`` over a store of 100,000 cases.

The script creates a SQLite store (or uses ``--database``), imports ``--cases`` synthetic cases into one
organisation (each with a sealed identifying value, so encryption is part of the load), creates an
organisation admin and an API token, starts ``ctdx serve`` in its own process on 127.0.0.1, and drives
``--concurrency`` asynchronous httpx clients through three operations in turn:

- ``create``: ``POST /api/v1/cases`` (a case opened and assigned, both audited);
- ``list``: ``GET /api/v1/cases?page=N`` (25 per page, pages spread over the whole store);
- ``page``: ``GET /api/v1/cases/{id}`` (the case page: timeline, consents, referrals, screenings).

For each it reports requests per second and p50/p95/p99 latency in milliseconds, prints a table and saves
``bench/results/api_load.json`` (``api_load_<scheme>.json`` with ``--database``).
Usage: ``.venv/bin/python bench/api_load.py [--cases 100000]
[--requests 2000] [--concurrency 16] [--data-dir DIR]``. Requests that fail or time out count as errors
and are left out of the latencies.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx

from ctdx.accounts import NewUser, create_token, load_principal
from ctdx.accounts.users import add_user
from ctdx.model import CaseRecord, SourceRef
from ctdx.settings import Settings, sqlite_url
from ctdx.store import Store, open_store
from ctdx.store.actor import Actor

ROOT = Path(__file__).resolve().parents[1]
CTDX = ROOT / ".venv" / "bin" / "ctdx"
RESULTS = ROOT / "bench" / "results" / "api_load.json"
ORG = "bench"


def records(n: int) -> Iterator[CaseRecord]:
    rng = random.Random(7)
    start = dt.date(2020, 1, 1)
    for i in range(n):
        yield CaseRecord(
            source=SourceRef(system="bench", record_id=str(i)),
            values={
                "prs_FirstName": f"P{rng.randrange(10**9)}",
                "cas_Status": "Active",
                "ext_CaseOpenedDate": start + dt.timedelta(days=rng.randrange(2000)),
            },
        )


def prepare(settings: Settings, cases: int) -> str:
    """Fill the store (unless a previous run left it, with its token, in the data directory); returns an API
    token of an organisation admin."""
    saved = settings.data_dir / "bench-token"
    if saved.exists():
        return saved.read_text(encoding="utf-8").strip()
    with open_store(settings, create=True) as store:
        org = store.ensure_organisation(ORG, "Bench")
        started = time.perf_counter()
        store.import_cases(ORG, records(cases), actor=Actor.system("bench", org.id), label="bench")
        print(f"imported {cases:,} cases in {time.perf_counter() - started:.0f} s")
        token = _token(store, org.id)
    fd = os.open(saved, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token)
    return token


def _token(store: Store, org_id: uuid.UUID) -> str:
    with store.transaction() as session:
        new = NewUser(ORG, "bench-admin", "Bench admin", "org_admin", uuid.uuid4().hex)
        user = add_user(session, new, Actor.system("bench", org_id))
    with store.transaction() as session:
        principal = load_principal(session, user.id)
        return create_token(session, principal, "bench", ["cases.read", "cases.write"])[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/login", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("ctdx serve did not start")


async def drive(
    base: str, token: str, operation: str, requests: int, concurrency: int, ids: list[str], total: int, timeout: float
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(requests))
    rng = random.Random(operation)
    pages = max(1, total // 25)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        for _ in counter:
            if operation == "create":
                request = client.build_request("POST", "/api/v1/cases", json={"opened_on": "2026-01-01"})
            elif operation == "list":
                request = client.build_request("GET", f"/api/v1/cases?page={rng.randrange(1, pages + 1)}")
            else:
                request = client.build_request("GET", f"/api/v1/cases/{rng.choice(ids)}")
            began = time.perf_counter()
            try:
                answer = await client.send(request)
            except httpx.HTTPError:
                errors += 1
                continue
            if answer.status_code >= 300:
                errors += 1
            else:
                latencies.append(time.perf_counter() - began)

    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=timeout, limits=limits) as client:
        began = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    cuts = statistics.quantiles([x * 1000 for x in latencies], n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "requests": requests,
        "ok": len(latencies),
        "errors": errors,
        "ok_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(cuts[49], 1),
        "p95_ms": round(cuts[94], 1),
        "p99_ms": round(cuts[98], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000, help="requests per operation")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=60, help="seconds before a request counts as an error")
    parser.add_argument("--database", help="SQLAlchemy URL of an empty database (default: a SQLite file)")
    parser.add_argument("--data-dir", type=Path, help="keep the store here and reuse it next time (default: temporary)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ctdx-api-load-") as folder:
        data = args.data_dir or Path(folder)
        data.mkdir(parents=True, exist_ok=True)
        url = args.database or sqlite_url(data / "ctdx.sqlite")
        settings = Settings(data_dir=data, database_url=url, key_file=data / "keys" / "ctdx.key")
        token = prepare(settings, args.cases)
        port = free_port()
        env = {**os.environ, "CTDX_DATA_DIR": str(data), "CTDX_KEY_FILE": str(settings.key_file)}
        server = subprocess.Popen(
            [str(CTDX), "serve", "--database", url, "--port", str(port)], env=env, stdout=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base)
            listed = httpx.get(f"{base}/api/v1/cases?per_page=100", headers={"Authorization": f"Bearer {token}"})
            ids = [row["id"] for row in listed.json()["data"]]
            results = {}
            for operation in ("create", "list", "page"):
                results[operation] = asyncio.run(
                    drive(base, token, operation, args.requests, args.concurrency, ids, args.cases, args.timeout)
                )
                print(operation, results[operation])
        finally:
            server.terminate()
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
    report = {
        "cases": args.cases,
        "concurrency": args.concurrency,
        "database": "sqlite" if args.database is None else url.split(":", 1)[0].split("+", 1)[0],
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "system": platform.platform()},
        "results": results,
    }
    # One file per database kind, so a PostgreSQL run does not replace the SQLite figures.
    out = RESULTS if args.database is None else RESULTS.with_name(f"api_load_{report['database']}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"saved {out}")


if __name__ == "__main__":
    main()
