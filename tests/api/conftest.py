"""Fixtures of the API tests: the session's world (``tests.api.world``) and a client on a fresh copy of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ctdx.store import open_store
from ctdx.web import create_app
from tests.api.world import World, build_world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def client(world: World, tmp_path: Path) -> Iterator[TestClient]:
    settings = world.settings(tmp_path)
    with open_store(settings) as store, TestClient(create_app(store, settings.data_dir)) as test_client:
        yield test_client


def bearer(world: World, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[username]}"}
