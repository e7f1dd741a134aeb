"""Readers that stream the rows of a file: CSV (delimiter and encoding detected), XLSX/ODS/XLS, JSON Lines.

What the file *is* comes from its content, not its name: a zip with ``xl/workbook.xml`` is XLSX, one
with an OpenDocument ``mimetype`` is ODS, text starting with ``{`` is JSON Lines, other text is CSV. A
file whose content contradicts its extension, an empty file, a truncated archive or a CSV that ends
inside a quoted cell raises ``InputFileError``: those are not rows with problems, the file cannot be read.

Encodings: a BOM decides; otherwise a first pass (which also computes the file's SHA-256 and counts its
lines for the progress bar) checks whether the whole file is valid UTF-8. If it is not and a sample reads
in a Latin script (as charset-normalizer decodes it), bytes 0x80-0x9F (curly quotes and the euro sign
in Windows-1252, unused control codes in Latin-1) decide between Windows-1252 and Latin-1, which charset
detectors routinely confuse because the two agree on every other byte; other scripts are left to
charset-normalizer.

Delimiters: ``csv.Sniffer`` guesses wrong on short samples and on quoted cells that contain other
delimiters, so we parse the first lines with each candidate (``,`` ``;`` tab ``|``) and keep the one that
gives the same number of cells (more than one) on the most lines.

Spreadsheets go through python-calamine, which reads the sheet in Rust (fast, but the sheet is held in
memory: for million-row files, CSV is the format that streams).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import json
import unicodedata
import zipfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import charset_normalizer
from python_calamine import CalamineWorkbook

from ctdx.errors import InputFileError
from ctdx.ingest.report import Issue
from ctdx.ingest.values import Raw

Container = Literal["csv", "xlsx", "ods", "xls", "jsonl"]
CONTAINERS: tuple[Container, ...] = ("csv", "xlsx", "ods", "xls", "jsonl")
EXTENSIONS: dict[str, Container] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".ods": "ods",
    ".xls": "xls",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
DELIMITERS = (",", ";", "\t", "|")
CHUNK = 1 << 20
SNIFF_LINES = 50


@dataclass
class SourceRow:
    """One row as the file holds it: cells of a table, or the object of a JSON Lines row."""

    number: int
    cells: list[Raw] = field(default_factory=list)
    obj: Any = None
    text: str | None = None


class Rows:
    """An iterator of rows that can look ahead (to read a second header row) without losing them."""

    def __init__(self, source: Iterator[SourceRow]) -> None:
        self._source = source
        self._buffer: deque[SourceRow] = deque()

    def __iter__(self) -> Iterator[SourceRow]:
        return self

    def __next__(self) -> SourceRow:
        return self._buffer.popleft() if self._buffer else next(self._source)

    def peek(self) -> SourceRow | None:
        if not self._buffer:
            try:
                self._buffer.append(next(self._source))
            except StopIteration:
                return None
        return self._buffer[0]


@dataclass
class Table:
    """A file opened for reading: its header, its rows (streamed) and what was learnt opening it."""

    container: Container
    columns: list[str]
    rows: Rows
    sha256: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    total_rows: int | None = None
    notes: list[Issue] = field(default_factory=list)


def file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            sha.update(chunk)
    return sha.hexdigest()


def sniff_container(path: Path) -> Container:
    """What the bytes of the file are, whatever its name says."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise InputFileError(f"{path.name}: cannot be opened ({exc.strerror})", file=path.name) from None
    stripped = head.lstrip(b"\xef\xbb\xbf").strip()
    if not stripped:
        raise InputFileError(f"{path.name}: the file is empty", file=path.name)
    if head.startswith(b"PK"):
        return _zip_kind(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputFileError(f"{path.name}: a binary file, not CSV, a spreadsheet or JSON Lines", file=path.name)
    if stripped.startswith(b"["):
        raise InputFileError(f"{path.name}: a JSON array; ctdx reads JSON Lines (one object per line)", file=path.name)
    return "jsonl" if stripped.startswith(b"{") else "csv"


def _zip_kind(path: Path) -> Container:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "mimetype" in names and b"spreadsheet" in archive.read("mimetype"):
                return "ods"
    except (zipfile.BadZipFile, EOFError, OSError):
        raise InputFileError(f"{path.name}: a damaged or truncated zip archive (XLSX/ODS)", file=path.name) from None
    raise InputFileError(f"{path.name}: a zip archive that is not an XLSX or ODS workbook", file=path.name)


def check_extension(path: Path, container: Container) -> None:
    """Refuse a file whose content is not the format its name says (an .xlsx that is really CSV)."""
    expected = EXTENSIONS.get(path.suffix.lower())
    if expected is not None and expected != container:
        raise InputFileError(
            f"{path.name}: named {path.suffix} but its content is {container.upper()}; "
            f"rename it or declare the format with --format {container}",
            file=path.name,
        )


def open_table(
    path: Path,
    container: Container,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> Table:
    if container == "csv":
        return _open_csv(path, encoding, delimiter)
    if container == "jsonl":
        return _open_jsonl(path)
    return _open_workbook(path, container, sheet)


# ---- CSV -------------------------------------------------------------------------------------------


@dataclass
class _Scan:
    sha256: str
    lines: int
    utf8: bool
    sample: bytes


def _scan(path: Path) -> _Scan:
    """One pass over the bytes: digest, line count, whether it is all UTF-8, a sample of non-ASCII text."""
    sha = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    lines = 0
    sample = b""
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            sha.update(chunk)
            lines += chunk.count(b"\n")
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            if len(sample) < CHUNK and not chunk.isascii():
                sample += chunk[: CHUNK - len(sample)]
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return _Scan(sha.hexdigest(), lines, utf8, sample)


def detect_encoding(path: Path, scan: _Scan) -> tuple[str, bool]:
    """The encoding to read with, and whether it was a guess worth telling the user about."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", False
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", False
    if scan.utf8:
        return "utf-8", False
    best = charset_normalizer.from_bytes(scan.sample).best()
    if best is not None and not _latin(str(best)):
        return best.encoding, True  # another script (Cyrillic, Greek, Arabic...): the detector knows best
    control = any(0x80 <= b <= 0x9F for b in scan.sample)
    return ("cp1252" if control else "latin-1"), True


WESTERN_PUNCTUATION = frozenset("€‚„…†‡ˆ‰‹›‘’“”•–—˜™¡¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿×÷\xa0")


def _latin(text: str) -> bool:
    """Whether the non-ASCII characters of decoded text are Latin letters or typographic marks.

    Charset detectors guess wildly between Latin-script code pages on the short samples a small CSV gives
    (Baltic or Central European code pages for "Zoë Müller"); when their guess is Latin script, the file
    is taken to be Latin-1 or Windows-1252, what spreadsheet programs write where they do not write UTF-8.
    """
    others = [c for c in text if ord(c) > 127]
    if not others:
        return True
    latin = sum(1 for c in others if c in WESTERN_PUNCTUATION or "LATIN" in unicodedata.name(c, ""))
    return latin >= 0.95 * len(others)


def sniff_delimiter(lines: list[str]) -> str:
    best, best_score = ",", (-1, 0)
    for candidate in DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(lines, delimiter=candidate) if r]
        except csv.Error:
            continue
        if not widths or widths[0] < 2:
            continue
        score = (sum(1 for w in widths if w == widths[0]), widths[0])
        if score > best_score:
            best, best_score = candidate, score
    return best


def _open_csv(path: Path, encoding: str | None, delimiter: str | None) -> Table:
    scan = _scan(path)
    notes: list[Issue] = []
    if encoding is None:
        encoding, guessed = detect_encoding(path, scan)
        if guessed:
            msg = f"the file is not UTF-8: read as {encoding} (declare it with --encoding if that is wrong)"
            notes.append(Issue("encoding_detected", "info", msg))
    else:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputFileError(f"unknown encoding {encoding!r}", encoding=encoding) from None
    fh = path.open("r", encoding=encoding, newline="", errors="strict")
    try:
        head = [line for _, line in zip(range(SNIFF_LINES), fh, strict=False)]
    except UnicodeDecodeError:
        fh.close()
        raise InputFileError(f"{path.name}: cannot be read as {encoding}; declare --encoding", file=path.name) from None
    fh.seek(0)
    if delimiter is None:
        delimiter = sniff_delimiter(head)
    rows = Rows(_csv_rows(fh, path, delimiter, encoding))
    header = next(rows, None)
    if header is None:
        raise InputFileError(f"{path.name}: the file is empty", file=path.name)
    columns = [str(c).strip().lstrip("\ufeff") for c in header.cells]
    return Table("csv", columns, rows, scan.sha256, encoding, delimiter, total_rows=max(scan.lines - 1, 0), notes=notes)


def _csv_rows(fh: io.TextIOWrapper, path: Path, delimiter: str, encoding: str) -> Iterator[SourceRow]:
    csv.field_size_limit(1 << 24)
    reader = csv.reader(fh, delimiter=delimiter, strict=True)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield SourceRow(number, list(cells))
    except UnicodeDecodeError:
        raise InputFileError(
            f"{path.name}: row {number + 1} cannot be read as {encoding}; declare --encoding", file=path.name
        ) from None
    except csv.Error as exc:
        what = "ends inside a quoted cell (truncated?)" if "end of data" in str(exc) else f"is not valid CSV ({exc})"
        raise InputFileError(f"{path.name}: row {number + 1} {what}", file=path.name, row=number + 1) from None
    finally:
        fh.close()


# ---- JSON Lines --------------------------------------------------------------------------------------


def _open_jsonl(path: Path) -> Table:
    scan = _scan(path)
    if not scan.utf8:
        raise InputFileError(f"{path.name}: JSON Lines must be UTF-8 (RFC 8259)", file=path.name)
    return Table("jsonl", [], Rows(_jsonl_rows(path)), scan.sha256, "utf-8", total_rows=scan.lines)


def _jsonl_rows(path: Path) -> Iterator[SourceRow]:
    with path.open("r", encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                yield SourceRow(number)
                continue
            try:
                obj: Any = json.loads(line)
            except json.JSONDecodeError as exc:
                obj = exc
            yield SourceRow(number, obj=obj, text=line.rstrip("\r\n"))


# ---- spreadsheets --------------------------------------------------------------------------------------


def _cell(value: Any) -> Raw:
    if value is None or isinstance(value, str | int | float | bool | dt.date):
        return value
    return str(value)


def _open_workbook(path: Path, container: Container, sheet: str | None) -> Table:
    digest = file_digest(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
        names = [m.name for m in book.sheets_metadata if str(m.typ).endswith("WorkSheet")] or list(book.sheet_names)
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise InputFileError(f"{path.name}: cannot be read as {container.upper()} ({type(exc).__name__})") from None
    if not names:
        raise InputFileError(f"{path.name}: the workbook has no sheet", file=path.name)
    chosen = names[0] if sheet is None else sheet
    if chosen not in names:
        raise InputFileError(f"{path.name}: no sheet named {sheet!r} (sheets: {', '.join(names)})", file=path.name)
    notes = [
        Issue("extra_sheet", "info", f"sheet {other!r} was not read (choose one with --sheet)")
        for other in names
        if other != chosen
    ]
    try:
        data = book.get_sheet_by_name(chosen)
    except Exception as exc:  # a damaged sheet inside a readable archive
        raise InputFileError(f"{path.name}: sheet {chosen!r} cannot be read ({type(exc).__name__})") from None
    first_row = data.start[0] if data.start else 0
    # Rows become Python objects one at a time (``iter_rows``); the sheet itself stays in calamine's memory.
    grid = data.iter_rows()
    header = next(grid, None)
    header_row = first_row + 1
    for (r1, c1), (r2, c2) in data.merged_cell_ranges or []:
        if r1 <= first_row <= r2:
            span = f"{_col_letter(c1)}{r1 + 1}:{_col_letter(c2)}{r2 + 1}"
            notes.append(Issue("merged_header", "error", f"merged header cells {span}: unmerge them", header_row))
    if header is None or all(_blank(c) for c in header):
        raise InputFileError(f"{path.name}: sheet {chosen!r} is empty", file=path.name)
    columns = [str(_cell(c) or "").strip() for c in header]

    def rows() -> Iterator[SourceRow]:
        for i, values in enumerate(grid, start=header_row + 1):
            yield SourceRow(i, [_cell(c) for c in values])

    total = max(data.height - 1, 0)
    return Table(container, columns, Rows(rows()), digest, sheet=chosen, total_rows=total, notes=notes)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _col_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
