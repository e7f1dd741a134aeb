from __future__ import annotations

import ctdx.casework


def test_the_public_api_is_sorted_and_every_name_exists() -> None:
    names = ctdx.casework.__all__
    assert names == sorted(names)
    assert all(hasattr(ctdx.casework, name) for name in names)
