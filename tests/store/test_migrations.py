"""The Alembic migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from tocsin.store.engine import _alembic_config, current_revision, head_revision, upgrade
from tocsin.store.models import Base

TABLES = {
    "source",
    "message",
    "message_version",
    "claim",
    "claim_region",
    "incident",
    "incident_claim",
    "region_status",
    "event",
    "report_cluster",
    "report",
    "report_photo",
    "app_user",
    "user_session",
    "unit",
    "dispatch",
}


def test_upgrade_creates_every_table_and_is_idempotent(blank_engine):
    assert current_revision(blank_engine) is None
    upgrade(blank_engine)
    assert current_revision(blank_engine) == head_revision() == "0005"
    assert set(inspect(blank_engine).get_table_names()) >= TABLES
    upgrade(blank_engine)  # again: nothing to do, no error
    assert current_revision(blank_engine) == head_revision()


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diffs == []


def test_indexes_for_the_common_queries(engine):
    insp = inspect(engine)

    def names(table):
        return {ix["name"] for ix in insp.get_indexes(table)}

    assert "ix_incident_iso_window_start" in names("incident")
    assert "ix_claim_region_iso" in names("claim_region")
    assert "ix_event_entity_entity_id" in names("event")
    uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints("message")}
    assert ("source_id", "external_id") in uniques


def test_downgrade_to_base_and_up_again(engine):
    with engine.begin() as conn, _alembic_config(conn) as cfg:
        command.downgrade(cfg, "base")
    assert not TABLES & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_upgrade_from_a_url_string(tmp_path):
    url = f"sqlite:///{tmp_path / 'by-url.db'}"
    upgrade(url)
    assert current_revision(url) == head_revision()


def test_event_table_refuses_update_and_delete_in_sql(engine):
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO event (at, actor, action, entity) VALUES (:at, 'test', 'create', 'source')"),
            {"at": "2025-09-06 04:15:00"},
        )
    for sql in ("UPDATE event SET actor = 'mallory'", "DELETE FROM event"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT actor FROM event")).scalars().all() == ["test"]
