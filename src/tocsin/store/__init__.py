"""Storage: SQLAlchemy tables, the repo functions, and the Alembic migrations for SQLite and PostgreSQL.

from tocsin.settings import Settings
from tocsin.store import make_engine, make_sessionmaker, upgrade

engine = make_engine(Settings.from_env().database_url)
upgrade(engine)                       # create / migrate the schema
Session = make_sessionmaker(engine)
with Session.begin() as session:
    source = repo.get_or_create_source(session, "governor", "telegram_export", "regional")
    message, status = repo.upsert_message(session, source, item)
"""

from tocsin.store import repo
from tocsin.store.engine import (
    current_revision,
    head_revision,
    make_engine,
    make_sessionmaker,
    session_scope,
    upgrade,
)

__all__ = [
    "current_revision",
    "head_revision",
    "make_engine",
    "make_sessionmaker",
    "repo",
    "session_scope",
    "upgrade",
]
