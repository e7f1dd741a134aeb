"""The hub database's schema versions: the Alembic migrations in ``ctdx/linkage/hub_migrations``.

A hub database is not an organisation's case store: its migrations have their own history, recorded in
``hub_alembic_version`` (the store's is ``alembic_version``). ``hub_status`` only reads; ``upgrade_hub``
migrates to this package's head. Like the store (``ctdx.store.schema``), a revision this package does not
know raises ``SchemaVersionError`` before anything is written, and a database that holds an organisation's
case store is refused: the hub must never sit beside identifying data.

Alembic is used as the store uses it, without an alembic.ini; only the location and version table differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from ctdx.errors import ConflictError, SchemaVersionError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "hub_migrations"
VERSION_TABLE = "hub_alembic_version"
STORE_VERSION_TABLE = "alembic_version"


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


@cache
def _known() -> frozenset[str]:
    return frozenset(script.revision for script in _scripts().walk_revisions())


def hub_head() -> str:
    head = _scripts().get_current_head()
    assert head is not None, "the package ships at least one hub migration"
    return head


@dataclass(frozen=True)
class HubSchemaStatus:
    """Where a hub database stands: its revision (None when it has no hub schema) and this package's head."""

    current: str | None
    head: str

    @property
    def empty(self) -> bool:
        return self.current is None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def _read(connection: Connection) -> str | None:
    tables = inspect(connection)
    if tables.has_table(STORE_VERSION_TABLE):
        raise ConflictError(
            "this database holds an organisation's case store; a hub needs a database of its own",
            table=STORE_VERSION_TABLE,
        )
    if not tables.has_table(VERSION_TABLE):
        return None
    return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


def hub_status(engine: Engine) -> HubSchemaStatus:
    """The hub database's revision; ``SchemaVersionError`` when this package does not know it. Reads only."""
    with engine.connect() as connection:
        current = _read(connection)
        connection.rollback()
    if current is not None and current not in _known():
        raise SchemaVersionError(
            f"the hub database has schema revision {current!r}, which this version of ctdx does not know "
            f"(its newest is {hub_head()!r}); it was probably written by a newer ctdx: upgrade ctdx",
            revision=current,
        )
    return HubSchemaStatus(current=current, head=hub_head())


def upgrade_hub(engine: Engine) -> HubSchemaStatus:
    """Create or migrate the hub schema to this package's head, in one transaction; returns the new status."""
    hub_status(engine)
    with engine.begin() as connection:
        command.upgrade(_config(connection), "head")
    return hub_status(engine)
