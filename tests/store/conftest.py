"""Engine fixtures: every store test runs on SQLite and, when ``TOCSIN_TEST_DATABASE_URL`` is set, on
PostgreSQL too.

- SQLite: a fresh database file in the test's tmp_path.
- PostgreSQL: the URL is an *admin* URL (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
  The test session creates its own database ``tocsin_test_<random>`` through it and drops it at the end;
  each test gets a fresh schema inside it (dropped afterwards), so runs and tests never see each
  other's rows. If the URL is set but the server cannot be reached, the tests FAIL — CI sets the
  variable precisely so that a missing PostgreSQL is noticed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from tocsin.store.engine import make_engine, make_sessionmaker, normalize_url, upgrade

ENV = "TOCSIN_TEST_DATABASE_URL"
ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[URL | None]:
    """A fresh PostgreSQL database for this test session (None when ``TOCSIN_TEST_DATABASE_URL`` is unset)."""
    admin = os.environ.get(ENV, "").strip()
    if not admin:
        yield None
        return
    admin_url = normalize_url(admin)
    name = f"tocsin_test_{secrets.token_hex(6)}"
    admin_engine = make_engine(admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=False)
    try:
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin_engine.dispose()
        pytest.fail(
            f"{ENV} is set to {admin_url.render_as_string(hide_password=True)} but PostgreSQL cannot be "
            f"used: {exc}",
            pytrace=False,
        )
    try:
        yield admin_url.set(database=name)
    finally:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


@pytest.fixture(params=ENGINES)
def blank_engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """An empty database (no tables) on each engine."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'tocsin.db'}")
        yield engine
        engine.dispose()
        return
    pg_url: URL | None = request.getfixturevalue("pg_url")
    if pg_url is None:
        pytest.skip(f"PostgreSQL: {ENV} not set")
    schema = f"t_{secrets.token_hex(6)}"
    _admin(pg_url, f'CREATE SCHEMA "{schema}"')
    engine = make_engine(pg_url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        _admin(pg_url, f'DROP SCHEMA "{schema}" CASCADE')


def _admin(url: URL, sql: str) -> None:
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(sql))
    finally:
        admin.dispose()


@pytest.fixture
def engine(blank_engine: Engine) -> Engine:
    """A database migrated to head on each engine."""
    upgrade(blank_engine)
    return blank_engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on a migrated database; the test commits what it wants to be durable."""
    with make_sessionmaker(engine)() as s:
        yield s


@contextlib.contextmanager
def migrated_database(
    request: pytest.FixtureRequest, folder: Path, prefix: str
) -> Iterator[tuple[Engine, str]]:
    """A fresh database migrated to head on the engine ``request.param`` names ("sqlite": a file in
    ``folder``; "postgresql": a new schema ``<prefix>_<random>`` in the session's database, dropped
    afterwards; skipped when PostgreSQL is not configured). Yields ``(engine, url)``; ``url`` reaches the
    same database from another process (the schema travels in its ``options``)."""
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'tocsin.db'}"
        eng = make_engine(url)
        cleanup = None
    else:
        pg: URL | None = request.getfixturevalue("pg_url")
        if pg is None:
            pytest.skip(f"PostgreSQL: {ENV} not set")
        schema = f"{prefix}_{secrets.token_hex(6)}"
        _admin(pg, f'CREATE SCHEMA "{schema}"')
        options = f"-csearch_path={schema}"
        eng = make_engine(pg, connect_args={"options": options})
        url = pg.update_query_dict({"options": options}).render_as_string(hide_password=False)

        def cleanup() -> None:
            _admin(pg, f'DROP SCHEMA "{schema}" CASCADE')

    try:
        upgrade(eng)
        yield eng, url
    finally:
        eng.dispose()
        if cleanup is not None:
            cleanup()
