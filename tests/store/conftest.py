"""Fixtures of the store tests: a fresh database per test on SQLite and on PostgreSQL (``CTDX_TEST_PG_URL``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ctdx.settings import Settings, sqlite_url
from ctdx.store import Store, open_store


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file in tmp_path, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "ctdx.sqlite")
        return
    base = os.environ.get("CTDX_TEST_PG_URL")
    if not base:
        pytest.skip("CTDX_TEST_PG_URL is not set: no PostgreSQL server (run under scripts/with-postgres.sh)")
    name = f"ctdx_store_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database_url, key_file=tmp_path / "keys" / "ctdx.key")


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = open_store(settings, create=True)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str | None]:
    """The environment that points the ``ctdx`` command at the test's database and key file."""
    return {
        "CTDX_DATABASE_URL": settings.database_url,
        "CTDX_DATA_DIR": str(settings.data_dir),
        "CTDX_KEY_FILE": str(settings.key_file),
        "CTDX_KEY": None,
    }
