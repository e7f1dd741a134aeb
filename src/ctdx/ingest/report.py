"""The validation report of an import: every problem found in a file, as typed data (not exceptions).

An ``Issue`` names the row (1 = the header row of a table; ``None`` for a problem with the whole file),
the column as the file spells it, a stable ``code``, a severity and a message. The offending value is
kept only when the field is not identifying (``Field.identifying`` in the standard): a report may be
mailed around, a victim's name or birth date must not be in it.

Bounded memory: a million-row file can carry millions of warnings, so ``Report`` counts every issue by
(severity, code, column) but keeps the details of only the first ``detail_limit`` of them in memory;
``IssueSink`` streams *all* of them to the JSON report when one is asked for, and every refused row is
in the quarantine file with all its reasons.

Stable codes (``CODES``) are part of the public interface: documentation and users' scripts rely on them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from rich.table import Table

from ctdx.cells import neutralise

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}

# code -> what it means. Every issue the importer emits uses one of these.
CODES: dict[str, str] = {
    "unknown_value": "a picklist value that is neither a system name, a label nor a known alias",
    "not_a_country": "not an ISO 3166-1 country code or an exact country name",
    "country_name_resolved": "a country name or alpha-3 code was read as its alpha-2 code",
    "not_a_language": "not an ISO 639-2 language code or name",
    "multiple_values": "several values in a field that takes one",
    "conflicting_values": "two columns give different values for one field",
    "invalid_date": "not a date in the expected format",
    "impossible_date": "a date that does not exist or is before 1900",
    "future_date": "a date after today",
    "invalid_number": "not a number",
    "invalid_checkbox": "not one of TRUE/FALSE, 1/0, yes/no",
    "invalid_flag": "a CTDC flag that is not 1, 0, -99 or empty",
    "out_of_range": "a number outside the range the field allows",
    "age_out_of_range": "an age under 0 or over 120",
    "birth_after_case": "a birth date after a date of the case",
    "missing_core": "a core HTCDS field left empty (a warning: contact fields are core too)",
    "core_column_absent": "a core HTCDS field that the file has no column for",
    "no_values": "a row with no value for any standard field",
    "missing_source_id": "the source id column is empty on this row",
    "duplicate_source_id": "a source id already used by an earlier row of this file",
    "invalid_json": "a JSON Lines row that is not a JSON object of the expected shape",
    "unknown_column": "a column that is not a standard field and is not mapped: its values are not imported",
    "unnamed_column": "a column without a header that holds values: its values are not imported",
    "mapped_column_absent": "a column the mapping names is not in the file",
    "ignored_column": "a column deliberately not imported (metadata, row numbers, mapping 'ignore')",
    "header_mismatch": "a template column whose field name and label disagree",
    "merged_header": "merged cells in the header row: columns cannot be told apart",
    "extra_sheet": "the workbook has sheets that were not read",
    "encoding_detected": "the text encoding was detected rather than declared",
    "wrong_column_count": "a CSV row with more cells than the header",
    "source_id_from_hash": "the file has no id column: ids are the file's SHA-256 and the row number",
}


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem in one place of a file."""

    code: str
    severity: Severity
    message: str
    row: int | None = None
    column: str | None = None
    field: str | None = None
    value: str | None = None
    suggestion: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Report:
    """Counts of every issue, the first ``detail_limit`` issues in full, and the row tallies."""

    file: str
    format: str = ""
    encoding: str | None = None
    detail_limit: int = 1000
    rows_read: int = 0
    rows_blank: int = 0
    rows_valid: int = 0
    rows_refused: int = 0
    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    details: list[Issue] = field(default_factory=list)

    def add(self, issue: Issue) -> None:
        self.counts[(issue.severity, issue.code, issue.column or "")] += 1
        if len(self.details) < self.detail_limit:
            self.details.append(issue)

    @property
    def errors(self) -> int:
        return sum(n for (sev, _, _), n in self.counts.items() if sev == "error")

    @property
    def warnings(self) -> int:
        return sum(n for (sev, _, _), n in self.counts.items() if sev == "warning")

    def codes(self) -> set[str]:
        return {code for (_, code, _) in self.counts}

    def summary(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "encoding": self.encoding,
            "rows_read": self.rows_read,
            "rows_blank": self.rows_blank,
            "rows_valid": self.rows_valid,
            "rows_refused": self.rows_refused,
            "errors": self.errors,
            "warnings": self.warnings,
            "by_code": [
                {"severity": sev, "code": code, "column": col or None, "count": n}
                for (sev, code, col), n in sorted(self.counts.items(), key=_count_order)
            ],
        }


def _count_order(item: tuple[tuple[str, str, str], int]) -> tuple[int, str, str]:
    (sev, code, col), _ = item
    return (SEVERITY_ORDER[sev], code, col)


class IssueSink:
    """Receives every issue: counts it in the report and, if a JSON path was given, streams it there."""

    def __init__(self, report: Report, json_path: Path | None = None) -> None:
        self.report = report
        self._json: IO[str] | None = None
        self._first = True
        if json_path is not None:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            self._json = json_path.open("w", encoding="utf-8")
            self._json.write('{"issues": [\n')

    def add(self, issue: Issue) -> None:
        self.report.add(issue)
        if self._json is not None:
            if not self._first:
                self._json.write(",\n")
            self._first = False
            self._json.write(json.dumps(_neutral(issue.as_dict()), ensure_ascii=False))

    def extend(self, issues: Iterable[Issue]) -> None:
        for issue in issues:
            self.add(issue)

    def close(self, extra: dict[str, Any] | None = None) -> None:
        if self._json is None:
            return
        summary = {**self.report.summary(), **(extra or {})}
        self._json.write('\n],\n"summary": ')
        self._json.write(json.dumps(_neutral(summary), ensure_ascii=False, indent=1, default=str))
        self._json.write("\n}\n")
        self._json.close()
        self._json = None


def _neutral(value: Any) -> Any:
    """Report files are opened in spreadsheets too: neutralise every string in them."""
    if isinstance(value, dict):
        return {k: _neutral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_neutral(v) for v in value]
    return neutralise(value)


def render_table(report: Report, limit: int = 30, per_kind: int = 3) -> Table:
    """The first issues in detail, errors first, at most ``per_kind`` examples of one code in one column."""
    table = Table(title=f"Import report: {report.file}", show_lines=False)
    for name in ("severity", "row", "column", "code", "message", "value / suggestion"):
        table.add_column(name, overflow="fold")
    styles = {"error": "bold red", "warning": "yellow", "info": "dim"}
    examples: Counter[tuple[str, str]] = Counter()
    shown: list[Issue] = []
    for issue in sorted(report.details, key=lambda i: (SEVERITY_ORDER[i.severity], i.row or 0)):
        kind = (issue.code, issue.column or "")
        examples[kind] += 1
        if examples[kind] <= per_kind and len(shown) < limit:
            shown.append(issue)
    for issue in shown:
        extra = " / ".join(
            x for x in (issue.value, f"did you mean {issue.suggestion}?" if issue.suggestion else None) if x
        )
        table.add_row(
            f"[{styles[issue.severity]}]{issue.severity}[/]",
            "" if issue.row is None else str(issue.row),
            issue.column or "",
            issue.code,
            issue.message,
            extra,
            end_section=False,
        )
    hidden = sum(report.counts.values()) - len(shown)
    if hidden > 0:
        table.caption = f"{hidden} more issue(s) not shown: see the counts and the JSON report (--report-json)"
    return table


def render_counts(report: Report) -> Table:
    table = Table(title="Issues by code")
    for name in ("severity", "code", "column", "count"):
        table.add_column(name)
    for (sev, code, col), n in sorted(report.counts.items(), key=_count_order):
        table.add_row(sev, code, col, str(n))
    return table
