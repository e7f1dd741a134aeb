"""Schema versions: the Alembic migrations shipped in ``ctdx/store/migrations``, run without an alembic.ini.

``schema_status`` only reads; ``upgrade`` migrates to this package's head. A database stamped with a
revision this package does not know (written by a newer ctdx) raises ``SchemaVersionError`` before
anything is written: running old code on a newer schema could silently drop what it does not understand.
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

from ctdx.errors import SchemaVersionError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def script_directory() -> ScriptDirectory:
    """The shipped migrations (cached: loading them compiles every migration module)."""
    return ScriptDirectory.from_config(alembic_config())


@cache
def known_revisions() -> frozenset[str]:
    return frozenset(script.revision for script in script_directory().walk_revisions())


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None, "the package ships at least one migration"
    return head


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database stands: its revision (None when it has no ctdx schema) and this package's head."""

    current: str | None
    head: str

    @property
    def empty(self) -> bool:
        return self.current is None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def _read_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return MigrationContext.configure(connection).get_current_revision()


def schema_status(engine: Engine) -> SchemaStatus:
    """The database's revision; ``SchemaVersionError`` when this package does not know it. Reads only."""
    with engine.connect() as connection:
        current = _read_revision(connection)
        connection.rollback()
    if current is not None and current not in known_revisions():
        raise SchemaVersionError(
            f"the database has schema revision {current!r}, which this version of ctdx does not know "
            f"(its newest is {head_revision()!r}); it was probably written by a newer ctdx: upgrade ctdx",
            revision=current,
        )
    return SchemaStatus(current=current, head=head_revision())


def upgrade(engine: Engine) -> SchemaStatus:
    """Create or migrate the schema to this package's head, in one transaction; returns the new status."""
    schema_status(engine)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    return schema_status(engine)
