"""Database engines for the store: SQLite by default, PostgreSQL by URL, each set up the way the store needs.

SQLite: write-ahead logging (readers do not block the writer), foreign keys ON (off by default in
SQLite), a busy timeout, and ``BEGIN IMMEDIATE`` for every transaction so that two writers queue on the
lock instead of failing halfway (the pysqlite recipe from the SQLAlchemy documentation, "Serializable
isolation / Savepoints / Transactional DDL"); transactions marked read-only begin DEFERRED and run
beside a writer. PostgreSQL: ``postgresql://`` URLs use the psycopg 3 driver (the ``postgres`` extra).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from ctdx.errors import ConfigError

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY_OPTION = "ctdx_read_only"  # execution option: this transaction only reads
SQLITE_JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024


def parse_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError("the database URL is not a SQLAlchemy URL (sqlite:///PATH or postgresql://...)") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(f"ctdx stores cases in SQLite or PostgreSQL, not {parsed.get_backend_name()}")
    return parsed


def safe_url(url: str | URL) -> str:
    """The URL with any password masked, for messages."""
    return (url if isinstance(url, URL) else parse_url(url)).render_as_string(hide_password=True)


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL, or None for an in-memory database or another backend."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def database_exists(url: URL) -> bool | None:
    """Whether a SQLite database file exists (None for servers, where only a connection can tell)."""
    path = sqlite_path(url)
    if url.get_backend_name() == "sqlite":
        return path is not None and path.is_file()
    return None


def make_engine(url: str | URL) -> Engine:
    parsed = url if isinstance(url, URL) else parse_url(url)
    if parsed.get_backend_name() == "postgresql":
        if importlib.util.find_spec("psycopg") is None:
            raise ConfigError("PostgreSQL needs the psycopg driver: pip install 'ctdx[postgres]'")
        return create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
    path = sqlite_path(parsed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, hide_parameters=True)  # parameters hold values: keep them out of errors
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # let the "begin" hook below open each transaction
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    # A large import is one transaction, so the write-ahead log grows to the size of everything it wrote;
    # this limit makes SQLite truncate the log back after the next checkpoint instead of keeping it.
    cursor.execute(f"PRAGMA journal_size_limit = {SQLITE_JOURNAL_SIZE_LIMIT}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # Reads that never write (summaries, audit verification) begin DEFERRED so that they run beside a
    # long import instead of queuing behind it; everything else takes the write lock up front.
    read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
    connection.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")
