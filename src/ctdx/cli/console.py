"""Shared CLI plumbing: one Rich console, and library errors turned into a clear line and an exit code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from ctdx.errors import CtdxError

console = Console()
err_console = Console(stderr=True)


@contextmanager
def cli_errors() -> Iterator[None]:
    """Run a command body; a ``CtdxError`` becomes ``error [code]: message`` on stderr and its exit code."""
    try:
        yield
    except CtdxError as exc:
        err_console.print(f"[bold red]error[/] {escape(f'[{exc.code}]')}: {escape(exc.message)}", highlight=False)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]: nothing was written")
        raise typer.Exit(130) from None
