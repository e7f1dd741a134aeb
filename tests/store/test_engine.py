"""Engines: SQLite with write-ahead logging and foreign keys on, PostgreSQL URLs through psycopg, passwords masked."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import insert, text

from ctdx.errors import ConfigError, ConflictError
from ctdx.settings import Settings, sqlite_url
from ctdx.store import Store, open_store
from ctdx.store.engine import make_engine, parse_url, safe_url
from ctdx.store.tables import Person


def test_sqlite_connections_use_wal_and_enforce_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "sub" / "x.sqlite"))
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            connection.rollback()
    finally:
        engine.dispose()


def test_a_row_pointing_at_a_missing_organisation_is_refused_without_showing_values(store: Store) -> None:
    with pytest.raises(ConflictError) as error, store.transaction() as session:
        values = {"prs_Gender": "Feminine-marker-value"}
        session.execute(insert(Person).values(id=uuid.uuid4(), organisation_id=uuid.uuid4(), values=values))
    assert "marker" not in str(error.value) and "INSERT" not in str(error.value)
    assert store.case_counts().total == 0


def test_urls_are_checked_and_passwords_never_shown() -> None:
    assert parse_url("postgresql://u:secret@db/ctdx").drivername == "postgresql+psycopg"
    assert "secret" not in safe_url("postgresql://u:secret@db/ctdx")
    with pytest.raises(ConfigError, match="SQLite or PostgreSQL"):
        parse_url("mysql://u@db/ctdx")
    with pytest.raises(ConfigError, match="not a SQLAlchemy URL"):
        parse_url("just words")


def test_reads_run_beside_a_writer_on_sqlite(store: Store, settings: Settings) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL readers never wait for writers; SQLite ones do unless they say they only read")
    store.ensure_organisation(code="ngo-a", name="NGO A")
    with open_store(settings) as other, other.transaction() as writing:
        writing.execute(text("UPDATE organisation SET name = 'renamed'"))  # holds the write lock
        assert store.organisation("ngo-a").name == "NGO A"  # a read-only transaction does not wait
        assert store.case_counts().total == 0
        assert store.verify_audit().ok
    assert store.organisation("ngo-a").name == "renamed"
