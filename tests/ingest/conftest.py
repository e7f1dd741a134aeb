"""Fixtures of the import tests: files written the way users' tools write them, and a real store."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ctdx.ingest import ImportResult, Issue, import_file
from ctdx.settings import Settings, sqlite_url
from ctdx.store import Store, open_store

# A fixed "today" so that tests of future dates do not depend on the clock.
TODAY = dt.date(2025, 6, 30)


def write_csv(path: Path, rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def dry(path: Path, **options: Any) -> ImportResult:
    """A dry-run import (validation and report only) with the fixed ``TODAY``."""
    return import_file(path, "ORG", None, dry_run=True, today=TODAY, **options)


def issues(result: ImportResult, code: str) -> list[Issue]:
    return [i for i in result.report.details if i.code == code]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for an empty store: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    keys = tmp_path / "keys" / "ctdx.key"
    if request.param == "sqlite":
        yield Settings(data_dir=tmp_path, database_url=sqlite_url(tmp_path / "ctdx.sqlite"), key_file=keys)
        return
    base = os.environ.get("CTDX_TEST_PG_URL")
    if not base:
        pytest.skip("CTDX_TEST_PG_URL is not set: no PostgreSQL server (run under scripts/with-postgres.sh)")
    name = f"ctdx_ingest_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
        yield Settings(data_dir=tmp_path, database_url=url, key_file=keys)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = open_store(settings, create=True)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str | None]:
    return {
        "CTDX_DATABASE_URL": settings.database_url,
        "CTDX_DATA_DIR": str(settings.data_dir),
        "CTDX_KEY_FILE": str(settings.key_file),
        "CTDX_KEY": None,
    }
