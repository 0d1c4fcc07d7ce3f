"""Index region statuses by their message, so re-reading an edited message's statuses is a lookup.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_region_status_message_id", "region_status", ["message_id"])


def downgrade() -> None:
    op.drop_index("ix_region_status_message_id", table_name="region_status")
