"""Verifying a release from its files alone: every guarantee re-checked, every problem reported at once.

Nothing here trusts the numbers the builder wrote about itself. From the directory alone we check:
k-anonymity (and l-diversity) of the microdata CSV and of its Parquet twin, by counting every
quasi-identifier combination; that every value is one of the declared categories; that no aggregate cell
below the threshold was published; that every file's size and SHA-256 match ``datapackage.json``; that
the ledger copy is intact (its keyed HMAC chain), its head is the one the package names, every spend that
went over the budget names who overrode it and why; and that the privacy loss the package and the report
state (in total and per mechanism) is exactly what the ledger recorded for this release.

The ledger chain is keyed, so verifying needs the hub's keyring (``CTDX_KEY``, ``CTDX_KEY_FILE`` or
``--key-file``): without the key the ledger cannot be checked and ``verify_release`` raises
``EncryptionKeyError`` (code ``encryption_key``, exit 3) rather than pass or fail the release. Hashes alone
cannot protect the report (anyone can recompute them), the keyed ledger can: an edited epsilon in
``report.json`` or ``datapackage.json`` disagrees with the ledger entry.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctdx.errors import CtdxError, EncryptionKeyError, InputFileError
from ctdx.privacy.checks import check_k_anonymity
from ctdx.privacy.ledger import Entry, Ledger, load_ledger
from ctdx.release.files import sha256_file
from ctdx.store.keyring import Keyring


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


def _same(a: Any, b: float) -> bool:
    return isinstance(a, int | float) and math.isclose(float(a), b, rel_tol=1e-9, abs_tol=1e-15)


def _report_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _stated_losses(privacy: dict[str, Any], report: dict[str, Any] | None) -> list[tuple[str, str, Any]]:
    """Every (where, part, value) the package and the report state about epsilon and delta."""
    out: list[tuple[str, str, Any]] = [
        ("datapackage.json", "total epsilon", privacy.get("epsilon")),
        ("datapackage.json", "total delta", privacy.get("delta")),
    ]
    if report is None:
        return out
    total = report.get("total", {})
    out += [("report", "total epsilon", total.get("epsilon")), ("report", "total delta", total.get("delta"))]
    for part in report.get("privacy", {}).get("spent", {}).get("parts", []):
        out.append(("report", f"{part.get('name')} epsilon", part.get("epsilon")))
        out.append(("report", f"{part.get('name')} delta", part.get("delta")))
    return out


def _achieved_losses(report: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """The losses OpenDP certified for each part, as the report states them (at most what was charged)."""
    if report is None:
        return []
    out = [
        ("aggregates epsilon", report.get("differential_privacy", {}).get("epsilon")),
        ("aggregates delta", report.get("differential_privacy", {}).get("delta")),
    ]
    if "synthetic" in report:
        out += [
            ("synthetic epsilon", report["synthetic"].get("epsilon")),
            ("synthetic delta", report["synthetic"].get("delta")),
        ]
    return out


def _recorded(entry: Entry, what: str) -> float | None:
    """What the ledger entry records for ``what`` ("total epsilon", "synthetic delta", ...)."""
    part, measure = what.rsplit(" ", 1)
    if part == "total":
        return float(getattr(entry, measure))
    for p in entry.parts:
        if p.name == part:
            return float(getattr(p, measure))
    return None


def _over_budget_without_override(ledger: Ledger) -> list[str]:
    """Releases that took the running total over the budget and name no override."""
    out, epsilon, delta = [], 0.0, 0.0
    for entry in ledger.entries:
        epsilon, delta = epsilon + entry.epsilon, delta + entry.delta
        over = epsilon > ledger.epsilon_budget * (1 + 1e-12) or delta > ledger.delta_budget * (1 + 1e-12)
        if over and not (entry.override_by and entry.override_reason):
            out.append(entry.release)
    return out


def verify_release(directory: Path, keyring: Keyring) -> Verification:
    """Every check of the release in ``directory``; ``ok`` only when none fails.

    ``keyring`` must hold the key the ledger was chained with (``EncryptionKeyError`` otherwise)."""
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
    report = _report_json(directory / privacy["report"])
    if report is None:
        fail(privacy["report"], "report_unreadable", "the report is missing or not JSON")
    elif report.get("k_anonymity", {}).get("k") != k:
        fail(privacy["report"], "k_mismatch", "the report states another k than the package")
    try:
        ledger = load_ledger(directory / privacy["ledger"], keyring)
    except EncryptionKeyError:
        raise
    except CtdxError as exc:
        fail(privacy["ledger"], exc.code, exc.message)
    else:
        if ledger.head != privacy["ledger_head"]:
            fail(privacy["ledger"], "ledger_head", "the ledger is not the one this release was recorded in")
        for release in _over_budget_without_override(ledger):
            fail(privacy["ledger"], "over_budget", f"release {release} went over the budget without a named override")
        entry = next((e for e in ledger.entries if e.release == privacy["release"]), None)
        if entry is None:
            fail(privacy["ledger"], "ledger_entry", "the ledger has no entry for this release")
        else:
            for where, what, stated in _stated_losses(privacy, report):
                checks += 1
                recorded = _recorded(entry, what)
                if recorded is None or not _same(stated, recorded):
                    fail(where, "loss_mismatch", f"the {what} stated differs from the ledger's record of this release")
            for what, stated in _achieved_losses(report):
                checks += 1
                recorded = _recorded(entry, what)
                if recorded is None or not isinstance(stated, int | float) or stated > recorded * (1 + 1e-9) + 1e-15:
                    fail("report", "loss_mismatch", f"the {what} achieved is more than the ledger charged")
    for key in ("report", "report_html"):
        checks += 1
        report = directory / privacy[key]
        if not report.is_file() or "sha256:" + sha256_file(report) != privacy[f"{key}_hash"]:
            fail(privacy[key], "hash_mismatch", "the report differs from the one the package describes")
    return Verification(path=str(directory), problems=tuple(problems), checks=checks)
