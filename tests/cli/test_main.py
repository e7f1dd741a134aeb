"""The root command: every sub-command is listed and runs, and listing them imports none of their libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from ctdx.cli.main import COMMANDS, app, load_command


def test_help_lists_every_command_without_importing_the_store_or_the_libraries() -> None:
    probe = (
        "import sys\n"
        "from ctdx.cli.main import app\n"
        "try:\n"
        "    app(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "libraries = ('ctdx.store', 'sqlalchemy', 'opendp', 'duckdb', 'splink', 'fastapi')\n"
        "heavy = sorted(m for m in libraries if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out
    for entry in COMMANDS:
        assert entry.name in out


@pytest.mark.parametrize("entry", COMMANDS, ids=[e.name for e in COMMANDS])
def test_each_listed_summary_is_the_commands_own_help(entry: object) -> None:
    from ctdx.cli.main import LazyEntry

    assert isinstance(entry, LazyEntry)
    command = load_command(entry)
    own = (command.help or "").strip().split("\n\n")[0].replace("\n", " ")
    assert own == entry.summary


def test_a_sub_command_runs_through_the_lazy_entry() -> None:
    result = CliRunner().invoke(app, ["standard", "fields", "--help"])
    assert result.exit_code == 0, result.output
    unknown = CliRunner().invoke(app, ["no-such-command"])
    assert unknown.exit_code == 2 and "No such command" in unknown.output
