"""``tocsin db …``: create/upgrade the database schema and show its revision.

Hooked into ``tocsin.cli.build_parser`` with ``register(sub)``.
"""

from __future__ import annotations

import argparse
import os
import sys

DB_EPILOG = """\
The database is TOCSIN_DATABASE_URL (default: sqlite:///./tocsin.db, a file in the working directory;
production: postgresql+psycopg://user@host:5432/dbname).

examples:
  tocsin db upgrade
  TOCSIN_DATABASE_URL=postgresql+psycopg://tocsin@127.0.0.1/tocsin tocsin db upgrade
  tocsin db current
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``db`` command group to the ``tocsin`` parser's subcommands."""
    db = subparsers.add_parser(
        "db",
        help="create or upgrade the database, show its schema revision",
        description="Manage the database schema (Alembic migrations shipped with tocsin).",
        epilog=DB_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    db_sub = db.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    up = db_sub.add_parser("upgrade", help="create the database or upgrade it to the newest schema")
    up.add_argument("--url", help="database URL (default: TOCSIN_DATABASE_URL)")
    up.set_defaults(func=_cmd_upgrade)
    cur = db_sub.add_parser("current", help="print the database's schema revision and the newest one")
    cur.add_argument("--url", help="database URL (default: TOCSIN_DATABASE_URL)")
    cur.set_defaults(func=_cmd_current)


def _url(args: argparse.Namespace) -> str:
    from tocsin.settings import Settings

    return args.url or Settings.from_env().database_url


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _sqlite_file(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() != "sqlite" or u.database in (None, "", ":memory:"):
        return None
    return u.database


def _fail(message: str) -> int:
    print(f"tocsin: error: {message}", file=sys.stderr)
    return 1


def _cmd_upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from tocsin.store.engine import current_revision, head_revision, make_engine, upgrade

    url = _url(args)
    try:
        engine = make_engine(url)
        try:
            before = current_revision(engine)
            upgrade(engine)
            after = current_revision(engine)
        finally:
            engine.dispose()
    except (SQLAlchemyError, OSError) as exc:
        return _fail(f"cannot upgrade {_shown(url)}: {exc}")
    if before == after:
        print(f"{_shown(url)}: already at {after} (head {head_revision()})")
    else:
        print(f"{_shown(url)}: upgraded {before or '(empty)'} → {after}")
    return 0


def _cmd_current(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from tocsin.store.engine import current_revision, head_revision

    url = _url(args)
    sqlite_file = _sqlite_file(url)
    if sqlite_file is not None and not os.path.exists(sqlite_file):
        print(f"{_shown(url)}: no database file yet (run `tocsin db upgrade`)")
        return 0
    try:
        rev = current_revision(url)
    except (SQLAlchemyError, OSError) as exc:
        return _fail(f"cannot read {_shown(url)}: {exc}")
    head = head_revision()
    state = "up to date" if rev == head else "needs `tocsin db upgrade`"
    print(f"{_shown(url)}: {rev or '(empty)'} (head {head}; {state})")
    return 0
