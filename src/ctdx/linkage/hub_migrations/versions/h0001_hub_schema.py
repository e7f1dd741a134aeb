"""The hub: registered organisations, settings, received packages, contributed cases, linkage runs.

Revision ID: h0001
Revises:
Create Date: 2026-12-01 01:30:00

Tables declared in ``ctdx.linkage.hub_tables``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h0001"
down_revision = None
branch_labels = ("hub",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_organisation",
        sa.Column("org_id", sa.String(length=200), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("org_id"),
    )
    op.create_table(
        "hub_setting",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "hub_package",
        sa.Column("package_id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("withdrawn", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("package_id"),
    )
    op.create_table(
        "hub_case",
        sa.Column("org_id", sa.String(length=200), nullable=False),
        sa.Column("case_ref", sa.String(length=64), nullable=False),
        sa.Column("package_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("encodings", sa.LargeBinary(), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("org_id", "case_ref"),
    )
    op.create_table(
        "hub_linkage_run",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id"),
    )


def downgrade() -> None:
    for table in ("hub_linkage_run", "hub_case", "hub_package", "hub_setting", "hub_organisation"):
        op.drop_table(table)
