from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from ctdx.portal import create_app
from tests.portal.builder import BuiltFixture, build_test_release


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltFixture:
    return build_test_release(tmp_path_factory.mktemp("portal-release"))


@pytest.fixture(scope="session")
def client(built: BuiltFixture) -> Iterator[TestClient]:
    with TestClient(create_app([built.path])) as test_client:
        yield test_client


def get_json(client: TestClient | httpx.Client, url: str, status: int = 200) -> dict:
    response = client.get(url)
    assert response.status_code == status, response.text
    return response.json()
