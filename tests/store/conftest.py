"""Fixtures of the store tests: a fresh database per test on SQLite and on PostgreSQL (``CTDX_TEST_PG_URL``)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from ctdx.settings import Settings, sqlite_url
from ctdx.store import Store, head_revision, open_store, upgrade
from ctdx.store.audit import GENESIS_HASH
from ctdx.store.engine import make_engine


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database for this test session on the server of ``CTDX_TEST_PG_URL``, dropped at the end."""
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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database per test: a SQLite file in tmp_path, or a new PostgreSQL schema (creating a
    PostgreSQL database takes seconds; a schema, milliseconds) that the URL makes the search path."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "ctdx.sqlite")
        return
    server: str = request.getfixturevalue("postgres_url")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_store_url(postgres_url: str) -> str:
    """A schema migrated once per session; ``store_url`` empties it before each test that uses it."""
    schema = f"store_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("template") / "ctdx.sqlite"
    engine = make_engine(sqlite_url(path))
    upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the write-ahead log into the file
    return path


def _empty_tables(url: str) -> None:
    """Every table emptied and the audit chain back at its start: the state of a freshly migrated database."""
    engine = make_engine(url)
    with engine.begin() as connection:
        names = [n for n in inspect(connection).get_table_names() if n != "alembic_version"]
        connection.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " CASCADE"))
        connection.execute(
            text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :genesis)"), {"genesis": GENESIS_HASH}
        )
        connection.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision()})
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database per test for tests that start from a migrated, empty store: a copy of a migrated SQLite file, or on
    PostgreSQL the session's migrated schema emptied (migrating a new PostgreSQL schema takes over a second,
    which would make the suite take minutes). Tests of creation and migration use ``database_url``."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, tmp_path / "ctdx.sqlite")
        return sqlite_url(tmp_path / "ctdx.sqlite")
    url: str = request.getfixturevalue("postgres_store_url")
    _empty_tables(url)
    return url


def settings_for(url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=url, key_file=tmp_path / "keys" / "ctdx.key")


@pytest.fixture
def settings(tmp_path: Path, store_url: str) -> Settings:
    return settings_for(store_url, tmp_path)


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
