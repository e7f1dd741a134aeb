"""``ctdx db``: create, migrate and inspect the case store's schema."""

from __future__ import annotations

import typer

from ctdx.cli.console import cli_errors, console
from ctdx.settings import load_settings
from ctdx.store.store import database_status, upgrade_database

app = typer.Typer(help="The case store's database schema.", no_args_is_help=True)

DATABASE = typer.Option(None, "--database", help="SQLAlchemy URL of the store (default: CTDX_DATABASE_URL).")


@app.command("upgrade")
def upgrade(database: str | None = DATABASE) -> None:
    """Create the database if it does not exist and migrate it to this version's schema."""
    with cli_errors():
        url, status = upgrade_database(load_settings().with_database(database))
    console.print(f"{url}: schema at revision {status.current}", highlight=False)


@app.command("status")
def status(database: str | None = DATABASE) -> None:
    """Show the database's schema revision and whether it needs `ctdx db upgrade`."""
    with cli_errors():
        url, state = database_status(load_settings().with_database(database))
    if state.up_to_date:
        verdict = "up to date"
    elif state.empty:
        verdict = "no ctdx schema: run `ctdx db upgrade`"
    else:
        verdict = "older than this version of ctdx: run `ctdx db upgrade`"
    console.print(f"{url}: revision {state.current or '-'} (this ctdx: {state.head}), {verdict}", highlight=False)
    if not state.up_to_date:
        raise typer.Exit(1)
