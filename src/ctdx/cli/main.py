"""The ``ctdx`` command. Each sub-command lives in its own module and is registered here."""

from __future__ import annotations

import typer

from ctdx import __version__
from ctdx.cli import audit as audit_cli
from ctdx.cli import case as case_cli
from ctdx.cli import contribute as contribute_cli
from ctdx.cli import db as db_cli
from ctdx.cli import demo as demo_cli
from ctdx.cli import hub as hub_cli
from ctdx.cli import importing as importing_cli
from ctdx.cli import keys as keys_cli
from ctdx.cli import portal as portal_cli
from ctdx.cli import release as release_cli
from ctdx.cli import sample as sample_cli
from ctdx.cli import screen as screen_cli
from ctdx.cli import serve as serve_cli
from ctdx.cli import standard as standard_cli
from ctdx.cli import users as users_cli

app = typer.Typer(
    name="ctdx",
    help="Counter-trafficking data exchange: screening, HTCDS case management, safe exchange and publication.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(standard_cli.app, name="standard")
app.command("demo")(demo_cli.demo)
app.add_typer(release_cli.app, name="release")
app.command("sample")(sample_cli.sample_command)
app.command("import")(importing_cli.import_command)
app.add_typer(screen_cli.app, name="screen")
app.add_typer(keys_cli.app, name="keys")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(db_cli.app, name="db")
app.add_typer(case_cli.app, name="case")
app.add_typer(contribute_cli.app, name="contribute")
app.add_typer(hub_cli.app, name="hub")
app.command("serve")(serve_cli.serve)
app.add_typer(users_cli.app, name="users")
app.add_typer(portal_cli.app, name="portal")


@app.command()
def version() -> None:
    """Print the ctdx version and the standard it implements."""
    from ctdx.standard import load_standard

    typer.echo(f"ctdx {__version__} ({load_standard().id})")
