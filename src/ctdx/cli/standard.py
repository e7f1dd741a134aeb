"""``ctdx standard``: look at the HTCDS fields and export them for other tools."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table

from ctdx.cli.console import cli_errors, console, err_console
from ctdx.standard import load_standard
from ctdx.standard.exports import ExportOptions, export_standard

app = typer.Typer(help="The HTCDS 2.0 standard with ctdx's extensions.", no_args_is_help=True)


@app.command("fields")
def fields(
    entity: str | None = typer.Option(None, help="Only the fields of this entity (person, case, ...)."),
    core: bool = typer.Option(False, "--core", help="Only the core fields."),
) -> None:
    """List the fields, their types and whether they identify a person."""
    standard = load_standard()
    table = Table(title=f"HTCDS {standard.version} ({standard.id})")
    for column in ("field", "entity", "type", "core", "identifying", "values"):
        table.add_column(column)
    for f in standard.fields:
        if (entity and f.entity != entity) or (core and not f.core):
            continue
        table.add_row(
            f.name,
            f.entity,
            f.type,
            "yes" if f.core else "",
            "yes" if f.identifying else "",
            str(len(f.values) or f.vocabulary or ""),
        )
    console.print(table)


class Format(StrEnum):
    jsonschema = "jsonschema"
    tableschema = "tableschema"
    xlsform = "xlsform"


@app.command("export")
def export(
    fmt: Format = typer.Option(..., "--format", "-f", help="jsonschema, tableschema or xlsform."),
    out: Path | None = typer.Option(None, "--out", "-o", help="File to write; JSON goes to standard output without."),
    core_only: bool = typer.Option(False, "--core-only", help="Only the fields HTCDS marks core."),
    no_extensions: bool = typer.Option(
        False, "--no-extensions", help="HTCDS only: no ctdx extension fields or values."
    ),
) -> None:
    """Export the standard: a JSON Schema of a case record, the Table Schema of the native CSV, or the XLSForm
    for KoboToolbox/ODK."""
    with cli_errors():
        options = ExportOptions(core_only=core_only, extensions=not no_extensions)
        text = export_standard(fmt.value, out, load_standard(), options)
        if text is not None:
            typer.echo(text, nl=False)
        else:
            err_console.print(f"wrote {fmt.value} to {out}", highlight=False)
