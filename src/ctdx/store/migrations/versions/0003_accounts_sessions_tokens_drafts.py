"""Accounts: user profiles (fine role, team, language, lockout), login sessions, API tokens, screening drafts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 23:05:00

Tables declared in ``ctdx.accounts.tables``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["app_user.id"], name=f"fk_{table}_user_id_app_user", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "account_profile",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role_name", sa.String(length=40), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        _user_fk("account_profile"),
        sa.PrimaryKeyConstraint("user_id", name="pk_account_profile"),
    )
    op.create_table(
        "login_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk("login_session"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_login_session"),
    )
    op.create_index("ix_login_session_user_id", "login_session", ["user_id"])
    op.create_table(
        "api_token",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        _user_fk("api_token"),
        sa.PrimaryKeyConstraint("id", name="pk_api_token"),
        sa.UniqueConstraint("token_hash", name="uq_api_token_token_hash"),
    )
    op.create_index("ix_api_token_user_id", "api_token", ["user_id"])
    op.create_table(
        "screening_draft",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name="fk_screening_draft_organisation_id_organisation"
        ),
        _user_fk("screening_draft"),
        sa.PrimaryKeyConstraint("id", name="pk_screening_draft"),
    )
    op.create_index("ix_screening_draft_organisation_id", "screening_draft", ["organisation_id"])
    op.create_index("ix_screening_draft_user_id", "screening_draft", ["user_id"])


def downgrade() -> None:
    for table in ("screening_draft", "api_token", "login_session", "account_profile"):
        op.drop_table(table)
