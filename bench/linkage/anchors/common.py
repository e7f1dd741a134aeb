"""What every anchor script shares: reading a benchmark CSV, the field profiles, timing phases, writing JSON.

Standard library only: each anchor runs in its own venv (bench/.venvs/NAME) and imports this file and
``../evaluate.py`` by path, so the data, the truth and the metrics are the same for every system.
Record ids are ``<organisation>:<rec_id>``, the convention ``run_ours.py`` uses too.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LINKAGE = HERE.parent
DATA = LINKAGE / "data"
sys.path.insert(0, str(LINKAGE))

PROFILES = {
    "P-min": ["given_name", "surname", "date_of_birth"],
    "P-full": [
        "given_name",
        "surname",
        "date_of_birth",
        "street_number",
        "address_1",
        "address_2",
        "suburb",
        "postcode",
        "state",
    ],
}
# The ctdx sample cohorts (``ld5-*``, ``export_sample.py``) have no address; their other fields are these.
SAMPLE_FULL = ["given_name", "surname", "date_of_birth", "sex", "citizenship"]


def profile_columns(dataset: str, profile: str) -> list[str]:
    """The columns a system reads for ``profile`` on ``dataset``: P-full is FEBRL's address or the sample's
    sex and citizenship."""
    if profile == "P-full" and is_sample(dataset):
        return SAMPLE_FULL
    return PROFILES[profile]


def is_sample(dataset: str) -> bool:
    return dataset.startswith("ld5-")


# Fixed benchmark constant, not a real secret (the anchor note's HMAC/CLK key is one too).
SECRET = b"ctdx linkage benchmark secret, not a real one"


def read_dataset(name: str) -> tuple[list[dict[str, str]], dict[str, str]]:
    """Rows (with ``uid``) of ``data/<name>.csv`` and the truth: uid -> entity."""
    with (DATA / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["uid"] = f"{row['file']}:{row['rec_id']}"
    return rows, {row["uid"]: row["entity_id"] for row in rows}


def task_of(rows: list[dict[str, str]]) -> str:
    """``link`` for the two-party FEBRL4 files, ``link_and_dedupe`` for several organisations, else ``dedupe``."""
    orgs = {row["file"] for row in rows}
    if orgs == {"a", "b"}:
        return "link"
    return "link_and_dedupe" if len(orgs) > 1 else "dedupe"


class Phases:
    """Wall and CPU seconds of each named phase, in process."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._start = time.perf_counter()
        self._cpu = time.process_time()

    def mark(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._start
        self.cpu[name] = self.cpu.get(name, 0.0) + cpu - self._cpu
        self._start, self._cpu = now, cpu


def environment(packages: list[str]) -> dict[str, object]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for package in packages:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load1": os.getloadavg()[0],
        "packages": versions,
    }


def write_result(out: Path | None, payload: dict[str, object]) -> None:
    text = json.dumps(payload, indent=1)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    summary = [
        f"{payload['system']} {payload['dataset']} {payload['profile']} {payload.get('method', '')} "
        f"t={r['threshold']}: "
        f"F1 {r['metrics']['pairwise']['f1']:.3f} post {r['metrics']['post_cluster']['f1']:.3f} "
        f"count {r['metrics']['count_error']:+.1%} ({r['metrics']['clusters']})"
        for r in payload["results"]  # type: ignore[attr-defined]
    ]
    print("\n".join(summary))
