"""Fixtures of the web tests: the API tests' world and a browser-like client on a fresh copy of it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ctdx.store import open_store
from ctdx.web import create_app
from tests.api.world import PASSWORD, World, build_world

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def client(world: World, tmp_path: Path) -> Iterator[TestClient]:
    settings = world.settings(tmp_path)
    with open_store(settings) as store, TestClient(create_app(store, settings.data_dir)) as test_client:
        yield test_client


def csrf_of(page: str) -> str:
    found = CSRF_FIELD.search(page)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token (from the home page)."""
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert answer.status_code == 200 and answer.url.path == "/", answer.url
    return csrf_of(answer.text)
