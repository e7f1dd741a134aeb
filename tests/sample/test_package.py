"""The public API of ``ctdx.sample``: a sorted ``__all__`` that names exactly what the package exports."""

from __future__ import annotations

import ctdx.sample


def test_exported_members() -> None:
    exported = ctdx.sample.__all__
    # Constants, then classes, then functions, each alphabetical (the order ruff keeps).
    assert exported == sorted(exported, key=lambda name: (not name.isupper(), not name[0].isupper(), name))
    public = {name for name in dir(ctdx.sample) if not name.startswith("_")}
    modules = {"cohort", "corruption", "files", "identities", "names", "people", "targets", "transliteration"}
    assert public - modules == set(exported)
