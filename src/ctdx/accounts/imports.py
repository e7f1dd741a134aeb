"""Imports from the browser or the API: an uploaded file is kept (owner-only) under the data directory, checked
with a dry run whose report the user reads, and imported when the user confirms. ``ctdx.ingest`` does the work.
Between the two, the user may choose the standard field of each column the check did not recognise
(``choose_columns``); the choice is kept beside the upload and used by every later check and by the import.

The report given back leaves out the offending *values* (they may identify a person): rows, columns, fields,
codes and messages are enough to fix a file.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctdx.accounts.principal import Principal
from ctdx.errors import NotFoundError, ValidationError
from ctdx.ingest import import_file
from ctdx.store import Store

SUFFIXES = (".csv", ".xlsx", ".ods", ".jsonl", ".json", ".txt")
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class ImportSummary:
    upload_id: str
    dry_run: bool
    rows_read: int
    rows_valid: int
    rows_refused: int
    created: int
    updated: int
    issues: list[dict[str, Any]]
    unknown_columns: list[str] = field(default_factory=list)  # columns whose values are not imported
    columns: dict[str, str | None] = field(default_factory=dict)  # the user's choices, column -> field


def _upload_dir(data_dir: Path, principal: Principal) -> Path:
    return data_dir / "uploads" / str(principal.organisation_id)


def keep_upload(data_dir: Path, principal: Principal, filename: str, content: bytes) -> str:
    """Keep an uploaded file for the principal's organisation; its id names it in later requests."""
    principal.require("imports.run")
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValidationError(
            f"upload a {', '.join(SUFFIXES)} file, not {suffix or 'a file without extension'}", field="file"
        )
    if not content or len(content) > MAX_BYTES:
        raise ValidationError(f"the file is empty or larger than {MAX_BYTES // (1024 * 1024)} MB", field="file")
    upload_id = uuid.uuid4().hex
    folder = _upload_dir(data_dir, principal)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{upload_id}{suffix}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    return upload_id


def _path(data_dir: Path, principal: Principal, upload_id: str) -> Path:
    if not UPLOAD_ID.match(upload_id):
        raise NotFoundError("no such upload")
    found = [p for p in _upload_dir(data_dir, principal).glob(f"{upload_id}.*") if p.suffix in SUFFIXES]
    if not found:
        raise NotFoundError("no such upload")
    return found[0]


def _choices_path(data_dir: Path, principal: Principal, upload_id: str) -> Path:
    return _upload_dir(data_dir, principal) / f"{upload_id}-columns.json"


def _choices(data_dir: Path, principal: Principal, upload_id: str) -> dict[str, str | None]:
    path = _choices_path(data_dir, principal, upload_id)
    if not path.exists():
        return {}
    loaded: dict[str, str | None] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def choose_columns(
    store: Store, data_dir: Path, principal: Principal, upload_id: str, columns: dict[str, str | None]
) -> ImportSummary:
    """Read the named columns of the upload as the given standard fields (None: not imported), on top of the
    earlier choices, and check the upload again. A column the file lacks or a field the standard lacks is
    refused (``ValidationError``) and the earlier choices stay."""
    principal.require("imports.run")
    _path(data_dir, principal, upload_id)
    chosen = {**_choices(data_dir, principal, upload_id), **columns}
    summary = run_import(store, data_dir, principal, upload_id, dry_run=True, columns=chosen)
    target = _choices_path(data_dir, principal, upload_id)
    temporary = target.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(chosen, handle)
    os.replace(temporary, target)
    return summary


def run_import(
    store: Store,
    data_dir: Path,
    principal: Principal,
    upload_id: str,
    *,
    dry_run: bool,
    columns: dict[str, str | None] | None = None,
) -> ImportSummary:
    """Check (``dry_run``) or import the upload into the principal's organisation, with the columns chosen so far
    (or ``columns``); the file and the choices are removed after an import."""
    principal.require("imports.run")
    path = _path(data_dir, principal, upload_id)
    chosen = _choices(data_dir, principal, upload_id) if columns is None else columns
    result = import_file(
        path,
        principal.organisation_code,
        None if dry_run else store,
        dry_run=dry_run,
        data_dir=data_dir,
        label=f"upload {upload_id}",
        columns=chosen,
    )
    report = result.report
    issues = [{k: v for k, v in i.as_dict().items() if k != "value"} for i in report.details[:200]]
    unknown = sorted({str(i.column) for i in report.details if i.code == "unknown_column" and i.column})
    created = result.outcome.created if result.outcome is not None else 0
    updated = result.outcome.updated if result.outcome is not None else 0
    if not dry_run:
        path.unlink(missing_ok=True)
        _choices_path(data_dir, principal, upload_id).unlink(missing_ok=True)
    return ImportSummary(
        upload_id,
        dry_run,
        report.rows_read,
        report.rows_valid,
        report.rows_refused,
        created,
        updated,
        issues,
        unknown,
        dict(chosen),
    )
