"""The ``ctdx`` command. Each sub-command lives in its own module and is registered here, lazily.

A sub-command's module (and the libraries it needs: the store, SQLAlchemy, OpenDP, Splink...) is imported
only when that sub-command runs, so ``ctdx --help`` or ``ctdx version`` do not pay for all of them. Each
entry of ``COMMANDS`` names the module, the Typer app or function in it, and the one-line help shown in the
command list (a test checks that it matches the command's own help).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from ctdx import __version__


@dataclass(frozen=True)
class LazyEntry:
    """A sub-command: ``target`` is ``module:attribute``, a Typer app (a group) or a function (a command)."""

    name: str
    target: str
    summary: str


COMMANDS: tuple[LazyEntry, ...] = (
    LazyEntry("standard", "ctdx.cli.standard:app", "The HTCDS 2.0 standard with ctdx's extensions."),
    LazyEntry(
        "demo",
        "ctdx.cli.demo:demo",
        "Run the whole demo on the embedded SQLite default: generate, import, screen, refer, release.",
    ),
    LazyEntry("release", "ctdx.cli.release:app", "Open-data releases: k-anonymous microdata and DP aggregate tables."),
    LazyEntry(
        "sample",
        "ctdx.cli.sample:sample_command",
        "Generate a realistic sample cohort: synthetic people whose figures follow published CTDC data.",
    ),
    LazyEntry(
        "import",
        "ctdx.cli.importing:import_command",
        "Import FILE into organisation ORG: every problem reported at once, refused rows quarantined.",
    ),
    LazyEntry("screen", "ctdx.cli.screen:app", "Screen a person with an instrument of the indicator bank."),
    LazyEntry("keys", "ctdx.cli.keys:app", "The key that encrypts identifying fields (kept outside the database)."),
    LazyEntry("audit", "ctdx.cli.audit:app", "The audit log of the case store."),
    LazyEntry("db", "ctdx.cli.db:app", "The case store's database schema."),
    LazyEntry(
        "case", "ctdx.cli.case:app", "Cases: lifecycle, referrals and transfers, consent, support plans, deadlines."
    ),
    LazyEntry(
        "contribute",
        "ctdx.cli.contribute:app",
        "Contribute consented, de-identified cases with linkage encodings to a hub.",
    ),
    LazyEntry("hub", "ctdx.cli.hub:app", "Receive contributions and count distinct victims without names."),
    LazyEntry(
        "serve",
        "ctdx.cli.serve:serve",
        "Serve the web application and the JSON API (OpenAPI document at /api/openapi.json).",
    ),
    LazyEntry("users", "ctdx.cli.users:app", "User accounts of the web application."),
    LazyEntry(
        "portal",
        "ctdx.cli.portal:app",
        "The public portal: dashboard, release pages and JSON API over published releases.",
    ),
)


def load_command(entry: LazyEntry) -> Any:
    """Import the entry's module and build its click command (a group for a Typer app)."""
    module_name, attribute = entry.target.split(":")
    target = getattr(importlib.import_module(module_name), attribute)
    command: Any
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
    else:
        single = typer.Typer(add_completion=False)
        single.command(entry.name)(target)
        command = typer.main.get_command(single)
    command.name = entry.name
    return command


class LazyCommand(TyperCommand):
    """Stands in for a sub-command in the command list; hands over to the real command when it runs."""

    def __init__(self, entry: LazyEntry) -> None:
        super().__init__(entry.name, help=entry.summary, short_help=entry.summary, add_help_option=False)
        self.entry = entry
        self._real: Any = None

    def real(self) -> Any:
        if self._real is None:
            self._real = load_command(self.entry)
        return self._real

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        return self.real().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        return self.real().invoke(ctx)

    def shell_complete(self, ctx: Any, incomplete: str) -> Any:
        return self.real().shell_complete(ctx, incomplete)


class LazyGroup(TyperGroup):
    """The root group: the commands declared here plus a ``LazyCommand`` per entry of ``COMMANDS``."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for entry in COMMANDS:
            self.add_command(LazyCommand(entry))


app = typer.Typer(
    name="ctdx",
    help="Counter-trafficking data exchange: screening, HTCDS case management, safe exchange and publication.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=LazyGroup,
)


@app.callback()
def main() -> None:
    """Counter-trafficking data exchange: screening, HTCDS case management, safe exchange and publication."""


@app.command()
def version() -> None:
    """Print the ctdx version and the standard it implements."""
    from ctdx.standard import load_standard

    typer.echo(f"ctdx {__version__} ({load_standard().id})")
