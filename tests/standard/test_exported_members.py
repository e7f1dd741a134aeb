from __future__ import annotations

import ctdx.standard


def isort_style(name: str) -> tuple[int, str]:
    """Constants, then classes, then functions (the order ruff's RUF022 keeps ``__all__`` in)."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_the_public_api_is_sorted_and_every_name_exists() -> None:
    exported = ctdx.standard.__all__
    assert exported == sorted(exported, key=isort_style)
    assert all(hasattr(ctdx.standard, name) for name in exported)
    public = {name for name in vars(ctdx.standard) if not name.startswith("_")}
    modules = {"countries", "exports", "fields", "json_schema", "table_schema", "vocabularies", "xlsform"}
    assert public - modules == set(exported)
