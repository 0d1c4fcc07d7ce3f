"""Alembic environment for tocsin: one set of migrations for SQLite and PostgreSQL.

The connection comes from ``config.attributes["connection"]`` when called from
``tocsin.store.engine.upgrade``; otherwise (the ``alembic`` command line) from ``TOCSIN_DATABASE_URL``.
Batch mode is on so ALTERs work on SQLite.
"""

from __future__ import annotations

from alembic import context

from tocsin.store.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    from tocsin.settings import Settings
    from tocsin.store.engine import make_engine

    engine = make_engine(Settings.from_env().database_url)
    try:
        with engine.begin() as conn:
            _configure(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("tocsin migrations run online only (use `tocsin db upgrade`)")
run_migrations_online()
