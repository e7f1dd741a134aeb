"""``ctdx users``: the first administrator of an installation, and the list of users."""

from __future__ import annotations

import typer

from ctdx.cli.console import cli_errors, console
from ctdx.settings import load_settings

app = typer.Typer(help="User accounts of the web application.", no_args_is_help=True)
DATABASE = typer.Option(None, "--database", help="SQLAlchemy URL of the store (default: settings).")


@app.command("create-admin")
def create_admin(
    username: str = typer.Option(..., help="User name of the system admin."),
    organisation: str = typer.Option(..., "--org", help="Organisation code (created if missing)."),
    organisation_name: str | None = typer.Option(None, "--org-name", help="Organisation name (default: the code)."),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="CTDX_ADMIN_PASSWORD",
        help="Password (asked if not given; at least 12 characters).",
    ),
    database: str | None = DATABASE,
) -> None:
    """Create a system admin (password hashed with argon2id) and its organisation if missing."""
    from ctdx.accounts import create_admin as make_admin
    from ctdx.store import open_store

    with cli_errors(), open_store(load_settings().with_database(database), create=True) as store:
        info = make_admin(store, organisation, organisation_name or organisation, username, password)
    console.print(f"created system admin {info.username} of {info.organisation}", highlight=False)


@app.command("list")
def list_all(database: str | None = DATABASE) -> None:
    """List every user with organisation, role, team and language (no password, no hash)."""
    from sqlalchemy import select

    from ctdx.accounts.tables import AccountProfile
    from ctdx.store import open_store
    from ctdx.store.tables import Organisation, User

    with cli_errors(), open_store(load_settings().with_database(database)) as store, store.transaction() as session:
        rows = session.execute(
            select(User.username, Organisation.code, AccountProfile.role_name, AccountProfile.team, User.active)
            .join(Organisation, Organisation.id == User.organisation_id)
            .outerjoin(AccountProfile, AccountProfile.user_id == User.id)
            .order_by(Organisation.code, User.username)
        ).all()
    for username, org, role_name, team, active in rows:
        state = "" if active else " (inactive)"
        console.print(f"{org}\t{username}\t{role_name or '-'}\t{team or ''}{state}", highlight=False, markup=False)
