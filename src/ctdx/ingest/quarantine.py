"""The quarantine file: every refused row, as the file had it, with the reasons it was refused.

A CSV (UTF-8 with BOM, so that Excel opens it with the right encoding): ``row`` (the row in the source
file), ``reasons`` (``column: code: message`` joined with `` | ``), then the source's own columns with
their values, or ``line`` (the JSON text) for JSON Lines. Fix the rows in it and import it again: it has
the source's header, so it reads like the original (the two extra columns are reported as unknown).

Every cell goes through ``ctdx.cells.neutralise``: a refused row is exactly where an ``=HYPERLINK(...)``
planted in a form ends up, and the quarantine file is opened in a spreadsheet to fix it. The file holds
the personal data of the refused rows: it is written with owner-only permissions and must be kept like
the source file.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import IO, Any

from ctdx.cells import neutralise_row
from ctdx.ingest.report import Issue
from ctdx.ingest.sources import SourceRow
from ctdx.ingest.values import raw_text


def reasons(issues: list[Issue]) -> str:
    return " | ".join(
        f"{i.column + ': ' if i.column else ''}{i.code}: {i.message}" for i in issues if i.severity == "error"
    )


class QuarantineWriter:
    """Writes refused rows; the file is created on the first refused row only."""

    def __init__(self, path: Path, columns: list[str], json_lines: bool = False) -> None:
        self.path = path
        self.columns = columns
        self.json_lines = json_lines
        self.count = 0
        self._fh: IO[str] | None = None
        self._csv: Any = None

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._fh = open(fd, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115 (closed in close())
        self._csv = csv.writer(self._fh)
        header = ["row", "reasons", *(["line"] if self.json_lines else self.columns)]
        self._csv.writerow(neutralise_row(header))

    def write(self, row: SourceRow, issues: list[Issue]) -> None:
        if self._fh is None:
            self._open()
        cells = [row.text or ""] if self.json_lines else [raw_text(c) for c in row.cells]
        self._csv.writerow(neutralise_row([row.number, reasons(issues), *cells]))
        self.count += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    @property
    def written(self) -> bool:
        return self.count > 0
