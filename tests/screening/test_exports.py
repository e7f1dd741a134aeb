"""The public API of ctdx.screening: an explicit, sorted ``__all__`` whose every name exists."""

from __future__ import annotations

import ctdx.screening as screening


def test_exported_members_are_sorted_and_exist() -> None:
    names = screening.__all__
    # isort order, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions.
    assert names == sorted(names, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n))
    for name in names:
        assert getattr(screening, name) is not None
