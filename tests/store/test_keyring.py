"""The keyring file: created owner-only, never overwritten, refused when others can read it or it is malformed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ctdx.cli.main import app
from ctdx.errors import ConflictError, EncryptionKeyError
from ctdx.settings import Settings
from ctdx.store.keyring import init_keyring, load_keyring, parse_keyring

runner = CliRunner()


def _settings(tmp_path: Path, key_text: str | None = None) -> Settings:
    return Settings(tmp_path, "sqlite://", tmp_path / "keys" / "ctdx.key", key_text)


def test_keys_init_creates_an_owner_only_file_and_refuses_to_overwrite_it(tmp_path: Path) -> None:
    env = {"CTDX_KEY_FILE": str(tmp_path / "keys" / "ctdx.key"), "CTDX_KEY": None}
    result = runner.invoke(app, ["keys", "init"], env=env)
    assert result.exit_code == 0, result.output
    path = tmp_path / "keys" / "ctdx.key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    ring = json.loads(path.read_text())
    assert ring["active"] in ring["keys"] and len(ring["keys"]) == 1
    text_before = path.read_text()
    again = runner.invoke(app, ["keys", "init"], env=env)
    assert again.exit_code == ConflictError.exit_code
    assert "already exists" in again.output
    assert path.read_text() == text_before
    assert ring["keys"][ring["active"]] not in result.output  # the key itself is never printed


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    init_keyring(settings.key_file)
    settings.key_file.chmod(0o644)
    with pytest.raises(EncryptionKeyError, match="chmod 600"):
        load_keyring(settings)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"format": "other"}', "not a ctdx-keyring/1"),
        ('{"format": "ctdx-keyring/1", "active": "a", "keys": {}}', "at least one key"),
        ('{"format": "ctdx-keyring/1", "active": "a", "keys": {"a": "%%%"}}', "not base64"),
        ('{"format": "ctdx-keyring/1", "active": "a", "keys": {"a": "c2hvcnQ="}}', "not a 256-bit key"),
        ('{"format": "ctdx-keyring/1", "active": "b", "keys": {"a": "' + "A" * 43 + '="}}', "active key id"),
    ],
)
def test_a_malformed_keyring_is_a_clear_error_without_its_contents(text: str, message: str) -> None:
    with pytest.raises(EncryptionKeyError, match=message) as error:
        parse_keyring(text, "CTDX_KEY")
    assert "CTDX_KEY" in str(error.value) or "key" in str(error.value)
    assert "A" * 43 not in str(error.value)


def test_the_environment_keyring_wins_over_the_file(tmp_path: Path) -> None:
    ring = init_keyring(tmp_path / "elsewhere.key")
    loaded = load_keyring(_settings(tmp_path, key_text=ring.to_json()))
    assert loaded == ring
