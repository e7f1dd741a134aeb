"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The official HTCDS and CTDC files beside the repository; the test skips when they are absent."""
    if not (SHARED / "data").is_dir():
        pytest.skip(f"the official files are not here ({SHARED}/data is missing)")
    return SHARED
