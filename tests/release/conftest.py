"""Every release test runs against its own hub keyring (the ledger chain is keyed with it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctdx.store.keyring import Keyring, init_keyring


@pytest.fixture(autouse=True)
def keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Keyring:
    path = tmp_path / "keys" / "ctdx.key"
    made = init_keyring(path)
    monkeypatch.delenv("CTDX_KEY", raising=False)
    monkeypatch.setenv("CTDX_KEY_FILE", str(path))
    return made
