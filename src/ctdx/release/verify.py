"""Verifying a release from its files alone: every guarantee re-checked, every problem reported at once.

Nothing here trusts the numbers the builder wrote about itself. From the directory alone we check:
k-anonymity (and l-diversity) of the microdata CSV and of its Parquet twin, by counting every
quasi-identifier combination; that every value is one of the declared categories; that no aggregate cell
below the threshold was published; that every file's size and SHA-256 match ``datapackage.json``; and that
the ledger copy is intact and its head is the one the package names, with this release's spend in it.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctdx.errors import CtdxError, InputFileError
from ctdx.privacy.checks import check_k_anonymity
from ctdx.privacy.ledger import load_ledger
from ctdx.release.files import sha256_file


@dataclass(frozen=True)
class Problem:
    """One failed check: where (a file) and what."""

    where: str
    code: str
    message: str


@dataclass(frozen=True)
class Verification:
    path: str
    problems: tuple[Problem, ...]
    checks: int

    @property
    def ok(self) -> bool:
        return not self.problems


def _package(directory: Path) -> dict[str, Any]:
    try:
        data = json.loads((directory / "datapackage.json").read_text(encoding="utf-8"))
    except OSError:
        raise InputFileError(f"{directory} has no readable datapackage.json", path=str(directory)) from None
    except json.JSONDecodeError:
        raise InputFileError(f"{directory}/datapackage.json is not valid JSON", path=str(directory)) from None
    if not isinstance(data, dict) or "ctdx:privacy" not in data or "resources" not in data:
        raise InputFileError(f"{directory}/datapackage.json does not describe a ctdx release", path=str(directory))
    return data


def _parquet_k(path: Path, quasi_identifiers: list[str], k: int) -> int:
    """The number of quasi-identifier combinations in the Parquet file that occur fewer than ``k`` times."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    table = pq.read_table(path, columns=quasi_identifiers)
    columns = [table.column(name).to_pylist() for name in quasi_identifiers]
    sizes = Counter(zip(*columns, strict=True))
    return sum(1 for size in sizes.values() if size < k)


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        return header, list(reader)


def verify_release(directory: Path) -> Verification:
    """Every check of the release in ``directory``; ``ok`` only when none fails."""
    package = _package(directory)
    privacy = package["ctdx:privacy"]
    problems: list[Problem] = []
    checks = 0

    def fail(where: str, code: str, message: str) -> None:
        problems.append(Problem(where, code, message))

    for resource in package["resources"]:
        path = directory / resource["path"]
        checks += 1
        if not path.is_file():
            fail(resource["path"], "missing_file", "the file the package lists is not there")
            continue
        if path.stat().st_size != resource.get("bytes") or "sha256:" + sha256_file(path) != resource.get("hash"):
            fail(resource["path"], "hash_mismatch", "the file differs from the one the package describes")
        if resource.get("format") != "csv":
            continue
        header, rows = _csv_rows(path)
        fields = {f["name"]: f for f in resource["schema"]["fields"]}
        if header != list(fields):
            fail(resource["path"], "header_mismatch", "the columns differ from the table schema")
            continue
        for number, name in enumerate(header):
            declared = fields[name].get("categories")
            checks += 1
            if declared is not None:
                allowed = set(declared)
                outside = sum(1 for row in rows if row[number] != "" and row[number] not in allowed)
                if outside:
                    fail(resource["path"], "outside_categories", f"{outside} values of {name} are not declared")
        if "count" in fields:
            checks += 1
            position = header.index("count")
            counts = [row[position] for row in rows]
            if not all(c.lstrip("-").isdigit() for c in counts):
                fail(resource["path"], "not_a_count", "a count is not a whole number")
                continue
            small = sum(1 for c in counts if int(c) < max(int(privacy["threshold"]), 1))
            if small:
                fail(resource["path"], "below_threshold", f"{small} cells below the threshold were published")

    qis, k = list(privacy["quasi_identifiers"]), int(privacy["k"])
    for resource in package["resources"]:
        if not resource["name"].startswith("microdata") or not (directory / resource["path"]).is_file():
            continue
        checks += 1
        path = directory / resource["path"]
        try:
            if resource.get("format") == "csv":
                result = check_k_anonymity(
                    path,
                    quasi_identifiers=qis,
                    k=k,
                    sensitive=privacy.get("sensitive", []),
                    l_diversity=privacy.get("l_diversity"),
                )
                if result.violating_classes:
                    fail(
                        resource["path"],
                        "k_violated",
                        f"{result.violating_classes} combinations of quasi-identifiers occur fewer than {k} times "
                        f"({result.violating_rows} rows; the smallest occurs {result.smallest_class} times)",
                    )
                if result.not_diverse_classes:
                    fail(resource["path"], "l_violated", f"{result.not_diverse_classes} classes are not l-diverse")
            else:
                small = _parquet_k(path, qis, k)
                if small:
                    fail(resource["path"], "k_violated", f"{small} combinations occur fewer than {k} times")
        except CtdxError as exc:
            fail(resource["path"], exc.code, exc.message)

    checks += 1
    try:
        ledger = load_ledger(directory / privacy["ledger"])
    except CtdxError as exc:
        fail(privacy["ledger"], exc.code, exc.message)
    else:
        if ledger.head != privacy["ledger_head"]:
            fail(privacy["ledger"], "ledger_head", "the ledger is not the one this release was recorded in")
        entry = next((e for e in ledger.entries if e.release == privacy["release"]), None)
        if entry is None:
            fail(privacy["ledger"], "ledger_entry", "the ledger has no entry for this release")
        elif entry.epsilon < float(privacy["epsilon"]) - 1e-9 or entry.delta < float(privacy["delta"]) - 1e-15:
            fail(privacy["ledger"], "ledger_entry", "the ledger records less privacy loss than the release spent")
    for key in ("report", "report_html"):
        checks += 1
        report = directory / privacy[key]
        if not report.is_file() or "sha256:" + sha256_file(report) != privacy[f"{key}_hash"]:
            fail(privacy[key], "hash_mismatch", "the report differs from the one the package describes")
    return Verification(path=str(directory), problems=tuple(problems), checks=checks)
