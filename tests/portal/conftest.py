from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from ctdx.portal import create_app
from tests.portal.builder import BuiltFixture, shared_test_release


@pytest.fixture(scope="session")
def built() -> BuiltFixture:
    # screenshots are taken of a larger cohort, whose charts are fuller; the tests hold for either
    cases = 20_000 if os.environ.get("CTDX_SCREENSHOTS") == "1" else 1500
    return shared_test_release(cases)


@pytest.fixture(scope="session")
def client(built: BuiltFixture) -> Iterator[TestClient]:
    with TestClient(create_app([built.path])) as test_client:
        yield test_client


def get_json(client: TestClient | httpx.Client, url: str, status: int = 200) -> dict:
    response = client.get(url)
    assert response.status_code == status, response.text
    return response.json()
