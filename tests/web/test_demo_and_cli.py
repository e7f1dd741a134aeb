"""``ctdx users create-admin`` and ``ctdx users list`` through the CLI, and the demo accounts."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ctdx.accounts import authenticate
from ctdx.cli.main import app
from ctdx.settings import Settings, sqlite_url
from ctdx.store import open_store
from ctdx.web import demo_accounts


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "CTDX_DATA_DIR": str(tmp_path),
        "CTDX_DATABASE_URL": sqlite_url(tmp_path / "ctdx.sqlite"),
        "CTDX_KEY_FILE": str(tmp_path / "keys" / "ctdx.key"),
    }


def test_create_admin_then_list_users(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {**_env(tmp_path), "CTDX_ADMIN_PASSWORD": "first admin password"}
    made = runner.invoke(app, ["users", "create-admin", "--username", "root", "--org", "hub"], env=env)
    assert made.exit_code == 0, made.output
    assert "first admin password" not in made.output
    again = runner.invoke(app, ["users", "create-admin", "--username", "root", "--org", "hub"], env=env)
    assert again.exit_code != 0 and "taken" in again.output
    short = runner.invoke(
        app, ["users", "create-admin", "--username", "ops", "--org", "hub"], env={**env, "CTDX_ADMIN_PASSWORD": "short"}
    )
    assert short.exit_code != 0 and "12" in short.output
    listed = runner.invoke(app, ["users", "list"], env=env)
    assert listed.exit_code == 0 and "root" in listed.output and "system_admin" in listed.output


def test_demo_accounts_sign_in_and_are_made_once(tmp_path: Path) -> None:
    settings = Settings(tmp_path, sqlite_url(tmp_path / "ctdx.sqlite"), tmp_path / "keys" / "ctdx.key")
    with open_store(settings, create=True) as store:
        accounts = demo_accounts(store)
        assert {a.role for a in accounts} >= {"caseworker", "supervisor", "org_admin", "system_admin"}
        first = accounts[0]
        assert authenticate(store, first.username, first.password).organisation_code == first.organisation
        assert demo_accounts(store) == []
