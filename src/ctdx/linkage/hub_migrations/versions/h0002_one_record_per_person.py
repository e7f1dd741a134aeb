"""Packages record whether their organisation declared one record per person.

Revision ID: h0002
Revises: h0001
Create Date: 2026-11-30 04:30:00

Packages received before this revision declared nothing: they get ``false``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h0002"
down_revision = "h0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hub_package") as batch:
        batch.add_column(sa.Column("one_record_per_person", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("hub_package") as batch:
        batch.drop_column("one_record_per_person")
