"""The privacy-loss ledger of one source dataset: what every release spent, against a configured budget.

A ledger is a JSON file. Each entry records a release's (epsilon, delta), when, and, if the release went
over budget, who overrode the refusal and why. Entries are hash-chained (each hash covers the previous
one) and the file carries the hash of its whole content, so an edited or truncated ledger fails
``load_ledger``. The hash has no secret: it detects alteration of a copy (a release carries the head
hash and its own copy), not a forger who rewrites the whole chain; the organisation's audit log is the
second witness of overrides.

Losses add up by basic sequential composition (Dwork and Roth 2014, theorem 3.16): total epsilon and
total delta are the sums over releases, which is never less than the true loss.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ctdx.errors import ConflictError, InputFileError, IntegrityError, PermissionDenied, ValidationError

FORMAT = "ctdx-privacy-ledger/1"
GENESIS = "0" * 64


@dataclass(frozen=True)
class Override:
    """A named person's decision to release over budget, with the reason (both required)."""

    by: str
    reason: str


@dataclass(frozen=True)
class Entry:
    """One release's spend."""

    release: str
    epsilon: float
    delta: float
    at: str
    mechanism: str
    override_by: str | None
    override_reason: str | None
    previous: str
    hash: str


@dataclass(frozen=True)
class Ledger:
    """The budget of one dataset and what has been spent from it."""

    path: Path
    dataset: str
    epsilon_budget: float
    delta_budget: float
    entries: tuple[Entry, ...]

    @property
    def epsilon_spent(self) -> float:
        return math.fsum(e.epsilon for e in self.entries)

    @property
    def delta_spent(self) -> float:
        return math.fsum(e.delta for e in self.entries)

    @property
    def head(self) -> str:
        """The hash of the last entry (all zeros for an empty ledger)."""
        return self.entries[-1].hash if self.entries else GENESIS


def _digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _entry_hash(entry: dict[str, Any]) -> str:
    return _digest({k: v for k, v in entry.items() if k != "hash"})


def _body(ledger: Ledger) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "dataset": ledger.dataset,
        "budget": {"epsilon": ledger.epsilon_budget, "delta": ledger.delta_budget},
        "entries": [asdict(e) for e in ledger.entries],
    }


def _write(ledger: Ledger) -> None:
    body = _body(ledger)
    body["hash"] = _digest(body)
    temporary = ledger.path.with_suffix(ledger.path.suffix + ".tmp")
    temporary.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, ledger.path)


def _check_budget(epsilon: float, delta: float) -> None:
    if not math.isfinite(epsilon) or epsilon <= 0:
        raise ValidationError("the epsilon budget must be a positive number")
    if not 0 <= delta < 1:
        raise ValidationError("the delta budget must be at least 0 and below 1")


def create_ledger(path: Path, *, dataset: str, epsilon_budget: float, delta_budget: float) -> Ledger:
    """A new, empty ledger for ``dataset``; refuses to replace an existing one."""
    _check_budget(epsilon_budget, delta_budget)
    if not dataset.strip():
        raise ValidationError("name the dataset the ledger accounts for")
    if path.exists():
        raise ConflictError(f"a ledger already exists at {path.name}", path=str(path))
    ledger = Ledger(path, dataset, float(epsilon_budget), float(delta_budget), ())
    _write(ledger)
    return ledger


def load_ledger(path: Path) -> Ledger:
    """The ledger at ``path``, after proving that neither an entry nor the file was altered."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputFileError(f"cannot read the ledger {path.name}: {exc.strerror}", path=str(path)) from None
    except json.JSONDecodeError:
        raise IntegrityError(f"the ledger {path.name} is not valid JSON", path=str(path)) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise IntegrityError(f"{path.name} is not a ctdx privacy ledger", path=str(path))
    stated = raw.pop("hash", None)
    if stated != _digest(raw):
        raise IntegrityError(f"the ledger {path.name} was altered: its hash does not match", path=str(path))
    previous = GENESIS
    entries = []
    for number, item in enumerate(raw["entries"], start=1):
        if item.get("previous") != previous or item.get("hash") != _entry_hash(item):
            raise IntegrityError(f"entry {number} of the ledger {path.name} breaks the chain", path=str(path))
        entries.append(Entry(**item))
        previous = item["hash"]
    budget = raw["budget"]
    return Ledger(path, raw["dataset"], float(budget["epsilon"]), float(budget["delta"]), tuple(entries))


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the ledger's lock file while reading, checking and writing, so two releases cannot both pass the
    budget check; a second one is refused, not queued."""
    lock = path.with_suffix(path.suffix + ".lock")
    try:
        handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        raise ConflictError(
            f"another release is being recorded in {path.name}; if none is, remove {lock.name}", path=str(path)
        ) from None
    try:
        yield
    finally:
        os.close(handle)
        lock.unlink(missing_ok=True)


def spend(
    path: Path,
    *,
    release: str,
    epsilon: float,
    delta: float,
    mechanism: str,
    override: Override | None = None,
) -> Entry:
    """Record a release's spend; refuse one that would exceed the budget unless ``override`` names who and why."""
    if not math.isfinite(epsilon) or epsilon < 0 or not 0 <= delta < 1:
        raise ValidationError("a release spends a non-negative epsilon and a delta in [0, 1)")
    with _locked(path):
        return _spend(path, release, epsilon, delta, mechanism, override)


def _spend(path: Path, release: str, epsilon: float, delta: float, mechanism: str, override: Override | None) -> Entry:
    ledger = load_ledger(path)
    if any(e.release == release for e in ledger.entries):
        raise ConflictError(f"release {release} is already in the ledger", release=release)
    over = ledger.epsilon_spent + epsilon > ledger.epsilon_budget * (
        1 + 1e-12
    ) or ledger.delta_spent + delta > ledger.delta_budget * (1 + 1e-12)
    if over:
        if override is None:
            raise PermissionDenied(
                f"release {release} would spend epsilon {ledger.epsilon_spent + epsilon:.4g} and delta "
                f"{ledger.delta_spent + delta:.3g} of dataset {ledger.dataset}, over its budget of epsilon "
                f"{ledger.epsilon_budget:.4g} and delta {ledger.delta_budget:.3g}; "
                "an override needs a name and a reason",
                release=release,
            )
        if not override.by.strip() or not override.reason.strip():
            raise ValidationError("an override needs the name of who decided it and the reason")
    item: dict[str, Any] = {
        "release": release,
        "epsilon": float(epsilon),
        "delta": float(delta),
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mechanism": mechanism,
        "override_by": override.by if over and override else None,
        "override_reason": override.reason if over and override else None,
        "previous": ledger.head,
    }
    item["hash"] = _entry_hash(item)
    entry = Entry(**item)
    _write(Ledger(path, ledger.dataset, ledger.epsilon_budget, ledger.delta_budget, (*ledger.entries, entry)))
    return entry
