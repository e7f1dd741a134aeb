"""``import_file``: read a file, validate every row, quarantine the refused ones, store the rest at once.

The valid records are handed to ``Store.import_cases`` as a lazy iterator, so a million-row CSV streams
from disk to the database in bounded memory, inside ONE transaction: an unreadable file discovered
half-way (a CSV truncated inside a quoted cell), an error in the store or Ctrl-C leaves the store as it
was. Records are keyed by (organisation, source system, source record id), so importing the same file
twice creates no duplicates.

File-level errors (merged header cells) refuse the whole file before any row is read. ``dry_run``
validates and reports and writes nothing to the store; report and quarantine files are still written
when their paths are given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from ctdx.errors import InputFileError, ValidationError
from ctdx.ingest.formats import DIALECTS, Dialect, assign_columns, detect_dialect, make_plan
from ctdx.ingest.jsonrecords import JsonRowReader
from ctdx.ingest.mapping import Mapping, load_mapping, shipped_mapping
from ctdx.ingest.quarantine import QuarantineWriter
from ctdx.ingest.report import Issue, IssueSink, Report
from ctdx.ingest.sources import CONTAINERS, Container, check_extension, open_table, sniff_container
from ctdx.ingest.validation import RowReader, RowResult
from ctdx.ingest.values import ValueReader
from ctdx.model import CaseRecord

if TYPE_CHECKING:
    from ctdx.store import ImportOutcome, Store

FORMATS: tuple[str, ...] = CONTAINERS + tuple(d for d in DIALECTS if d not in ("mapped", "jsonl"))
ProgressCallback = Callable[[int, int | None], None]
PROGRESS_EVERY = 500  # rows between two progress reports: often enough for a bar, rare enough to cost nothing


@dataclass
class ImportResult:
    """The report of the file, what the store did (None on a dry run or a refused file), the quarantine."""

    report: Report
    outcome: ImportOutcome | None
    quarantine: Path | None
    dry_run: bool
    refused_whole: bool = False

    @property
    def refused(self) -> int:
        return self.report.rows_refused


def _resolve_format(path: Path, declared: str | None) -> tuple[Container, Dialect | None]:
    if declared is not None and declared not in FORMATS:
        raise ValidationError(f"unknown format {declared!r}; expected one of {', '.join(FORMATS)}", format=declared)
    container = sniff_container(path)
    if declared in CONTAINERS:
        if declared != container:
            raise InputFileError(f"{path.name}: declared {declared} but its content is {container.upper()}")
        return container, None
    if declared is None:
        check_extension(path, container)
    return container, cast("Dialect | None", declared)


def _mapping(given: Path | Mapping | None) -> Mapping | None:
    """A mapping object, a mapping file, or the name of a mapping shipped with ctdx (``ctdc-vp``)."""
    if not isinstance(given, Path):
        return given
    if not given.exists() and given.suffix == "" and shipped_mapping(given.name).exists():
        return load_mapping(shipped_mapping(given.name))
    return load_mapping(given)


def default_quarantine_path(path: Path, data_dir: Path) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return data_dir / "quarantine" / f"{path.stem}-{stamp}.quarantine.csv"


@dataclass
class ReadOptions:
    """How to read a file: everything ``import_file`` takes besides the store."""

    mapping: Path | Mapping | None = None
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    report_json: Path | None = None
    quarantine: Path | None = None
    today: dt.date | None = None
    # Columns read as these standard fields (None: not imported), on top of the mapping or the recognised headers.
    columns: dict[str, str | None] = field(default_factory=dict)


class FileReading:
    """A file opened and checked as a whole; ``records()`` streams its valid records, quarantining the rest.

    Use as a context manager: leaving it closes the quarantine file and finishes the JSON report.
    """

    def __init__(self, path: Path, options: ReadOptions, on_progress: ProgressCallback | None = None) -> None:
        for output in (options.quarantine, options.report_json):
            if output is not None and output.exists() and output.resolve() == path.resolve():
                raise ValidationError("the quarantine and report files must not be the file being imported")
        mapping = _mapping(options.mapping)
        container, declared = _resolve_format(path, options.format)
        delimiter = options.delimiter
        if delimiter is not None and len(delimiter) != 1:
            delimiter = {"tab": "\t", "\\t": "\t"}.get(delimiter, delimiter)
            if len(delimiter) != 1:
                raise ValidationError("a delimiter is one character (or 'tab')")
        if mapping is not None and container == "jsonl":
            raise ValidationError("JSON Lines files are CaseRecord-shaped and take no mapping")
        self.table = open_table(path, container, encoding=options.encoding, delimiter=delimiter, sheet=options.sheet)
        dialect = detect_dialect(self.table, declared)
        values = ValueReader(today=options.today)
        plan = None if dialect == "jsonl" else make_plan(self.table, dialect, mapping)
        if options.columns:
            if plan is None:
                raise ValidationError("JSON Lines files are CaseRecord-shaped: their columns cannot be chosen")
            assign_columns(plan, options.columns)
        self.report = Report(file=path.name, format=f"{container}/{dialect}", encoding=self.table.encoding)
        self.sink = IssueSink(self.report, options.report_json)  # opened last: nothing above leaves it half-written
        self.rows: RowReader | JsonRowReader
        self.sink.extend(self.table.notes)
        if plan is None:
            self.rows = JsonRowReader(self.table.sha256, values)
        else:
            self.report.format = f"{container}/{plan.dialect}"
            self.rows = RowReader(plan, self.table.sha256, values)
            self.sink.extend(plan.notes)
            self.sink.extend(self.rows.file_notes())
            if plan.id_index is None:
                msg = "no id column: source ids are the file's SHA-256 and the row number (re-imports stay idempotent)"
                self.sink.add(Issue("source_id_from_hash", "info", msg))
        #: File-level errors (merged header cells): the file is refused as a whole, no row is read.
        self.refused_whole = any(i.severity == "error" for i in self.table.notes + (plan.notes if plan else []))
        self.writer = None
        if options.quarantine is not None and not self.refused_whole:
            self.writer = QuarantineWriter(options.quarantine, self.table.columns, json_lines=plan is None)
        self.on_progress = on_progress

    def __enter__(self) -> FileReading:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def quarantine(self) -> Path | None:
        return self.writer.path if self.writer is not None and self.writer.written else None

    def close(self, extra: dict[str, object] | None = None) -> None:
        if self.writer is not None:
            self.writer.close()
        self.sink.close({"refused_as_a_whole": self.refused_whole, **(extra or {})})

    def records(self) -> Iterator[CaseRecord]:
        """The valid records, one by one; refused rows go to the quarantine file, every issue to the report."""
        if self.refused_whole:
            return
        report = self.report
        for row in self.table.rows:
            result: RowResult = self.rows.read(row)
            if result.blank:
                report.rows_blank += 1
            else:
                report.rows_read += 1
                self.sink.extend(result.issues)
                if result.record is None:
                    report.rows_refused += 1
                    if self.writer is not None:
                        self.writer.write(row, result.issues)
                else:
                    report.rows_valid += 1
                    yield result.record
            done = report.rows_read + report.rows_blank
            if self.on_progress is not None and done % PROGRESS_EVERY == 0:
                self.on_progress(done, self.table.total_rows)
        if self.on_progress is not None:
            self.on_progress(report.rows_read + report.rows_blank, self.table.total_rows)


def import_file(
    path: Path,
    org_code: str,
    store: Store | None,
    *,
    mapping: Path | Mapping | None = None,
    dry_run: bool = False,
    format: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    report_json: Path | None = None,
    quarantine: Path | None = None,
    data_dir: Path | None = None,
    label: str | None = None,
    on_progress: ProgressCallback | None = None,
    today: dt.date | None = None,
    columns: dict[str, str | None] | None = None,
) -> ImportResult:
    """Import ``path`` into organisation ``org_code`` of ``store`` (which may be None on a dry run).

    Refused rows go to ``quarantine`` (default: ``<data_dir>/quarantine/<name>-<time>.quarantine.csv``
    when ``data_dir`` is given and this is not a dry run); every issue goes to ``report_json`` if given.
    ``columns`` reads the named columns as the given standard fields (None: not imported).
    """
    if not dry_run and store is None:
        raise ValidationError("an import that is not a dry run needs a store")
    if quarantine is None and not dry_run and data_dir is not None:
        quarantine = default_quarantine_path(path, data_dir)
    options = ReadOptions(mapping, format, encoding, delimiter, sheet, report_json, quarantine, today, columns or {})
    reading = FileReading(path, options, on_progress)
    outcome: ImportOutcome | None = None
    extra: dict[str, object] = {"dry_run": dry_run}
    try:
        if dry_run or store is None or reading.refused_whole:
            for _ in reading.records():
                pass
        else:
            outcome = _store(store, org_code, reading.records(), path, label)
            extra |= {"created": outcome.created, "updated": outcome.updated, "unchanged": outcome.unchanged}
    finally:
        extra["quarantine"] = str(reading.quarantine) if reading.quarantine else None
        reading.close(extra)
    return ImportResult(reading.report, outcome, reading.quarantine, dry_run, reading.refused_whole)


def _store(store: Store, org_code: str, records: Iterator[CaseRecord], path: Path, label: str | None) -> ImportOutcome:
    from ctdx.store import Actor

    organisation = store.ensure_organisation(code=org_code, name=org_code)
    actor = Actor.system("import", organisation.id)
    return store.import_cases(org_code, records, actor=actor, label=label or f"import of {path.name}")
