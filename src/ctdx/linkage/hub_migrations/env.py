"""Alembic environment of the hub: run programmatically by ``ctdx.linkage.hub_schema`` on a given connection.

The version table is ``hub_alembic_version``, not the store's ``alembic_version``: a hub database and an
organisation's case store never share a migration history.
"""

from __future__ import annotations

from alembic import context

from ctdx.linkage.hub_tables import metadata

VERSION_TABLE = "hub_alembic_version"

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
