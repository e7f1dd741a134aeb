"""``ctdx standard``: look at the HTCDS fields and export them for other tools."""

from __future__ import annotations

import typer
from rich.table import Table

from ctdx.cli.console import console
from ctdx.standard import load_standard

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
