"""Fixtures of the triage and dispatch tests: ``engine`` / ``session`` on SQLite and PostgreSQL (from the
store tests), plus the factories in ``ops.factory``."""

from __future__ import annotations

from store.conftest import ENGINES, ENV, _admin, blank_engine, engine, pg_url, session  # noqa: F401 (fixtures)
