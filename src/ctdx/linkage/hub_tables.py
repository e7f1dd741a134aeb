"""The hub's tables: registered organisations, received packages, contributed cases, linkage runs.

They live in their own ``MetaData``, apart from an organisation's case store (``ctdx.store.tables``), and
their schema is versioned by the hub's own Alembic migrations (``ctdx.linkage.hub_schema``). Nothing here
can hold a name or a birth date: a contributed case is a pseudonymous reference, the de-identified fields
of its package (JSON) and its encodings: one blob of the filters of every linkage field, in the order of
the hub's encoding config (one column whatever fields the config has: address fields need no migration).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Integer, LargeBinary, MetaData, String, Table, Text, false

metadata = MetaData()

organisations = Table(
    "hub_organisation",
    metadata,
    Column("org_id", String(200), primary_key=True),
    Column("public_key", String(64), nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
)
settings_table = Table(
    "hub_setting",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)
packages = Table(
    "hub_package",
    metadata,
    Column("package_id", String(64), primary_key=True),
    Column("org_id", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("cases", Integer, nullable=False),
    Column("withdrawn", Integer, nullable=False),
    # The organisation declared, in the signed package, that it holds one record per person.
    Column("one_record_per_person", Boolean, nullable=False, server_default=false()),
)
cases = Table(
    "hub_case",
    metadata,
    Column("org_id", String(200), primary_key=True),
    Column("case_ref", String(64), primary_key=True),
    Column("package_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("fields", Text, nullable=False),
    Column("encodings", LargeBinary, nullable=False),
    Column("person_id", String(40), nullable=True),
)
runs = Table(
    "hub_linkage_run",
    metadata,
    Column("run_id", String(36), primary_key=True),
    Column("ran_at", DateTime(timezone=True), nullable=False),
    Column("summary", Text, nullable=False),
)
