"""Writing release files: CSV with spreadsheet-safe cells, Parquet beside it, and canonical JSON."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ctdx.cells import neutralise


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write a UTF-8 CSV (every cell made spreadsheet-safe); return the number of data rows."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([neutralise(h) for h in header])
        for row in rows:
            writer.writerow([neutralise(v) for v in row])
            count += 1
    return count


def write_parquet(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """The same table as Parquet (text columns), for tools that read columns fast."""
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    table = pa.table(
        {name: pa.array([neutralise(v) for v in column]) for name, column in zip(header, columns, strict=True)}
    )
    pq.write_table(table, path)


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and no spaces: the form that hashes are taken over."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()
