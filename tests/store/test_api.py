"""The public API of ``ctdx.store`` is small, listed and sorted (httpx's test_exported_members)."""

from __future__ import annotations

import ctdx.store


def test_every_exported_name_exists_and_the_list_is_sorted() -> None:
    assert ctdx.store.__all__ == sorted(ctdx.store.__all__)
    for name in ctdx.store.__all__:
        assert getattr(ctdx.store, name) is not None
    for name in ("Store", "open_store", "Actor", "ImportOutcome"):  # the names the importer and the demo use
        assert name in ctdx.store.__all__
