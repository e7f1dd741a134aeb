from __future__ import annotations

import pytest

from tests.portal.builder import BuiltFixture, shared_test_release


@pytest.fixture(scope="session")
def built() -> BuiltFixture:
    return shared_test_release(1500)
