"""Fixtures for the incident, region-status and export tests: the store's engine fixtures (SQLite always,
PostgreSQL when ``TOCSIN_TEST_DATABASE_URL`` is set), re-exported so the same tests run on both engines."""

from __future__ import annotations

from store.conftest import blank_engine, engine, pg_url, session  # noqa: F401
