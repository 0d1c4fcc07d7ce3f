"""Fixtures of the publication-policy tests: engines (SQLite and PostgreSQL), a seeded database, apps.

- ``seeded`` (module scope, per engine): a database with ``policy.seed``'s canary-laden reports and photos,
  as ``Seeded(engine, seed, photo_dir, url)`` (``url``: a URL another process or the CLI can open, with
  the PostgreSQL schema in it).
- ``make_client(seeded, **settings)``: a TestClient on ``create_app(Settings(...), engine=...)`` whose clock
  is the seed's ``now``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from policy.seed import ReportSeed, seed_reports
from store.conftest import (  # noqa: F401 (fixtures)
    ENGINES,
    ENV,
    _admin,
    blank_engine,
    engine,
    migrated_database,
    pg_url,
    session,
)
from tocsin.settings import Settings
from tocsin.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's TestClient warns about its httpx backend
    from fastapi.testclient import TestClient


@dataclass
class Seeded:
    engine: Engine
    seed: ReportSeed
    photo_dir: Path
    url: str
    engine_name: str


@pytest.fixture(scope="module", params=ENGINES)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    base = tmp_path_factory.mktemp("policy")
    with migrated_database(request, base, "policy") as (eng, url):
        now = datetime.now(UTC).replace(microsecond=0)
        seed = seed_reports(eng, str(base / "photos"), now)
        yield Seeded(eng, seed, base / "photos", url, request.param)


@contextmanager
def client_for(seeded: Seeded, **settings: Any) -> Iterator[TestClient]:
    """A TestClient on the seeded database with these settings; the app's clock is the seed's ``now``."""
    app = create_app(
        Settings(default_lang="en", photo_dir=str(seeded.photo_dir), **settings), engine=seeded.engine
    )
    app.state.clock = lambda: seeded.seed.now
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def make_client(seeded: Seeded) -> Callable[..., Any]:
    return lambda **settings: client_for(seeded, **settings)
