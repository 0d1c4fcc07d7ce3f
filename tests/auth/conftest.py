"""Fixtures of the account and sign-in tests, on SQLite and PostgreSQL.

- ``engine`` / ``session``: a migrated database per test (from the store tests);
- ``settings``: small lockout numbers so the lockout is quick to reach;
- ``app``: the full app from ``create_app`` (with ``security.install``), its clock settable through
  ``clock`` (``app.state.clock``), so session expiry is tested without sleeping;
- ``client``: ``support.ops.ops_client(app)`` — https://testserver, so the Secure cookie is sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from store.conftest import ENGINES, ENV, _admin, blank_engine, engine, pg_url, session  # noqa: F401 (fixtures)
from support.ops import ops_client
from tocsin.settings import Settings
from tocsin.web import security
from tocsin.web.app import create_app


@dataclass
class Clock:
    """A clock the test moves by hand (``app.state.clock``)."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def settings() -> Settings:
    return Settings(default_lang="en", login_max_failures=3, lockout_minutes=15, session_hours=2)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def build_app(settings: Settings, db_engine: Engine, clock: Clock | None = None):
    """The full app (``create_app``) with ``security.install`` and, optionally, a hand-moved clock."""
    app = create_app(settings, engine=db_engine)
    security.install(app)  # idempotent: a no-op once create_app calls it
    if clock is not None:
        app.state.clock = clock
    return app


@pytest.fixture
def app(settings: Settings, engine: Engine, clock: Clock):  # noqa: F811 (the fixture)
    return build_app(settings, engine, clock)


@pytest.fixture
def client(app) -> Iterator:
    with ops_client(app, follow_redirects=False) as c:
        yield c
