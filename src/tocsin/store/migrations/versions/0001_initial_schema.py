"""Initial schema: source, message, message_version, claim, claim_region, incident, incident_claim,
region_status, event (with triggers that make it append-only).

Written for both SQLite and PostgreSQL. Column types are spelled out here (not imported from the
models) so this revision stays what it was when the models change:

- datetimes: ``DateTime(timezone=True)`` — timestamptz on PostgreSQL, DATETIME text (naive UTC) on SQLite;
- JSON: JSONB on PostgreSQL, JSON on SQLite;
- enums: VARCHAR without a native enum type.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _dt() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def _enum(name: str, *values: str, length: int = 32) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length, create_constraint=False)


KIND = ("interception", "attack_no_outcome", "not_incident")
WEAPON = ("uav", "missile", "mixed")

APPEND_ONLY_MESSAGE = "event is append-only"


def upgrade() -> None:
    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            _enum("source_kind", "telegram_export", "telegram_web", "feed", "text", "jsonl"),
            nullable=False,
        ),
        sa.Column("authority", _enum("authority", "regional", "federal", "media", "other"), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("poll_interval_s", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("last_fetched_at", _dt(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("created_at", _dt(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source")),
        sa.UniqueConstraint("name", name=op.f("uq_source_name")),
    )

    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=512), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("lang", sa.String(length=16), nullable=True),
        sa.Column("first_seen_at", _dt(), nullable=False),
        sa.Column("published_at", _dt(), nullable=True),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], name=op.f("fk_message_source_id_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
        sa.UniqueConstraint("source_id", "external_id", name=op.f("uq_message_source_id_external_id")),
    )
    op.create_index("ix_message_published_at", "message", ["published_at"])

    op.create_table(
        "message_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("edited_at", _dt(), nullable=True),
        sa.Column("fetched_at", _dt(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["message.id"], name=op.f("fk_message_version_message_id_message")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_version")),
        sa.UniqueConstraint("message_id", "version", name=op.f("uq_message_version_message_id_version")),
    )

    op.create_table(
        "claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("message_version", sa.Integer(), nullable=False),
        sa.Column("extracted_at", _dt(), nullable=False),
        sa.Column("extractor_version", sa.String(length=64), nullable=False),
        sa.Column("kind", _enum("claim_kind", *KIND), nullable=False),
        sa.Column("weapon", _enum("weapon", *WEAPON), nullable=True),
        sa.Column("total_destroyed", sa.Integer(), nullable=True),
        sa.Column("launched", sa.Integer(), nullable=True),
        sa.Column("killed", sa.Integer(), nullable=True),
        sa.Column("injured", sa.Integer(), nullable=True),
        sa.Column("infrastructure_damage", sa.Boolean(), nullable=True),
        sa.Column("debris_fell", sa.Boolean(), nullable=True),
        sa.Column("fire", sa.Boolean(), nullable=True),
        sa.Column("emergency_response", sa.Boolean(), nullable=True),
        sa.Column("period_text", sa.Text(), nullable=True),
        sa.Column("period_start", _dt(), nullable=True),
        sa.Column("period_end", _dt(), nullable=True),
        sa.Column("speaker", sa.Text(), nullable=True),
        sa.Column("lang", sa.String(length=16), nullable=True),
        sa.Column("interceptors", _json(), nullable=False),
        sa.Column("evidence", _json(), nullable=False),
        sa.Column("superseded", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id", "message_version"],
            ["message_version.message_id", "message_version.version"],
            name="fk_claim_message_id_message_version_message_version",
        ),
        sa.ForeignKeyConstraint(["message_id"], ["message.id"], name=op.f("fk_claim_message_id_message")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim")),
    )
    op.create_index("ix_claim_message_id_superseded", "claim", ["message_id", "superseded"])
    op.create_index("ix_claim_period_start", "claim", ["period_start"])

    op.create_table(
        "claim_region",
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("iso", sa.String(length=16), nullable=False),
        sa.Column("destroyed", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["claim_id"], ["claim.id"], name=op.f("fk_claim_region_claim_id_claim")),
        sa.PrimaryKeyConstraint("claim_id", "position", name=op.f("pk_claim_region")),
    )
    op.create_index("ix_claim_region_iso", "claim_region", ["iso"])

    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=True),
        sa.Column("iso", sa.String(length=16), nullable=False),
        sa.Column("window_start", _dt(), nullable=False),
        sa.Column("window_end", _dt(), nullable=False),
        sa.Column("time_precision", sa.Integer(), nullable=False),
        sa.Column("geo_precision", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("incident_kind", *KIND), nullable=False),
        sa.Column("consensus", _json(), nullable=False),
        sa.Column("disagreements", _json(), nullable=False),
        sa.Column("created_at", _dt(), nullable=False),
        sa.Column("updated_at", _dt(), nullable=False),
        sa.Column("deleted_at", _dt(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
    )
    op.create_index("ix_incident_iso_window_start", "incident", ["iso", "window_start"])
    op.create_index("ix_incident_key", "incident", ["key"])

    op.create_table(
        "incident_claim",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("iso", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claim.id"], name=op.f("fk_incident_claim_claim_id_claim")),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_incident_claim_incident_id_incident")
        ),
        sa.PrimaryKeyConstraint("incident_id", "claim_id", "iso", name=op.f("pk_incident_claim")),
    )
    op.create_index("ix_incident_claim_claim_id", "incident_claim", ["claim_id"])

    op.create_table(
        "region_status",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("iso", sa.String(length=16), nullable=False),
        sa.Column("status", _enum("region_status_value", "danger", "clear", length=16), nullable=False),
        sa.Column("weapon", _enum("weapon", *WEAPON), nullable=True),
        sa.Column("started_at", _dt(), nullable=False),
        sa.Column("ended_at", _dt(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["message.id"], name=op.f("fk_region_status_message_id_message")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region_status")),
    )
    op.create_index("ix_region_status_iso_started_at", "region_status", ["iso", "started_at"])

    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", _dt(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=128), nullable=True),
        sa.Column("before", _json(), nullable=True),
        sa.Column("after", _json(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
    )
    op.create_index("ix_event_at", "event", ["at"])
    op.create_index("ix_event_entity_entity_id", "event", ["entity", "entity_id"])
    _create_append_only_triggers()


def _create_append_only_triggers() -> None:
    """The database itself refuses UPDATE and DELETE on ``event``, whoever connects."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER event_append_only_{verb.lower()} BEFORE {verb} ON event "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION tocsin_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' USING ERRCODE = 'restrict_violation'; END $$"
        )
        op.execute(
            "CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event "
            "FOR EACH ROW EXECUTE FUNCTION tocsin_event_append_only()"
        )
        op.execute(
            "CREATE TRIGGER event_append_only_truncate BEFORE TRUNCATE ON event "
            "FOR EACH STATEMENT EXECUTE FUNCTION tocsin_event_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS event_append_only_update")
        op.execute("DROP TRIGGER IF EXISTS event_append_only_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS event_append_only_truncate ON event")
        op.execute("DROP TRIGGER IF EXISTS event_append_only ON event")
        op.execute("DROP FUNCTION IF EXISTS tocsin_event_append_only()")
    for table in (
        "event",
        "region_status",
        "incident_claim",
        "incident",
        "claim_region",
        "claim",
        "message_version",
        "message",
        "source",
    ):
        op.drop_table(table)
