from __future__ import annotations

import pytest

from ctdx.cells import neutralise


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_text_is_made_inert(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Anna", "", 12, -3.5, None])
def test_other_values_are_unchanged(value: object) -> None:
    assert neutralise(value) == value
