"""The hub database's schema versions: the Alembic migrations in ``ctdx/linkage/hub_migrations``.

A hub database is not an organisation's case store: its migrations have their own history, recorded in
``hub_alembic_version`` (the store's is ``alembic_version``). ``hub_status`` only reads; ``upgrade_hub``
migrates to this package's head. They run through the store's ``Migrations`` (``ctdx.store.schema``), so a
revision this package does not know raises ``SchemaVersionError`` before anything is written; and a database
that holds an organisation's case store is refused: the hub must never sit beside identifying data.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, inspect

from ctdx.errors import ConflictError
from ctdx.store.schema import VERSION_TABLE as STORE_VERSION_TABLE
from ctdx.store.schema import Migrations, SchemaStatus

MIGRATIONS_DIR = Path(__file__).resolve().parent / "hub_migrations"
VERSION_TABLE = "hub_alembic_version"

HubSchemaStatus = SchemaStatus


def _refuse_a_case_store(connection: Connection) -> None:
    if inspect(connection).has_table(STORE_VERSION_TABLE):
        raise ConflictError(
            "this database holds an organisation's case store; a hub needs a database of its own",
            table=STORE_VERSION_TABLE,
        )


HUB_MIGRATIONS = Migrations(MIGRATIONS_DIR, VERSION_TABLE, "hub database", guard=_refuse_a_case_store)


def hub_head() -> str:
    return HUB_MIGRATIONS.head()


def hub_status(engine: Engine) -> HubSchemaStatus:
    """The hub database's revision; ``SchemaVersionError`` when this package does not know it. Reads only."""
    return HUB_MIGRATIONS.status(engine)


def upgrade_hub(engine: Engine) -> HubSchemaStatus:
    """Create or migrate the hub schema to this package's head, in one transaction; returns the new status."""
    return HUB_MIGRATIONS.upgrade(engine)
