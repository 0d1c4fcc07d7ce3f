"""Engines, sessions and schema upgrades for SQLite (embedded default) and PostgreSQL (production).

``make_engine(url)`` sets SQLite up for durability (WAL, ``synchronous=FULL``, foreign keys, a busy
timeout, real transactions so SAVEPOINTs work) and maps ``postgresql://`` to the psycopg 3 driver.
``upgrade(engine_or_url)`` runs the Alembic migrations shipped inside this package up to head.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=FULL",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
)


def normalize_url(url: str | URL) -> URL:
    """``postgresql://`` and ``postgres://`` → ``postgresql+psycopg://``; everything else unchanged."""
    u = make_url(url) if isinstance(url, str) else url
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An Engine for ``url`` (e.g. ``Settings.database_url``); extra kwargs go to ``create_engine``."""
    u = normalize_url(url)
    if u.get_backend_name() == "sqlite":
        engine = create_engine(u, **kwargs)
        _setup_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if u.get_driver_name() == "psycopg":
        # No server-side prepared statements: psycopg prepares a query after 5 runs, and PostgreSQL's
        # generic plan for "external_id IN (…500 values…)" scanned a whole source per batch (re-imports
        # 10x slower, measured). Planning each call costs far less.
        kwargs["connect_args"] = {"prepare_threshold": None, **kwargs.get("connect_args", {})}
    return create_engine(u, **kwargs)


def _setup_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module (which does not BEGIN before SELECT or
        # SAVEPOINT) — SQLAlchemy emits BEGIN itself below. Pragmas must run outside a transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            conn.exec_driver_sql("BEGIN")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Session factory; objects stay readable after commit (``expire_on_commit=False``)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextlib.contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """``with session_scope(engine) as s:`` — commit on success, roll back on error, always close."""
    with make_sessionmaker(engine)() as session, session.begin():
        yield session


# ----------------------------------------------------------------------------------------- migrations


@contextlib.contextmanager
def _alembic_config(connection: Any | None = None) -> Iterator[Any]:
    from alembic.config import Config

    package = resources.files("tocsin.store")
    with resources.as_file(package / "alembic.ini") as ini, resources.as_file(package / "migrations") as mig:
        cfg = Config(str(ini))
        cfg.set_main_option("script_location", str(Path(mig)))
        if connection is not None:
            cfg.attributes["connection"] = connection
        yield cfg


def _with_connection(engine_or_url: Engine | str | URL) -> tuple[Engine, bool]:
    if isinstance(engine_or_url, Engine):
        return engine_or_url, False
    return make_engine(engine_or_url), True


def upgrade(engine_or_url: Engine | str | URL, revision: str = "head") -> None:
    """Create or upgrade the database schema to ``revision`` (default: the newest)."""
    from alembic import command

    engine, owned = _with_connection(engine_or_url)
    try:
        with engine.begin() as connection, _alembic_config(connection) as cfg:
            command.upgrade(cfg, revision)
    finally:
        if owned:
            engine.dispose()


def current_revision(engine_or_url: Engine | str | URL) -> str | None:
    """The revision the database is at, or None for an empty (never upgraded) database."""
    from alembic.runtime.migration import MigrationContext

    engine, owned = _with_connection(engine_or_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if owned:
            engine.dispose()


def head_revision() -> str | None:
    """The newest revision shipped with this package."""
    from alembic.script import ScriptDirectory

    with _alembic_config() as cfg:
        return ScriptDirectory.from_config(cfg).get_current_head()
