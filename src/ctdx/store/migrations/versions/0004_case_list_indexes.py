"""Indexes for the case list: an organisation's cases by creation time, and referrals by receiver.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 01:40:00

The case list sorts an organisation's cases newest first and adds the cases referred to it; without these
indexes both were full scans (bench/api_load.py, 100,000 cases).
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_case_file_org_created", "case_file", ["organisation_id", "created_at", "id"])
    op.create_index("ix_case_file_org_owner_created", "case_file", ["organisation_id", "owner", "created_at"])
    op.create_index("ix_referral_receiver", "referral", ["to_organisation_id", "kind", "status"])


def downgrade() -> None:
    op.drop_index("ix_referral_receiver", table_name="referral")
    op.drop_index("ix_case_file_org_owner_created", table_name="case_file")
    op.drop_index("ix_case_file_org_created", table_name="case_file")
