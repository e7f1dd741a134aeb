"""``ctdx portal``: serve the public portal over release directories, or export it as static files."""

from __future__ import annotations

from pathlib import Path

import typer

from ctdx.cli.console import cli_errors, console

app = typer.Typer(
    help="The public portal: dashboard, release pages and JSON API over published releases.",
    no_args_is_help=True,
)


@app.command("serve")
def serve(
    releases: list[Path] = typer.Argument(..., help="Release directories (written by ctdx release build)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8100, help="Port to listen on."),
) -> None:
    """Serve the portal over RELEASES: no case database and no credentials are ever read."""
    import uvicorn

    from ctdx.portal import create_app

    with cli_errors():
        application = create_app(releases)
    console.print(f"portal on http://{host}:{port}/ serving {len(releases)} release(s)")
    uvicorn.run(application, host=host, port=port, log_level="warning")


@app.command("export-static")
def export_static(
    release: list[Path] = typer.Argument(..., help="Release directories, then the output directory last."),
) -> None:
    """Write the whole portal (pages in every language, data, API answers) as files any static host can serve.

    Usage: ctdx portal export-static RELEASE_DIR [RELEASE_DIR ...] OUT
    """
    from ctdx.errors import ValidationError
    from ctdx.portal.export import export_portal

    with cli_errors():
        if len(release) < 2:
            raise ValidationError("give at least one release directory and the output directory")
        written = export_portal(release[:-1], release[-1])
    console.print(f"wrote {written} files to {release[-1]}")
