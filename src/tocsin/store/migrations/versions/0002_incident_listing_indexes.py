"""Indexes for the newest-first incident list and the change feed.

Without them ``GET /api/v1/incidents`` (window_start desc, id desc) and ``updated_since`` scan and sort
the whole incident table: 214 ms p95 with 100,000 incidents on SQLite, 30 ms with them (bench/web.py).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_incident_window_start_id", "incident", ["window_start", "id"])
    op.create_index("ix_incident_updated_at_id", "incident", ["updated_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_incident_updated_at_id", table_name="incident")
    op.drop_index("ix_incident_window_start_id", table_name="incident")
