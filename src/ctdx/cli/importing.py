"""``ctdx import FILE --org ORG``: a thin wrapper around ``ctdx.ingest.import_file``.

Registered in ``ctdx.cli.main`` as a command (not a sub-app): options may then follow the file name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ctdx.cli.console import cli_errors, console, err_console
from ctdx.ingest import FORMATS, ImportResult, import_file, render_counts, render_table
from ctdx.settings import load_settings

# Files with fewer rows than this finish before a progress bar is worth drawing.
PROGRESS_FROM_ROWS = 5000


def import_command(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX, ODS, XLS or JSON Lines file", exists=False)],
    org: Annotated[str, typer.Option("--org", help="code of the organisation the cases belong to")],
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", help="YAML mapping of another system's columns and codes, or a shipped one: ctdc-vp"),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate and report; write nothing to the store")] = False,
    format: Annotated[str | None, typer.Option("--format", help=f"declare the format: {', '.join(FORMATS)}")] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="text encoding of a CSV (default: detected)")
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option("--delimiter", help="CSV delimiter: , ; | or tab (default: detected)")
    ] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="sheet of a workbook (default: the first)")] = None,
    report_json: Annotated[
        Path | None, typer.Option("--report-json", help="write every issue and the summary as JSON")
    ] = None,
    quarantine: Annotated[
        Path | None, typer.Option("--quarantine", help="where refused rows go (default: <data dir>/quarantine/)")
    ] = None,
    database: Annotated[str | None, typer.Option("--database", help="database URL (default: settings)")] = None,
) -> None:
    """Import FILE into organisation ORG: every problem reported at once, refused rows quarantined."""
    with cli_errors():
        settings = load_settings().with_database(database)
        store = None
        if not dry_run:
            from ctdx.store import open_store

            store = open_store(settings, create=True)
        try:
            with _progress() as progress:
                task = progress.add_task("importing", total=None, visible=False)

                def on_progress(done: int, total: int | None) -> None:
                    if total is not None and total >= PROGRESS_FROM_ROWS:
                        progress.update(task, completed=done, total=total, visible=True)

                result = import_file(
                    file,
                    org,
                    store,
                    mapping=mapping,
                    dry_run=dry_run,
                    format=format,
                    encoding=encoding,
                    delimiter=delimiter,
                    sheet=sheet,
                    report_json=report_json,
                    quarantine=quarantine,
                    data_dir=settings.data_dir,
                    on_progress=on_progress,
                )
        finally:
            if store is not None:
                store.close()
        _print(result, report_json)
    if result.refused or result.refused_whole:
        raise typer.Exit(1)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


def _print(result: ImportResult, report_json: Path | None) -> None:
    report = result.report
    if report.details:
        console.print(render_table(report))
        console.print(render_counts(report))
    summary = (
        f"{report.file} ({report.format}): {report.rows_read} row(s) read, {report.rows_valid} valid, "
        f"{report.rows_refused} refused, {report.rows_blank} blank; "
        f"{report.errors} error(s), {report.warnings} warning(s)"
    )
    console.print(summary, highlight=False)
    if result.refused_whole:
        err_console.print("[bold red]the file was refused as a whole[/]: nothing was imported", highlight=False)
    elif result.outcome is not None:
        o = result.outcome
        console.print(f"stored: {o.created} created, {o.updated} updated, {o.unchanged} unchanged", highlight=False)
    else:
        console.print("dry run: nothing was written to the store", highlight=False)
    if report_json is not None:
        console.print(f"JSON report: {report_json}", highlight=False)
    if result.refused:
        where = (
            f"they are in the quarantine file {result.quarantine} (it holds personal data: keep it safe)"
            if result.quarantine
            else "give --quarantine PATH to keep them"
        )
        err_console.print(f"[bold red]{result.refused} row(s) refused[/]: {where}", highlight=False)
