"""Fixtures of the accounts tests: the API tests' world and an open store on a fresh copy of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ctdx.store import Store, open_store
from tests.api.world import World, build_world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def store(world: World, tmp_path: Path) -> Iterator[Store]:
    with open_store(world.settings(tmp_path)) as opened:
        yield opened
