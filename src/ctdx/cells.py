"""Spreadsheet-safe cell values for every file ctdx writes (CSV, XLSX, reports, quarantine files).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula by
Excel, LibreOffice and Google Sheets (CSV injection, OWASP). Such text is prefixed with a single quote,
which spreadsheet programs show as text; numbers written as numbers are left alone.
"""

from __future__ import annotations

from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The value, with text that a spreadsheet would run as a formula made inert."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_row(row: list[Any]) -> list[Any]:
    return [neutralise(v) for v in row]
