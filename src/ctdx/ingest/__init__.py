"""Imports that lose nothing: files from spreadsheets, KoboToolbox/ODK, CTDC and other systems into the store.

``import_file`` reads a file (CSV, XLSX, ODS, the official HTCDS Excel templates, Kobo/ODK exports, CTDC
CSV through a mapping, JSON Lines), validates every row into a typed ``CaseRecord``, reports every problem
at once, puts refused rows in a quarantine file and stores the valid ones in one transaction.
``FileReading`` gives the same validated records to other consumers (linkage, uploads) without a store.
"""

from ctdx.ingest.formats import DIALECTS, Dialect, detect_dialect
from ctdx.ingest.mapping import Mapping, load_mapping, parse_mapping, shipped_mapping
from ctdx.ingest.pipeline import FORMATS, FileReading, ImportResult, ReadOptions, import_file
from ctdx.ingest.report import CODES, Issue, Report, render_counts, render_table

__all__ = [
    "CODES",
    "DIALECTS",
    "FORMATS",
    "Dialect",
    "FileReading",
    "ImportResult",
    "Issue",
    "Mapping",
    "ReadOptions",
    "Report",
    "detect_dialect",
    "import_file",
    "load_mapping",
    "parse_mapping",
    "render_counts",
    "render_table",
    "shipped_mapping",
]
