"""Schema versions: the Alembic migrations shipped in ``ctdx/store/migrations``, run without an alembic.ini.

``schema_status`` only reads; ``upgrade`` migrates to this package's head. A database stamped with a
revision this package does not know (written by a newer ctdx) raises ``SchemaVersionError`` before
anything is written: running old code on a newer schema could silently drop what it does not understand.

``Migrations`` holds that logic for one migration history (its directory and version table), so that the
hub's own history (``ctdx.linkage.hub_schema``) runs the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from ctdx.errors import SchemaVersionError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database stands: its revision (None when it has no such schema) and this package's head."""

    current: str | None
    head: str

    @property
    def empty(self) -> bool:
        return self.current is None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


class Migrations:
    """One Alembic history: ``directory`` (with its env.py) recorded in ``version_table``; ``what`` names the
    database in messages; ``guard`` runs on the connection before the revision is read (it may refuse)."""

    def __init__(
        self,
        directory: Path,
        version_table: str,
        what: str,
        guard: Callable[[Connection], None] | None = None,
    ) -> None:
        self.directory = directory
        self.version_table = version_table
        self.what = what
        self.guard = guard

    def config(self, connection: Connection | None = None) -> Config:
        config = Config()
        config.set_main_option("script_location", str(self.directory))
        if connection is not None:
            config.attributes["connection"] = connection
        return config

    @cached_property
    def scripts(self) -> ScriptDirectory:
        """The shipped migrations (cached: loading them compiles every migration module)."""
        return ScriptDirectory.from_config(self.config())

    @cached_property
    def known(self) -> frozenset[str]:
        return frozenset(script.revision for script in self.scripts.walk_revisions())

    def head(self) -> str:
        head = self.scripts.get_current_head()
        assert head is not None, f"the package ships at least one migration for the {self.what}"
        return head

    def _read(self, connection: Connection) -> str | None:
        if self.guard is not None:
            self.guard(connection)
        if not inspect(connection).has_table(self.version_table):
            return None
        context = MigrationContext.configure(connection, opts={"version_table": self.version_table})
        return context.get_current_revision()

    def status(self, engine: Engine) -> SchemaStatus:
        """The database's revision; ``SchemaVersionError`` when this package does not know it. Reads only."""
        with engine.connect() as connection:
            current = self._read(connection)
            connection.rollback()
        if current is not None and current not in self.known:
            raise SchemaVersionError(
                f"the {self.what} has schema revision {current!r}, which this version of ctdx does not know "
                f"(its newest is {self.head()!r}); it was probably written by a newer ctdx: upgrade ctdx",
                revision=current,
            )
        return SchemaStatus(current=current, head=self.head())

    def upgrade(self, engine: Engine) -> SchemaStatus:
        """Create or migrate the schema to this package's head, in one transaction; returns the new status."""
        self.status(engine)
        with engine.begin() as connection:
            command.upgrade(self.config(connection), "head")
        return self.status(engine)


STORE_MIGRATIONS = Migrations(MIGRATIONS_DIR, VERSION_TABLE, "database")


def head_revision() -> str:
    return STORE_MIGRATIONS.head()


def schema_status(engine: Engine) -> SchemaStatus:
    """The database's revision; ``SchemaVersionError`` when this package does not know it. Reads only."""
    return STORE_MIGRATIONS.status(engine)


def upgrade(engine: Engine) -> SchemaStatus:
    """Create or migrate the schema to this package's head, in one transaction; returns the new status."""
    return STORE_MIGRATIONS.upgrade(engine)
