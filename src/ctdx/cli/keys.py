"""``ctdx keys``: create the field-encryption key file and rotate the key."""

from __future__ import annotations

from pathlib import Path

import typer

from ctdx.cli.console import cli_errors, console
from ctdx.settings import load_settings
from ctdx.store.keyring import init_keyring
from ctdx.store.rotation import rotate_keys

app = typer.Typer(help="The key that encrypts identifying fields (kept outside the database).", no_args_is_help=True)


@app.command("init")
def init(
    key_file: Path | None = typer.Option(None, "--key-file", help="Where to create it (default: CTDX_KEY_FILE)."),
) -> None:
    """Create a new key file, readable by its owner only (mode 0600). Refuses to overwrite one."""
    with cli_errors():
        path = key_file or load_settings().key_file
        keyring = init_keyring(path)
    console.print(
        f"created {path} (key {keyring.active}); keep a copy offline: without it the data is lost", highlight=False
    )


@app.command("rotate")
def rotate(
    database: str | None = typer.Option(None, "--database", help="SQLAlchemy URL of the store."),
) -> None:
    """Add a new key, re-encrypt every identifying value under it, then drop the old key."""
    with cli_errors():
        outcome = rotate_keys(load_settings().with_database(database))
    console.print(
        f"rotated {outcome.old_key_id} -> {outcome.new_key_id}: {outcome.blobs} encrypted values re-encrypted",
        highlight=False,
    )
