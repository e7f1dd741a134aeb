"""The privacy-loss ledger of one source dataset: what every release spent, against a configured budget.

A ledger is a JSON file. Each entry records a release's (epsilon, delta), when, and, if the release went
over budget, who overrode the refusal and why, and the parts it spent on (one per mechanism).

The chain is **keyed**: every entry carries HMAC-SHA256 (stdlib ``hmac``) over its content and the previous
entry's MAC, and the file carries the HMAC of its whole content. The MAC key is derived with HKDF-SHA256
(``cryptography``) from a key of the hub's keyring (``ctdx keys init``; ``CTDX_KEY`` or ``CTDX_KEY_FILE``),
with its own ``info`` label so it is never the key that encrypts fields; the ledger records the key *id*.
So an edited ledger cannot be re-chained by someone without the key, and checking one needs the key:
``load_ledger`` without the right keyring fails with ``EncryptionKeyError`` (code ``encryption_key``), an
altered one with ``IntegrityError`` (code ``integrity``). ``ctdx keys rotate`` drops the old
key but keeps the MAC key derived from it (``Keyring.ledger_keys``), so ledgers chained before a rotation
still verify and take new entries under their original key id.
The organisation's audit log stays the second witness of overrides.

Losses add up by basic sequential composition (Dwork and Roth 2014, theorem 3.16): total epsilon and
total delta are the sums over releases, which is never less than the true loss.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ctdx.errors import (
    ConflictError,
    InputFileError,
    IntegrityError,
    PermissionDenied,
    ValidationError,
)
from ctdx.store.keyring import Keyring

FORMAT = "ctdx-privacy-ledger/2"
GENESIS = "0" * 64


@dataclass(frozen=True)
class Override:
    """A named person's decision to release over budget, with the reason (both required)."""

    by: str
    reason: str


@dataclass(frozen=True)
class Part:
    """What one mechanism of a release spent (the aggregate tables, the synthetic microdata)."""

    name: str
    mechanism: str
    epsilon: float
    delta: float


@dataclass(frozen=True)
class Entry:
    """One release's spend. ``hash`` is the entry's HMAC-SHA256 (keyed), chained through ``previous``."""

    release: str
    epsilon: float
    delta: float
    at: str
    mechanism: str
    override_by: str | None
    override_reason: str | None
    parts: tuple[Part, ...]
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
    key_id: str

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


def mac_key(keyring: Keyring, key_id: str) -> bytes:
    """The ledger's MAC key for keyring key ``key_id``, live or retired by a rotation
    (``EncryptionKeyError`` if the keyring has neither)."""
    return keyring.ledger_key(key_id)


def _digest(data: Any, key: bytes) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _entry_hash(entry: dict[str, Any], key: bytes) -> str:
    return _digest({k: v for k, v in entry.items() if k != "hash"}, key)


def _body(ledger: Ledger) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "dataset": ledger.dataset,
        "key_id": ledger.key_id,
        "budget": {"epsilon": ledger.epsilon_budget, "delta": ledger.delta_budget},
        "entries": [asdict(e) for e in ledger.entries],
    }


def _write(ledger: Ledger, key: bytes) -> None:
    body = _body(ledger)
    body["hash"] = _digest(body, key)
    temporary = ledger.path.with_suffix(ledger.path.suffix + ".tmp")
    temporary.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, ledger.path)


def _check_budget(epsilon: float, delta: float) -> None:
    if not math.isfinite(epsilon) or epsilon <= 0:
        raise ValidationError("the epsilon budget must be a positive number")
    if not 0 <= delta < 1:
        raise ValidationError("the delta budget must be at least 0 and below 1")


def create_ledger(path: Path, *, dataset: str, epsilon_budget: float, delta_budget: float, keyring: Keyring) -> Ledger:
    """A new, empty ledger for ``dataset``, chained under the keyring's active key; never replaces one."""
    _check_budget(epsilon_budget, delta_budget)
    if not dataset.strip():
        raise ValidationError("name the dataset the ledger accounts for")
    if path.exists():
        raise ConflictError(f"a ledger already exists at {path.name}", path=str(path))
    ledger = Ledger(path, dataset, float(epsilon_budget), float(delta_budget), (), keyring.active)
    _write(ledger, mac_key(keyring, keyring.active))
    return ledger


def _entry(item: dict[str, Any]) -> Entry:
    parts = tuple(Part(**p) for p in item["parts"])
    return Entry(**{**item, "parts": parts})


def load_ledger(path: Path, keyring: Keyring) -> Ledger:
    """The ledger at ``path``, after proving with the key that neither an entry nor the file was altered."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputFileError(f"cannot read the ledger {path.name}: {exc.strerror}", path=str(path)) from None
    except json.JSONDecodeError:
        raise IntegrityError(f"the ledger {path.name} is not valid JSON", path=str(path)) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise IntegrityError(f"{path.name} is not a ctdx privacy ledger", path=str(path))
    key_id = raw.get("key_id")
    if not isinstance(key_id, str):
        raise IntegrityError(f"the ledger {path.name} names no key", path=str(path))
    key = mac_key(keyring, key_id)
    stated = raw.pop("hash", None)
    if not isinstance(stated, str) or not hmac.compare_digest(stated, _digest(raw, key)):
        raise IntegrityError(f"the ledger {path.name} was altered: its MAC does not match", path=str(path))
    previous = GENESIS
    entries = []
    for number, item in enumerate(raw["entries"], start=1):
        mac = item.get("hash")
        if item.get("previous") != previous or not isinstance(mac, str) or mac != _entry_hash(item, key):
            raise IntegrityError(f"entry {number} of the ledger {path.name} breaks the chain", path=str(path))
        entries.append(_entry(item))
        previous = mac
    budget = raw["budget"]
    return Ledger(path, raw["dataset"], float(budget["epsilon"]), float(budget["delta"]), tuple(entries), key_id)


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
    keyring: Keyring,
    override: Override | None = None,
    parts: tuple[Part, ...] = (),
) -> Entry:
    """Record a release's spend; refuse one that would exceed the budget unless ``override`` names who and why.

    ``parts`` (optional) split the spend by mechanism; they must add up to ``epsilon`` and ``delta``."""
    if not math.isfinite(epsilon) or epsilon < 0 or not 0 <= delta < 1:
        raise ValidationError("a release spends a non-negative epsilon and a delta in [0, 1)")
    if parts and (
        not math.isclose(math.fsum(p.epsilon for p in parts), epsilon, rel_tol=1e-12, abs_tol=1e-15)
        or not math.isclose(math.fsum(p.delta for p in parts), delta, rel_tol=1e-12, abs_tol=1e-18)
    ):
        raise ValidationError("the parts of a release's spend do not add up to its epsilon and delta")
    with _locked(path):
        return _spend(path, release, epsilon, delta, mechanism, override, parts, keyring)


def _spend(
    path: Path,
    release: str,
    epsilon: float,
    delta: float,
    mechanism: str,
    override: Override | None,
    parts: tuple[Part, ...],
    keyring: Keyring,
) -> Entry:
    ledger = load_ledger(path, keyring)
    key = mac_key(keyring, ledger.key_id)
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
        "parts": [asdict(p) for p in parts],
        "previous": ledger.head,
    }
    item["hash"] = _entry_hash(item, key)
    entry = _entry(item)
    entries = (*ledger.entries, entry)
    _write(Ledger(path, ledger.dataset, ledger.epsilon_budget, ledger.delta_budget, entries, ledger.key_id), key)
    return entry
