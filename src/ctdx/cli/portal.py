"""``ctdx portal``: serve the public portal over release directories, or export it as static files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from ctdx.cli.console import cli_errors, console


class _ServeByDefault(TyperGroup):
    """``ctdx portal RELEASE_DIR`` means ``ctdx portal serve RELEASE_DIR`` (the form issue 7 names)."""

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "serve", self.commands["serve"], args
        return super().resolve_command(ctx, args)

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        formatter.write_usage(
            ctx.command_path, "[RELEASE_DIR ... | serve RELEASE_DIR ... | export-static RELEASE_DIR ... OUT]"
        )


app = typer.Typer(
    cls=_ServeByDefault,
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
