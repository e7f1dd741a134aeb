"""Casework: tasks with pack deadlines, sealed reasons, consent recipient and expiry, the service of a referral.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 22:50:00

Tables declared in ``ctdx.casework.tables``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "casework_task",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("pack_id", sa.String(length=40), nullable=False),
        sa.Column("pack_version", sa.String(length=40), nullable=False),
        sa.Column("template_id", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("event", sa.String(length=60), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("offset", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_by", sa.String(length=200), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_casework_task_case_id_case_file"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name=op.f("fk_casework_task_organisation_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_casework_task")),
    )
    with op.batch_alter_table("casework_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_casework_task_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_casework_task_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_casework_task_due"), ["due"], unique=False)

    op.create_table(
        "casework_note",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_casework_note_case_id_case_file"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_casework_note")),
    )
    with op.batch_alter_table("casework_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_casework_note_case_id"), ["case_id"], unique=False)

    op.create_table(
        "consent_scope",
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=True),
        sa.Column("given_by", sa.String(length=20), nullable=True),
        sa.Column("child_assent", sa.Boolean(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["consent.id"], name=op.f("fk_consent_scope_consent_id_consent"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("consent_id", name=op.f("pk_consent_scope")),
    )

    op.create_table(
        "referral_detail",
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("service", sa.String(length=60), nullable=True),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_referral_detail_referral_id_referral"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("referral_id", name=op.f("pk_referral_detail")),
    )


def downgrade() -> None:
    op.drop_table("referral_detail")
    op.drop_table("consent_scope")
    with op.batch_alter_table("casework_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_casework_note_case_id"))
    op.drop_table("casework_note")
    with op.batch_alter_table("casework_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_casework_task_due"))
        batch_op.drop_index(batch_op.f("ix_casework_task_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_casework_task_case_id"))
    op.drop_table("casework_task")
