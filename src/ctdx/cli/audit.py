"""``ctdx audit``: check the hash-chained audit log for changed, removed or reordered events."""

from __future__ import annotations

import typer

from ctdx.cli.console import cli_errors, console
from ctdx.errors import IntegrityError
from ctdx.settings import load_settings
from ctdx.store.store import audit_report

app = typer.Typer(help="The audit log of the case store.", no_args_is_help=True)


@app.command("verify")
def verify(
    database: str | None = typer.Option(None, "--database", help="SQLAlchemy URL of the store."),
) -> None:
    """Walk the audit chain; print OK and the head hash, or the first problem (and exit non-zero)."""
    with cli_errors():
        report = audit_report(load_settings().with_database(database))
        if not report.ok:
            raise IntegrityError(f"audit log tampered with: {report.problem}", seq=report.seq)
    console.print(f"OK: {report.events} audit events, chain head {report.head_hash}", highlight=False)
