"""Engine set-up, settings and the `tocsin db` commands."""

from __future__ import annotations

import argparse

import pytest
from sqlalchemy import text

from tocsin.settings import DEFAULT_DATABASE_URL, Settings, SettingsError, _convert
from tocsin.store import cli as db_cli
from tocsin.store.engine import head_revision, make_engine, make_sessionmaker, normalize_url, upgrade
from tocsin.store.models import Source


def test_sqlite_pragmas_are_set_on_every_connection(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}", pool_size=2)
    try:
        for _ in range(2):
            with engine.connect() as conn:
                got = {
                    p: conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                    for p in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
                }
                assert got == {
                    "journal_mode": "wal",
                    "foreign_keys": 1,
                    "synchronous": 2,
                    "busy_timeout": 30000,
                }
    finally:
        engine.dispose()


def test_sqlite_savepoint_rolls_back_alone(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    upgrade(engine)
    Session = make_sessionmaker(engine)
    with Session() as s:
        s.add(Source(name="kept", kind="feed", authority="media", enabled=True))
        s.flush()
        nested = s.begin_nested()
        s.add(Source(name="dropped", kind="feed", authority="media", enabled=True))
        s.flush()
        nested.rollback()
        s.commit()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM source")).scalars().all() == ["kept"]
    engine.dispose()


def test_postgres_urls_use_psycopg3():
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"


def test_settings_from_env():
    assert Settings.from_env({}).database_url == DEFAULT_DATABASE_URL == "sqlite:///./tocsin.db"
    assert Settings.from_env({"TOCSIN_DATABASE_URL": "postgresql+psycopg://x@y/z"}).database_url == (
        "postgresql+psycopg://x@y/z"
    )
    assert Settings.from_env({"TOCSIN_DATABASE_URL": "  "}).database_url == DEFAULT_DATABASE_URL
    described = [env for env, _default, _doc in Settings.describe()]
    assert "TOCSIN_DATABASE_URL" in described and all(env.startswith("TOCSIN_") for env in described)
    with pytest.raises(AttributeError):
        Settings().database_url = "x"  # type: ignore[misc]
    assert _convert("TOCSIN_X", "yes", bool) is True and _convert("TOCSIN_X", "5", int) == 5
    with pytest.raises(SettingsError, match="TOCSIN_X='maybe'"):
        _convert("TOCSIN_X", "maybe", bool)


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tocsin")
    db_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_db_upgrade_and_current(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TOCSIN_DATABASE_URL", raising=False)
    assert _run(["db", "upgrade"]) == 0
    assert (tmp_path / "tocsin.db").exists()
    assert f"upgraded (empty) → {head_revision()}" in capsys.readouterr().out
    assert _run(["db", "upgrade"]) == 0
    assert "already at" in capsys.readouterr().out
    assert _run(["db", "current"]) == 0
    assert "up to date" in capsys.readouterr().out

    other = f"sqlite:///{tmp_path / 'other.db'}"
    monkeypatch.setenv("TOCSIN_DATABASE_URL", other)
    assert _run(["db", "current"]) == 0
    assert "no database file yet" in capsys.readouterr().out
    assert not (tmp_path / "other.db").exists()
    empty = make_engine(other)
    empty.connect().close()  # an empty file: a database without the schema
    empty.dispose()
    assert _run(["db", "current"]) == 0
    assert "(empty)" in capsys.readouterr().out
    upgrade(other)


def test_db_upgrade_reports_an_unreachable_database(capsys):
    assert _run(["db", "upgrade", "--url", "sqlite:////nonexistent-dir/x/tocsin.db"]) == 1
    assert "cannot upgrade" in capsys.readouterr().err
