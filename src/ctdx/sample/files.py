"""Writing a sample cohort to a directory in the native ctdx formats, with its ground truth beside it.

Layout of ``DIR``::

    <org-code>.csv | .jsonl   one file per organisation: source_record_id + the standard field names
    truth.csv                 source_record_id, org, person_id, corruptions (never inside the records)
    organisations.json        code, name, org_Type, country of each organisation
    manifest.json             seed, counts, generator version, standard, format

Native CSV: UTF-8, comma-separated, header of standard field names; multi-selects joined with ``;``,
dates ``YYYY-MM-DD``, booleans ``TRUE``/``FALSE``, an empty cell is an absent value, and every text cell
goes through ``ctdx.cells.neutralise`` (so a phone number ``+63...`` is written ``'+63...``; readers strip
that quote). JSON Lines: one ``CaseRecord``-shaped object per record (``{"source": {"system",
"record_id"}, "values": {...}}``, as ``ctdx import`` reads it), absent fields left out, multi-selects as
lists; JSON is not run by spreadsheets, so values are written as they are.

Chunks are made and rendered in worker processes (they depend only on the seed and their number) and
written in order by this process, so the files are byte-identical for a seed whatever the number of
workers, and memory stays bounded by a few chunks. Files are written into a temporary directory beside
``DIR`` that is renamed into place at the end: an interrupted run leaves no half-written cohort.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import multiprocessing
import os
import shutil
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ctdx.cells import neutralise
from ctdx.errors import ConflictError
from ctdx.model import FieldValue
from ctdx.sample.cohort import CHUNK_RECORDS, FIELDS, Cohort, CohortChunk, generate_cohort
from ctdx.sample.corruption import KINDS as CORRUPTION_KINDS
from ctdx.standard import load_standard

Format = Literal["csv", "jsonl"]
FORMATS: tuple[Format, ...] = ("csv", "jsonl")
TRUTH_HEADER = ("source_record_id", "org", "person_id", "corruptions")


@dataclass(frozen=True)
class RenderedChunk:
    """One chunk as text: a block per organisation and the truth rows, with its counts."""

    blocks: dict[str, str]
    truth: str
    records: dict[str, int]
    persons: int
    repeats: int
    repeats_same_organisation: int
    corruptions: dict[str, int]


def _cell_renderers() -> dict[str, Callable[[FieldValue], str]]:
    def text(v: FieldValue) -> str:
        return str(neutralise(str(v)))

    def multi(v: FieldValue) -> str:
        return str(neutralise(";".join(v))) if isinstance(v, tuple) else text(v)

    def date(v: FieldValue) -> str:
        return v.isoformat() if hasattr(v, "isoformat") else text(v)

    def boolean(v: FieldValue) -> str:
        return "TRUE" if v is True else "FALSE" if v is False else text(v)

    standard = load_standard()
    by_type = {"multi_picklist": multi, "date": date, "checkbox": boolean}
    return {name: by_type.get(standard.field(name).type, text) for name in FIELDS}


def _csv_column(values: list[FieldValue | None], render: Callable[[FieldValue], str]) -> list[str]:
    """The column's cells: each distinct value rendered once, then looked up (C-level ``map``)."""
    cells: dict[FieldValue | None, str] = {v: render(v) for v in set(values) if v is not None}
    cells[None] = ""
    return list(map(cells.__getitem__, values))


def _json_value(v: FieldValue) -> Any:
    if isinstance(v, tuple):
        return list(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def render_chunk(chunk: CohortChunk, fmt: Format) -> RenderedChunk:
    """The chunk as CSV or JSON Lines text, one block per organisation (rows are grouped by organisation)."""
    spans: dict[str, tuple[int, int]] = {}
    for i, org in enumerate(chunk.orgs):
        start, _ = spans.get(org, (i, i))
        spans[org] = (start, i + 1)
    blocks: dict[str, str] = {}
    if fmt == "csv":
        renderers = _cell_renderers()
        cells = [chunk.record_ids] + [_csv_column(chunk.columns[f], renderers[f]) for f in FIELDS]
        for org, (a, b) in spans.items():
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerows(zip(*(c[a:b] for c in cells), strict=True))
            blocks[org] = buffer.getvalue()
    else:
        for org, (a, b) in spans.items():
            lines = []
            for i in range(a, b):
                record = {
                    "source": {"system": org, "record_id": chunk.record_ids[i]},
                    "values": {k: _json_value(v) for k, v in chunk.values(i).items()},
                }
                lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            blocks[org] = "".join(lines)
    truth = io.StringIO()
    csv.writer(truth, lineterminator="\n").writerows(
        (rid, org, pid, ";".join(kinds))
        for rid, org, pid, kinds in zip(chunk.record_ids, chunk.orgs, chunk.person_ids, chunk.corruptions, strict=True)
    )
    seen: set[tuple[str, str]] = set()
    same_organisation = 0
    corruptions: dict[str, int] = {}
    for org, pid, kinds in zip(chunk.orgs, chunk.person_ids, chunk.corruptions, strict=True):
        same_organisation += (pid, org) in seen
        seen.add((pid, org))
        for kind in kinds:
            corruptions[kind] = corruptions.get(kind, 0) + 1
    return RenderedChunk(
        blocks=blocks,
        truth=truth.getvalue(),
        records={org: b - a for org, (a, b) in spans.items()},
        persons=(persons := len(set(chunk.person_ids))),
        repeats=len(chunk.person_ids) - persons,
        repeats_same_organisation=same_organisation,
        corruptions=corruptions,
    )


def _render(args: tuple[int, int, int, int, Format]) -> RenderedChunk:
    cases, orgs, seed, index, fmt = args
    # A chunk makes no reference cycles: the cyclic collector would only rescan its many tuples.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return render_chunk(generate_cohort(cases, orgs, seed).chunk(index), fmt)
    finally:
        if collecting:
            gc.enable()


def _rendered(cohort: Cohort, fmt: Format, workers: int) -> Iterator[RenderedChunk]:
    """Rendered chunks in order; with workers, at most two per worker are in flight (bounded memory)."""
    jobs = [(cohort.cases, len(cohort.organisations), cohort.seed, i, fmt) for i in range(cohort.chunk_count)]
    if workers <= 1 or len(jobs) == 1:
        for job in jobs:
            yield _render(job)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[RenderedChunk]] = deque()
        queued = iter(jobs)
        for job in queued:
            pending.append(pool.submit(_render, job))
            if len(pending) >= 2 * workers:
                break
        while pending:
            result = pending.popleft().result()
            job_next = next(queued, None)
            if job_next is not None:
                pending.append(pool.submit(_render, job_next))
            yield result


def default_workers(cases: int) -> int:
    """Worker processes worth starting: none for a small cohort, otherwise one per core (at most four)."""
    return 1 if cases <= CHUNK_RECORDS else max(1, min(4, os.cpu_count() or 1))


def write_cohort(
    cohort: Cohort,
    out: Path,
    fmt: Format = "csv",
    *,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Write ``cohort`` to the directory ``out`` (which must not exist, or be empty); return the manifest.

    ``progress`` is called with the number of records written after each chunk.
    """
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConflictError("the output directory is not empty; choose a new one", path=str(out))
    staging = out.parent / f".{out.name}.partial-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        manifest = _write(cohort, staging, fmt, workers, progress)
        if out.exists():
            out.rmdir()
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _write(
    cohort: Cohort, directory: Path, fmt: Format, workers: int, progress: Callable[[int], None] | None
) -> dict[str, Any]:
    suffix = "csv" if fmt == "csv" else "jsonl"
    handles: dict[str, io.TextIOWrapper] = {}
    records = dict.fromkeys((o.code for o in cohort.organisations), 0)
    persons = repeats = same_organisation = 0
    corruptions = dict.fromkeys(CORRUPTION_KINDS, 0)
    try:
        for org in cohort.organisations:
            handle = open(directory / f"{org.code}.{suffix}", "w", encoding="utf-8", newline="")  # noqa: SIM115
            handles[org.code] = handle
            if fmt == "csv":
                handle.write(",".join(("source_record_id", *FIELDS)) + "\n")
        with open(directory / "truth.csv", "w", encoding="utf-8", newline="") as truth:
            truth.write(",".join(TRUTH_HEADER) + "\n")
            for rendered in _rendered(cohort, fmt, workers):
                for code, block in rendered.blocks.items():
                    handles[code].write(block)
                    records[code] += rendered.records[code]
                truth.write(rendered.truth)
                persons += rendered.persons
                repeats += rendered.repeats
                same_organisation += rendered.repeats_same_organisation
                for kind, count in rendered.corruptions.items():
                    corruptions[kind] += count
                if progress is not None:
                    progress(sum(rendered.records.values()))
    finally:
        for handle in handles.values():
            handle.close()
    organisations = [o.as_dict() for o in cohort.organisations]
    (directory / "organisations.json").write_text(_json(organisations), encoding="utf-8")
    manifest = {
        "generator": cohort.generator_version,
        "standard": load_standard().id,
        "seed": cohort.seed,
        "format": fmt,
        "cases": cohort.cases,
        "persons": persons,
        "repeat_records": repeats,
        "repeat_records_same_organisation": same_organisation,
        "corruptions": corruptions,
        "organisations": len(cohort.organisations),
        "records_by_organisation": records,
        "files": {
            "records": [f"{o.code}.{suffix}" for o in cohort.organisations],
            "truth": "truth.csv",
            "organisations": "organisations.json",
        },
        "fields": list(FIELDS),
    }
    (directory / "manifest.json").write_text(_json(manifest), encoding="utf-8")
    return manifest


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
